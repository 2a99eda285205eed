/**
 * The replenisher Lambda as Pulumi resources: the function (aws.lambda.CallbackFunction around handler.ts), its own
 * least-privilege role, its log group, a one-minute schedule and the subscription to the pool's status topic, so
 * it runs every minute and within seconds of each busy/idle report.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { NAMESPACE } from "../../metrics/catalog";
import type { ReplenishTarget } from "./decide";
import { makeHandler } from "./handler";

export interface ReplenisherFunctionArgs {
  /** The pool's Auto Scaling group (explicit name, known before the group exists). */
  readonly groupName: string;
  readonly pool: string;
  readonly region: string;
  readonly warmPool: boolean;
  readonly target: ReplenishTarget;
  /** The status topic the recorders' agents publish to. */
  readonly topicArn: pulumi.Input<string>;
  /** Log group name, e.g. /jitsi/prod/us-east-1/jibri-replenisher (the hosts' role may write only /jitsi/*). */
  readonly logGroupName: string;
  readonly logRetentionDays: number;
  readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** Every production dependency except @pulumi/* (which Pulumi leaves out itself): the handler needs none of them
 * (the Node.js 22 runtime ships the AWS SDK v3 it uses). */
export function lambdaExcludedPackages(): string[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pkg = require("../../package.json") as { dependencies?: Record<string, string> };
  return Object.keys(pkg.dependencies ?? {}).filter((d) => !d.startsWith("@pulumi/"));
}

export function jibriReplenisherFunction(name: string, parent: pulumi.Resource, args: ReplenisherFunctionArgs) {
  const opts = { parent };
  const account = aws.getCallerIdentityOutput({}, opts).accountId;
  const groupArn = pulumi.interpolate`arn:aws:autoscaling:${args.region}:${account}:autoScalingGroup:*:autoScalingGroupName/${args.groupName}`;

  const logGroup = new aws.cloudwatch.LogGroup(`${name}-logs`, { name: args.logGroupName, retentionInDays: args.logRetentionDays, tags: args.tags }, opts);
  const role = new aws.iam.Role(
    `${name}-role`,
    {
      assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }] }),
      tags: args.tags,
    },
    opts,
  );
  const policy = new aws.iam.RolePolicy(
    `${name}-policy`,
    {
      role: role.id,
      policy: pulumi.all([groupArn, logGroup.arn]).apply(([group, logs]) =>
        JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            // Describe calls have no resource-level permissions: AWS requires "*".
            { Sid: "ReadPool", Effect: "Allow", Action: ["autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeWarmPool", "ec2:DescribeInstances"], Resource: "*" },
            {
              Sid: "ScaleOwnGroup",
              Effect: "Allow",
              Action: ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup", "autoscaling:SetInstanceProtection"],
              Resource: group,
            },
            { Sid: "Metrics", Effect: "Allow", Action: ["cloudwatch:PutMetricData"], Resource: "*", Condition: { StringEquals: { "cloudwatch:namespace": NAMESPACE } } },
            // Start history for the seasonal forecast; GetMetricData has no resource-level permissions.
            { Sid: "StartHistory", Effect: "Allow", Action: ["cloudwatch:GetMetricData"], Resource: "*" },
            { Sid: "Logs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `${logs}:*` },
          ],
        }),
      ),
    },
    opts,
  );

  const fn = new aws.lambda.CallbackFunction(
    `${name}-fn`,
    {
      runtime: "nodejs22.x",
      // A run is a few API calls; 30 s leaves room for throttling retries.
      timeout: 30,
      memorySize: 256,
      // One run at a time: two concurrent runs would see the same shortfall and launch it twice.
      reservedConcurrentExecutions: 1,
      role,
      callbackFactory: makeHandler,
      environment: {
        variables: {
          JIBRI_GROUP: args.groupName,
          JIBRI_POOL: args.pool,
          JIBRI_WARM_POOL: String(args.warmPool),
          JIBRI_TARGET: JSON.stringify(args.target),
        },
      },
      loggingConfig: { logFormat: "Text", logGroup: logGroup.name },
      codePathOptions: { extraExcludePackages: lambdaExcludedPackages() },
      tags: args.tags,
    },
    { parent, dependsOn: [policy] },
  );

  // Every minute: the floor of reaction time when a status message is lost (EventBridge's finest rate).
  const schedule = new aws.cloudwatch.EventRule(`${name}-schedule`, { scheduleExpression: "rate(1 minute)", description: `Replenish Jibri pool ${args.groupName}`, tags: args.tags }, opts);
  new aws.cloudwatch.EventTarget(`${name}-schedule-target`, { rule: schedule.name, arn: fn.arn }, opts);
  new aws.lambda.Permission(`${name}-schedule-invoke`, { action: "lambda:InvokeFunction", function: fn.name, principal: "events.amazonaws.com", sourceArn: schedule.arn }, opts);

  // On every busy/idle report: replacement starts within seconds of an allocation.
  new aws.lambda.Permission(`${name}-status-invoke`, { action: "lambda:InvokeFunction", function: fn.name, principal: "sns.amazonaws.com", sourceArn: args.topicArn }, opts);
  new aws.sns.TopicSubscription(`${name}-status-subscription`, { topic: args.topicArn, protocol: "lambda", endpoint: fn.arn }, opts);

  return { fn, role, logGroup, schedule };
}
