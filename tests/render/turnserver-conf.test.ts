/**
 * renderTurnserverConf: what the file says (pure checks) and that the real coturn 4.6 `turnserver` accepts every
 * rendered variant: it starts, answers STUN on UDP, TCP and TLS, and logs no "Bad configuration format"/ERROR.
 * Loopback only: 127.0.7.10-19, ports 23500-23799 (this helper's block).
 */
import * as assert from "assert";
import * as fs from "fs";
import { isIP } from "net";
import * as os from "os";
import * as path from "path";
import { DENIED_PEER_RANGES, renderTurnserverConf, TURN_SECRET_KEY, TurnserverConfInput } from "../../render/turnserver-conf";
import { loopbackVariant, LOOPBACK_REPLACED_KEYS, makeTestCertificate, RunningTurnserver, startTurnserver, waitForStun } from "../helpers/coturn";
import { requireBinary } from "../helpers/env";
import { StunConnection, TurnSession } from "../helpers/turn-client";
import { turnCredential } from "../../render/turn-credential";

const BASE: TurnserverConfInput = { realm: "meet.example.org" };

function keys(conf: string): string[] {
  return conf.split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.split("=")[0]);
}
function values(conf: string, key: string): string[] {
  return conf.split("\n").filter((l) => l.startsWith(`${key}=`)).map((l) => l.slice(key.length + 1));
}
function ipv4ToInt(ip: string): number {
  return ip.split(".").reduce((n, o) => n * 256 + Number(o), 0);
}
/** True when an IPv4 address lies in one of the rendered IPv4 denied-peer-ip ranges. */
function deniedV4(conf: string, ip: string): boolean {
  return values(conf, "denied-peer-ip").some((r) => {
    const [a, b = a] = r.split("-");
    return isIP(a) === 4 && ipv4ToInt(a) <= ipv4ToInt(ip) && ipv4ToInt(ip) <= ipv4ToInt(b);
  });
}

