/**
 * functions/jibri-replenisher/handler.ts with the AWS SDK mocked (aws-sdk-client-mock): what the Lambda reads
 * (group, warm pool, the agents' tags and SNS messages) and the calls it makes.
 */
import { strict as assert } from "assert";
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeWarmPoolCommand,
  SetDesiredCapacityCommand,
  SetInstanceProtectionCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from "@aws-sdk/client-auto-scaling";
import { CloudWatchClient, GetMetricDataCommand, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { DescribeInstancesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import { runEffect } from "../../agents/jibri-status";
import { resolveReplenishTarget } from "../../functions/jibri-replenisher/decide";
import { Clients, phaseFromAsg, readEnv, replenish, ReplenisherEnv } from "../../functions/jibri-replenisher/handler";
import { JIBRI_TAGS, STATUS_EVENT_SOURCE } from "../../functions/jibri-replenisher/protocol";

const NOW_S = 1_800_000_000;
const GROUP = "jitsi-us-east-1-rec-asg";
const ENV: ReplenisherEnv = { groupName: GROUP, pool: "rec", region: "us-east-1", warmPool: false, target: resolveReplenishTarget({ idleTarget: 3, burstFactor: 0 }) };

interface Inst {
  id: string;
  state?: string;
  phase?: string;
  since?: number;
  lastBusy?: number;
  prot?: boolean;
  launched?: number;
}

describe("jibri-replenisher handler (mocked AWS SDK)", () => {
  const asg = mockClient(AutoScalingClient);
  const ec2 = mockClient(EC2Client);
  const cw = mockClient(CloudWatchClient);
  const c: Clients = { autoscaling: new AutoScalingClient({ region: "us-east-1" }), ec2: new EC2Client({ region: "us-east-1" }), cloudwatch: new CloudWatchClient({ region: "us-east-1" }) };
  const logs: string[] = [];
  const log = (e: string) => void logs.push(e);

  function pool(insts: Inst[], desired = insts.length, warm: { id: string; state: string }[] = []): void {
    asg.on(DescribeAutoScalingGroupsCommand).resolves({
      AutoScalingGroups: [
        {
          AutoScalingGroupName: GROUP,
          DesiredCapacity: desired,
          MinSize: 0,
          MaxSize: 20,
          DefaultCooldown: 0,
          AvailabilityZones: ["us-east-1a"],
          HealthCheckType: "EC2",
          CreatedTime: new Date(0),
          Instances: insts.map((i) => ({ InstanceId: i.id, LifecycleState: (i.state ?? "InService") as "InService", ProtectedFromScaleIn: i.prot ?? false, HealthStatus: "Healthy", AvailabilityZone: "us-east-1a" })),
        },
      ],
    });
    asg.on(DescribeWarmPoolCommand).resolves({ Instances: warm.map((w) => ({ InstanceId: w.id, LifecycleState: w.state as "Warmed:Stopped", AvailabilityZone: "us-east-1a", HealthStatus: "Healthy", ProtectedFromScaleIn: false })) });
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [...insts, ...warm].map((i) => {
            const x = i as Inst;
            const tags = [];
            if (x.phase) tags.push({ Key: JIBRI_TAGS.phase, Value: x.phase }, { Key: JIBRI_TAGS.phaseSince, Value: String(x.since ?? NOW_S - 3600) });
            if (x.lastBusy) tags.push({ Key: JIBRI_TAGS.lastBusyAt, Value: String(x.lastBusy) });
            return { InstanceId: i.id, LaunchTime: new Date((x.launched ?? NOW_S - 7200) * 1000), Tags: tags };
          }),
        },
      ],
    });
  }

  beforeEach(() => {
    asg.reset();
    ec2.reset();
    cw.reset();
    logs.length = 0;
    asg.on(SetDesiredCapacityCommand).resolves({});
    asg.on(TerminateInstanceInAutoScalingGroupCommand).resolves({});
    asg.on(SetInstanceProtectionCommand).resolves({});
    cw.on(PutMetricDataCommand).resolves({});
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: "starts", Timestamps: [], Values: [] }] });
  });
  after(() => {
    asg.restore();
    ec2.restore();
    cw.restore();
  });

  it("schedule: one recorder taken → SetDesiredCapacity +1 at once (HonorCooldown false), gauges published", async () => {
    pool([{ id: "i-1", phase: "idle" }, { id: "i-2", phase: "idle" }, { id: "i-3", phase: "busy", prot: true, lastBusy: NOW_S - 30 }]);
    const res = await replenish({}, ENV, c, NOW_S * 1000, log);
    assert.equal(res.trigger, "schedule");
    assert.deepStrictEqual(asg.commandCalls(SetDesiredCapacityCommand).map((x) => x.args[0].input), [{ AutoScalingGroupName: GROUP, DesiredCapacity: 4, HonorCooldown: false }]);
    assert.deepStrictEqual(ec2.commandCalls(DescribeInstancesCommand)[0].args[0].input.InstanceIds, ["i-1", "i-2", "i-3"]);
    const md = cw.commandCalls(PutMetricDataCommand)[0].args[0].input;
    assert.equal(md.Namespace, "JitsiAws");
    assert.deepStrictEqual(md.MetricData?.map((d) => [d.MetricName, d.Value]), [["JibriUploading", 0], ["JibriIdleWanted", 3]]);
  });

  it("status message: a busy report newer than the (stale) idle tag counts at once", async () => {
    pool([{ id: "i-1", phase: "idle" }, { id: "i-2", phase: "idle" }, { id: "i-3", phase: "idle", since: NOW_S - 600 }]);
    const msg = { source: STATUS_EVENT_SOURCE, instanceId: "i-3", group: GROUP, pool: "rec", region: "us-east-1", phase: "busy", since: NOW_S - 2 };
    const res = await replenish({ Records: [{ Sns: { Message: JSON.stringify(msg) } }] }, ENV, c, NOW_S * 1000, log);
    assert.equal(res.trigger, "status");
    assert.equal(res.decision.summary.busy, 1);
    assert.equal(asg.commandCalls(SetDesiredCapacityCommand)[0].args[0].input.DesiredCapacity, 4);
  });

  it("a busy message is counted into JibriRecordingStarts (the start history later runs read back)", async () => {
    pool([{ id: "i-1", phase: "idle" }, { id: "i-2", phase: "idle" }, { id: "i-3", phase: "idle" }]);
    const msg = { source: STATUS_EVENT_SOURCE, instanceId: "i-3", group: GROUP, pool: "rec", region: "us-east-1", phase: "busy", since: NOW_S - 1 };
    await replenish({ Records: [{ Sns: { Message: JSON.stringify(msg) } }] }, ENV, c, NOW_S * 1000, log);
    const data = cw.commandCalls(PutMetricDataCommand)[0].args[0].input.MetricData ?? [];
    assert.deepStrictEqual(data.find((d) => d.MetricName === "JibriRecordingStarts")?.Value, 1);
  });

  it("start history from the metric: last half hour's burst raises the buffer before the next one", async () => {
    pool([{ id: "i-1", phase: "idle" }, { id: "i-2", phase: "idle" }, { id: "i-3", phase: "idle" }]);
    const minute = (NOW_S - 1800 + 60) * 1000; // 8 starts in the minute after the last :00, 29 minutes ago
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: "starts", Timestamps: [new Date(minute)], Values: [8] }] });
    const seasonal = { ...ENV, target: resolveReplenishTarget({ idleTarget: 3, burstFactor: 2, leadTimeSeconds: 300 }) };
    const res = await replenish({}, seasonal, c, NOW_S * 1000, log);
    const q = cw.commandCalls(GetMetricDataCommand)[0].args[0].input;
    assert.equal(q.MetricDataQueries?.[0].MetricStat?.Metric?.MetricName, "JibriRecordingStarts");
    assert.equal(q.EndTime?.getTime(), (NOW_S - 600) * 1000, "recent minutes come from the tags, not the metric");
    assert.ok(res.decision.summary.wantIdle > 3, `wantIdle ${res.decision.summary.wantIdle}`);
    assert.equal(asg.commandCalls(SetDesiredCapacityCommand)[0].args[0].input.DesiredCapacity, res.decision.summary.wantIdle);
  });

  it("meetings created (ShardConferencesCreated over the region) raise the buffer before their recordings start", async () => {
    pool([{ id: "i-1", phase: "idle" }, { id: "i-2", phase: "idle" }, { id: "i-3", phase: "idle" }]);
    const minuteStart = (ago: number) => new Date((Math.floor(NOW_S / 60) * 60 - 60 * ago) * 1000);
    // Over the last 2 h: 10 recordings (one every 10 min, older than the tag horizon) and 100 meetings, 30 of them in
    // the 5 newest published minutes (a crowd at the hour).
    const recordings = { Id: "starts", Timestamps: Array.from({ length: 10 }, (_, i) => minuteStart(15 + 10 * i)), Values: new Array(10).fill(1) };
    const crowd = { Id: "meetings", Timestamps: [...Array.from({ length: 5 }, (_, i) => minuteStart(2 + i)), minuteStart(60)], Values: [6, 6, 6, 6, 6, 70] };
    const answer = (meetings: typeof crowd | undefined) =>
      cw.on(GetMetricDataCommand).callsFake((input: { MetricDataQueries?: { Id?: string }[] }) => ({ MetricDataResults: [input.MetricDataQueries?.[0]?.Id === "meetings" ? (meetings ?? { Id: "meetings", Timestamps: [], Values: [] }) : recordings] }));
    const target = { ...ENV, target: resolveReplenishTarget({ idleTarget: 3, burstFactor: 2, leadTimeSeconds: 300 }) };
    answer(crowd);
    const withMeetings = await replenish({}, target, c, NOW_S * 1000, log);
    const q = cw.commandCalls(GetMetricDataCommand).map((x) => x.args[0].input).find((i) => i.MetricDataQueries?.[0].Id === "meetings")!;
    assert.deepStrictEqual(q.MetricDataQueries?.[0].MetricStat?.Metric, { Namespace: "JitsiAws", MetricName: "ShardConferencesCreated", Dimensions: [{ Name: "Region", Value: "us-east-1" }] });
    assert.equal(q.MetricDataQueries?.[0].MetricStat?.Stat, "Sum");
    // Back over the share window (2 h) and the trim hold (5 min), plus a publishing margin: not the day the starts need.
    assert.equal((q.StartTime as Date).getTime() / 1000, NOW_S - 7200 - 300 - 300);
    // 10 % of meetings recorded × 30 new meetings in 5 min × weight 1.5: λ = 4.5 starts per lead time, + 2√λ → 9 idle.
    assert.equal(withMeetings.decision.summary.wantIdle, 9);
    cw.reset();
    cw.on(PutMetricDataCommand).resolves({});
    answer(undefined);
    const without = await replenish({}, target, c, NOW_S * 1000, log);
    assert.ok(without.decision.summary.wantIdle < 9, `without meeting data: ${without.decision.summary.wantIdle}`);
  });

  it("a failed history read is logged and the run still decides on the recent rate", async () => {
    pool([{ id: "i-1", phase: "idle" }, { id: "i-2", phase: "busy", prot: true }]);
    cw.on(GetMetricDataCommand).rejects(new Error("Throttling"));
    await replenish({}, ENV, c, NOW_S * 1000, log);
    assert.ok(logs.includes("jibri-replenisher-history-failed"));
    assert.equal(asg.commandCalls(SetDesiredCapacityCommand)[0].args[0].input.DesiredCapacity, 4);
  });

  it("ignores messages of another group and malformed ones", async () => {
    pool([{ id: "i-1", phase: "idle" }, { id: "i-2", phase: "idle" }, { id: "i-3", phase: "idle" }]);
    const other = { source: STATUS_EVENT_SOURCE, instanceId: "i-3", group: "other", pool: "x", region: "us-east-1", phase: "busy", since: NOW_S };
    await replenish({ Records: [{ Sns: { Message: JSON.stringify(other) } }, { Sns: { Message: "{not json" } }] }, ENV, c, NOW_S * 1000, log);
    assert.equal(asg.commandCalls(SetDesiredCapacityCommand).length, 0);
  });

  it("pending and untagged InService instances are coming capacity (no double launch)", async () => {
    pool([{ id: "i-1", phase: "idle" }, { id: "i-2", state: "Pending", launched: NOW_S - 40 }, { id: "i-3", launched: NOW_S - 90 }, { id: "i-4", phase: "busy", prot: true }]);
    const res = await replenish({}, ENV, c, NOW_S * 1000, log);
    assert.equal(res.decision.summary.coming, 2);
    assert.equal(asg.commandCalls(SetDesiredCapacityCommand).length, 0);
  });

  it("an InService recorder whose agent never reported for the boot timeout is replaced", async () => {
    pool([{ id: "i-1", phase: "idle" }, { id: "i-2", phase: "idle" }, { id: "i-3", phase: "idle" }, { id: "i-9", launched: NOW_S - 7200 }]);
    await replenish({}, ENV, c, NOW_S * 1000, log);
    assert.deepStrictEqual(asg.commandCalls(TerminateInstanceInAutoScalingGroupCommand).map((x) => x.args[0].input), [{ InstanceId: "i-9", ShouldDecrementDesiredCapacity: true }]);
    assert.equal(asg.commandCalls(SetDesiredCapacityCommand).length, 0, "3 idle remain: no relaunch needed");
  });

  it("surplus: terminates the longest-idle recorder with a decrement, never the busy one", async () => {
    pool([
      { id: "i-1", phase: "idle", since: NOW_S - 900 },
      { id: "i-2", phase: "idle", since: NOW_S - 5000 },
      { id: "i-3", phase: "idle", since: NOW_S - 1200 },
      { id: "i-4", phase: "idle", since: NOW_S - 700 },
      { id: "i-5", phase: "busy", prot: true, since: NOW_S - 9000 },
    ]);
    await replenish({}, ENV, c, NOW_S * 1000, log);
    assert.deepStrictEqual(asg.commandCalls(TerminateInstanceInAutoScalingGroupCommand).map((x) => x.args[0].input), [{ InstanceId: "i-2", ShouldDecrementDesiredCapacity: true }]);
  });

  it("warm pool: read only when enabled; stopped recorders are not ready capacity", async () => {
    pool([{ id: "i-1", phase: "idle" }, { id: "i-2", phase: "idle" }, { id: "i-3", phase: "busy", prot: true }], 3, [{ id: "i-w1", state: "Warmed:Stopped" }]);
    const res = await replenish({}, { ...ENV, warmPool: true }, c, NOW_S * 1000, log);
    assert.equal(asg.commandCalls(DescribeWarmPoolCommand).length, 1);
    assert.equal(res.decision.summary.warm, 1);
    assert.equal(asg.commandCalls(SetDesiredCapacityCommand)[0].args[0].input.DesiredCapacity, 4, "the ASG takes it from the warm pool");
    await replenish({}, ENV, c, NOW_S * 1000, log);
    assert.equal(asg.commandCalls(DescribeWarmPoolCommand).length, 1, "not read when the pool has no warm pool");
  });

  it("a failing action is counted and logged; the others still run", async () => {
    pool([{ id: "i-1", phase: "busy", prot: false, since: NOW_S - 600 }, { id: "i-2", phase: "busy", prot: true }]);
    asg.on(SetInstanceProtectionCommand).rejects(new Error("AccessDenied"));
    const res = await replenish({}, ENV, c, NOW_S * 1000, log);
    assert.equal(res.failedActions, 1);
    assert.ok(logs.includes("jibri-replenisher-action-failed"));
    assert.equal(asg.commandCalls(SetDesiredCapacityCommand).length, 1, "scale-out still applied");
  });

  it("end to end: the message the status agent publishes on busy makes the replenisher launch a replacement", async () => {
    const sns = mockClient(SNSClient);
    try {
      let published = "";
      sns.on(PublishCommand).callsFake((input: { Message?: string }) => ((published = input.Message ?? ""), { MessageId: "m" }));
      const io = { autoscaling: c.autoscaling, ec2: c.ec2, sns: new SNSClient({ region: "us-east-1" }), restartJibri: async () => undefined };
      const target = { instanceId: "i-3", group: GROUP, pool: "rec", region: "us-east-1", topicArn: "arn:aws:sns:us-east-1:123456789012:t" };
      await runEffect(io, target, { kind: "notify", phase: "busy", since: (NOW_S - 1) * 1000 });
      // The tags still say idle (not yet visible): the message alone tells the replenisher.
      pool([{ id: "i-1", phase: "idle" }, { id: "i-2", phase: "idle" }, { id: "i-3", phase: "idle", since: NOW_S - 900 }]);
      const res = await replenish({ Records: [{ Sns: { Message: published } }] }, ENV, c, NOW_S * 1000, log);
      assert.equal(res.decision.summary.busy, 1);
      assert.equal(asg.commandCalls(SetDesiredCapacityCommand)[0].args[0].input.DesiredCapacity, 4);
    } finally {
      sns.restore();
    }
  });

  it("lifecycle states map to phases", () => {
    assert.deepStrictEqual(
      [
        phaseFromAsg("Pending:Wait", true, undefined),
        phaseFromAsg("InService", true, "busy"),
        phaseFromAsg("InService", true, "nonsense"),
        phaseFromAsg("InService", false, "idle"),
        phaseFromAsg("Terminating:Wait", true, "idle"),
        phaseFromAsg("Warmed:Stopped", true, undefined),
        phaseFromAsg("Warmed:Pending", true, undefined),
      ],
      ["booting", "busy", "booting", "leaving", "leaving", "warm", "leaving"],
    );
  });

  it("readEnv names the missing or bad variable", () => {
    assert.throws(() => readEnv({ AWS_REGION: "us-east-1", JIBRI_POOL: "rec" }), /JIBRI_GROUP is required/);
    assert.throws(() => readEnv({ AWS_REGION: "us-east-1", JIBRI_POOL: "rec", JIBRI_GROUP: "g", JIBRI_TARGET: "{" }), /JIBRI_TARGET must be a JSON object/);
    assert.throws(() => readEnv({ AWS_REGION: "us-east-1", JIBRI_POOL: "rec", JIBRI_GROUP: "g", JIBRI_TARGET: '{"idleTarget":-2}' }), /idleTarget must be a whole number >= 0/);
    assert.equal(readEnv({ AWS_REGION: "us-east-1", JIBRI_POOL: "rec", JIBRI_GROUP: "g", JIBRI_TARGET: '{"idleTarget":4}', JIBRI_WARM_POOL: "true" }).target.idleTarget, 4);
  });
});
