import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderAgentInstall } from "../../render/agent-install";
import { JVB_ENV_FILE, JVB_UNITS, JvbBootInput, renderJvbBootScript, renderJvbEnvScript, renderJvbUnits } from "../../render/jvb-boot";
import { JvbConfInput, renderJvbConf } from "../../render/jvb-conf";
import { execFileSync } from "child_process";
import { requireBinary, run } from "../helpers/env";
import { parseHoconObject } from "./jvb-reference-keys";

const BOOT: JvbBootInput = {
  region: "eu-central-1",
  domain: "meet.example.com",
  shards: [
    { id: "eu-central-1-s1", passwordParameter: "/jitsi/prod/eu-central-1/eu-central-1-s1/jvb", parameterRegion: "eu-central-1" },
    { id: "us-east-1-s1", passwordParameter: "/jitsi/prod/us-east-1/us-east-1-s1/jvb", parameterRegion: "us-east-1" },
  ],
  stagingDir: "/etc/jitsi-aws/staged",
  agentInstall: renderAgentInstall({ bucket: "jitsi-prod-artifacts", key: "agents/0123456789abcdef/agent.js", region: "eu-central-1" }),
  fleetName: "bridges",
  groupName: "jitsi-prod-eu-central-1-bridges",
  lifecycleHookName: "drain",
  maxDrainSeconds: 3600,
  heartbeatSeconds: 300,
};

const CONF: JvbConfInput = {
  region: "eu-central-1",
  localShards: [{ id: "eu-central-1-s1", hostname: "eu-central-1-s1.eu-central-1.prod.jitsi.internal", domain: "auth.meet.example.com", username: "jvb", breweryMucJid: "jvbbrewery@internal.auth.meet.example.com" }],
  peerShards: [{ id: "us-east-1-s1", hostname: "us-east-1-s1.us-east-1.prod.jitsi.internal", domain: "auth.meet.example.com", username: "jvb", breweryMucJid: "jvbbrewery@internal.auth.meet.example.com", peerRegion: "us-east-1" }],
  relayEnabled: true,
  websocketDomain: "meet.example.com:443",
  websocketPort: 9090,
  mediaPort: 10000,
  gracefulShutdownMaxSeconds: 3510,
  gracefulShutdownMinParticipants: 10,
  loadMeasurement: "cpu-usage",
};

/** Runs <dir>/jvb-env.sh with <dir>/bin first on PATH, so curl and aws are the fakes (never the real IMDS). */
function runWithFakes(dir: string): void {
  execFileSync("bash", [path.join(dir, "jvb-env.sh")], {
    env: { ...process.env, PATH: `${path.join(dir, "bin")}:${process.env.PATH}` },
    timeout: 20_000,
    stdio: ["ignore", "pipe", "pipe"],
    encoding: "utf8",
  });
}

function explain(e: unknown): never {
  throw new Error(`${(e as Error).message}\n${(e as { stderr?: string }).stderr ?? ""}`);
}

