/**
 * Building blocks every EC2-based component shares, so the security defaults live in one place:
 * the Debian 12 AMI, an instance role with only what a Jitsi host needs, and a launch template that
 * requires IMDSv2 and encrypts its disk.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { NAMESPACE } from "../metrics/catalog";

/** Debian's AWS account, the publisher of the official Debian AMIs (wiki.debian.org/Cloud/AmazonEC2Image). */
export const DEBIAN_AMI_OWNER = "136693071363";

/** Latest official Debian 12 (bookworm) amd64 AMI of the region the parent's provider targets. */
export function debianAmiId(parent: pulumi.Resource): pulumi.Output<string> {
  return aws.ec2
    .getAmiOutput(
      {
        owners: [DEBIAN_AMI_OWNER],
        mostRecent: true,
        filters: [
          { name: "name", values: ["debian-12-amd64-*"] },
          { name: "architecture", values: ["x86_64"] },
          { name: "virtualization-type", values: ["hvm"] },
        ],
      },
      { parent },
    )
    .apply((ami) => ami.id);
}

export interface HostRoleArgs {
  /** SSM parameter ARNs (SecureString) the host may read; nothing else is readable. */
  readonly secretParameterArns?: pulumi.Input<pulumi.Input<string>[]>;
  /** Extra least-privilege statements of this role (IAM policy JSON statements). */
  readonly statements?: pulumi.Input<unknown[]>;
  readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** Statements every Jitsi host needs: Session Manager, the CloudWatch agent, our metric namespace. */
export function baseHostStatements(): unknown[] {
  return [
    {
      Sid: "SessionManager",
      Effect: "Allow",
      // Session Manager's channel actions have no resource-level permissions: AWS requires "*".
      Action: [
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
      ],
      Resource: "*",
    },
    {
      Sid: "Metrics",
      Effect: "Allow",
      // PutMetricData has no resource-level permissions; the namespace condition narrows it instead.
      Action: ["cloudwatch:PutMetricData"],
      Resource: "*",
      Condition: { StringEquals: { "cloudwatch:namespace": [NAMESPACE, "CWAgent"] } },
    },
    {
      Sid: "Logs",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
      Resource: "arn:aws:logs:*:*:log-group:/jitsi/*",
    },
    {
      Sid: "AgentDescribe",
      Effect: "Allow",
      // The CloudWatch agent tags metrics with instance and volume ids; Describe* has no resource scoping.
      Action: ["ec2:DescribeTags", "ec2:DescribeVolumes"],
      Resource: "*",
    },
  ];
}

/** An instance role + profile with the base statements, reads of the given secrets, and extra statements. */
export function hostRole(name: string, parent: pulumi.Resource, args: HostRoleArgs) {
  const role = new aws.iam.Role(
    `${name}-role`,
    {
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
      }),
      tags: args.tags,
    },
    { parent },
  );
  const policy = pulumi
    .all([pulumi.output(args.secretParameterArns ?? []), pulumi.output(args.statements ?? [])])
    .apply(([secretArns, extra]) => {
      const statements: unknown[] = [...baseHostStatements()];
      if (secretArns.length > 0)
        statements.push({ Sid: "OwnSecrets", Effect: "Allow", Action: ["ssm:GetParameter"], Resource: [...secretArns].sort() });
      statements.push(...(extra as unknown[]));
      return JSON.stringify({ Version: "2012-10-17", Statement: statements });
    });
  const rolePolicy = new aws.iam.RolePolicy(`${name}-policy`, { role: role.id, policy }, { parent });
  const profile = new aws.iam.InstanceProfile(`${name}-profile`, { role: role.name, tags: args.tags }, { parent });
  return { role, rolePolicy, profile };
}

export interface HostLaunchTemplateArgs {
  readonly instanceType: pulumi.Input<string>;
  readonly imageId: pulumi.Input<string>;
  readonly securityGroupIds: pulumi.Input<pulumi.Input<string>[]>;
  readonly instanceProfileArn: pulumi.Input<string>;
  /** Base64 user data (see render/cloud-config.ts encodeUserData). */
  readonly userData: pulumi.Input<string>;
  readonly rootVolumeGiB: number;
  /** Bridges and TURN hosts need a public address for media; signalling hosts do not. */
  readonly associatePublicIp: boolean;
  readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** A launch template with IMDSv2 required (hop limit 1), an encrypted gp3 root disk and detailed monitoring. */
export function hostLaunchTemplate(name: string, parent: pulumi.Resource, args: HostLaunchTemplateArgs): aws.ec2.LaunchTemplate {
  if (!Number.isInteger(args.rootVolumeGiB) || args.rootVolumeGiB < 8 || args.rootVolumeGiB > 16384)
    throw new Error(`${name}: rootVolumeGiB must be an integer from 8 to 16384 (got ${args.rootVolumeGiB})`);
  return new aws.ec2.LaunchTemplate(
    `${name}-lt`,
    {
      imageId: args.imageId,
      instanceType: args.instanceType,
      iamInstanceProfile: { arn: args.instanceProfileArn },
      userData: args.userData,
      updateDefaultVersion: true,
      metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1, instanceMetadataTags: "disabled" },
      monitoring: { enabled: true },
      networkInterfaces: [
        {
          deviceIndex: 0,
          associatePublicIpAddress: args.associatePublicIp ? "true" : "false",
          securityGroups: args.securityGroupIds,
          deleteOnTermination: "true",
        },
      ],
      blockDeviceMappings: [
        {
          // Debian's AMIs boot from /dev/xvda.
          deviceName: "/dev/xvda",
          ebs: { volumeSize: args.rootVolumeGiB, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" },
        },
      ],
      tagSpecifications: [
        { resourceType: "instance", tags: args.tags },
        { resourceType: "volume", tags: args.tags },
      ],
      tags: args.tags,
    },
    { parent },
  );
}

/**
 * A group's warm pool of `size` stopped, prepared instances: an absolute size (minSize = maxGroupPreparedCapacity,
 * AWS PutWarmPool), not AWS's default of group max − desired, which would keep a stopped volume for every instance the
 * group could ever run. No reuse on scale-in: an instance leaving service keeps its state (drain tag, recorder state);
 * a fresh instance refills the pool instead.
 */
export function absoluteWarmPool(size: number): aws.types.input.autoscaling.GroupWarmPool {
  return { poolState: "Stopped", minSize: size, maxGroupPreparedCapacity: size, instanceReusePolicy: { reuseOnScaleIn: false } };
}
