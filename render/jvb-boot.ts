/**
 * Boot files of a video bridge (Debian 12). Pure: typed input → file text.
 *
 * - `boot.sh` (first boot, from cloud-init): installs jitsi-videobridge2 from Jitsi's signed repository, puts
 *   jvb.conf in place, empties the package's legacy sip-communicator.properties (its default MUC client would
 *   log in to "localhost" and its legacy ice4j keys override jvb.conf), installs the systemd units below and
 *   starts them without waiting (a warm-pool instance is stopped right after this script).
 * - `jvb-env.sh` (every boot, before the bridge): waits until the group puts the instance in service, then
 *   writes /run/jitsi-aws/jvb.env (tmpfs, root-only) with the instance id, private and public IPv4 (IMDSv2) and
 *   one XMPP password per shard (SSM SecureString, read in the shard's region). A warm-pool instance gets a new
 *   public address at every start, which is why this runs on every boot.
 * - systemd units: the env writer (required by the bridge), a drop-in adding the env file to
 *   jitsi-videobridge2, the drain watcher (agents/jvb-drain.ts), the stats publisher (agents/publish-metrics.ts,
 *   source jvb) and the live-read responder the bridge scaler asks for current participants (agents/bridge-live.ts,
 *   config/ports.ts PORTS.bridgeLive) for the life of the instance; all three run the host agent
 *   (render/agent-install.ts), which boot.sh installs from the region's artifacts bucket.
 * Checked with shellcheck (tests/render/jvb-boot.test.ts).
 */
import { AGENT_PATH, renderAgentUnit } from "./agent-install";
import { BOOT_FUNCTIONS, shQuote } from "./boot-common";
import { JVB_ENV, shardPasswordEnvVar } from "./jvb-conf";

/** A shard whose XMPP password the bridge reads. */
export interface JvbBootShard {
  readonly id: string;
  /** SSM parameter name of the shard's `jvb` account password. */
  readonly passwordParameter: string;
  /** Region the parameter lives in (peer-region shards keep theirs at home). */
  readonly parameterRegion: string;
}

export interface JvbBootInput {
  readonly region: string;
  /** Public meeting domain (answers the package's debconf question; jvb.conf carries the real settings). */
  readonly domain: string;
  readonly shards: readonly JvbBootShard[];
  /** Where cloud-init staged the rendered files. */
  readonly stagingDir: string;
  /** Boot-script lines installing the host agent (render/agent-install.ts renderAgentInstall). */
  readonly agentInstall: string;
  /** Fleet name: the Fleet dimension of the bridge metrics (metrics/catalog.ts). */
  readonly fleetName: string;
  readonly groupName: string;
  readonly lifecycleHookName: string;
  /**
   * The group's launching lifecycle hook, with a warm pool only: the bridge releases it once booted into the pool (so
   * the group stops it only then) and again when started from it.
   */
  readonly launchHookName?: string;
  readonly maxDrainSeconds: number;
  /** Heartbeat interval of the drain agent; below the hook's heartbeat timeout. */
  readonly heartbeatSeconds: number;
}

export const JVB_ENV_FILE = "/run/jitsi-aws/jvb.env";
export const JVB_UNITS = {
  env: "jitsi-aws-jvb-env.service",
  drain: "jitsi-aws-jvb-drain.service",
  metrics: "jitsi-aws-metrics.service",
  /** The live-read responder (agents/bridge-live.ts) the bridge scaler asks for this bridge's participants. */
  live: "jitsi-aws-bridge-live.service",
  /** Drop-in of the package's unit (installed under jitsi-videobridge2.service.d/). */
  bridgeDropIn: "jitsi-videobridge2.service.d/jitsi-aws.conf",
} as const;

