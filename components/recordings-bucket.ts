/**
 * The recordings bucket of a JibriPool: the project's private bucket baseline (encryption, versioning, public
 * access blocked, TLS-only policy; components/private-bucket.ts) with SSE-S3, so the recorders can verify each
 * upload against the ETag (agents/jibri-finalize.ts), plus a lifecycle rule and optional cross-region replication.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { privateBucket } from "./private-bucket";

export interface RecordingsBucketArgs {
  /** Prefix the recorders write under ("recordings/"); the lifecycle and replication rules apply to it. */
  readonly keyPrefix: string;
  readonly transitionToIaDays: number;
  readonly expireDays: number;
  readonly replicationDestinationBucketArn?: pulumi.Input<string>;
  readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

export function recordingsBucket(name: string, parent: pulumi.Resource, args: RecordingsBucketArgs) {
  // Recordings outlive the stack: `pulumi destroy` leaves the bucket (and its objects) in place.
  const base = privateBucket(name, parent, { tags: args.tags, retainOnDelete: true, sseAlgorithm: "AES256" });
  const lifecycle = new aws.s3.BucketLifecycleConfiguration(
    `${name}-lifecycle`,
    {
      bucket: base.bucket.id,
      rules: [
        {
          id: "recordings-age",
          status: "Enabled",
          filter: { prefix: args.keyPrefix },
          transitions: [{ days: args.transitionToIaDays, storageClass: "STANDARD_IA" }],
          expiration: { days: args.expireDays },
          // Versioning keeps overwritten/deleted copies; they go after 30 days.
          noncurrentVersionExpiration: { noncurrentDays: 30 },
        },
        // Parts of an upload that never completed (a recorder lost mid-upload) cost storage until removed.
        { id: "abort-incomplete-uploads", status: "Enabled", filter: { prefix: "" }, abortIncompleteMultipartUpload: { daysAfterInitiation: 7 } },
      ],
    },
    { parent, dependsOn: [base.versioning] },
  );

  let replication: aws.s3.BucketReplicationConfig | undefined;
  if (args.replicationDestinationBucketArn !== undefined) {
    const role = new aws.iam.Role(
      `${name}-replication-role`,
      {
        assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "s3.amazonaws.com" }, Action: "sts:AssumeRole" }] }),
        tags: args.tags,
      },
      { parent },
    );
    new aws.iam.RolePolicy(
      `${name}-replication-policy`,
      {
        role: role.id,
        policy: pulumi.all([base.bucket.arn, args.replicationDestinationBucketArn]).apply(([src, dst]) =>
          JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              { Sid: "ReadSourceConfig", Effect: "Allow", Action: ["s3:GetReplicationConfiguration", "s3:ListBucket"], Resource: src },
              { Sid: "ReadSourceObjects", Effect: "Allow", Action: ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"], Resource: `${src}/*` },
              { Sid: "WriteReplica", Effect: "Allow", Action: ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"], Resource: `${dst}/*` },
            ],
          }),
        ),
      },
      { parent },
    );
    replication = new aws.s3.BucketReplicationConfig(
      `${name}-replication`,
      {
        bucket: base.bucket.id,
        role: role.arn,
        rules: [
          {
            id: "recordings-replica",
            status: "Enabled",
            filter: { prefix: args.keyPrefix },
            deleteMarkerReplication: { status: "Disabled" },
            destination: { bucket: args.replicationDestinationBucketArn, storageClass: "STANDARD_IA" },
          },
        ],
      },
      // S3 requires versioning on the source before a replication configuration.
      { parent, dependsOn: [base.versioning] },
    );
  }
  return { ...base, lifecycle, replication };
}
