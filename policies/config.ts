/**
 * Enforcement levels and tunable values of the policy pack, in one place. Each policy declares a
 * `configSchema` built from these defaults, so `pulumi preview --policy-pack policies
 * --policy-pack-config <file.json>` (and `npm run policy -- --config <file.json>`) can change a level or
 * extend a list per stack without touching code.
 */
import { EnforcementLevel, PolicyConfigSchema } from "@pulumi/policy";

/** Security rules block a deployment unless configured otherwise; so do the Jitsi invariants. */
export const DEFAULT_LEVELS = {
  security: "mandatory",
  jitsi: "mandatory",
} as const satisfies Record<string, EnforcementLevel>;

/**
 * Ports that may be open to 0.0.0.0/0 or ::/0, as "<port>/<protocol>" or "<from>-<to>/<protocol>".
 * jitsi-facts.md: web 443/tcp, JVB media 10000/udp, TURN 3478 udp+tcp, TURNS 5349/tcp; and 49152-65535/udp,
 * coturn's relay ports (RFC 5766 default range, components/turn-cluster.ts), where peers send relayed media.
 * Add "443/udp" (TURN on 443, as meet.jit.si does) through policy config when a deployment uses it.
 */
export const DEFAULT_WORLD_INGRESS = ["443/tcp", "10000/udp", "3478/udp", "3478/tcp", "5349/tcp", "49152-65535/udp"];

/**
 * IAM actions that AWS does not scope to a resource ARN, so `"Resource": "*"` is required for them
 * (Service Authorization Reference: no resource type listed for these actions). Glob patterns allowed.
 */
export const DEFAULT_STAR_RESOURCE_ACTIONS = [
  "ec2:Describe*",
  "autoscaling:Describe*",
  "elasticloadbalancing:Describe*",
  "cloudwatch:PutMetricData",
  "cloudwatch:GetMetricData",
  "cloudwatch:GetMetricStatistics",
  "cloudwatch:ListMetrics",
  "logs:DescribeLogGroups",
  "ssm:DescribeParameters",
  "sts:GetCallerIdentity",
  "xray:PutTraceSegments",
  "xray:PutTelemetryRecords",
  "route53:ListHostedZones",
  "s3:ListAllMyBuckets",
  // Session Manager's agent channel (AmazonSSMManagedInstanceCore grants these on "*": no resource types).
  "ssm:UpdateInstanceInformation",
  "ssmmessages:CreateControlChannel",
  "ssmmessages:CreateDataChannel",
  "ssmmessages:OpenControlChannel",
  "ssmmessages:OpenDataChannel",
  "ec2messages:AcknowledgeMessage",
  "ec2messages:DeleteMessage",
  "ec2messages:FailMessage",
  "ec2messages:GetEndpoint",
  "ec2messages:GetMessages",
  "ec2messages:SendReply",
];

/**
 * Lambda Node.js runtimes AWS still supports (AWS Lambda "Supported runtimes" page): nodejs18.x was
 * deprecated on 2025-09-01 and nodejs20.x on 2026-04-30; nodejs22.x is supported until 2027-04-30.
 */
export const DEFAULT_LAMBDA_RUNTIMES = ["nodejs22.x", "nodejs24.x"];

/** Values CloudWatch Logs accepts for retentionInDays (PutRetentionPolicy API reference). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

/**
 * How long a draining instance may need before its terminating lifecycle hook may expire, used only when
 * the component does not declare its own (`maxDrainSeconds` / `drainSeconds` in its registered props).
 * jitsi-facts.md: 8x8 drains a bridge for at most 1 h before forcing; a Jibri finishes its one recording
 * (single-use mode) — the same hour is the budget for it.
 */
export const DEFAULT_DRAIN_SECONDS = { bridge: 3600, jibri: 3600 };

/** AWS lifecycle hook heartbeat timeout range (PutLifecycleHook API reference): 30–7200 s. */
export const HOOK_TIMEOUT_RANGE = { min: 30, max: 7200 };

/** The string resources.json (npm run plan) puts where the program passed a Pulumi secret. */
export const SECRET_MARKER = "[secret]";

/** A JSON-schema string-array property with a default, for `configSchema`. */
export function stringList(defaults: readonly string[], description: string): PolicyConfigSchema["properties"][string] {
  return { type: "array", items: { type: "string" }, default: [...defaults], description };
}

/**
 * Reads a policy's config and fills every property the user left out from the schema's defaults. The
 * Pulumi CLI fills defaults too, but the offline runner and tests should not depend on that.
 */
export function configWithDefaults<T extends object>(
  schema: PolicyConfigSchema | undefined,
  getConfig: () => Partial<T>,
): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema?.properties ?? {})) {
    const d = (v as { default?: unknown }).default;
    if (d !== undefined) out[k] = d;
  }
  return { ...out, ...getConfig() } as T;
}
