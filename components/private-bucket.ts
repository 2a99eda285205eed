/**
 * An S3 bucket with the project's baseline: SSE (KMS-managed by S3), versioning, all public access
 * blocked, bucket-owner-enforced ownership and a policy that refuses any request not made over TLS.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface PrivateBucketArgs {
  readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Keep objects when the stack is destroyed (recordings). @default false */
  readonly retainOnDelete?: boolean;
  /** Extra statements for the bucket policy (the TLS-only statement is always there). */
  readonly extraPolicyStatements?: pulumi.Input<unknown[]>;
  /**
   * Default encryption. "AES256" (SSE-S3) keeps ETags equal to the MD5 of the data, which the recordings upload
   * verifies against (agents/jibri-finalize.ts); SSE-KMS ETags are not MD5s. @default "aws:kms"
   */
  readonly sseAlgorithm?: "aws:kms" | "AES256";
}

export function privateBucket(name: string, parent: pulumi.Resource, args: PrivateBucketArgs) {
  const bucket = new aws.s3.Bucket(`${name}`, { forceDestroy: !args.retainOnDelete, tags: args.tags }, { parent, retainOnDelete: args.retainOnDelete });
  const encryption = new aws.s3.BucketServerSideEncryptionConfiguration(
    `${name}-sse`,
    { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: args.sseAlgorithm ?? "aws:kms" }, bucketKeyEnabled: (args.sseAlgorithm ?? "aws:kms") === "aws:kms" }] },
    { parent },
  );
  const versioning = new aws.s3.BucketVersioning(`${name}-versioning`, { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, { parent });
  const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
    `${name}-public-access-block`,
    { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
    { parent },
  );
  const ownership = new aws.s3.BucketOwnershipControls(`${name}-ownership`, { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, { parent });
  const policy = new aws.s3.BucketPolicy(
    `${name}-policy`,
    {
      bucket: bucket.id,
      policy: pulumi.all([bucket.arn, pulumi.output(args.extraPolicyStatements ?? [])]).apply(([arn, extra]) =>
        JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "DenyInsecureTransport",
              Effect: "Deny",
              Principal: "*",
              Action: "s3:*",
              Resource: [arn, `${arn}/*`],
              Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
            ...(extra as unknown[]),
          ],
        }),
      ),
    },
    { parent, dependsOn: [publicAccessBlock] },
  );
  return { bucket, encryption, versioning, publicAccessBlock, ownership, policy };
}
