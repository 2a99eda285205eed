/**
 * render/jibri-boot.ts: the recorder's boot files. Scripts pass shellcheck; the env script, run against fake
 * IMDS/SSM commands, writes exactly the environment jibri.conf resolves from (parsed by a real HOCON parser).
 */
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderAgentInstall } from "../../render/agent-install";
import { renderCloudWatchAgentInstall } from "../../render/cloudwatch-agent";
import {
  JIBRI_PATHS,
  JIBRI_UNITS,
  JibriBootInput,
  renderFinalizeWrapper,
  renderJibriBootScript,
  renderJibriEnvScript,
  renderJibriSystemFiles,
  renderJibriUnits,
} from "../../render/jibri-boot";
import { renderJibriConf } from "../../render/jibri-conf";
import { REBOOT_REQUEST } from "../../render/resumable-boot";
import { requireBinary, run } from "../helpers/env";
import { parseHoconText } from "../helpers/hocon-keys";

const BOOT: JibriBootInput = {
  region: "us-east-1",
  shards: ["us-east-1-s1", "us-east-1-s2"].map((id) => ({
    id,
    controlPasswordParameter: `/jitsi/prod/us-east-1/${id}/jibri`,
    callPasswordParameter: `/jitsi/prod/us-east-1/${id}/recorder`,
  })),
  stagingDir: "/etc/jitsi-aws/staged",
  agentInstall: renderAgentInstall({ bucket: "jitsi-prod-artifacts", key: "agents/0123456789abcdef/agent.js", region: "us-east-1" }),
  cloudWatchAgentInstall: renderCloudWatchAgentInstall({ region: "us-east-1", parameterName: "/jitsi/prod/cloudwatch-agent/jibri" }),
  poolName: "us-east-1-jibri",
  groupName: "prod-us-east-1-jibri",
  terminatingHookName: "prod-us-east-1-jibri-terminating",
  launchingHookName: "prod-us-east-1-jibri-launching",
  topicArn: "arn:aws:sns:us-east-1:123456789012:prod-us-east-1-jibri-status",
  bucket: "prod-us-east-1-recordings",
  keyPrefix: "recordings/",
  terminationCapSeconds: 18000,
};

const SHARD_CONF = (id: string) => ({
  id,
  xmppServerHosts: [`${id}.us-east-1.prod.jitsi.internal`],
  xmppDomain: "meet.example.com",
  controlDomain: "auth.meet.example.com",
  breweryMucDomain: "internal.auth.meet.example.com",
  callDomain: "recorder.meet.example.com",
});