function validate(i: JvbBootInput): void {
  const errors: string[] = [];
  if (i.shards.length === 0) errors.push("shards: must list at least one shard");
  for (const s of i.shards) {
    if (!/^\/[A-Za-z0-9_./-]+$/.test(s.passwordParameter)) errors.push(`shards[${s.id}].passwordParameter: must be an SSM parameter path`);
    if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(s.parameterRegion)) errors.push(`shards[${s.id}].parameterRegion: must be an AWS region name`);
  }
  // Auto Scaling group and lifecycle hook names: 1–255 characters, none a shell or systemd line would split on.
  const asgName = (v: string): boolean => /^[A-Za-z0-9_.-]{1,255}$/.test(v);
  if (!asgName(i.groupName)) errors.push("groupName: must be an auto scaling group name");
  if (!asgName(i.lifecycleHookName)) errors.push("lifecycleHookName: must be a lifecycle hook name");
  if (i.launchHookName !== undefined && !asgName(i.launchHookName)) errors.push("launchHookName: must be a lifecycle hook name");
  if (!/^[a-z][a-z0-9-]{0,62}$/.test(i.fleetName)) errors.push("fleetName: must be lower-case letters, digits and dashes");
  if (!(i.heartbeatSeconds > 0)) errors.push("heartbeatSeconds: must be > 0");
  if (errors.length > 0) throw new Error(`invalid bridge boot input:\n  ${errors.join("\n  ")}`);
}

/** Runs on every boot before the bridge: the environment jvb.conf's substitutions resolve from. */
export function renderJvbEnvScript(i: JvbBootInput): string {
  validate(i);
  // Each value is read into a variable first: a failed read in an assignment stops the script (set -e), so the
  // bridge never starts with an empty password or address.
  const reads = i.shards.map((s, k) => `pw_${k}=$(ssm_secret ${shQuote(s.passwordParameter)} ${shQuote(s.parameterRegion)})`).join("\n");
  const writes = i.shards.map((s, k) => `  printf '%s=%s\\n' ${shQuote(shardPasswordEnvVar(s.id))} "\${pw_${k}}"`).join("\n");
  return `#!/bin/bash
# Rendered by jitsi-aws (render/jvb-boot.ts): writes ${JVB_ENV_FILE} on every boot of a bridge.
set -euo pipefail
umask 077
export AWS_REGION=${shQuote(i.region)}

${BOOT_FUNCTIONS}
instance_id=$(imds instance-id)
local_ipv4=$(imds local-ipv4)
# No public address (a subnet without auto-assign) fails here: media would be unreachable anyway.
public_ipv4=$(imds public-ipv4)
# A bridge the scaler keeps as a reserve (drain tag set while it booted) starts in JVB drain mode; the agent prints
# false on any error, so a failed read never keeps a bridge out of service.
initial_drain=$(node ${AGENT_PATH} jvb-drain initial-drain --region "\${AWS_REGION}" || true)
[ "\${initial_drain}" = true ] || initial_drain=false
${reads}
install -d -m 0700 /run/jitsi-aws
tmp=$(mktemp /run/jitsi-aws/jvb.env.XXXXXX)
{
  printf '%s=%s\\n' ${JVB_ENV.instanceId} "\${instance_id}"
  printf '%s=%s\\n' ${JVB_ENV.localIpv4} "\${local_ipv4}"
  printf '%s=%s\\n' ${JVB_ENV.publicIpv4} "\${public_ipv4}"
  printf '%s=%s\\n' ${JVB_ENV.initialDrain} "\${initial_drain}"
${writes}
} > "\${tmp}"
mv "\${tmp}" ${JVB_ENV_FILE}
`;
}

