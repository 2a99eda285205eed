/**
 * Boot files of a Jibri recorder (Debian 12). Pure: typed input → file text.
 *
 * - `boot.sh` (first boot, from cloud-init): Jitsi's signed repository; the jibri package with Java 17, ffmpeg and
 *   Debian's chromium + chromium-driver (versions that match each other, security updates from Debian); the
 *   generic kernel when the running one has no `snd-aloop` (Debian's cloud kernel ships no sound modules; Jibri
 *   captures audio through the ALSA loopback, jitsi-facts.md); jibri.conf, the finalize wrapper, the units; then a
 *   reboot into that kernel (asked of the per-boot wrapper, render/resumable-boot.ts), or a start.
 * - `jibri-env.sh` (every boot, before Jibri): waits until the group puts the instance in service (a warm-pool
 *   instance must never join a brewery), then writes /run/jitsi-aws/jibri.env (root-only) with the instance id
 *   and the control (jibri) and call (recorder) passwords of every shard, read from SSM (SecureString).
 * - the finalize wrapper Jibri runs after each recording (agents/jibri-finalize.ts, as user jibri);
 * - systemd units: env writer, jibri drop-in (EnvironmentFile), status agent (agents/jibri-status.ts), the
 *   metrics publisher (source jibri), a sweep timer retrying failed uploads.
 * Checked with shellcheck (tests/render/jibri-boot.test.ts).
 */
import { AGENT_PATH, renderAgentUnit } from "./agent-install";
import { BOOT_FUNCTIONS, shQuote } from "./boot-common";
import { JIBRI_ENV, jibriPasswordEnvVars } from "./jibri-conf";
import { REBOOT_REQUEST } from "./resumable-boot";

/** A shard whose JibriBrewery the recorder joins: the SSM parameters of its two accounts. */
export interface JibriBootShard {
  readonly id: string;
  /** SSM parameter of the control account (`jibri`) password. */
  readonly controlPasswordParameter: string;
  /** SSM parameter of the hidden call account (`recorder`) password. */
  readonly callPasswordParameter: string;
}

export interface JibriBootInput {
  readonly region: string;
  readonly shards: readonly JibriBootShard[];
  /** Where cloud-init staged the rendered files. */
  readonly stagingDir: string;
  /** Boot-script lines installing the host agent (render/agent-install.ts renderAgentInstall). */
  readonly agentInstall: string;
  /** Boot-script lines installing the CloudWatch agent (render/cloudwatch-agent.ts). @default "" (none) */
  readonly cloudWatchAgentInstall?: string;
  /** Pool name: the Pool dimension of the metrics. */
  readonly poolName: string;
  readonly groupName: string;
  readonly terminatingHookName: string;
  readonly launchingHookName: string;
  readonly topicArn: string;
  readonly bucket: string;
  /** Key prefix of the recordings in the bucket ("recordings/"). */
  readonly keyPrefix: string;
  /** How long the terminating hook may be held for a recording + upload (seconds). */
  readonly terminationCapSeconds: number;
}

export const JIBRI_PATHS = {
  envFile: "/run/jitsi-aws/jibri.env",
  envScript: "/usr/local/sbin/jitsi-aws-jibri-env",
  finalizeScript: "/usr/local/bin/jitsi-aws-jibri-finalize",
  recordingsDir: "/var/lib/jibri/recordings",
  /** tmpfs: an upload marker never survives a reboot (a stale one would keep the recorder protected). */
  stateDir: "/run/jitsi-aws-jibri",
  conf: "/etc/jitsi/jibri/jibri.conf",
} as const;

export const JIBRI_UNITS = {
  env: "jitsi-aws-jibri-env.service",
  jibriDropIn: "jibri.service.d/jitsi-aws.conf",
  status: "jitsi-aws-jibri-status.service",
  /** Jibri health → JibriIdle / JibriBusy / JibriHealthy (agents/publish-metrics.ts, source jibri). */
  metrics: "jitsi-aws-metrics.service",
  sweep: "jitsi-aws-jibri-sweep.service",
  sweepTimer: "jitsi-aws-jibri-sweep.timer",
} as const;

const NAME = /^[A-Za-z0-9_.-]{1,255}$/;

function validate(i: JibriBootInput): void {
  const errors: string[] = [];
  if (i.shards.length === 0) errors.push("shards: must list at least one shard");
  i.shards.forEach((s, k) => {
    for (const f of ["controlPasswordParameter", "callPasswordParameter"] as const)
      if (!/^\/[A-Za-z0-9_./-]+$/.test(s[f])) errors.push(`shards[${k}].${f}: must be an SSM parameter path, got "${s[f]}"`);
    if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(s.id)) errors.push(`shards[${k}].id: must be lower-case letters, digits and dashes`);
  });
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(i.region)) errors.push(`region: must be an AWS region name, got "${i.region}"`);
  for (const f of ["groupName", "terminatingHookName", "launchingHookName"] as const) if (!NAME.test(i[f])) errors.push(`${f}: must be 1-255 of [A-Za-z0-9_.-]`);
  if (!/^[a-z][a-z0-9-]{0,62}$/.test(i.poolName)) errors.push("poolName: must be lower-case letters, digits and dashes");
  if (!/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/.test(i.topicArn)) errors.push(`topicArn: must be an SNS topic ARN, got "${i.topicArn}"`);
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(i.bucket)) errors.push(`bucket: must be an S3 bucket name, got "${i.bucket}"`);
  if (!/^([A-Za-z0-9._-]+\/)+$/.test(i.keyPrefix)) errors.push(`keyPrefix: must be non-empty and end with "/", got "${i.keyPrefix}"`);
  if (!Number.isInteger(i.terminationCapSeconds) || i.terminationCapSeconds < 60) errors.push("terminationCapSeconds: must be a whole number >= 60");
  if (errors.length > 0) throw new Error(`invalid recorder boot input:\n  ${errors.join("\n  ")}`);
}