describe("render/jvb-boot", () => {
  it("boot and env scripts pass shellcheck", function () {
    const shellcheck = requireBinary(this, "shellcheck");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "jvb-boot-"));
    try {
      for (const [name, text] of [["boot.sh", renderJvbBootScript(BOOT)], ["jvb-env.sh", renderJvbEnvScript(BOOT)]]) {
        fs.writeFileSync(path.join(dir, name), text);
        run(shellcheck, ["-s", "bash", "-S", "style", path.join(dir, name)]);
      }
    } finally {
      if (!process.env.KEEP_TMP) fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the env script, run against fake IMDS/SSM commands, writes exactly what jvb.conf needs to resolve", async function () {
    requireBinary(this, "bash");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "jvb-env-"));
    try {
      const bin = path.join(dir, "bin");
      fs.mkdirSync(bin);
      // curl: IMDSv2 token, then metadata answers only with the token header (like an httpTokens=required instance).
      fs.writeFileSync(path.join(bin, "curl"), `#!/bin/bash
for a in "$@"; do case "$a" in http*) url="$a" ;; esac; done
case "$url" in
  */latest/api/token) echo -n tok ;;
  */meta-data/instance-id) [[ "$*" == *"X-aws-ec2-metadata-token: tok"* ]] && echo -n i-0abc1234def567890 ;;
  */meta-data/local-ipv4) echo -n 10.20.1.77 ;;
  */meta-data/public-ipv4) echo -n 203.0.113.7 ;;
  *) exit 22 ;;
esac
`, { mode: 0o755 });
      // aws ssm get-parameter: prints a password derived from the name; records the region asked.
      fs.writeFileSync(path.join(bin, "aws"), `#!/bin/bash
while [ $# -gt 0 ]; do case "$1" in --name) name="$2"; shift ;; --region) region="$2"; shift ;; esac; shift; done
echo "$region $name" >> "${dir}/ssm-calls"
echo "pw-$(basename "$(dirname "$name")")"
`, { mode: 0o755 });
      const envFile = path.join(dir, "jvb.env");
      const script = renderJvbEnvScript(BOOT).replace(/\/run\/jitsi-aws\/jvb\.env/g, envFile).replace(/\/run\/jitsi-aws/g, dir);
      fs.writeFileSync(path.join(dir, "jvb-env.sh"), script);
      try {
        runWithFakes(dir);
      } catch (e) {
        explain(e);
      }
      const env = Object.fromEntries(fs.readFileSync(envFile, "utf8").trim().split("\n").map((l) => l.split("=", 2) as [string, string]));
      assert.deepEqual(env, {
        // The agent is not installed here, so its answer is missing: fail open, the bridge serves.
        JVB_INITIAL_DRAIN: "false",
        JVB_INSTANCE_ID: "i-0abc1234def567890",
        JVB_LOCAL_IPV4: "10.20.1.77",
        JVB_PUBLIC_IPV4: "203.0.113.7",
        JVB_XMPP_PASSWORD_EU_CENTRAL_1_S1: "pw-eu-central-1-s1",
        JVB_XMPP_PASSWORD_US_EAST_1_S1: "pw-us-east-1-s1",
      });
      assert.equal((fs.statSync(envFile).mode & 0o777).toString(8), "600");
      // The peer shard's secret is read in the peer's region.
      assert.deepEqual(fs.readFileSync(path.join(dir, "ssm-calls"), "utf8").trim().split("\n"), [
        "eu-central-1 /jitsi/prod/eu-central-1/eu-central-1-s1/jvb",
        "us-east-1 /jitsi/prod/us-east-1/us-east-1-s1/jvb",
      ]);
      // jvb.conf resolves with exactly this environment (a missing name would fail the required substitution).
      const saved = { ...process.env };
      Object.assign(process.env, env);
      try {
        const conf = (await parseHoconObject(renderJvbConf(CONF))) as any;
        assert.equal(conf.videobridge.apis["xmpp-client"].configs["us-east-1-s1"].password, "pw-us-east-1-s1");
        assert.equal(conf.ice4j.harvest.mapping["static-mappings"][0]["public-address"], "203.0.113.7");
        assert.equal(conf.videobridge["initial-drain-mode"], "false");
      } finally {
        for (const k of Object.keys(env)) if (!(k in saved)) delete process.env[k];
      }
      // A reserve: the agent answers true (the scaler tagged the instance while it booted), so JVB starts drained.
      // Anything but a plain "true" (an error message, nothing) counts as false.
      for (const [answer, expected] of [["true", "true"], ["Error: throttled", "false"]]) {
        fs.writeFileSync(path.join(bin, "node"), `#!/bin/bash\n[ "$2 $3" = "jvb-drain initial-drain" ] || exit 9\necho '${answer}'\n`, { mode: 0o755 });
        runWithFakes(dir);
        assert.match(fs.readFileSync(envFile, "utf8"), new RegExp(`^JVB_INITIAL_DRAIN=${expected}$`, "m"));
      }
    } finally {
      if (!process.env.KEEP_TMP) fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a failed SSM read stops the env script before the file is written (no empty password)", function () {
    requireBinary(this, "bash");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "jvb-env-"));
    try {
      const bin = path.join(dir, "bin");
      fs.mkdirSync(bin);
      fs.writeFileSync(path.join(bin, "curl"), "#!/bin/bash\necho -n x\n", { mode: 0o755 });
      fs.writeFileSync(path.join(bin, "aws"), "#!/bin/bash\nexit 255\n", { mode: 0o755 });
      fs.writeFileSync(path.join(bin, "sleep"), "#!/bin/bash\nexit 0\n", { mode: 0o755 });
      const envFile = path.join(dir, "jvb.env");
      const script = renderJvbEnvScript(BOOT).replace(/\/run\/jitsi-aws\/jvb\.env/g, envFile).replace(/\/run\/jitsi-aws/g, dir);
      fs.writeFileSync(path.join(dir, "jvb-env.sh"), script);
      assert.throws(() => runWithFakes(dir), (e: Error & { stderr?: string }) => /cannot read SSM parameter/.test(String(e.stderr)));
      assert.ok(!fs.existsSync(envFile));
    } finally {
      if (!process.env.KEEP_TMP) fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("units: env before the bridge (waiting out the warm pool), env file on tmpfs, drain watcher, publisher and live read on the agent", () => {
    const u = renderJvbUnits(BOOT);
    assert.match(u[JVB_UNITS.env], /ExecStartPre=\/usr\/bin\/node \/opt\/jitsi-aws\/agent.js jvb-drain await-in-service\n/);
    assert.match(u[JVB_UNITS.env], /RequiredBy=jitsi-videobridge2.service/);
    // With a warm pool the wait releases the group's launching hook.
    const warm = renderJvbUnits({ ...BOOT, launchHookName: "jvb-launch" });
    assert.match(warm[JVB_UNITS.env], /ExecStartPre=\/usr\/bin\/node \/opt\/jitsi-aws\/agent.js jvb-drain await-in-service --group jitsi-prod-eu-central-1-bridges --launch-hook jvb-launch --region eu-central-1\n/);
    assert.throws(() => renderJvbUnits({ ...BOOT, launchHookName: "bad name" }), /launchHookName: must be a lifecycle hook name/);
    assert.match(u[JVB_UNITS.bridgeDropIn], new RegExp(`EnvironmentFile=${JVB_ENV_FILE.replace(/\//g, "\\/")}`));
    assert.match(u[JVB_UNITS.bridgeDropIn], /Requires=jitsi-aws-jvb-env.service/);
    assert.match(
      u[JVB_UNITS.drain],
      /ExecStart=\/usr\/bin\/node \/opt\/jitsi-aws\/agent.js jvb-drain watch --group jitsi-prod-eu-central-1-bridges --hook drain --region eu-central-1 --max-drain-seconds 3600 --heartbeat-seconds 300/,
    );
    assert.match(u[JVB_UNITS.metrics], /agent.js publish-metrics --region eu-central-1 --sources jvb --fleet bridges/);
    // The live read: its defaults (0.0.0.0:PORTS.bridgeLive, JVB's loopback stats), restarted if it dies.
    assert.equal(JVB_UNITS.live, "jitsi-aws-bridge-live.service");
    assert.match(u[JVB_UNITS.live], /^ExecStart=\/usr\/bin\/node \/opt\/jitsi-aws\/agent.js bridge-live$/m);
    assert.match(u[JVB_UNITS.live], /^Restart=always$/m);
    assert.match(u[JVB_UNITS.live], /^WantedBy=multi-user.target$/m);
    assert.deepEqual(Object.keys(u).sort(), [JVB_UNITS.bridgeDropIn, JVB_UNITS.drain, JVB_UNITS.env, JVB_UNITS.live, JVB_UNITS.metrics].sort());
    // boot.sh enables and starts exactly the units cloud-init writes.
    const boot = renderJvbBootScript(BOOT);
    for (const unit of [JVB_UNITS.env, JVB_UNITS.drain, JVB_UNITS.metrics, JVB_UNITS.live]) assert.ok(boot.includes(unit), `${unit} not enabled`);
    const line = (verb: string) => boot.split("\n").find((l) => l.startsWith(`systemctl ${verb} `)) ?? "";
    for (const unit of [JVB_UNITS.drain, JVB_UNITS.metrics, JVB_UNITS.live]) {
      assert.ok(line("enable").split(" ").includes(unit), `${unit} not enabled`);
      assert.ok(line("start").split(" ").includes(unit), `${unit} not started`);
    }
    assert.match(boot, /aws s3 cp --region 'eu-central-1' 's3:\/\/jitsi-prod-artifacts\/agents\/0123456789abcdef\/agent.js' \/opt\/jitsi-aws\/agent.js/);
    assert.throws(() => renderJvbUnits({ ...BOOT, groupName: "bad name", shards: [] }), (e: Error) => /groupName/.test(e.message) && /shards: must list/.test(e.message));
  });
});
