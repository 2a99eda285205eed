/**
 * The CloudWatch agent on every host: its JSON config per role (host metrics from metrics/catalog.ts
 * HOST_METRICS, log files -> one log group per service) and the boot lines that install it and load the
 * config from SSM. Pure; components/monitoring stores the config in SSM and creates the log groups.
 */
import { HOST_METRICS, HOST_NAMESPACE, type HostMetricDef } from "../metrics/catalog";
import { shQuote } from "./boot-common";

/** The host roles of a region. */
export const HOST_ROLES = ["shard", "bridge", "jibri", "turn", "edge"] as const;
export type HostRole = (typeof HOST_ROLES)[number];

export interface LogService {
  /** Files the agent tails (Debian package defaults). */
  readonly files: readonly string[];
  readonly roles: readonly HostRole[];
  readonly description: string;
}

/**
 * One log group per service. Prosody logs to syslog (render/prosody.ts `log = { info = "*syslog" }`), so
 * its lines are in `system`. /var/log/syslog needs rsyslog, which Debian 12 cloud images lack: the boot
 * snippet below installs it.
 */
export const LOG_SERVICES = {
  system: { files: ["/var/log/syslog", "/var/log/cloud-init-output.log"], roles: HOST_ROLES, description: "syslog (systemd units, prosody, the jitsi-aws agents) and the boot script's output" },
  jicofo: { files: ["/var/log/jitsi/jicofo.log"], roles: ["shard"], description: "Jicofo (conference focus)" },
  nginx: { files: ["/var/log/nginx/error.log", "/var/log/nginx/access.log"], roles: ["shard"], description: "nginx of the shard (web, BOSH, websockets)" },
  jvb: { files: ["/var/log/jitsi/jvb.log"], roles: ["bridge"], description: "Jitsi Videobridge" },
  jibri: { files: ["/var/log/jitsi/jibri/log.0.txt", "/var/log/jitsi/jibri/ffmpeg.0.txt", "/var/log/jitsi/jibri/browser.0.txt"], roles: ["jibri"], description: "Jibri, its ffmpeg and its Chrome" },
  coturn: { files: ["/var/log/turnserver/turnserver.log"], roles: ["turn"], description: "coturn (needs log-file=/var/log/turnserver/turnserver.log, simple-log and verbose for allocation lines)" },
  haproxy: { files: ["/var/log/haproxy.log"], roles: ["edge"], description: "HAProxy (Debian's rsyslog rule writes /var/log/haproxy.log)" },
} as const satisfies Record<string, LogService>;
export type LogServiceName = keyof typeof LOG_SERVICES;

/** Log group of a service: under /jitsi/ because the host role may write only there (components/host.ts). */
export function logGroupName(deployment: string, service: LogServiceName): string {
  if (!/^[a-z][a-z0-9-]{0,39}$/.test(deployment)) throw new Error(`deployment must be a lower-case name (letters, digits, dashes), got '${deployment}'`);
  return `/jitsi/${deployment}/${service}`;
}

export function logServicesOf(role: HostRole): LogServiceName[] {
  return (Object.keys(LOG_SERVICES) as LogServiceName[]).filter((s) => (LOG_SERVICES[s].roles as readonly HostRole[]).includes(role));
}

/** SSM parameter holding a role's agent config (read by `amazon-cloudwatch-agent-ctl -c ssm:<name>`). */
export function agentConfigParameterName(deployment: string, role: HostRole): string {
  return `/jitsi/${deployment}/cloudwatch-agent/${role}`;
}

export interface CloudWatchAgentConfigInput {
  readonly deployment: string;
  readonly role: HostRole;
  /** Seconds between host metric samples. @default 60 */
  readonly intervalSeconds?: number;
}

/** Per plugin: its measurements from the catalogue, plus the plugin's own options. */
function pluginSections(interval: number): Record<string, unknown> {
  const by = new Map<HostMetricDef["plugin"], string[]>();
  for (const m of Object.values(HOST_METRICS) as HostMetricDef[]) by.set(m.plugin, [...(by.get(m.plugin) ?? []), m.measurement]);
  const extra: Record<HostMetricDef["plugin"], Record<string, unknown>> = {
    // The host total only: `resources: ["*"]` would add one series per core (more cost, no use here).
    cpu: { totalcpu: true },
    mem: {},
    // The root file system only; device names differ between instance types (nvme vs xvd).
    disk: { resources: ["/"], drop_device: true, ignore_file_system_types: ["sysfs", "devtmpfs", "tmpfs", "overlay", "squashfs"] },
    net: { resources: ["*"] },
    diskio: { resources: ["*"] },
  };
  return Object.fromEntries([...by].map(([plugin, measurement]) => [plugin, { measurement, metrics_collection_interval: interval, ...extra[plugin] }]));
}

/** The agent's JSON config for one role. */
export function renderCloudWatchAgentConfig(i: CloudWatchAgentConfigInput): string {
  const interval = i.intervalSeconds ?? 60;
  // The agent accepts 1-86400 s; below 60 s would publish high-resolution metrics (more cost, no use here).
  if (!Number.isInteger(interval) || interval < 60 || interval > 86400) throw new Error(`intervalSeconds must be an integer from 60 to 86400, got ${interval}`);
  if (!(HOST_ROLES as readonly string[]).includes(i.role)) throw new Error(`role must be one of ${HOST_ROLES.join(", ")}, got '${i.role}'`);
  const config = {
    agent: { metrics_collection_interval: interval, run_as_user: "root", logfile: "/opt/aws/amazon-cloudwatch-agent/logs/amazon-cloudwatch-agent.log" },
    metrics: {
      namespace: HOST_NAMESPACE,
      append_dimensions: { InstanceId: "${aws:InstanceId}", AutoScalingGroupName: "${aws:AutoScalingGroupName}" },
      // One roll-up per auto-scaling group: the dashboards read fleet-wide CPU, memory, network and disk.
      aggregation_dimensions: [["AutoScalingGroupName"]],
      metrics_collected: pluginSections(interval),
    },
    logs: {
      force_flush_interval: 15,
      logs_collected: {
        files: {
          collect_list: logServicesOf(i.role).flatMap((svc) =>
            LOG_SERVICES[svc].files.map((file) => ({
              file_path: file,
              log_group_name: logGroupName(i.deployment, svc),
              // One stream per host and file: {instance_id} is expanded by the agent.
              log_stream_name: `{instance_id}/${file.split("/").pop()}`,
              timezone: "UTC",
            })),
          ),
        },
      },
    },
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** AWS's package location for the agent on Debian/Ubuntu (amd64). */
export const CLOUDWATCH_AGENT_DEB = "https://amazoncloudwatch-agent.s3.amazonaws.com/debian/amd64/latest/amazon-cloudwatch-agent.deb";

/**
 * Bash lines for a boot script (after BOOT_FUNCTIONS): install rsyslog and the agent, then load the role's
 * config from SSM (the host role needs ssm:GetParameter on that one parameter).
 */
export function renderCloudWatchAgentInstall(i: { readonly region: string; readonly parameterName: string }): string {
  return `# CloudWatch agent: host metrics and logs (config from SSM ${i.parameterName}).
apt-get install -y -q rsyslog
curl -fsSL --retry 5 -o /tmp/amazon-cloudwatch-agent.deb ${shQuote(CLOUDWATCH_AGENT_DEB)}
dpkg -i /tmp/amazon-cloudwatch-agent.deb
rm -f /tmp/amazon-cloudwatch-agent.deb
AWS_REGION=${shQuote(i.region)} /opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c ${shQuote(`ssm:${i.parameterName}`)}
`;
}
