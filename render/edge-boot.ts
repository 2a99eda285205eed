/**
 * The edge proxy host's boot files (Debian 12): the first-boot script, the systemd drop-in that makes
 * `systemctl reload haproxy` keep the shards' states, and the state-saving script it calls. Pure.
 * Checked with shellcheck (tests/render/edge-boot.test.ts).
 *
 * Boot order: HAProxy (Debian's 2.6, the version tests/daemons/haproxy.test.ts runs) is installed with the
 * bootstrap haproxy.cfg from user data (this host as its only peer; the fallback); the host agent then finds
 * the other proxies of the group (agents/edge-peers.ts), renders haproxy.cfg with them through the same
 * renderHaproxyConfig, checks it with `haproxy -c` and starts HAProxy; it re-checks every 30 s and reloads on
 * a change.
 */
import { shQuote } from "./boot-common";

/** Where the host keeps the renderer input and the server state. */
export const EDGE_PATHS = {
  input: "/etc/jitsi-aws/haproxy-input.json",
  config: "/etc/haproxy/haproxy.cfg",
  serverState: "/var/lib/haproxy/server-state",
  runtimeSocket: "/run/haproxy/admin.sock",
  preReload: "/usr/local/sbin/haproxy-pre-reload",
  dropIn: "/etc/systemd/system/haproxy.service.d/jitsi-aws.conf",
} as const;

export interface EdgeBootInput {
  readonly region: string;
  /** Where cloud-init staged the rendered files. */
  readonly stagingDir: string;
  /** Bash lines installing the host agent (render/agent-install.ts). */
  readonly agentInstall: string;
  /** Bash lines installing the CloudWatch agent (render/cloudwatch-agent.ts), which ships the access log. */
  readonly cloudWatchAgentInstall: string;
  /** systemd unit name of the long-running peers agent, e.g. jitsi-aws-edge-peers.service. */
  readonly peersUnit: string;
  /** systemd unit name of the metrics publisher (HAProxy sessions, shard state, 5xx). */
  readonly metricsUnit: string;
}

/**
 * Run by `systemctl reload haproxy` before the reload signal:
 * 1. waits (at most `maxWaitSeconds`) until the peers section has finished its own resync (`show peers` flags
 *    0x1 local and 0x2 remote learning done): HAProxy 2.6 hands its stick table to the new process only then,
 *    a reload sooner starts the new process with an empty table (measured in tests/daemons/edge-peers.test.ts;
 *    haproxy/haproxy#1216);
 * 2. saves `show servers state` where `server-state-file` points, so the new process keeps every shard's
 *    ready/drain/maint state instead of starting them in drain.
 */
export function renderPreReloadScript(o: { runtimeSocket?: string; serverState?: string; maxWaitSeconds?: number } = {}): string {
  const maxWaitSeconds = o.maxWaitSeconds ?? 15;
  if (!Number.isInteger(maxWaitSeconds) || maxWaitSeconds < 1 || maxWaitSeconds > 120) throw new Error(`maxWaitSeconds must be 1-120, got ${maxWaitSeconds}`);
  const sock = shQuote(`unix-connect:${o.runtimeSocket ?? EDGE_PATHS.runtimeSocket}`);
  const state = o.serverState ?? EDGE_PATHS.serverState;
  return `#!/bin/sh
# Rendered by jitsi-aws (render/edge-boot.ts): runs before every 'systemctl reload haproxy'.
set -eu
i=0
while [ "$i" -lt ${maxWaitSeconds} ]; do
  flags=$(echo "show peers" | socat stdio ${sock} | sed -n '1s/.* flags=\\(0x[0-9a-fA-F]*\\).*/\\1/p')
  if [ -n "$flags" ] && [ $((flags & 3)) -eq 3 ]; then
    break
  fi
  sleep 1
  i=$((i + 1))
done
echo "show servers state" | socat stdio ${sock} > ${shQuote(`${state}.tmp`)}
mv ${shQuote(`${state}.tmp`)} ${shQuote(state)}
`;
}

/** Drop-in for Debian's haproxy.service: check, wait for the peers and save state (best effort), then USR2. */
export function renderHaproxyReloadDropIn(): string {
  return `# Rendered by jitsi-aws (render/edge-boot.ts).
[Service]
ExecReload=
ExecReload=/usr/sbin/haproxy -Ws -f $CONFIG -c -q $EXTRAOPTS
ExecReload=-${EDGE_PATHS.preReload}
ExecReload=/bin/kill -USR2 $MAINPID
`;
}

export function renderEdgeBootScript(i: EdgeBootInput): string {
  if (!/^[a-z0-9-]+\.service$/.test(i.peersUnit)) throw new Error(`peersUnit must be a systemd service name, got '${i.peersUnit}'`);
  if (!/^[a-z0-9-]+\.service$/.test(i.metricsUnit)) throw new Error(`metricsUnit must be a systemd service name, got '${i.metricsUnit}'`);
  return `#!/bin/bash
# Rendered by jitsi-aws (render/edge-boot.ts): first boot of an edge proxy (HAProxy).
set -euo pipefail
export AWS_REGION=${shQuote(i.region)}
export DEBIAN_FRONTEND=noninteractive
STAGING=${shQuote(i.stagingDir)}

# 1. HAProxy from Debian, socat for its runtime API, rsyslog for Debian's /var/log/haproxy.log rule.
apt-get install -y -q haproxy socat rsyslog
install -d -m 0755 /etc/jitsi-aws /etc/systemd/system/haproxy.service.d
install -m 0644 "\${STAGING}/haproxy-input.json" ${shQuote(EDGE_PATHS.input)}
install -m 0755 "\${STAGING}/haproxy-pre-reload" ${shQuote(EDGE_PATHS.preReload)}
install -m 0644 "\${STAGING}/haproxy-reload.conf" ${shQuote(EDGE_PATHS.dropIn)}
haproxy -c -q -f "\${STAGING}/haproxy.cfg"
install -m 0644 "\${STAGING}/haproxy.cfg" ${shQuote(EDGE_PATHS.config)}
systemctl daemon-reload
systemctl restart rsyslog
# Not started on the bootstrap config: its first process must already list the other proxies, so that it asks
# them for the room table at start (they list this one since its launch: they poll every 30 s).
systemctl stop haproxy

# 2. Host agent: find the other proxies of the group (peers), render, check and start HAProxy; keep watching.
${i.agentInstall}
if ! node /opt/jitsi-aws/agent.js edge-peers --once --region "\${AWS_REGION}"; then
  echo "edge-peers: first sync failed; serving alone on the bootstrap config until ${i.peersUnit} succeeds" >&2
  systemctl restart haproxy
fi
systemctl daemon-reload
systemctl enable --now ${i.peersUnit} ${i.metricsUnit}

# 3. CloudWatch agent: ships /var/log/haproxy.log (the access log) to CloudWatch Logs.
${i.cloudWatchAgentInstall}
`;
}
