/**
 * The bridge scaler Lambda: `handler.ts` as an aws.lambda.CallbackFunction run every minute by EventBridge,
 * with its own least-privilege role.
 *
 * What the role may do, and why "*" appears where it does:
 * - autoscaling:SetDesiredCapacity, SetInstanceProtection, TerminateInstanceInAutoScalingGroup: on the fleet's
 *   group ARN only.
 * - ec2:CreateTags, DeleteTags: on instances of the region that carry the group's `aws:autoscaling:groupName`
 *   tag, and only the drain tag key (protocol.ts).
 * - autoscaling:DescribeAutoScalingGroups, DescribeScalingActivities, DescribeWarmPool, ec2:DescribeTags: "*" —
 *   AWS defines no resource type for these Describe actions (Service Authorization Reference).
 * - cloudwatch:GetMetricData: "*" — it has no resource type and no condition key either, so "read only its own
 *   metrics" is enforced by the code (metrics/catalog.ts names, the fleet's Region/Fleet dimensions), not IAM.
 * - logs:CreateLogStream, PutLogEvents: on the function's own log group (created here, with retention).
 * - With the live read (`live`: the function runs in the VPC's private subnets): ec2:DescribeInstances (the bridges'
 *   private addresses) and DescribeNetworkInterfaces on "*" (no resource type); the actions Lambda needs to attach to
 *   the VPC (ec2:CreateNetworkInterface, DeleteNetworkInterface, AssignPrivateIpAddresses, UnassignPrivateIpAddresses,
 *   as AWS's AWSLambdaVPCAccessExecutionRole) on network interfaces, the function's subnets and its security group only.
 *
 * The archive holds a two-line serialized callback plus the esbuild bundle of handler.ts (bundle.ts explains why
 * the handler is not serialized as a closure): the Node.js 22 runtime ships the AWS SDK v3, and every production
 * dependency of this package is excluded (the bundle needs none of them).
 */
import * as aws from "@pulumi/aws";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { bridgeScalerBundleIncludePath } from "./bundle";
import { BridgePolicy } from "./decide";
import { SCALER_ENV } from "./handler";
import { DRAIN_TAG } from "./protocol";

export interface BridgeScalerArgs {
  /** Function name (also its log group's): ≤ 64 characters. */
  readonly functionName: string;
  readonly groupName: pulumi.Input<string>;
  /** ARN of the group: the only resource the scaling actions may touch. */
  readonly groupArn: pulumi.Input<string>;
  /** Fleet and Region dimension values of the bridge metrics. */
  readonly fleetName: string;
  readonly region: string;
  /** Policy overrides (plain numbers; decide.ts resolveBridgePolicy validates them). */
  readonly policy: Partial<BridgePolicy>;
  /** Days of fleet history for the time-of-day profile. @default 7 */
  readonly historyDays?: number;
  /** Retention of the function's log group. @default 30 */
  readonly logRetentionDays?: number;
  /**
   * Run in the VPC and read each bridge's participants at every run (handler.ts readLiveParticipants): private subnets
   * whose route to AWS's APIs goes through a NAT gateway, the function's own security group (it must reach the
   * bridges on `port` and AWS on 443), and the bridges' live-read port. Absent: outside the VPC, CloudWatch only.
   */
  readonly live?: { readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>; readonly securityGroupId: pulumi.Input<string>; readonly port: number };
  readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** EventBridge's finest schedule (jitsi-facts.md). */
export const SCALER_SCHEDULE = "rate(1 minute)";
/** Below the schedule period, so one run ends before the next begins. */
export const SCALER_TIMEOUT_SECONDS = 50;

/**
 * Packages the archive must not carry: every production dependency of this package and of the program that runs
 * `pulumi up` (CallbackFunction archives the dependencies of the working directory's package.json; the bundle
 * needs none of them).
 */
export function scalerExcludedPackages(cwd: string = process.cwd()): string[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const own = require("../../package.json") as { dependencies?: Record<string, string> };
  let program: { dependencies?: Record<string, string> } = {};
  try {
    program = JSON.parse(fs.readFileSync(path.join(cwd, "package.json"), "utf8")) as typeof program;
  } catch {
    /* no package.json in the working directory: nothing more to exclude */
  }
  return [...new Set([...Object.keys(own.dependencies ?? {}), ...Object.keys(program.dependencies ?? {})])].sort();
}

/**
 * The Lambda entry the CallbackFunction serializes: it loads the bundled handler from its path inside the
 * archive (/var/task/<modulePath>) and runs one scaling round. Exported so a test can serialize and run it.
 */
export function scalerCallback(modulePath: string): () => Promise<unknown> {
  return async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const scaler = require(modulePath) as typeof import("./handler");
    return scaler.handler();
  };
}