/** Every boot, before Jibri: the environment jibri.conf's substitutions resolve from. */
export function renderJibriEnvScript(i: JibriBootInput): string {
  validate(i);
  // Read into variables first: a failed read in an assignment stops the script (set -e), so Jibri never starts
  // with an empty password.
  const reads = i.shards
    .map((s, k) => `ctl_${k}=$(ssm_secret ${shQuote(s.controlPasswordParameter)})\ncall_${k}=$(ssm_secret ${shQuote(s.callPasswordParameter)})`)
    .join("\n");
  const writes = i.shards
    .map((s, k) => {
      const v = jibriPasswordEnvVars(s.id);
      return `  printf '%s=%s\\n' ${shQuote(v.control)} "\${ctl_${k}}"\n  printf '%s=%s\\n' ${shQuote(v.call)} "\${call_${k}}"`;
    })
    .join("\n");
  return `#!/bin/bash
# Rendered by jitsi-aws (render/jibri-boot.ts): writes ${JIBRI_PATHS.envFile} on every boot of a recorder.
set -euo pipefail
umask 077
export AWS_REGION=${shQuote(i.region)}

${BOOT_FUNCTIONS}
instance_id=$(imds instance-id)
${reads}
install -d -m 0700 /run/jitsi-aws
tmp=$(mktemp /run/jitsi-aws/jibri.env.XXXXXX)
{
  printf '%s=%s\\n' ${JIBRI_ENV.instanceId} "\${instance_id}"
${writes}
} > "\${tmp}"
mv "\${tmp}" ${JIBRI_PATHS.envFile}
`;
}

/** The program Jibri runs with `<recordings-dir>/<session>` after each recording (as user jibri). */
export function renderFinalizeWrapper(i: JibriBootInput): string {
  validate(i);
  return `#!/bin/sh
# Rendered by jitsi-aws (render/jibri-boot.ts): Jibri's finalize script. Uploads "$1" to S3, verified, then
# deletes it (agents/jibri-finalize.ts). Jibri waits for it, so the recorder stays busy until the upload ends.
exec /usr/bin/node ${AGENT_PATH} jibri-finalize "$1" --bucket ${shQuote(i.bucket)} --region ${shQuote(i.region)} --pool ${shQuote(i.poolName)} --prefix ${shQuote(i.keyPrefix)} --state-dir ${JIBRI_PATHS.stateDir}
`;
}

/** systemd units by path below /etc/systemd/system/, plus the tmpfiles and modules-load entries. */
export function renderJibriUnits(i: JibriBootInput): Record<string, string> {
  validate(i);
  const statusArgv = [
    "jibri-status", "watch", "--group", i.groupName, "--region", i.region, "--pool", i.poolName, "--topic-arn", i.topicArn,
    "--hook", i.terminatingHookName, "--launch-hook", i.launchingHookName, "--state-dir", JIBRI_PATHS.stateDir,
    "--recordings-dir", JIBRI_PATHS.recordingsDir, "--termination-cap-s", String(i.terminationCapSeconds),
  ];
  return {
    [JIBRI_UNITS.env]: `[Unit]
Description=jitsi-aws: recorder environment (instance id, SSM secrets)
Wants=network-online.target
After=network-online.target
Before=jibri.service

[Service]
Type=oneshot
# A warm-pool instance waits here, stopped or not, until the group puts it in service.
ExecStartPre=/usr/bin/node ${AGENT_PATH} jvb-drain await-in-service
ExecStart=${JIBRI_PATHS.envScript}
TimeoutStartSec=infinity

[Install]
RequiredBy=jibri.service
`,
    [JIBRI_UNITS.jibriDropIn]: `[Unit]
Requires=${JIBRI_UNITS.env}
After=${JIBRI_UNITS.env}

[Service]
EnvironmentFile=${JIBRI_PATHS.envFile}
`,
    [JIBRI_UNITS.status]: renderAgentUnit({
      name: "jibri-status",
      description: "Recorder status: scale-in protection, replenisher notification, termination hook",
      argv: statusArgv,
    }),
    [JIBRI_UNITS.metrics]: renderAgentUnit({
      name: "metrics",
      description: "Recorder health (idle/busy) to CloudWatch",
      argv: ["publish-metrics", "--region", i.region, "--sources", "jibri", "--pool", i.poolName],
    }),
    [JIBRI_UNITS.sweep]: `[Unit]
Description=jitsi-aws: retry uploads of recordings a failed finalize left behind

[Service]
Type=oneshot
User=jibri
ExecStart=/usr/bin/node ${AGENT_PATH} jibri-finalize sweep ${JIBRI_PATHS.recordingsDir} --bucket ${i.bucket} --region ${i.region} --pool ${i.poolName} --prefix ${i.keyPrefix} --state-dir ${JIBRI_PATHS.stateDir}
`,
    [JIBRI_UNITS.sweepTimer]: `[Unit]
Description=jitsi-aws: retry failed recording uploads every 10 minutes

[Timer]
OnBootSec=5min
OnUnitActiveSec=10min

[Install]
WantedBy=timers.target
`,
  };
}