function tmp(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

describe("render/jibri-boot", () => {
  it("boot, env and finalize scripts pass shellcheck", function () {
    const shellcheck = requireBinary(this, "shellcheck");
    const dir = tmp("jibri-boot-");
    try {
      for (const [name, text, shell] of [
        ["boot.sh", renderJibriBootScript(BOOT), "bash"],
        ["jibri-env.sh", renderJibriEnvScript(BOOT), "bash"],
        ["jibri-finalize.sh", renderFinalizeWrapper(BOOT), "sh"],
      ]) {
        fs.writeFileSync(path.join(dir, name), text);
        run(shellcheck, ["-s", shell, "-S", "style", path.join(dir, name)]);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the env script, run against fake IMDS/SSM, writes what jibri.conf needs; jibri.conf then resolves every password", async function () {
    requireBinary(this, "bash");
    const dir = tmp("jibri-env-");
    try {
      const bin = path.join(dir, "bin");
      fs.mkdirSync(bin);
      fs.writeFileSync(path.join(bin, "curl"), `#!/bin/bash
for a in "$@"; do case "$a" in http*) url="$a" ;; esac; done
case "$url" in
  */latest/api/token) echo -n tok ;;
  */meta-data/instance-id) [[ "$*" == *"X-aws-ec2-metadata-token: tok"* ]] && echo -n i-0abc1234def567890 ;;
  *) exit 22 ;;
esac
`, { mode: 0o755 });
      fs.writeFileSync(path.join(bin, "aws"), `#!/bin/bash
while [ $# -gt 0 ]; do case "$1" in --name) name="$2"; shift ;; esac; shift; done
echo "pw-$(basename "$(dirname "$name")")-$(basename "$name")"
`, { mode: 0o755 });
      const envFile = path.join(dir, "jibri.env");
      fs.writeFileSync(path.join(dir, "jibri-env.sh"), renderJibriEnvScript(BOOT).replace(/\/run\/jitsi-aws\/jibri\.env/g, envFile).replace(/\/run\/jitsi-aws/g, dir));
      execFileSync("bash", [path.join(dir, "jibri-env.sh")], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, timeout: 20_000, stdio: "pipe" });
      const env = Object.fromEntries(fs.readFileSync(envFile, "utf8").trim().split("\n").map((l) => l.split("=", 2) as [string, string]));
      assert.deepEqual(env, {
        JIBRI_INSTANCE_ID: "i-0abc1234def567890",
        JIBRI_CONTROL_PASSWORD_US_EAST_1_S1: "pw-us-east-1-s1-jibri",
        JIBRI_CALL_PASSWORD_US_EAST_1_S1: "pw-us-east-1-s1-recorder",
        JIBRI_CONTROL_PASSWORD_US_EAST_1_S2: "pw-us-east-1-s2-jibri",
        JIBRI_CALL_PASSWORD_US_EAST_1_S2: "pw-us-east-1-s2-recorder",
      });
      assert.equal((fs.statSync(envFile).mode & 0o777).toString(8), "600");
      const conf = renderJibriConf({
        shards: [SHARD_CONF("us-east-1-s1"), SHARD_CONF("us-east-1-s2")],
        recordingsDirectory: JIBRI_PATHS.recordingsDir,
        finalizeScript: JIBRI_PATHS.finalizeScript,
        rtmpAllowList: [],
        usageTimeoutMinutes: 240,
        resolution: "1280x720",
      });
      const parsed = (await parseHoconText(conf, env)) as { jibri: { api: { xmpp: { environments: { "call-login": { password: string } }[] } } } };
      assert.equal(parsed.jibri.api.xmpp.environments[1]["call-login"].password, "pw-us-east-1-s2-recorder");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a failed SSM read stops the env script before the file exists (Jibri never logs in with a blank)", function () {
    requireBinary(this, "bash");
    const dir = tmp("jibri-env-");
    try {
      const bin = path.join(dir, "bin");
      fs.mkdirSync(bin);
      fs.writeFileSync(path.join(bin, "curl"), "#!/bin/bash\necho -n x\n", { mode: 0o755 });
      fs.writeFileSync(path.join(bin, "aws"), "#!/bin/bash\nexit 255\n", { mode: 0o755 });
      fs.writeFileSync(path.join(bin, "sleep"), "#!/bin/bash\nexit 0\n", { mode: 0o755 });
      const envFile = path.join(dir, "jibri.env");
      fs.writeFileSync(path.join(dir, "jibri-env.sh"), renderJibriEnvScript(BOOT).replace(/\/run\/jitsi-aws\/jibri\.env/g, envFile).replace(/\/run\/jitsi-aws/g, dir));
      assert.throws(() => execFileSync("bash", [path.join(dir, "jibri-env.sh")], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, timeout: 20_000, stdio: "pipe" }));
      assert.ok(!fs.existsSync(envFile));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("installs Jibri, Java, ffmpeg, chromium + driver, loads snd-aloop (generic kernel when the cloud one lacks it)", () => {
    const boot = renderJibriBootScript(BOOT);
    assert.match(boot, /apt-get install -y -q openjdk-17-jre-headless ffmpeg alsa-utils chromium chromium-driver jibri/);
    assert.match(boot, /if ! modprobe snd-aloop; then\n\s+apt-get install -y -q linux-image-amd64/);
    // The reboot into that kernel is asked of the per-boot wrapper, which reboots after recording the boot complete.
    assert.match(boot, /reboot_needed=true/);
    assert.match(boot, new RegExp(`touch '${REBOOT_REQUEST}'`));
    assert.doesNotMatch(boot, /systemctl reboot/);
    assert.match(renderJibriSystemFiles()["/etc/modules-load.d/jitsi-aws-snd-aloop.conf"], /^snd-aloop$/m);
    assert.match(boot, new RegExp(`install -m 0644 "\\$\\{STAGING\\}/jibri.conf" ${JIBRI_PATHS.conf}`));
  });

  it("units: Jibri waits for its environment (in service), status agent and sweep run the host agent with the pool's names", () => {
    const u = renderJibriUnits(BOOT);
    assert.match(u[JIBRI_UNITS.jibriDropIn], /EnvironmentFile=\/run\/jitsi-aws\/jibri\.env/);
    assert.match(u[JIBRI_UNITS.env], /ExecStartPre=.* jvb-drain await-in-service/);
    assert.match(u[JIBRI_UNITS.status], /jibri-status watch --group prod-us-east-1-jibri .*--topic-arn arn:aws:sns:us-east-1:123456789012:prod-us-east-1-jibri-status --hook prod-us-east-1-jibri-terminating --launch-hook prod-us-east-1-jibri-launching/);
    assert.match(u[JIBRI_UNITS.metrics], /publish-metrics --region us-east-1 --sources jibri --pool us-east-1-jibri/);
    assert.match(renderJibriBootScript(BOOT), /systemctl enable .*jitsi-aws-metrics\.service/);
    assert.match(u[JIBRI_UNITS.sweep], /User=jibri\nExecStart=.* jibri-finalize sweep \/var\/lib\/jibri\/recordings --bucket prod-us-east-1-recordings/);
    assert.match(renderFinalizeWrapper(BOOT), /jibri-finalize "\$1" --bucket 'prod-us-east-1-recordings' --region 'us-east-1' --pool 'us-east-1-jibri' --prefix 'recordings\/'/);
  });

  it("rejects bad input naming every bad field", () => {
    assert.throws(
      () => renderJibriUnits({ ...BOOT, shards: [], topicArn: "x", bucket: "Bad_Bucket", keyPrefix: "" }),
      (e: Error) => [/shards: must list at least one shard/, /topicArn: must be an SNS topic ARN/, /bucket: must be an S3 bucket name/, /keyPrefix: must be non-empty/].every((r) => r.test(e.message)),
    );
  });
});