/** The scaler role's policy (JSON): what the file's doc comment lists, the live read's rights only with `live`. */
export function scalerPolicyDocument(p: { groupArn: string; groupName: string; logArn: string; live?: { subnetIds: readonly string[]; securityGroupId: string } }): string {
  const { groupArn, groupName, logArn } = p;
  const net = p.live ? ([p.live.subnetIds, p.live.securityGroupId] as const) : undefined;
  // arn:aws:autoscaling:<region>:<account>:autoScalingGroup:<uuid>:autoScalingGroupName/<name>
  const [, partition, , region, account] = groupArn.split(":");
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ScaleOwnGroup",
        Effect: "Allow",
        Action: [
          "autoscaling:SetDesiredCapacity",
          "autoscaling:SetInstanceProtection",
          "autoscaling:TerminateInstanceInAutoScalingGroup",
        ],
        Resource: groupArn,
      },
      {
        Sid: "DrainTagOnOwnInstances",
        Effect: "Allow",
        Action: ["ec2:CreateTags", "ec2:DeleteTags"],
        Resource: `arn:${partition}:ec2:${region}:${account}:instance/*`,
        Condition: {
          StringEquals: { "aws:ResourceTag/aws:autoscaling:groupName": groupName },
          "ForAllValues:StringEquals": { "aws:TagKeys": [DRAIN_TAG] },
        },
      },
      {
        Sid: "ReadGroups",
        Effect: "Allow",
        // Describe actions have no resource types: AWS requires "*".
        Action: ["autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeScalingActivities", "autoscaling:DescribeWarmPool", "ec2:DescribeTags"],
        Resource: "*",
      },
      {
        Sid: "ReadMetrics",
        Effect: "Allow",
        // GetMetricData has no resource type or condition key: AWS requires "*".
        Action: ["cloudwatch:GetMetricData"],
        Resource: "*",
      },
      { Sid: "OwnLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `${logArn}:*` },
      ...(net
        ? [
            {
              Sid: "LiveReadDescribe",
              Effect: "Allow",
              // Describe actions have no resource types: AWS requires "*".
              Action: ["ec2:DescribeInstances", "ec2:DescribeNetworkInterfaces"],
              Resource: "*",
            },
            {
              Sid: "LiveReadVpcAttachment",
              Effect: "Allow",
              // Lambda's own attachment to the VPC (as AWSLambdaVPCAccessExecutionRole, which grants it on "*"): its
              // interfaces, only in the function's subnets and with its security group.
              Action: ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"],
              Resource: [
                `arn:${partition}:ec2:${region}:${account}:network-interface/*`,
                ...net[0].map((id) => `arn:${partition}:ec2:${region}:${account}:subnet/${id}`),
                `arn:${partition}:ec2:${region}:${account}:security-group/${net[1]}`,
              ],
            },
          ]
        : []),
    ],
  });
}

export function bridgeScalerFunction(name: string, parent: pulumi.Resource, args: BridgeScalerArgs) {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(args.functionName))
    throw new Error(`${name}: functionName must be 1-64 letters, digits, '-' or '_' (got ${args.functionName})`);
  const role = new aws.iam.Role(
    `${name}-role`,
    {
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
      }),
      description: `Bridge scaler of ${args.fleetName} in ${args.region}`,
      tags: args.tags,
    },
    { parent },
  );
  const logGroup = new aws.cloudwatch.LogGroup(
    `${name}-logs`,
    { name: `/aws/lambda/${args.functionName}`, retentionInDays: args.logRetentionDays ?? 30, tags: args.tags },
    { parent },
  );
  const liveNet = args.live ? pulumi.all([pulumi.output(args.live.subnetIds), args.live.securityGroupId]) : pulumi.output(undefined);
  const policy = pulumi
    .all([args.groupArn, args.groupName, logGroup.arn, liveNet])
    .apply(([groupArn, groupName, logArn, net]) => scalerPolicyDocument({ groupArn, groupName, logArn, live: net ? { subnetIds: net[0], securityGroupId: net[1] } : undefined }));
  const rolePolicy = new aws.iam.RolePolicy(`${name}-policy`, { role: role.id, policy }, { parent });

  const bundlePath = bridgeScalerBundleIncludePath();
  const modulePath = `./${bundlePath}`;

  const fn = new aws.lambda.CallbackFunction(
    `${name}-fn`,
    {
      name: args.functionName,
      description: `Scales the bridge fleet ${args.fleetName} in ${args.region} (functions/bridge-scaler)`,
      role,
      runtime: "nodejs22.x",
      timeout: SCALER_TIMEOUT_SECONDS,
      memorySize: 256,
      // No reserved concurrency: accounts with a low concurrency limit (new accounts: 10) cannot reserve any and the
      // deploy would fail. The 50 s timeout keeps runs apart; a rare overlap repeats idempotent calls at worst.
      environment: {
        variables: {
          [SCALER_ENV.groupName]: args.groupName,
          [SCALER_ENV.fleetName]: args.fleetName,
          [SCALER_ENV.fleetRegion]: args.region,
          [SCALER_ENV.policy]: JSON.stringify(args.policy),
          [SCALER_ENV.historyDays]: String(args.historyDays ?? 7),
          ...(args.live ? { [SCALER_ENV.livePort]: String(args.live.port) } : {}),
        },
      },
      ...(args.live ? { vpcConfig: { subnetIds: args.live.subnetIds, securityGroupIds: [args.live.securityGroupId] } } : {}),
      callback: scalerCallback(modulePath),
      codePathOptions: { extraIncludePaths: [bundlePath], extraExcludePackages: scalerExcludedPackages() },
      tags: args.tags,
    },
    { parent, dependsOn: [rolePolicy, logGroup] },
  );

  const rule = new aws.cloudwatch.EventRule(
    `${name}-schedule`,
    { scheduleExpression: SCALER_SCHEDULE, description: `Runs ${args.functionName} every minute`, tags: args.tags },
    { parent },
  );
  const permission = new aws.lambda.Permission(
    `${name}-invoke`,
    { action: "lambda:InvokeFunction", function: fn.name, principal: "events.amazonaws.com", sourceArn: rule.arn },
    { parent },
  );
  const target = new aws.cloudwatch.EventTarget(`${name}-target`, { rule: rule.name, arn: fn.arn }, { parent, dependsOn: [permission] });
  return { role, rolePolicy, logGroup, fn, rule, permission, target };
}
