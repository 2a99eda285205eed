/**
 * Thin AWS adapter of the load-test teardown: reads the node group and the hub, asks decide.ts, applies the
 * actions (UpdateAutoScalingGroup min/desired 0, StopInstances). The Node.js 22 runtime provides the AWS SDK v3.
 */
import { AutoScalingClient, DescribeAutoScalingGroupsCommand, UpdateAutoScalingGroupCommand } from "@aws-sdk/client-auto-scaling";
import { DescribeInstancesCommand, EC2Client, StopInstancesCommand } from "@aws-sdk/client-ec2";
import { decideTeardown, runStartedAt, TeardownDecision } from "./decide";

export const TEARDOWN_ENV = { nodeGroup: "LOADTEST_NODE_GROUP", hubInstanceId: "LOADTEST_HUB_INSTANCE", maxDurationMinutes: "LOADTEST_MAX_MINUTES" } as const;

export interface TeardownClients {
  readonly autoscaling: Pick<AutoScalingClient, "send">;
  readonly ec2: Pick<EC2Client, "send">;
}

export function readTeardownEnv(env: NodeJS.ProcessEnv) {
  const nodeGroup = env[TEARDOWN_ENV.nodeGroup];
  const hubInstanceId = env[TEARDOWN_ENV.hubInstanceId];
  const max = Number(env[TEARDOWN_ENV.maxDurationMinutes]);
  if (!nodeGroup) throw new Error(`${TEARDOWN_ENV.nodeGroup} is not set`);
  if (!hubInstanceId) throw new Error(`${TEARDOWN_ENV.hubInstanceId} is not set`);
  return { nodeGroup, hubInstanceId, maxDurationMinutes: max };
}

export async function teardownOnce(env: ReturnType<typeof readTeardownEnv>, c: TeardownClients, now: Date): Promise<TeardownDecision> {
  const groups = await c.autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [env.nodeGroup] }));
  const g = groups.AutoScalingGroups?.[0];
  if (!g || !g.CreatedTime) throw new Error(`node group ${env.nodeGroup} not found`);
  const tags = Object.fromEntries((g.Tags ?? []).filter((t) => t.Key && t.Value !== undefined).map((t) => [t.Key as string, t.Value as string]));
  const inst = await c.ec2.send(new DescribeInstancesCommand({ InstanceIds: [env.hubInstanceId] }));
  const hubState = inst.Reservations?.[0]?.Instances?.[0]?.State?.Name ?? "missing";
  const d = decideTeardown(now, runStartedAt(g.CreatedTime, tags), env.maxDurationMinutes, { nodeDesired: g.DesiredCapacity ?? 0, nodeMin: g.MinSize ?? 0, hubState });
  for (const a of d.actions) {
    if (a === "scale-nodes-to-zero") await c.autoscaling.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: env.nodeGroup, MinSize: 0, DesiredCapacity: 0 }));
    if (a === "stop-hub") await c.ec2.send(new StopInstancesCommand({ InstanceIds: [env.hubInstanceId] }));
  }
  console.log(JSON.stringify({ event: "loadtest-teardown", status: d.status, actions: d.actions, remainingSeconds: d.remainingSeconds, reason: d.reason }));
  return d;
}

/** The Lambda handler factory (CallbackFunction callbackFactory): clients made once per container. */
export function makeTeardownHandler(): () => Promise<TeardownDecision> {
  let ctx: { env: ReturnType<typeof readTeardownEnv>; c: TeardownClients } | undefined;
  return async () => {
    if (!ctx) ctx = { env: readTeardownEnv(process.env), c: { autoscaling: new AutoScalingClient({}), ec2: new EC2Client({}) } };
    return teardownOnce(ctx.env, ctx.c, new Date());
  };
}
