/**
 * TURN host boot files: shellcheck on every script, bad input named, and turn-config.sh RUN for real with
 * stand-ins for `curl` (IMDSv2) and `aws` (SSM) on PATH: the file it writes is root:turnserver 0640, holds the
 * secret once, and a real coturn started from it hands out the Elastic IP as relayed address to a client using
 * a credential made with that secret. Loopback only: 127.0.7.30-31, ports 23800-23829.
 */
import * as assert from "assert";
import { randomBytes } from "crypto";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderTurnBootScript, renderTurnCertDeployHook, renderTurnCertScript, renderTurnConfigScript, renderTurnUnits, TurnBootInput } from "../../render/turn-boot";
import { turnCredential } from "../../render/turn-credential";
import { renderTurnserverConf, TURN_SECRET_KEY } from "../../render/turnserver-conf";
import { makeTestCertificate, RunningTurnserver, startTurnserver, waitForStun } from "../helpers/coturn";
import { requireBinary } from "../helpers/env";
import { StunConnection, TurnSession } from "../helpers/turn-client";

const INPUT: TurnBootInput = {
  region: "us-east-1",
  hostname: "turn-us-east-1.meet.example.com",
  hostCertName: "turn-us-east-1-1.meet.example.com",
  eipAllocationId: "eipalloc-0123456789abcdef0",
  publicIp: "127.0.7.31",
  turnSecretParameter: "/jitsi/prod/us-east-1/turn-secret",
  tlsListeningPort: 5349,
  acmeEmail: "",
  stagingDir: "/etc/jitsi-aws/staged",
};

describe("TURN host boot files", () => {
  it("every script passes shellcheck", function () {
    const sc = requireBinary(this, "shellcheck");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "turn-sc-"));
    try {
      const scripts = {
        "boot.sh": renderTurnBootScript(INPUT),
        "turn-config.sh": renderTurnConfigScript(INPUT),
        "turn-cert.sh": renderTurnCertScript({ ...INPUT, acmeEmail: "ops@example.com" }),
        "turn-cert-deploy.sh": renderTurnCertDeployHook(),
      };
      for (const [name, text] of Object.entries(scripts)) {
        fs.writeFileSync(path.join(dir, name), text);
        execFileSync(sc, ["-s", "bash", path.join(dir, name)], { stdio: "pipe" });
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the coturn drop-in grants CAP_NET_BIND_SERVICE only when TURNS is on a port below 1024", () => {
    assert.ok(!renderTurnUnits(INPUT)["coturn.service.d/jitsi-aws.conf"].includes("CAP_NET_BIND_SERVICE"));
    assert.ok(renderTurnUnits({ ...INPUT, tlsListeningPort: 443 })["coturn.service.d/jitsi-aws.conf"].includes("AmbientCapabilities=CAP_NET_BIND_SERVICE"));
  });

  it("the boot script masks coturn before installing it, unmasks it after the units are in place, starts it before the agent", () => {
    const s = renderTurnBootScript(INPUT);
    const at = (needle: string) => s.indexOf(needle);
    assert.ok(at("systemctl mask coturn.service") >= 0 && at("systemctl mask coturn.service") < at("apt-get install -y -q coturn"));
    assert.ok(at("systemctl unmask coturn.service") > at("jitsi-aws-turn-config.service jitsi-aws-turn-cert.service"));
    assert.ok(!/static-auth-secret/.test(s), "no secret handling in the first-boot script");
    const withAgent = renderTurnBootScript({ ...INPUT, cloudWatchAgentInstall: "install-the-agent\n" });
    assert.ok(withAgent.indexOf("systemctl restart coturn.service") < withAgent.indexOf("install-the-agent"), "coturn starts before the agent is fetched");
  });

  it("names every bad field", () => {
    assert.throws(
      () => renderTurnConfigScript({ ...INPUT, hostname: "Turn Host", eipAllocationId: "eip-1", publicIp: "x", turnSecretParameter: "no-slash", acmeEmail: "nope" }),
      (e: Error) => ["hostname must be", "eipAllocationId must", "publicIp must", "turnSecretParameter must", "acmeEmail must"].every((f) => e.message.includes(f)),
    );
  });
});

