/**
 * The load-test teardown Lambda as Pulumi resources: an aws.lambda.CallbackFunction around handler.ts, run every
 * 5 minutes by EventBridge, with its own least-privilege role:
 * - autoscaling:UpdateAutoScalingGroup, SetDesiredCapacity: on the node group's ARN only.
 * - ec2:StopInstances: on the hub instance's ARN only.
 * - autoscaling:DescribeAutoScalingGroups, ec2:DescribeInstances: "*" (AWS defines no resource type for them).
 * - logs:CreateLogStream, PutLogEvents: on its own log group.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { makeTeardownHandler, TEARDOWN_ENV } from "./handler";

export interface TeardownFunctionArgs {
  /** Function (and log group) name, ≤ 64 characters. */
  readonly functionName: string;
  readonly nodeGroupName: pulumi.Input<string>;
  readonly nodeGroupArn: pulumi.Input<string>;
  readonly hubInstanceId: pulumi.Input<string>;
  readonly hubInstanceArn: pulumi.Input<string>;
  readonly maxDurationMinutes: number;
  readonly logRetentionDays: number;
  readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** Checked every 5 minutes: the grid runs at most 5 minutes past maxDurationMinutes. */
export const TEARDOWN_SCHEDULE = "rate(5 minutes)";
export const TEARDOWN_TIMEOUT_SECONDS = 30;

/** Every production dependency except @pulumi/* (left out by Pulumi itself): the handler uses only the runtime's AWS SDK v3. */
export function teardownExcludedPackages(): string[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pkg = require("../../package.json") as { dependencies?: Record<string, string> };
  return Object.keys(pkg.dependencies ?? {}).filter((d) => !d.startsWith("@pulumi/"));
}

/** The role's policy document (exported for the IAM test). */
export function teardownPolicy(a: { nodeGroupArn: string; hubInstanceArn: string; logGroupArn: string }): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Sid: "ScaleNodesToZero", Effect: "Allow", Action: ["autoscaling:UpdateAutoScalingGroup", "autoscaling:SetDesiredCapacity"], Resource: a.nodeGroupArn },
      { Sid: "StopHub", Effect: "Allow", Action: ["ec2:StopInstances"], Resource: a.hubInstanceArn },
      // Describe actions have no resource types: AWS requires "*".
      { Sid: "ReadGrid", Effect: "Allow", Action: ["autoscaling:DescribeAutoScalingGroups", "ec2:DescribeInstances"], Resource: "*" },
      { Sid: "OwnLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `${a.logGroupArn}:*` },
    ],
  });
}

export function loadtestTeardownFunction(name: string, parent: pulumi.Resource, args: TeardownFunctionArgs) {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(args.functionName)) throw new Error(`${name}: functionName must be 1-64 letters, digits, '-' or '_' (got ${args.functionName})`);
  const opts = { parent };
  const logGroup = new aws.cloudwatch.LogGroup(`${name}-logs`, { name: `/aws/lambda/${args.functionName}`, retentionInDays: args.logRetentionDays, tags: args.tags }, opts);
  const role = new aws.iam.Role(
    `${name}-role`,
    {
      assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }] }),
      description: `Load-test teardown ${args.functionName}`,
      tags: args.tags,
    },
    opts,
  );
  const policy = new aws.iam.RolePolicy(
    `${name}-policy`,
    {
      role: role.id,
      policy: pulumi
        .all([args.nodeGroupArn, args.hubInstanceArn, logGroup.arn])
        .apply(([nodeGroupArn, hubInstanceArn, logGroupArn]) => teardownPolicy({ nodeGroupArn, hubInstanceArn, logGroupArn })),
    },
    opts,
  );
  const fn = new aws.lambda.CallbackFunction(
    `${name}-fn`,
    {
      name: args.functionName,
      description: "Scales the load-test grid to zero after maxDurationMinutes (functions/loadtest-teardown)",
      runtime: "nodejs22.x",
      timeout: TEARDOWN_TIMEOUT_SECONDS,
      memorySize: 128,
      reservedConcurrentExecutions: 1,
      role,
      callbackFactory: makeTeardownHandler,
      environment: {
        variables: {
          [TEARDOWN_ENV.nodeGroup]: args.nodeGroupName,
          [TEARDOWN_ENV.hubInstanceId]: args.hubInstanceId,
          [TEARDOWN_ENV.maxDurationMinutes]: String(args.maxDurationMinutes),
        },
      },
      loggingConfig: { logFormat: "Text", logGroup: logGroup.name },
      codePathOptions: { extraExcludePackages: teardownExcludedPackages() },
      tags: args.tags,
    },
    { parent, dependsOn: [policy, logGroup] },
  );
  const schedule = new aws.cloudwatch.EventRule(`${name}-schedule`, { scheduleExpression: TEARDOWN_SCHEDULE, description: `Teardown check of ${args.functionName}`, tags: args.tags }, opts);
  const permission = new aws.lambda.Permission(`${name}-invoke`, { action: "lambda:InvokeFunction", function: fn.name, principal: "events.amazonaws.com", sourceArn: schedule.arn }, opts);
  const target = new aws.cloudwatch.EventTarget(`${name}-target`, { rule: schedule.name, arn: fn.arn }, { parent, dependsOn: [permission] });
  return { fn, role, policy, logGroup, schedule, permission, target };
}
