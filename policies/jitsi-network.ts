/**
 * Jitsi invariants that span the whole stack: the TURN shared secret stays a secret, and the regions'
 * VPC address ranges never overlap (relays and cross-region XMPP are routed between them).
 */
import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { configWithDefaults, DEFAULT_LEVELS } from "./config";
import { allStrings, decodeUserData, ipv4Range, isSecretMarker } from "./props";
import { T } from "./stack-graph";

/** Where a TURN secret may be stored, and the input holding its value. */
const SECRET_STORES: Record<string, string> = {
  [T.ssmParameter]: "value",
  [T.secretVersion]: "secretString",
};

const turnSchema = {
  properties: {
    /** resources.json masks Pulumi secrets as "[secret]": there a plaintext value proves it was not marked secret. */
    secretsMasked: { type: "boolean" as const, default: false },
    namePattern: { type: "string" as const, default: "turn.*(secret|auth|credential)|(secret|auth|credential).*turn" },
  },
};

/**
 * The inputs of a resource that AWS and the Pulumi state keep in plain text, where a secret must never be:
 * EC2 user data, Lambda environment, tags, String parameters, S3 object bodies, EventBridge inputs,
 * dashboards. (Secret stores and generators such as random.RandomPassword legitimately hold the value.)
 */
function plaintextSinks(r: PolicyResource): string {
  const p = r.props;
  const parts: unknown[] = [p.tags];
  switch (r.type) {
    case T.launchTemplate:
    case T.instance:
      parts.push(decodeUserData(p.userData), decodeUserData(p.userDataBase64), p.userData);
      break;
    case T.lambda:
      parts.push(p.environment);
      break;
    case T.ssmParameter:
      if (p.type !== "SecureString") parts.push(p.value, p.insecureValue);
      break;
    case "aws:s3/bucketObjectv2:BucketObjectv2":
    case "aws:s3/bucketObject:BucketObject":
      parts.push(p.content);
      break;
    case "aws:cloudwatch/eventTarget:EventTarget":
      parts.push(p.input);
      break;
    case "aws:cloudwatch/dashboard:Dashboard":
      parts.push(p.dashboardBody);
      break;
  }
  return allStrings(parts).join("\n");
}

export const turnSecretIsSecret: StackValidationPolicy = {
  name: "turn-secret-is-secret",
  description: "Checks whether the TURN shared secret is kept in an SSM SecureString (or Secrets Manager), marked secret, and not copied into plain-text inputs (user data, Lambda environment, tags, ...).",
  enforcementLevel: DEFAULT_LEVELS.security,
  severity: "critical",
  configSchema: turnSchema,
  validateStack: (args, report) => {
    const c = configWithDefaults<{ secretsMasked: boolean; namePattern: string }>(turnSchema, () => args.getConfig());
    const pattern = new RegExp(c.namePattern, "i");
    const stores = args.resources.filter(
      (r) => r.type in SECRET_STORES && (pattern.test(r.name) || pattern.test(String(r.props.name ?? r.props.secretId ?? ""))),
    );
    const clusters = args.resources.filter((r) => r.type === T.turn || (r.opts?.parent ?? "").includes(`${T.turn}::`));
    if (stores.length === 0 && clusters.length > 0) {
      const where = clusters.find((r) => r.type === T.turn) ?? clusters[0];
      report(`TURN is deployed but no SSM SecureString parameter or secret named like /${c.namePattern}/ holds its shared secret.`, where.urn);
    }
    for (const s of stores) {
      if (s.type === T.ssmParameter && s.props.type !== "SecureString")
        report(`parameter ${s.name} holding the TURN secret is of type ${JSON.stringify(s.props.type ?? null)}; it must be SecureString.`, s.urn);
      const value = s.props[SECRET_STORES[s.type]];
      if (typeof value !== "string" || isSecretMarker(value)) continue;
      if (c.secretsMasked) report(`${s.name}'s value is not a Pulumi secret (wrap it in pulumi.secret or generate it with random.RandomPassword).`, s.urn);
      if (value.length < 8) continue;
      for (const other of args.resources)
        if (other.urn !== s.urn && plaintextSinks(other).includes(value))
          report(`the TURN secret held by ${s.name} appears in plain text in the inputs of ${other.name}.`, other.urn);
    }
  },
};

/** awsx.ec2.Vpc's default when cidrBlock is not given. */
const AWSX_DEFAULT_CIDR = "10.0.0.0/16";

export const regionCidrsDisjoint: StackValidationPolicy = {
  name: "region-cidrs-disjoint",
  description: "Checks that no two VPCs of the stack (one per region) have overlapping IPv4 ranges.",
  enforcementLevel: DEFAULT_LEVELS.jitsi,
  severity: "high",
  validateStack: (args, report) => {
    // With the real engine an awsx Vpc has an aws:ec2/vpc:Vpc child with the same range: count that child only.
    const plain = args.resources.filter((r) => r.type === T.vpc);
    const awsx = args.resources.filter((r) => r.type === T.awsxVpc && !plain.some((p) => (p.parent?.urn ?? p.opts?.parent) === r.urn));
    const vpcs = [...plain, ...awsx]
      .map((r) => {
        const cidr = r.props.cidrBlock ?? (r.type === T.awsxVpc ? AWSX_DEFAULT_CIDR : undefined);
        return { r, cidr: String(cidr), range: ipv4Range(cidr) };
      });
    for (const v of vpcs) if (!v.range) report(`VPC ${v.r.name} has no readable IPv4 cidrBlock (${v.cidr}).`, v.r.urn);
    for (let i = 0; i < vpcs.length; i++)
      for (let j = 0; j < i; j++) {
        const [a, b] = [vpcs[i], vpcs[j]];
        if (a.range && b.range && a.range[0] <= b.range[1] && b.range[0] <= a.range[1])
          report(`VPC ${a.r.name} (${a.cidr}) overlaps VPC ${b.r.name} (${b.cidr}); region ranges must be disjoint.`, a.r.urn);
      }
  },
};
