/**
 * How a host runs the agent: a boot-script snippet that installs Node.js (Debian 12) and downloads the
 * bundled agent from S3, and systemd units for its long-running commands. Pure.
 */
import { shQuote } from "./boot-common";

export interface AgentService {
  /** Unit name suffix: jitsi-aws-<name>.service */
  readonly name: string;
  readonly description: string;
  /** Agent command and its arguments, e.g. ["publish-metrics", "--role", "bridge"]. */
  readonly argv: readonly string[];
  /** Environment of the service (no secrets: the agent reads those from SSM itself). */
  readonly environment?: Readonly<Record<string, string>>;
}

export const AGENT_PATH = "/opt/jitsi-aws/agent.js";

/** Bash lines (after BOOT_FUNCTIONS) that install Node.js and fetch the agent. */
export function renderAgentInstall(i: { readonly bucket: string; readonly key: string; readonly region: string }): string {
  return `# Host agent (metrics, drain, recordings): Node.js from Debian, code from the region's artifacts bucket.
apt-get install -y -q nodejs
install -d -m 0755 /opt/jitsi-aws
aws s3 cp --region ${shQuote(i.region)} ${shQuote(`s3://${i.bucket}/${i.key}`)} ${AGENT_PATH}
chmod 0644 ${AGENT_PATH}
`;
}

export function renderAgentUnit(s: AgentService): string {
  if (!/^[a-z][a-z0-9-]*$/.test(s.name)) throw new Error(`agent service name must be lower-case letters, digits and dashes (got ${s.name})`);
  const env = Object.entries(s.environment ?? {})
    .map(([k, v]) => {
      if (!/^[A-Z][A-Z0-9_]*$/.test(k) || /["\\\n]/.test(v)) throw new Error(`bad environment entry ${k} of ${s.name}`);
      return `Environment="${k}=${v}"\n`;
    })
    .join("");
  const args = s.argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(" ");
  return `[Unit]
Description=${s.description}
After=network-online.target
Wants=network-online.target

[Service]
ExecStart=/usr/bin/node ${AGENT_PATH} ${args}
${env}Restart=always
RestartSec=10
NoNewPrivileges=true
ProtectSystem=full
PrivateTmp=true

[Install]
WantedBy=multi-user.target
`;
}