/** systemd units by path below /etc/systemd/system/. */
export function renderJvbUnits(i: JvbBootInput): Record<string, string> {
  validate(i);
  return {
    [JVB_UNITS.env]: `[Unit]
Description=jitsi-aws: bridge environment (instance metadata, SSM secrets)
Wants=network-online.target
After=network-online.target
Before=jitsi-videobridge2.service

[Service]
Type=oneshot
# A warm-pool instance waits here, stopped or not, until the group puts it in service${i.launchHookName ? " (releasing the launching hook\n# once booted into the pool, and again when started from it)" : ""}.
ExecStartPre=/usr/bin/node ${AGENT_PATH} jvb-drain await-in-service${i.launchHookName ? ` --group ${i.groupName} --launch-hook ${i.launchHookName} --region ${i.region}` : ""}
ExecStart=/usr/local/sbin/jitsi-aws-jvb-env
TimeoutStartSec=infinity

[Install]
RequiredBy=jitsi-videobridge2.service
`,
    [JVB_UNITS.bridgeDropIn]: `[Unit]
Requires=${JVB_UNITS.env}
After=${JVB_UNITS.env}

[Service]
EnvironmentFile=${JVB_ENV_FILE}
`,
    [JVB_UNITS.drain]: renderAgentUnit({
      name: "jvb-drain",
      description: "Graceful drain of this bridge on scale-in or Spot interruption (lifecycle hook)",
      argv: [
        "jvb-drain", "watch", "--group", i.groupName, "--hook", i.lifecycleHookName, "--region", i.region,
        "--max-drain-seconds", String(i.maxDrainSeconds), "--heartbeat-seconds", String(i.heartbeatSeconds),
        // The scaler's drain and undrain reach JVB within 20 s (DescribeTags: 5 calls/s for 100 bridges, a quarter of
        // EC2's Describe* refill rate).
        "--tag-seconds", "20",
      ],
    }),
    [JVB_UNITS.metrics]: renderAgentUnit({
      name: "metrics",
      description: "Bridge stats (colibri) to CloudWatch",
      argv: ["publish-metrics", "--region", i.region, "--sources", "jvb", "--fleet", i.fleetName],
    }),
    [JVB_UNITS.live]: renderAgentUnit({
      name: "bridge-live",
      description: "Live participants of this bridge for the bridge scaler (read from colibri stats)",
      argv: ["bridge-live"],
    }),
  };
}

/** First boot: packages, agent, configs, units (cloud-init wrote the units; the staged files are installed here). */
export function renderJvbBootScript(i: JvbBootInput): string {
  validate(i);
  return `#!/bin/bash
# Rendered by jitsi-aws (render/jvb-boot.ts): first boot of a video bridge.
set -euo pipefail
umask 022
export DEBIAN_FRONTEND=noninteractive
export AWS_REGION=${shQuote(i.region)}
STAGING=${shQuote(i.stagingDir)}
DOMAIN=${shQuote(i.domain)}

# 1. Jitsi's package repository (download.jitsi.org, signed) and the bridge package.
curl -fsSL https://download.jitsi.org/jitsi-key.gpg.key | gpg --dearmor --yes -o /usr/share/keyrings/jitsi-keyring.gpg
echo "deb [signed-by=/usr/share/keyrings/jitsi-keyring.gpg] https://download.jitsi.org stable/" > /etc/apt/sources.list.d/jitsi-stable.list
echo "jitsi-videobridge2 jitsi-videobridge/jvb-hostname string \${DOMAIN}" | debconf-set-selections
apt-get update -q
apt-get install -y -q jitsi-videobridge2
systemctl stop jitsi-videobridge2 || true

${i.agentInstall}
# 2. Configuration: jvb.conf only. The package's legacy properties would add a MUC client to localhost.
install -m 0644 "\${STAGING}/jvb.conf" /etc/jitsi/videobridge/jvb.conf
printf '# emptied by jitsi-aws: every setting is in jvb.conf\\n' > /etc/jitsi/videobridge/sip-communicator.properties
install -m 0700 "\${STAGING}/jvb-env.sh" /usr/local/sbin/jitsi-aws-jvb-env

# 3. Units (written by cloud-init): environment before the bridge, drain watcher, stats publisher, live read.
systemctl daemon-reload
systemctl enable ${JVB_UNITS.env} jitsi-videobridge2 ${JVB_UNITS.drain} ${JVB_UNITS.metrics} ${JVB_UNITS.live}
# --no-block: a warm-pool instance must finish booting (and be stopped) while the bridge waits to be in service.
systemctl start --no-block jitsi-videobridge2 ${JVB_UNITS.drain} ${JVB_UNITS.metrics} ${JVB_UNITS.live}
`;
}
