/**
 * The real coturn test: Debian's `turnserver` runs on loopback with a config from renderTurnserverConf plus the
 * secret line the boot script appends, and a TURN client (tests/helpers/turn-client.ts) allocates with
 * credentials from render/turn-credential.ts, the project's one implementation of the TURN REST credential.
 *
 * Address block 127.0.7.0/24, ports 23000-23499 (this helper's block). Nothing leaves loopback:
 *  - coturn listens and relays only on 127.0.7.1 / 127.0.7.2 (listening-ip, relay-ip), relay ports 23100-23299;
 *  - the test config keeps every production denied-peer-ip range except loopback, then adds
 *    `allow-loopback-peers` (coturn refuses any loopback peer without it) and denies 127.0.0.0-127.0.6.255 and
 *    127.0.8.0-127.255.255.255, so the only reachable peers are in 127.0.7.0/24;
 *  - the "denied peer" is 127.0.7.200, put in the deny list by this test; the production deny rules for
 *    private/metadata/multicast addresses are checked with CreatePermission, which sends nothing to the peer.
 */
import * as assert from "assert";
import { ChildProcess, spawn, spawnSync } from "child_process";
import { randomBytes, X509Certificate } from "crypto";
import * as dgram from "dgram";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import * as tlsModule from "tls";
import { turnCredential } from "../../render/turn-credential";
import { renderTurnserverConf, TURN_SECRET_KEY, TurnserverConfInput } from "../../render/turnserver-conf";
import { makeTestCertificate, RunningTurnserver, sleep, startTurnserver, stopProcess, waitForStun } from "../helpers/coturn";
import { requireBinary } from "../helpers/env";
import { Address, METHOD, ATTR, attr, parseXorAddress, StunConnection, TRANSPORT, TransportName, TurnSession } from "../helpers/turn-client";

const REALM = "meet.test.invalid";
const CLIENT_IP = "127.0.7.9";
const A = { ip: "127.0.7.1", port: 23478, tlsPort: 23349, minRelay: 23100, maxRelay: 23199 };
const B = { ip: "127.0.7.2", port: 23488, tlsPort: 23359, minRelay: 23200, maxRelay: 23299 };
const ALLOWED_PEER: Address = { address: "127.0.7.3", port: 23901 };
const DENIED_PEER: Address = { address: "127.0.7.200", port: 23902 };
/** turnutils_peer (an echo server) for the turnutils_uclient cross-check. */
const ECHO_PEER: Address = { address: "127.0.7.4", port: 23903 };
const USER_QUOTA = 3;

function testInput(s: typeof A, noTcpRelay: boolean, dir: string, tls: { certFile: string; keyFile: string }): TurnserverConfInput {
  return {
    realm: REALM,
    listeningPort: s.port,
    tlsListeningPort: s.tlsPort,
    listeningIps: [s.ip],
    relayIps: [s.ip],
    minRelayPort: s.minRelay,
    maxRelayPort: s.maxRelay,
    userQuota: USER_QUOTA,
    totalQuota: 50,
    noTcpRelay,
    // Why these differ from production: see the file comment (loopback peers must be reachable for the test).
    allowLoopbackPeers: true,
    extraDeniedPeerIps: [DENIED_PEER.address, "127.0.0.0-127.0.6.255", "127.0.8.0-127.255.255.255"],
    ...tls,
    logFile: path.join(dir, `${s.ip}.log`),
    pidFile: path.join(dir, `${s.ip}.pid`),
  };
}

