/**
 * Security rules on single resources: EC2 metadata and disks, security groups open to the world, Lambda
 * runtimes and log retention (a stack rule: a Lambda's log group is a separate resource). IAM, secrets and S3 rules live in iam.ts, secrets.ts and storage.ts.
 */
import { PolicyResource, ResourceValidationArgs, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import {
  configWithDefaults,
  DEFAULT_LAMBDA_RUNTIMES,
  DEFAULT_LEVELS,
  DEFAULT_WORLD_INGRESS,
  LOG_RETENTION_DAYS,
  stringList,
} from "./config";
import { isTrue, list, num, obj } from "./props";

const LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate";
const INSTANCE = "aws:ec2/instance:Instance";

export const imdsv2Required: ResourceValidationPolicy = {
  name: "imdsv2-required",
  description: "Checks whether launch templates and instances require IMDSv2 (metadataOptions.httpTokens = required).",
  enforcementLevel: DEFAULT_LEVELS.security,
  severity: "high",
  validateResource: (args, report) => {
    if (args.type !== LAUNCH_TEMPLATE && args.type !== INSTANCE) return;
    // An instance launched from a template inherits the template's metadata options (checked on the template).
    if (args.type === INSTANCE && args.props.launchTemplate && !args.props.metadataOptions) return;
    const options = obj(args.props.metadataOptions);
    if (options?.httpEndpoint === "disabled") return; // no metadata service at all is stricter still
    if (options?.httpTokens !== "required")
      report(`metadataOptions.httpTokens is ${JSON.stringify(options?.httpTokens ?? null)}; it must be "required" (IMDSv2 only).`);
  },
};

function ebsProblems(args: ResourceValidationArgs): string[] {
  const p = args.props;
  const problems: string[] = [];
  if (args.type === LAUNCH_TEMPLATE) {
    const mappings = list<Record<string, unknown>>(p.blockDeviceMappings).filter((m) => obj(m)?.ebs);
    if (mappings.length === 0)
      problems.push("declares no EBS block device, so the root volume takes the AMI's (unencrypted) default; map it with ebs.encrypted = true");
    for (const m of mappings)
      if (!isTrue(obj(m.ebs)?.encrypted)) problems.push(`block device ${String(m.deviceName ?? "?")} has ebs.encrypted unset or false`);
  } else if (args.type === INSTANCE) {
    if (!p.launchTemplate && !isTrue(obj(p.rootBlockDevice)?.encrypted)) problems.push("rootBlockDevice.encrypted is unset or false");
    for (const d of list<Record<string, unknown>>(p.ebsBlockDevices))
      if (!isTrue(d?.encrypted)) problems.push(`ebsBlockDevices ${String(d?.deviceName ?? "?")} has encrypted unset or false`);
  } else if (args.type === "aws:ebs/volume:Volume") {
    if (!isTrue(p.encrypted)) problems.push("encrypted is unset or false");
  }
  return problems;
}

export const ebsEncrypted: ResourceValidationPolicy = {
  name: "ebs-encrypted",
  description: "Checks whether every EBS volume of launch templates, instances and volumes is encrypted.",
  enforcementLevel: DEFAULT_LEVELS.security,
  severity: "high",
  validateResource: (args, report) => {
    for (const problem of ebsProblems(args)) report(`EBS encryption: ${problem}.`);
  },
};

/** One ingress permission, normalised from the three ways AWS resources express it. */
interface Ingress {
  protocol: string;
  from: number;
  to: number;
  cidrs: string[];
}

const PROTOCOL_NAMES: Record<string, string> = { "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", "-1": "all", all: "all" };

function protocolName(p: unknown): string {
  const s = String(p ?? "").toLowerCase();
  return PROTOCOL_NAMES[s] ?? s;
}

function ingressOf(args: ResourceValidationArgs): Ingress[] {
  const p = args.props;
  const mk = (protocol: unknown, from: unknown, to: unknown, cidrs: unknown[]): Ingress => {
    const proto = protocolName(protocol);
    const all = proto === "all";
    return {
      protocol: proto,
      from: all ? 0 : num(from) ?? 0,
      to: all ? 65535 : num(to) ?? num(from) ?? 65535,
      cidrs: cidrs.filter((c): c is string => typeof c === "string"),
    };
  };
  switch (args.type) {
    case "aws:ec2/securityGroup:SecurityGroup":
      return list<Record<string, unknown>>(p.ingress).map((r) =>
        mk(r.protocol, r.fromPort, r.toPort, [...list(r.cidrBlocks), ...list(r.ipv6CidrBlocks)]),
      );
    case "aws:ec2/securityGroupRule:SecurityGroupRule":
      return p.type === "ingress" ? [mk(p.protocol, p.fromPort, p.toPort, [...list(p.cidrBlocks), ...list(p.ipv6CidrBlocks)])] : [];
    case "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
      return [mk(p.ipProtocol, p.fromPort, p.toPort, [p.cidrIpv4, p.cidrIpv6])];
    default:
      return [];
  }
}

/** A CIDR with prefix length 0 reaches every address. */
function isWorld(cidr: string): boolean {
  return /\/0$/.test(cidr.trim());
}

/** Parses "443/tcp" or "49152-65535/udp". Throws naming the bad entry. */
export function parsePortSpec(spec: string): { protocol: string; from: number; to: number } {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?\/(tcp|udp|icmp|icmpv6)$/i.exec(spec.trim());
  if (!m) throw new Error(`allowedWorldIngress entry "${spec}" must look like "443/tcp" or "49152-65535/udp"`);
  const from = Number(m[1]);
  const to = m[2] ? Number(m[2]) : from;
  return { protocol: m[3].toLowerCase(), from, to };
}

const worldIngressSchema = {
  properties: {
    allowedWorldIngress: stringList(DEFAULT_WORLD_INGRESS, 'Ports open to 0.0.0.0/0 or ::/0, e.g. "443/tcp", "49152-65535/udp".'),
  },
};

export const securityGroupWorldIngress: ResourceValidationPolicy = {
  name: "sg-world-ingress",
  description: "Checks whether security groups open to the world (0.0.0.0/0, ::/0) only Jitsi's public ports.",
  enforcementLevel: DEFAULT_LEVELS.security,
  severity: "high",
  configSchema: worldIngressSchema,
  validateResource: (args, report) => {
    const rules = ingressOf(args);
    if (rules.length === 0) return;
    const cfg = configWithDefaults<{ allowedWorldIngress: string[] }>(worldIngressSchema, () => args.getConfig());
    const allowed = cfg.allowedWorldIngress.map(parsePortSpec);
    for (const r of rules) {
      const world = r.cidrs.filter(isWorld);
      if (world.length === 0) continue;
      const covered =
        r.protocol !== "all" && allowed.some((a) => a.protocol === r.protocol && a.from <= r.from && r.to <= a.to);
      if (!covered) {
        const ports = r.protocol === "all" ? "all traffic" : `${r.from === r.to ? r.from : `${r.from}-${r.to}`}/${r.protocol}`;
        report(`${ports} is open to ${world.join(", ")}; only ${cfg.allowedWorldIngress.join(", ")} may be (policy config allowedWorldIngress).`);
      }
    }
  },
};

const runtimeSchema = {
  properties: { supportedRuntimes: stringList(DEFAULT_LAMBDA_RUNTIMES, "Lambda runtimes still supported by AWS.") },
};

export const lambdaSupportedNodeRuntime: ResourceValidationPolicy = {
  name: "lambda-supported-nodejs",
  description: "Checks whether every Lambda function runs on a Node.js runtime AWS still supports.",
  enforcementLevel: DEFAULT_LEVELS.security,
  severity: "medium",
  configSchema: runtimeSchema,
  validateResource: (args, report) => {
    if (args.type !== "aws:lambda/function:Function") return;
    if (args.props.packageType === "Image") return; // container images carry their own runtime
    const { supportedRuntimes } = configWithDefaults<{ supportedRuntimes: string[] }>(runtimeSchema, () => args.getConfig());
    const runtime = args.props.runtime;
    if (typeof runtime !== "string" || !runtime.startsWith("nodejs") || !supportedRuntimes.includes(runtime))
      report(`runtime is ${JSON.stringify(runtime ?? null)}; it must be one of ${supportedRuntimes.join(", ")}.`);
  },
};

/** The log group a Lambda writes to: its loggingConfig's, else Lambda's default /aws/lambda/<name>. */
function lambdaLogGroupName(fn: PolicyResource): string | undefined {
  const configured = obj(fn.props.loggingConfig)?.logGroup;
  if (typeof configured === "string") return configured;
  return typeof fn.props.name === "string" ? `/aws/lambda/${fn.props.name}` : undefined;
}

export const logGroupRetention: StackValidationPolicy = {
  name: "log-group-retention",
  description:
    "Checks whether every CloudWatch log group sets a retention CloudWatch accepts, and every Lambda writes to such a managed log group.",
  enforcementLevel: DEFAULT_LEVELS.security,
  severity: "low",
  validateStack: (args, report) => {
    const groups = args.resources.filter((r) => r.type === "aws:cloudwatch/logGroup:LogGroup");
    for (const g of groups) {
      const days = num(g.props.retentionInDays);
      if (days === undefined || days === 0) report(`log group ${g.name}: retentionInDays is not set, so logs are kept forever.`, g.urn);
      else if (!LOG_RETENTION_DAYS.includes(days))
        report(`log group ${g.name}: retentionInDays ${days} is not a value CloudWatch accepts (${LOG_RETENTION_DAYS.join(", ")}).`, g.urn);
    }
    // A Lambda whose log group is not in the stack gets one created by Lambda itself, kept forever.
    const names = new Set(groups.map((g) => g.props.name).filter((n): n is string => typeof n === "string"));
    for (const fn of args.resources.filter((r) => r.type === "aws:lambda/function:Function")) {
      const want = lambdaLogGroupName(fn);
      if (!want || !names.has(want))
        report(
          `Lambda ${fn.name} writes to ${want ?? "an auto-named /aws/lambda/ group"}, which no LogGroup of the stack manages, so Lambda creates it without retention.`,
          fn.urn,
        );
    }
  },
};

export const SECURITY_POLICIES = [
  imdsv2Required,
  ebsEncrypted,
  securityGroupWorldIngress,
  lambdaSupportedNodeRuntime,
  logGroupRetention,
];