describe("renderTurnserverConf (pure)", () => {
  const prod = renderTurnserverConf({ ...BASE, listeningIps: ["10.0.1.12"], relayIps: ["10.0.1.12"], externalIp: { publicIp: "3.3.3.3", privateIp: "10.0.1.12" } });

  it("listens on 3478 and TURNS 5349 by default, with the TURN REST API and the realm", () => {
    assert.deepStrictEqual(values(prod, "listening-port"), ["3478"]);
    assert.deepStrictEqual(values(prod, "tls-listening-port"), ["5349"]);
    assert.deepStrictEqual(values(prod, "realm"), ["meet.example.org"]);
    assert.deepStrictEqual(values(prod, "external-ip"), ["3.3.3.3/10.0.1.12"]);
    for (const flag of ["use-auth-secret", "no-cli", "no-multicast-peers", "no-tcp-relay", "fingerprint", "no-dtls"]) assert.ok(keys(prod).includes(flag), flag);
    assert.deepStrictEqual([values(prod, "min-port"), values(prod, "max-port")], [["49152"], ["65535"]]);
  });

  it("never contains the secret: no static-auth-secret line, only the comment saying the boot script appends it", () => {
    assert.ok(!keys(prod).includes(TURN_SECRET_KEY));
    assert.ok(prod.trimEnd().endsWith(`# ${TURN_SECRET_KEY} is appended below at boot from SSM (render/turn-boot.ts); it is never in this text.`));
  });

  it("denies private, CGNAT, loopback, link-local (instance metadata) and multicast peers; never allows loopback", () => {
    for (const ip of ["10.0.0.1", "10.255.255.255", "172.16.0.1", "172.31.255.254", "192.168.1.1", "100.64.0.1", "127.0.0.1", "169.254.169.254", "169.254.169.253", "224.0.0.1", "0.0.0.0"])
      assert.ok(deniedV4(prod, ip), `${ip} must be denied`);
    for (const ip of ["8.8.8.8", "3.3.3.3", "172.32.0.1", "100.128.0.1", "11.0.0.1"]) assert.ok(!deniedV4(prod, ip), `${ip} must stay reachable`);
    assert.ok(values(prod, "denied-peer-ip").includes("fc00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), "IPv6 ULA (fd00:ec2::254 metadata)");
    assert.ok(values(prod, "denied-peer-ip").includes("::ffff:0.0.0.0-::ffff:255.255.255.255"), "IPv4-mapped IPv6");
    assert.ok(!keys(prod).includes("allow-loopback-peers"));
    assert.ok(!keys(prod).includes("allowed-peer-ip"), "an allowed-peer-ip would override the deny list");
  });

  it("the loopback-test switch only adds allow-loopback-peers and drops the two loopback ranges", () => {
    const test = renderTurnserverConf({ ...BASE, allowLoopbackPeers: true });
    const plain = renderTurnserverConf(BASE);
    assert.ok(keys(test).includes("allow-loopback-peers"));
    const removed = values(plain, "denied-peer-ip").filter((r) => !values(test, "denied-peer-ip").includes(r));
    assert.deepStrictEqual(removed, ["127.0.0.0-127.255.255.255", "::-::1"]);
    assert.strictEqual(DENIED_PEER_RANGES.length - 2, values(test, "denied-peer-ip").length);
  });

  it("no-tcp-relay, quotas, max-bps and TURNS port follow the input", () => {
    const c = renderTurnserverConf({ ...BASE, noTcpRelay: false, userQuota: 5, totalQuota: 0, maxBps: 625000, tlsListeningPort: 443 });
    assert.ok(!keys(c).includes("no-tcp-relay"));
    assert.deepStrictEqual([values(c, "user-quota"), values(c, "total-quota"), values(c, "max-bps"), values(c, "tls-listening-port")], [["5"], ["0"], ["625000"], ["443"]]);
    assert.deepStrictEqual(values(renderTurnserverConf(BASE), "max-bps"), [], "0 = unlimited renders no max-bps");
  });

  it("rejects bad input, naming every bad field at once", () => {
    assert.throws(
      () => renderTurnserverConf({ realm: "meet.example.org\nno-auth", listeningPort: 0, tlsListeningPort: 50000, minRelayPort: 40000, maxRelayPort: 60000, relayIps: ["10.0.0.999"], extraDeniedPeerIps: ["10.0.0.1-::1"], userQuota: -1, certFile: "rel/path.pem" }),
      (e: Error) => {
        for (const f of ["realm must be a DNS name", "listeningPort must be a whole number in 1..65535, got 0", "tlsListeningPort 50000 must lie outside the relay range 40000-60000", "relayIps[0] must be an IP address", "extraDeniedPeerIps[0]", "userQuota must be a whole number >= 0, got -1", "certFile must be an absolute path"])
          assert.ok(e.message.includes(f), `missing '${f}' in: ${e.message}`);
        return true;
      },
    );
    assert.throws(() => renderTurnserverConf({ ...BASE, minRelayPort: 50000, maxRelayPort: 50000 }), /minRelayPort \(50000\) must be below maxRelayPort \(50000\)/);
    assert.throws(() => renderTurnserverConf({ ...BASE, tlsListeningPort: 3478 }), /tlsListeningPort must differ from listeningPort/);
  });
});

/** Every variant the project renders (production shapes plus the daemon test's loopback shape). */
const RENDERED_VARIANTS: Record<string, TurnserverConfInput> = {
  "defaults": BASE,
  "EC2 host: private listen/relay address, Elastic IP mapping": { ...BASE, listeningIps: ["10.0.1.12"], relayIps: ["10.0.1.12"], externalIp: { publicIp: "3.3.3.3", privateIp: "10.0.1.12" } },
  "TURNS on 443, TCP relay allowed, bandwidth cap, unlimited total": { ...BASE, tlsListeningPort: 443, noTcpRelay: false, maxBps: 625000, totalQuota: 0, userQuota: 100 },
  "loopback daemon test shape": { ...BASE, allowLoopbackPeers: true, extraDeniedPeerIps: ["127.0.7.200", "127.0.0.0-127.0.6.255"], userQuota: 3 },
};

describe("turnserver (coturn 4.6) accepts every rendered turnserver.conf", function () {
  this.timeout(60_000);
  let bin = "";
  let dir = "";
  let tlsFiles = { certFile: "", keyFile: "" };
  const running: RunningTurnserver[] = [];

  before(function () {
    bin = requireBinary(this, "turnserver");
    requireBinary(this, "openssl");
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "turnconf-"));
    tlsFiles = makeTestCertificate(dir, "turn.test.invalid");
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((t) => t.stop()));
  });
  after(async () => {
    await Promise.all(running.splice(0).map((t) => t.stop()));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Places `conf` on 127.0.7.(10+slot), appends the secret as the boot script does, runs it, checks it. */
  async function assertAccepted(conf: string, slot: number): Promise<RunningTurnserver> {
    const ip = `127.0.7.${10 + slot}`;
    const port = 23500 + slot * 10;
    const placement = { ip, listeningPort: port, tlsListeningPort: port + 1, minRelayPort: 23600 + slot * 20, maxRelayPort: 23619 + slot * 20, ...tlsFiles, logFile: path.join(dir, `turn-${slot}.log`), pidFile: path.join(dir, `turn-${slot}.pid`) };
    const moved = loopbackVariant(conf, placement);
    // Only the placement keys may differ from the production text.
    const changed = conf.split("\n").filter((l) => !moved.split("\n").includes(l)).map((l) => l.split("=")[0]);
    for (const k of changed) assert.ok((LOOPBACK_REPLACED_KEYS as readonly string[]).includes(k), `loopbackVariant changed '${k}'`);
    const file = path.join(dir, `turnserver-${slot}.conf`);
    fs.writeFileSync(file, `${moved}${TURN_SECRET_KEY}=test-secret-${slot}\n`, { mode: 0o600 });
    const t = await startTurnserver(bin, file, placement.logFile);
    running.push(t);
    await waitForStun("udp", ip, port, "127.0.7.9");
    await waitForStun("tcp", ip, port, "127.0.7.9");
    await waitForStun("tls", ip, port + 1, "127.0.7.9", { ca: fs.readFileSync(tlsFiles.certFile), servername: "turn.test.invalid" });
    // The appended secret line is in effect: a credential made with it allocates.
    const conn = await StunConnection.open("udp", { address: ip, port }, "127.0.7.9");
    try {
      const r = await new TurnSession(conn, turnCredential(`test-secret-${slot}`, "conf-test", 60, Math.floor(Date.now() / 1000))).allocate();
      assert.ok(r.ok, JSON.stringify(r));
    } finally {
      conn.close();
    }
    return t;
  }

  Object.entries(RENDERED_VARIANTS).forEach(([name, input], i) => {
    it(`accepts: ${name}`, async () => {
      const t = await assertAccepted(renderTurnserverConf(input), i);
      assert.deepStrictEqual(t.problems(), [], t.log());
    });
  });

  it("the check can fail: a misspelled key is reported by turnserver and caught", async () => {
    const bad = renderTurnserverConf(BASE).replace("no-multicast-peers", "no-multicast-peer");
    const t = await assertAccepted(bad, 8);
    assert.ok(t.problems().some((l) => /Bad configuration format: no-multicast-peer/.test(l)), t.log());
  });
});
