/**
 * Every turnserver.conf of the prod plan is accepted by the real coturn, through the production path: the plan's
 * own turn-config.sh of each host (IMDSv2 and SSM answered by stand-ins on PATH) appends the host's addresses and
 * the secret, then turnserver runs the result on loopback, answers STUN on UDP/TCP/TLS, logs no config problem,
 * and allocates for a credential made with that secret, announcing the host's Elastic IP from the plan.
 * Only addresses, ports and local file paths are moved (tests/helpers/coturn.ts loopbackVariant); loopback peers
 * stay denied as in production. Loopback only: 127.0.7.40-49, ports 23850-23999 (no traffic to the Elastic IP:
 * it is only a value inside a STUN attribute).
 */
import * as assert from "assert";
import { randomBytes } from "crypto";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { turnCredential } from "../../render/turn-credential";
import { TURN_SECRET_KEY } from "../../render/turnserver-conf";
import { PlannedFile } from "../../tools/plan/run";
import { loopbackVariant, makeTestCertificate, RunningTurnserver, startTurnserver, waitForStun } from "../helpers/coturn";
import { requireBinary } from "../helpers/env";
import { prodPlan } from "../helpers/prod-plan";
import { StunConnection, TurnSession } from "../helpers/turn-client";

describe("prod plan: every TURN host's turnserver.conf, built by its own turn-config.sh, runs in coturn", function () {
  this.timeout(240_000);
  let dir = "";
  let files: PlannedFile[] = [];
  const daemons: RunningTurnserver[] = [];
  const conns: StunConnection[] = [];

  before(async function () {
    requireBinary(this, "turnserver");
    requireBinary(this, "openssl");
    files = (await prodPlan()).files.filter((f) => f.component.endsWith("-turn"));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "turn-plan-"));
  });
  after(async () => {
    conns.forEach((c) => c.close());
    await Promise.all(daemons.map((d) => d.stop()));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("the plan has one turnserver.conf per region and a turn-config.sh per host (us-east-1: 2 hosts, eu-west-1: 1)", () => {
    assert.deepStrictEqual(files.filter((f) => f.path === "turnserver.conf").map((f) => f.region).sort(), ["eu-west-1", "us-east-1"]);
    assert.deepStrictEqual(files.filter((f) => f.path.endsWith("/turn-config.sh")).map((f) => `${f.region}/${f.path}`).sort(), ["eu-west-1/host-1/turn-config.sh", "us-east-1/host-1/turn-config.sh", "us-east-1/host-2/turn-config.sh"]);
  });

  it("every TURN shell script of the plan passes shellcheck", function () {
    const sc = requireBinary(this, "shellcheck");
    const scripts = files.filter((f) => f.path.endsWith(".sh"));
    assert.equal(scripts.length, 3 * 4, "boot.sh, turn-config.sh, turn-cert.sh, turn-cert-deploy.sh per host");
    for (const f of scripts) {
      const file = path.join(dir, `${f.component}-${f.path.replace(/\//g, "-")}`);
      fs.writeFileSync(file, f.content);
      execFileSync(sc, ["-s", "bash", file], { stdio: "pipe" });
    }
  });

  it("coturn accepts each host's final config and relays with the secret, announcing the host's Elastic IP", async function () {
    const bin = requireBinary(this, "turnserver");
    const tls = makeTestCertificate(dir, "turn.test.invalid");
    const hosts = files.filter((f) => f.path.endsWith("/turn-config.sh"));
    let k = 0;
    for (const script of hosts) {
      const base = files.find((f) => f.region === script.region && f.component === script.component && f.path === "turnserver.conf");
      assert.ok(base, `no turnserver.conf for ${script.component}`);
      const ip = `127.0.7.${40 + k}`;
      const port = 23850 + k * 4;
      const hostDir = path.join(dir, `h${k}`);
      fs.mkdirSync(path.join(hostDir, "bin"), { recursive: true });
      const secret = randomBytes(20).toString("hex");
      const param = /^SECRET_PARAM='([^']+)'$/m.exec(script.content)?.[1];
      const eip = /^PUBLIC_IP='([^']+)'$/m.exec(script.content)?.[1];
      assert.ok(param && eip, "turn-config.sh names its SSM parameter and Elastic IP");
      assert.strictEqual(param, `/jitsi/prod/${script.region}/turn-secret`, "the parameter the shards' Prosody reads");
      fs.writeFileSync(path.join(hostDir, "bin", "curl"), `#!/bin/bash\ncase "$*" in *api/token*) echo tok ;; *local-ipv4*) echo ${ip} ;; *) exit 22 ;; esac\n`, { mode: 0o755 });
      fs.writeFileSync(path.join(hostDir, "bin", "aws"), `#!/bin/bash\ncase "$*" in *"ssm get-parameter"*"--name ${param}"*) echo ${secret} ;; *) exit 255 ;; esac\n`, { mode: 0o755 });
      const logFile = path.join(hostDir, "turn.log");
      const moved = loopbackVariant(base.content, { ip, listeningPort: port, tlsListeningPort: port + 1, minRelayPort: 23870 + k * 20, maxRelayPort: 23889 + k * 20, ...tls, logFile, pidFile: path.join(hostDir, "pid") }, { addAddresses: false });
      fs.writeFileSync(path.join(hostDir, "base.conf"), moved);
      fs.writeFileSync(path.join(hostDir, "turn-config.sh"), script.content, { mode: 0o700 });
      const finalConf = path.join(hostDir, "turnserver.conf");
      execFileSync("bash", [path.join(hostDir, "turn-config.sh")], { env: { ...process.env, PATH: `${hostDir}/bin:${process.env.PATH}`, BASE_CONF: path.join(hostDir, "base.conf"), FINAL_CONF: finalConf }, stdio: "pipe" });
      const text = fs.readFileSync(finalConf, "utf8");
      assert.ok(!base.content.includes(secret) && text.includes(`\n${TURN_SECRET_KEY}=${secret}\n`));
      assert.ok(!/allow-loopback-peers/.test(text), "production peer rules unchanged");

      const d = await startTurnserver(bin, finalConf, logFile);
      daemons.push(d);
      await waitForStun("udp", ip, port, "127.0.7.9");
      await waitForStun("tcp", ip, port, "127.0.7.9");
      await waitForStun("tls", ip, port + 1, "127.0.7.9", { ca: fs.readFileSync(tls.certFile), servername: "turn.test.invalid" });
      assert.deepStrictEqual(d.problems(), [], `${script.component}/${script.path}:\n${d.log()}`);
      const conn = await StunConnection.open("udp", { address: ip, port }, "127.0.7.9");
      conns.push(conn);
      const s = new TurnSession(conn, turnCredential(secret, "plan-test", 300, Math.floor(Date.now() / 1000)));
      const r = await s.allocate();
      assert.ok(r.ok, JSON.stringify(r));
      assert.strictEqual(r.relayed.address, eip);
      // The production deny list holds on the real daemon: loopback is refused (no allow-loopback-peers here).
      assert.strictEqual(await s.createPermission({ address: "127.0.7.3", port: 0 }), 403);
      await d.stop();
      k++;
    }
    assert.strictEqual(k, 3);
    console.log(`      figure: ${k}/${k} TURN hosts of the prod plan: final turnserver.conf accepted by coturn 4.6, allocation OK`);
  });
});
