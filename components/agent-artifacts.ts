/**
 * AgentArtifacts: the region's private bucket holding the host agent (agents/main.ts bundled), which every
 * host downloads at boot with its instance role. Code travels through S3, not user data (16 KB limit).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import * as fs from "fs";
import { agentBundlePath } from "../agents/bundle";
import { privateBucket } from "./private-bucket";

export interface AgentArtifactsArgs {
  /** Tags for every resource. */
  readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** Where hosts fetch the agent from; handed to each host component. */
export interface AgentLocation {
  readonly bucket: pulumi.Input<string>;
  readonly key: pulumi.Input<string>;
  /** ARN of the object (hosts get s3:GetObject on exactly this). */
  readonly objectArn: pulumi.Input<string>;
}

export class AgentArtifacts extends pulumi.ComponentResource {
  public readonly bucketName: pulumi.Output<string>;
  public readonly location: AgentLocation;

  constructor(name: string, args: AgentArtifactsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jitsi:index:AgentArtifacts", name, {}, opts);
    const { bucket } = privateBucket(`${name}-bucket`, this, { tags: args.tags });
    const file = agentBundlePath();
    // Content-addressed key: a new agent is a new object, so a host never mixes two versions.
    const sha = createHash("sha256").update(fs.readFileSync(file)).digest("hex").slice(0, 16);
    const key = `agents/${sha}/agent.js`;
    const object = new aws.s3.BucketObjectv2(
      `${name}-agent`,
      { bucket: bucket.id, key, source: new pulumi.asset.FileAsset(file), contentType: "application/javascript", tags: args.tags },
      { parent: this },
    );
    this.bucketName = bucket.bucket;
    this.location = { bucket: bucket.bucket, key: object.key, objectArn: pulumi.interpolate`${bucket.arn}/${key}` };
    this.registerOutputs({ bucketName: this.bucketName });
  }
}
