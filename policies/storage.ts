/**
 * S3 buckets: encryption, public access block and a TLS-only bucket policy. In @pulumi/aws 7 these are
 * separate resources attached to the bucket, so the rules are stack policies that pair each bucket with
 * what is attached to it.
 */
import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { DEFAULT_LEVELS } from "./config";
import { iamStatements, isTrue, list, obj } from "./props";
import { T } from "./stack-graph";

const BUCKET_TYPES: string[] = [T.bucket, T.bucketV2];

/**
 * The resources of `types` attached to `bucket`: through the engine's property dependencies (Pulumi CLI),
 * through their `bucket` input matching the bucket's name or id, or — offline, where ids are the mocks' —
 * through being a sibling named after the bucket (`${bucket}-…`, the components' naming rule).
 */
export function attachedToBucket(bucket: PolicyResource, resources: readonly PolicyResource[], types: string[]): PolicyResource[] {
  const keys = new Set([bucket.props.bucket, bucket.props.id].filter((k): k is string => typeof k === "string" && k !== ""));
  const parentOf = (r: PolicyResource) => r.parent?.urn ?? r.opts?.parent;
  return resources.filter((r) => {
    if (!types.includes(r.type)) return false;
    if ((r.propertyDependencies?.bucket ?? []).some((d) => d.urn === bucket.urn)) return true;
    if (typeof r.props.bucket === "string" && keys.has(r.props.bucket)) return true;
    // The plan's mocks name an unnamed bucket `${resourceName}-<hash>`.
    if (typeof r.props.bucket === "string" && r.props.bucket.startsWith(`${bucket.name.toLowerCase()}-`)) return true;
    return parentOf(r) === parentOf(bucket) && r.name.startsWith(`${bucket.name}-`);
  });
}

const SSE_ALGORITHMS = ["AES256", "aws:kms", "aws:kms:dsse"];

function encrypted(bucket: PolicyResource, resources: readonly PolicyResource[]): boolean {
  const rules = [
    obj(bucket.props.serverSideEncryptionConfiguration)?.rule,
    ...attachedToBucket(bucket, resources, [T.bucketSse, T.bucketSseV2]).flatMap((c) => list(c.props.rules)),
  ];
  return rules.some((r) => SSE_ALGORITHMS.includes(String(obj(obj(r)?.applyServerSideEncryptionByDefault)?.sseAlgorithm)));
}

export const s3Encryption: StackValidationPolicy = {
  name: "s3-encryption",
  description: "Checks whether every S3 bucket has a default server-side encryption rule (AES256 or aws:kms).",
  enforcementLevel: DEFAULT_LEVELS.security,
  severity: "high",
  validateStack: (args, report) => {
    for (const b of args.resources.filter((r) => BUCKET_TYPES.includes(r.type)))
      if (!encrypted(b, args.resources))
        report(`bucket ${b.name} has no BucketServerSideEncryptionConfiguration with sseAlgorithm ${SSE_ALGORITHMS.join(" / ")}.`, b.urn);
  },
};

const PAB_FLAGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"];

export const s3PublicAccessBlock: StackValidationPolicy = {
  name: "s3-public-access-block",
  description: "Checks whether every S3 bucket has a public access block with all four settings true.",
  enforcementLevel: DEFAULT_LEVELS.security,
  severity: "critical",
  validateStack: (args, report) => {
    for (const b of args.resources.filter((r) => BUCKET_TYPES.includes(r.type))) {
      const blocks = attachedToBucket(b, args.resources, [T.bucketPab]);
      if (blocks.length === 0) {
        report(`bucket ${b.name} has no BucketPublicAccessBlock.`, b.urn);
        continue;
      }
      const off = PAB_FLAGS.filter((f) => !blocks.some((pab) => isTrue(pab.props[f])));
      if (off.length > 0) report(`bucket ${b.name}'s public access block leaves ${off.join(", ")} unset or false.`, b.urn);
    }
  },
};

/** A statement that denies every request not made over TLS. */
function deniesInsecureTransport(doc: unknown): boolean {
  let statements;
  try {
    statements = iamStatements(doc);
  } catch {
    return false;
  }
  return statements.some((s) => {
    if (s.effect !== "Deny") return false;
    if (!(s.principal === "*" || list(obj(s.principal)?.AWS).includes("*"))) return false;
    if (!s.actions.some((a) => a === "*" || a.toLowerCase() === "s3:*")) return false;
    const bool = obj(s.condition?.Bool) ?? obj(s.condition?.bool);
    const secure = bool?.["aws:SecureTransport"];
    if (!(secure === false || String(secure).toLowerCase() === "false")) return false;
    // Both the bucket and its objects must be covered.
    return s.resources.some((r) => r.endsWith("/*") || r === "*") && s.resources.some((r) => !r.endsWith("/*"));
  });
}

export const s3TlsOnly: StackValidationPolicy = {
  name: "s3-tls-only",
  description: "Checks whether every S3 bucket's policy denies requests made without TLS (aws:SecureTransport = false).",
  enforcementLevel: DEFAULT_LEVELS.security,
  severity: "high",
  validateStack: (args, report) => {
    for (const b of args.resources.filter((r) => BUCKET_TYPES.includes(r.type))) {
      const policies = attachedToBucket(b, args.resources, [T.bucketPolicy]);
      const ok = policies.some((p) => deniesInsecureTransport(p.props.policy));
      if (!ok)
        report(
          `bucket ${b.name} has no bucket policy denying s3:* to Principal "*" on the bucket and its objects when aws:SecureTransport is false.`,
          b.urn,
        );
    }
  },
};

export const STORAGE_POLICIES = [s3Encryption, s3PublicAccessBlock, s3TlsOnly];