describe("turn-config.sh run for real, then coturn from its output", function () {
  this.timeout(60_000);
  let dir = "";
  let daemon: RunningTurnserver | undefined;
  const conns: StunConnection[] = [];
  after(async () => {
    conns.forEach((c) => c.close());
    await daemon?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("writes root:turnserver 0640 with addresses and the SSM secret; coturn relays on the Elastic IP with that secret", async function () {
    const bin = requireBinary(this, "turnserver");
    requireBinary(this, "openssl");
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "turn-config-"));
    const secret = randomBytes(20).toString("hex");
    const stubs = path.join(dir, "bin");
    fs.mkdirSync(stubs);
    // Stand-ins: IMDSv2 answers a token then the private address; SSM answers the secret for the right name only.
    fs.writeFileSync(path.join(stubs, "curl"), `#!/bin/bash\ncase "$*" in *api/token*) echo tok ;; *local-ipv4*) echo 127.0.7.30 ;; *) exit 22 ;; esac\n`, { mode: 0o755 });
    fs.writeFileSync(path.join(stubs, "aws"), `#!/bin/bash\ncase "$*" in *"ssm get-parameter"*"--name ${INPUT.turnSecretParameter}"*) echo ${secret} ;; *) exit 255 ;; esac\n`, { mode: 0o755 });
    const tls = makeTestCertificate(dir, "turn.test.invalid");
    const logFile = path.join(dir, "turn.log");
    const base = renderTurnserverConf({ realm: "meet.example.com", listeningPort: 23800, tlsListeningPort: 23801, minRelayPort: 23810, maxRelayPort: 23829, ...tls, logFile, pidFile: path.join(dir, "pid") });
    fs.writeFileSync(path.join(dir, "base.conf"), base);
    const script = path.join(dir, "turn-config.sh");
    fs.writeFileSync(script, renderTurnConfigScript(INPUT), { mode: 0o700 });
    const finalConf = path.join(dir, "turnserver.conf");
    execFileSync("bash", [script], { env: { ...process.env, PATH: `${stubs}:${process.env.PATH}`, BASE_CONF: path.join(dir, "base.conf"), FINAL_CONF: finalConf }, stdio: "pipe" });

    const st = fs.statSync(finalConf);
    assert.strictEqual((st.mode & 0o777).toString(8), "640");
    assert.strictEqual(st.uid, 0);
    assert.strictEqual(execFileSync("getent", ["group", String(st.gid)], { encoding: "utf8" }).split(":")[0], "turnserver");
    const text = fs.readFileSync(finalConf, "utf8");
    assert.ok(text.startsWith(base), "the rendered text comes first, unchanged");
    assert.deepStrictEqual(text.split("\n").filter((l) => l.startsWith(`${TURN_SECRET_KEY}=`)), [`${TURN_SECRET_KEY}=${secret}`]);
    for (const l of ["listening-ip=127.0.7.30", "relay-ip=127.0.7.30", "external-ip=127.0.7.31/127.0.7.30"]) assert.ok(text.includes(`\n${l}\n`), l);

    daemon = await startTurnserver(bin, finalConf, logFile);
    await waitForStun("udp", "127.0.7.30", 23800, "127.0.7.9");
    assert.deepStrictEqual(daemon.problems(), [], daemon.log());
    const conn = await StunConnection.open("udp", { address: "127.0.7.30", port: 23800 }, "127.0.7.9");
    conns.push(conn);
    const r = await new TurnSession(conn, turnCredential(secret, "boot-test", 300, Math.floor(Date.now() / 1000))).allocate();
    assert.ok(r.ok, JSON.stringify(r));
    assert.strictEqual(r.relayed.address, INPUT.publicIp, "clients are told the Elastic IP, not the private address");
  });
});