describe("coturn on loopback with the rendered config and TURN REST credentials", function () {
  this.timeout(60_000);
  const secret = randomBytes(20).toString("hex");
  const now = () => Math.floor(Date.now() / 1000);
  let dir = "";
  let tls = { certFile: "", keyFile: "" };
  const daemons: RunningTurnserver[] = [];
  const conns: StunConnection[] = [];
  const peers: dgram.Socket[] = [];
  const children: ChildProcess[] = [];
  const peerInbox = new Map<string, { data: Buffer; from: Address }[]>();

  async function session(transport: TransportName, cred: { username: string; password: string }, s = A): Promise<TurnSession> {
    const port = transport === "tls" ? s.tlsPort : s.port;
    const conn = await StunConnection.open(transport, { address: s.ip, port }, CLIENT_IP, { ca: fs.readFileSync(tls.certFile), servername: "turn.test.invalid" });
    conns.push(conn);
    return new TurnSession(conn, cred);
  }
  const fresh = (user = "alice") => turnCredential(secret, user, 600, now());

  before(async function () {
    const bin = requireBinary(this, "turnserver");
    requireBinary(this, "openssl");
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "coturn-"));
    tls = makeTestCertificate(dir, "turn.test.invalid");
    for (const [s, noTcpRelay] of [[A, true], [B, false]] as const) {
      const file = path.join(dir, `${s.ip}.conf`);
      // As the boot script does: the rendered text, then the secret line, in a file only root can read.
      fs.writeFileSync(file, `${renderTurnserverConf(testInput(s, noTcpRelay, dir, tls))}${TURN_SECRET_KEY}=${secret}\n`, { mode: 0o600 });
      const d = await startTurnserver(bin, file, path.join(dir, `${s.ip}.log`));
      daemons.push(d);
      await waitForStun("udp", s.ip, s.port, CLIENT_IP);
      assert.deepStrictEqual(d.problems(), [], d.log());
    }
    for (const p of [ALLOWED_PEER, DENIED_PEER]) {
      const sock = dgram.createSocket("udp4");
      await new Promise<void>((res, rej) => { sock.once("error", rej); sock.bind(p.port, p.address, () => res()); });
      const inbox: { data: Buffer; from: Address }[] = [];
      peerInbox.set(p.address, inbox);
      sock.on("message", (data, r) => inbox.push({ data, from: { address: r.address, port: r.port } }));
      peers.push(sock);
    }
  });

  after(async () => {
    conns.forEach((c) => c.close());
    peers.forEach((p) => p.close());
    await Promise.all(children.map((c) => stopProcess(c)));
    await Promise.all(daemons.map((d) => d.stop()));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const transport of ["udp", "tcp", "tls"] as const) {
    it(`a fresh credential allocates over ${transport}${transport === "tls" ? " (TURNS, certificate verified)" : ""}: relayed address on ${A.ip} within min-port..max-port`, async () => {
      const s = await session(transport, fresh(`user-${transport}`));
      const r = await s.allocate();
      assert.ok(r.ok, JSON.stringify(r));
      assert.strictEqual(r.relayed.address, A.ip);
      assert.ok(r.relayed.port >= A.minRelay && r.relayed.port <= A.maxRelay, `relay port ${r.relayed.port}`);
      assert.strictEqual(r.mapped?.address, CLIENT_IP);
      assert.strictEqual(await s.release(), undefined);
    });
  }

  it("relays both ways between the client and an allowed loopback peer", async () => {
    const s = await session("udp", fresh("relay-user"));
    const r = await s.allocate();
    assert.ok(r.ok);
    assert.strictEqual(await s.createPermission(ALLOWED_PEER), undefined);
    const inbox = peerInbox.get(ALLOWED_PEER.address) ?? [];
    inbox.length = 0;
    s.send(ALLOWED_PEER, Buffer.from("hello peer"));
    for (let i = 0; i < 40 && inbox.length === 0; i++) await sleep(50);
    assert.strictEqual(inbox[0]?.data.toString(), "hello peer");
    assert.deepStrictEqual(inbox[0].from, r.relayed, "the peer sees the relayed address");
    peers[0].send(Buffer.from("hello client"), r.relayed.port, r.relayed.address);
    const ind = await s.conn.nextIndication(2000);
    assert.ok(ind && ind.method === METHOD.data, "a Data indication");
    assert.strictEqual(attr(ind, ATTR.data)?.toString(), "hello client");
    assert.deepStrictEqual(parseXorAddress(attr(ind, ATTR.xorPeerAddress) as Buffer), ALLOWED_PEER);
    await s.release();
  });

  it("an expired credential is rejected with 401", async () => {
    const expired = turnCredential(secret, "late", 60, now() - 3600);
    const r = await (await session("udp", expired)).allocate();
    assert.deepStrictEqual(r.ok ? "allocated" : r.code, 401);
  });

  it("a credential made with the wrong secret is rejected with 401", async () => {
    const r = await (await session("udp", turnCredential(`${secret}x`, "mallory", 600, now()))).allocate();
    assert.deepStrictEqual(r.ok ? "allocated" : r.code, 401);
  });

  it("a credential whose expiry was pushed forward without re-signing is rejected with 401", async () => {
    const c = turnCredential(secret, "tamper", 60, now() - 3600);
    const forged = { username: c.username.replace(/^\d+/, String(now() + 3600)), password: c.password };
    const r = await (await session("tcp", forged)).allocate();
    assert.deepStrictEqual(r.ok ? "allocated" : r.code, 401);
  });

  it("refuses the denied loopback peer: CreatePermission 403, ChannelBind 403, and a Send indication is not relayed", async () => {
    const s = await session("udp", fresh("deny-user"));
    assert.ok((await s.allocate()).ok);
    assert.strictEqual(await s.createPermission(DENIED_PEER), 403);
    assert.strictEqual(await s.channelBind(DENIED_PEER, 0x4001), 403);
    s.send(DENIED_PEER, Buffer.from("must not arrive"));
    await sleep(800);
    assert.deepStrictEqual(peerInbox.get(DENIED_PEER.address), []);
    await s.release();
  });

  it("the production deny rules answer 403 for private, metadata, CGNAT and multicast peers (CreatePermission sends nothing)", async () => {
    const s = await session("udp", fresh("deny-prod"));
    assert.ok((await s.allocate()).ok);
    const got: Record<string, number | undefined> = {};
    for (const ip of ["10.0.0.1", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "224.0.0.1", "127.0.0.1"])
      got[ip] = await s.createPermission({ address: ip, port: 0 });
    assert.deepStrictEqual(got, { "10.0.0.1": 403, "172.16.0.1": 403, "192.168.1.1": 403, "169.254.169.254": 403, "100.64.0.1": 403, "224.0.0.1": 403, "127.0.0.1": 403 });
    await s.release();
  });

  it("no-tcp-relay (default) refuses a TCP relay with 442; with noTcpRelay=false the same request succeeds", async () => {
    const denied = await (await session("tcp", fresh("tcp-relay"), A)).allocate(TRANSPORT.tcp);
    assert.deepStrictEqual(denied.ok ? "allocated" : denied.code, 442);
    const allowed = await (await session("tcp", fresh("tcp-relay"), B)).allocate(TRANSPORT.tcp);
    assert.ok(allowed.ok, JSON.stringify(allowed));
    assert.strictEqual(allowed.relayed.address, B.ip);
  });

  it(`user-quota=${USER_QUOTA}: the next concurrent allocation of the same username gets 486; closing a session frees its slot`, async () => {
    const cred = fresh("quota-user");
    const sessions: TurnSession[] = [];
    for (let i = 0; i < USER_QUOTA; i++) {
      const s = await session("tcp", cred);
      assert.ok((await s.allocate()).ok, `allocation ${i + 1}`);
      sessions.push(s);
    }
    const over = await (await session("tcp", cred)).allocate();
    assert.deepStrictEqual(over.ok ? "allocated" : over.code, 486);
    assert.ok((await (await session("tcp", fresh("other-user"))).allocate()).ok, "the quota is per username, not global");
    // coturn gives the quota back when the session (the TCP connection) closes, not on Refresh(0).
    sessions[0].conn.close();
    let again = await (await session("tcp", cred)).allocate();
    for (let i = 0; i < 20 && !again.ok; i++) {
      await sleep(100);
      again = await (await session("tcp", cred)).allocate();
    }
    assert.ok(again.ok, `a slot is free again: ${JSON.stringify(again)}`);
  });

  it("cross-check with Debian's turnutils_uclient: our credential relays every message via turnutils_peer, none lost; an expired one cannot allocate", function () {
    const uclient = requireBinary(this, "turnutils_uclient");
    const peerBin = requireBinary(this, "turnutils_peer");
    const echo = spawn(peerBin, ["-L", ECHO_PEER.address, "-p", String(ECHO_PEER.port)], { stdio: "ignore" });
    children.push(echo);
    const runClient = (c: { username: string; password: string }) =>
      spawnSync(uclient, ["-n", "10", "-m", "1", "-l", "100", "-u", c.username, "-w", c.password, "-e", ECHO_PEER.address, "-r", String(ECHO_PEER.port), "-p", String(A.port), A.ip], { encoding: "utf8", timeout: 30_000 });
    const ok = runClient(fresh("uclient"));
    const out = `${ok.stdout}${ok.stderr}`;
    assert.strictEqual(ok.status, 0, out);
    const m = /tot_send_msgs=(\d+), tot_recv_msgs=(\d+)\n/.exec(out);
    assert.ok(m && Number(m[1]) > 0 && m[1] === m[2], `messages sent/received: ${m?.[1]}/${m?.[2]}\n${out}`);
    assert.match(out, /Total lost packets 0 /);
    const bad = runClient(turnCredential(secret, "uclient", 60, now() - 3600));
    assert.notStrictEqual(bad.status, 0);
    assert.match(`${bad.stdout}${bad.stderr}`, /Cannot complete Allocation/);
  });

  it("SIGUSR2 (what the certbot deploy hook sends) makes coturn serve a renewed certificate without a restart", async () => {
    const fingerprint = (ca: Buffer[]) =>
      new Promise<string>((resolve, reject) => {
        const raw = net.connect({ host: A.ip, port: A.tlsPort, localAddress: CLIENT_IP });
        raw.once("error", reject);
        const t = tlsModule.connect({ socket: raw, ca, servername: "turn.test.invalid" }, () => {
          resolve(t.getPeerCertificate().fingerprint256);
          t.destroy();
        });
        t.once("error", reject);
      });
    const old = fs.readFileSync(tls.certFile);
    const before = await fingerprint([old]);
    const renewed = makeTestCertificate(fs.mkdtempSync(path.join(dir, "renewed-")), "turn.test.invalid");
    // Same paths, new files: what the deploy hook's `install` does.
    fs.copyFileSync(renewed.certFile, tls.certFile);
    fs.copyFileSync(renewed.keyFile, tls.keyFile);
    const pid = daemons[0].proc.pid;
    assert.ok(pid);
    process.kill(pid, "SIGUSR2");
    // The reload runs asynchronously in coturn's listener threads: retry (bounded) until the new one is served.
    let after = "";
    let lastError: unknown;
    for (let i = 0; i < 50 && !after; i++) {
      await sleep(100);
      after = await fingerprint([fs.readFileSync(renewed.certFile)]).catch((e: unknown) => ((lastError = e), ""));
    }
    assert.ok(after, `the renewed certificate was not served within 5 s: ${String(lastError)}`);
    assert.match(daemons[0].log(), /Reloading TLS certificates and keys/);
    assert.notStrictEqual(after, before);
    assert.strictEqual(after, new X509Certificate(fs.readFileSync(renewed.certFile)).fingerprint256);
    assert.strictEqual(daemons[0].proc.exitCode, null, "coturn kept running");
  });

  it("coturn logged no configuration problem while running these requests", () => {
    for (const d of daemons) assert.deepStrictEqual(d.problems().filter((l) => /Bad configuration|CONFIG ERROR/.test(l)), []);
  });
});