/** First boot: packages, kernel module, agent, configs, units; then a reboot (new kernel) or a start. */
export function renderJibriBootScript(i: JibriBootInput): string {
  validate(i);
  return `#!/bin/bash
# Rendered by jitsi-aws (render/jibri-boot.ts): first boot of a Jibri recorder.
set -euo pipefail
umask 022
export DEBIAN_FRONTEND=noninteractive
export AWS_REGION=${shQuote(i.region)}
STAGING=${shQuote(i.stagingDir)}

# 1. Jitsi's package repository (download.jitsi.org, signed), Jibri and what it drives: Java 17, ffmpeg,
#    chromium with its matching driver (Debian), the ALSA tools.
curl -fsSL https://download.jitsi.org/jitsi-key.gpg.key | gpg --dearmor --yes -o /usr/share/keyrings/jitsi-keyring.gpg
echo "deb [signed-by=/usr/share/keyrings/jitsi-keyring.gpg] https://download.jitsi.org stable/" > /etc/apt/sources.list.d/jitsi-stable.list
chmod 0644 /etc/apt/sources.list.d/jitsi-stable.list /usr/share/keyrings/jitsi-keyring.gpg
apt-get update -q
apt-get install -y -q openjdk-17-jre-headless ffmpeg alsa-utils chromium chromium-driver jibri
systemctl stop jibri || true
usermod -aG adm,audio,video,plugdev jibri

# 2. The ALSA loopback (snd-aloop) Jibri records audio from. Debian's cloud kernel has no sound modules:
#    install the generic kernel and reboot into it once.
reboot_needed=false
if ! modprobe snd-aloop; then
  apt-get install -y -q linux-image-amd64
  # Remove the running cloud kernel so GRUB boots the generic one (linux-check-removal does not prompt with
  # DEBIAN_FRONTEND=noninteractive).
  apt-get purge -y -q "linux-image-$(uname -r)" linux-image-cloud-amd64
  update-grub
  reboot_needed=true
fi

${i.agentInstall}
${i.cloudWatchAgentInstall ?? ""}
# 3. Configuration, the finalize wrapper, the recordings and state directories.
install -m 0644 "\${STAGING}/jibri.conf" ${JIBRI_PATHS.conf}
install -m 0700 "\${STAGING}/jibri-env.sh" ${JIBRI_PATHS.envScript}
install -m 0755 "\${STAGING}/jibri-finalize.sh" ${JIBRI_PATHS.finalizeScript}
install -d -m 0750 -o jibri -g jibri ${JIBRI_PATHS.recordingsDir}
install -d -m 0755 /etc/chromium/policies/managed
printf '{"CommandLineFlagSecurityWarningsEnabled": false}\\n' > /etc/chromium/policies/managed/jitsi-aws.json
systemd-tmpfiles --create /etc/tmpfiles.d/jitsi-aws-jibri.conf

# 4. Units (written by cloud-init): environment before Jibri, status agent, upload sweep.
systemctl daemon-reload
systemctl enable ${JIBRI_UNITS.env} jibri ${JIBRI_UNITS.status} ${JIBRI_UNITS.metrics} ${JIBRI_UNITS.sweepTimer}
if [ "\${reboot_needed}" = true ]; then
  # The per-boot wrapper (render/resumable-boot.ts) reboots once it has recorded this boot as complete; the status
  # agent releases the launching hook after that reboot, when snd-aloop is loaded.
  install -d -m 0755 "$(dirname ${shQuote(REBOOT_REQUEST)})"
  touch ${shQuote(REBOOT_REQUEST)}
else
  systemctl start --no-block jibri ${JIBRI_UNITS.status} ${JIBRI_UNITS.metrics} ${JIBRI_UNITS.sweepTimer}
fi
`;
}

/** Files cloud-init writes outside /etc/systemd/system (tmpfiles, modules-load). */
export function renderJibriSystemFiles(): Record<string, string> {
  return {
    "/etc/tmpfiles.d/jitsi-aws-jibri.conf": `# jitsi-aws: upload markers of the finalize agent (tmpfs: gone after a reboot)\nd ${JIBRI_PATHS.stateDir} 0755 jibri jibri -\n`,
    "/etc/modules-load.d/jitsi-aws-snd-aloop.conf": "# jitsi-aws: ALSA loopback for Jibri's audio capture\nsnd-aloop\n",
  };
}
