import { strict as assert } from "assert";
import {
  AutoScalingClient,
  CompleteLifecycleActionCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeScalingActivitiesCommand,
  DescribeWarmPoolCommand,
  RecordLifecycleActionHeartbeatCommand,
  SetDesiredCapacityCommand,
  SetInstanceProtectionCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from "@aws-sdk/client-auto-scaling";
import { CloudWatchClient, GetMetricDataCommand, GetMetricDataCommandInput } from "@aws-sdk/client-cloudwatch";
import { mockClient } from "aws-sdk-client-mock";
import { BRIDGE_METRICS, NAMESPACE } from "../../metrics/catalog";
import { minuteSeries, previousDaysPeaks, readScalerConfig, runScaler, ScalerConfig, SCALER_ENV } from "../../functions/bridge-scaler/handler";
import { resolveBridgePolicy } from "../../functions/bridge-scaler/decide";

const NOW = 1_790_000_000; // a fixed Unix second; nothing reads the wall clock
const MIN = Math.floor(NOW / 60) * 60;
const asg = mockClient(AutoScalingClient);
const cw = mockClient(CloudWatchClient);
const clients = { asg: new AutoScalingClient({ region: "eu-central-1" }), cw: new CloudWatchClient({ region: "eu-central-1" }) };

const CFG: ScalerConfig = {
  groupName: "jitsi-prod-eu-central-1-bridges",
  hookName: "jitsi-prod-eu-central-1-bridges-drain",
  fleetName: "bridges",
  fleetRegion: "eu-central-1",
  policy: resolveBridgePolicy({ minBridges: 1, maxBridges: 50, participantsPerBridge: 100, targetStress: 0.7, scaleInStress: 0.55 }),
  historyDays: 0,
};

interface Bridge {
  id: string;
  state: string;
  protected?: boolean;
  /** Newest per-minute participants; undefined = no datapoint. */
  participants?: number;
}

/** Wires the mocks: the group, its activities, and CloudWatch answering per query id / dimensions. */
function world(opts: { desired: number; bridges: Bridge[]; fleet: (minuteStartS: number) => number | undefined; activities?: { d: string; t: number }[]; warm?: string[] }) {
  asg.on(DescribeAutoScalingGroupsCommand).resolves({
    AutoScalingGroups: [
      {
        AutoScalingGroupName: CFG.groupName, MinSize: 0, MaxSize: 50, DesiredCapacity: opts.desired, DefaultCooldown: 0, AvailabilityZones: [], HealthCheckType: "EC2", CreatedTime: new Date(0),
        WarmPoolConfiguration: opts.warm ? { PoolState: "Stopped" } : undefined,
        Instances: opts.bridges.map((b) => ({ InstanceId: b.id, LifecycleState: b.state as never, ProtectedFromScaleIn: b.protected ?? true, AvailabilityZone: "eu-central-1a", HealthStatus: "Healthy" })),
      },
    ],
  });
  asg.on(DescribeWarmPoolCommand).resolves({ Instances: (opts.warm ?? []).map((id) => ({ InstanceId: id, LifecycleState: "Warmed:Stopped" as never, AvailabilityZone: "eu-central-1a", HealthStatus: "Healthy", ProtectedFromScaleIn: false })) });
  asg.on(DescribeScalingActivitiesCommand).resolves({
    Activities: (opts.activities ?? []).map((a, i) => ({ ActivityId: `a${i}`, AutoScalingGroupName: CFG.groupName, Cause: "test", StartTime: new Date(a.t * 1000), StatusCode: "Successful", Description: a.d })),
  });
  cw.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => {
    const start = Math.floor(input.StartTime!.getTime() / 1000);
    const end = Math.floor(input.EndTime!.getTime() / 1000);
    return {
      MetricDataResults: input.MetricDataQueries!.map((q) => {
        const dims = Object.fromEntries(q.MetricStat!.Metric!.Dimensions!.map((d) => [d.Name, d.Value]));
        const ts: Date[] = [];
        const vs: number[] = [];
        if (dims.InstanceId) {
          const b = opts.bridges.find((x) => x.id === dims.InstanceId);
          if (b?.participants !== undefined) (ts.push(new Date((MIN - 120) * 1000)), vs.push(b.participants));
        } else
          for (let t = MIN - 120; t >= start && t < end; t -= 60) {
            const v = opts.fleet(t);
            if (v !== undefined) (ts.push(new Date(t * 1000)), vs.push(v));
          }
        return { Id: q.Id, Label: q.Id, Timestamps: ts, Values: vs, StatusCode: "Complete" };
      }),
    };
  });
  for (const cmd of [SetDesiredCapacityCommand, SetInstanceProtectionCommand, TerminateInstanceInAutoScalingGroupCommand, CompleteLifecycleActionCommand, RecordLifecycleActionHeartbeatCommand] as const)
    asg.on(cmd as never).resolves({});
}

const quiet = () => undefined;
const LONG_AGO = NOW - 7200;

describe("functions/bridge-scaler handler (mocked AWS SDK)", () => {
  beforeEach(() => {
    asg.reset();
    cw.reset();
  });

  it("scale-out: 200 participants on 2 bridges at target stress 0.7 → SetDesiredCapacity 3, new bridges protected", async () => {
    world({
      desired: 2,
      bridges: [{ id: "i-0000000000000000a", state: "InService", participants: 100 }, { id: "i-0000000000000000b", state: "InService", protected: false, participants: 100 }],
      fleet: () => 200,
      activities: [{ d: "Launching a new EC2 instance: i-0000000000000000b", t: LONG_AGO }],
    });
    const { decision } = await runScaler(clients, CFG, NOW, quiet);
    assert.equal(decision.change, "out");
    const set = asg.commandCalls(SetDesiredCapacityCommand);
    assert.equal(set.length, 1);
    assert.deepEqual(set[0].args[0].input, { AutoScalingGroupName: CFG.groupName, DesiredCapacity: 3, HonorCooldown: false });
    const prot = asg.commandCalls(SetInstanceProtectionCommand);
    assert.deepEqual(prot.map((c) => c.args[0].input), [{ AutoScalingGroupName: CFG.groupName, InstanceIds: ["i-0000000000000000b"], ProtectedFromScaleIn: true }]);
    assert.equal(asg.commandCalls(TerminateInstanceInAutoScalingGroupCommand).length, 0);
  });

  it("reads only the fleet's participants metric from the catalogue: fleet Sum + one Maximum per bridge", async () => {
    world({ desired: 1, bridges: [{ id: "i-0000000000000000a", state: "InService", participants: 3 }], fleet: () => 3 });
    await runScaler(clients, CFG, NOW, quiet);
    const queries = cw.commandCalls(GetMetricDataCommand).flatMap((c) => c.args[0].input.MetricDataQueries!);
    assert.ok(queries.length === 2, `${queries.length} queries`);
    for (const q of queries) {
      assert.equal(q.MetricStat!.Metric!.Namespace, NAMESPACE);
      assert.equal(q.MetricStat!.Metric!.MetricName, BRIDGE_METRICS.participants.name);
      assert.equal(q.MetricStat!.Period, 60);
      const dims = Object.fromEntries(q.MetricStat!.Metric!.Dimensions!.map((d) => [d.Name, d.Value]));
      assert.equal(dims.Region, "eu-central-1");
      assert.equal(dims.Fleet, "bridges");
    }
    assert.deepEqual(queries.map((q) => q.MetricStat!.Stat).sort(), ["Maximum", "Sum"]);
  });

  it("scale-in: quiet fleet drains the bridge with the fewest participants (unprotect, terminate with decrement)", async () => {
    world({
      desired: 3,
      bridges: [
        { id: "i-0000000000000000a", state: "InService", participants: 12 },
        { id: "i-0000000000000000b", state: "InService", participants: 2 },
        { id: "i-0000000000000000c", state: "InService", participants: 16 },
      ],
      fleet: () => 30,
      activities: [{ d: "Launching a new EC2 instance: i-0000000000000000c", t: LONG_AGO }],
    });
    const { decision } = await runScaler(clients, CFG, NOW, quiet);
    assert.equal(decision.change, "in", decision.reason);
    assert.deepEqual(asg.commandCalls(SetInstanceProtectionCommand).map((c) => c.args[0].input), [
      { AutoScalingGroupName: CFG.groupName, InstanceIds: ["i-0000000000000000b"], ProtectedFromScaleIn: false },
    ]);
    const term = asg.commandCalls(TerminateInstanceInAutoScalingGroupCommand);
    assert.deepEqual(term.map((c) => c.args[0].input), [{ InstanceId: "i-0000000000000000b", ShouldDecrementDesiredCapacity: true }]);
    assert.equal(asg.commandCalls(SetDesiredCapacityCommand).length, 0, "scale-in must not also set desired capacity");
  });

  it("a launch 5 minutes ago (from the activity history) blocks scale-in: the cooldown needs no state store", async () => {
    world({
      desired: 2,
      bridges: [{ id: "i-0000000000000000a", state: "InService", participants: 1 }, { id: "i-0000000000000000b", state: "InService", participants: 0 }],
      fleet: () => 1,
      activities: [{ d: "Launching a new EC2 instance: i-0000000000000000b", t: NOW - 300 }],
    });
    const { decision } = await runScaler(clients, CFG, NOW, quiet);
    assert.equal(decision.change, "hold");
    assert.match(decision.reason, /scaled out recently/);
    assert.equal(asg.commandCalls(TerminateInstanceInAutoScalingGroupCommand).length, 0);
  });

  it("draining bridges: empty one released (agent was first: tolerated), busy one heartbeated", async () => {
    world({
      desired: 1,
      bridges: [
        { id: "i-0000000000000000a", state: "InService", participants: 40 },
        { id: "i-0000000000000000d", state: "Terminating:Wait", participants: 0 },
        { id: "i-0000000000000000e", state: "Terminating:Wait", participants: 7 },
      ],
      fleet: () => 47,
      activities: [
        { d: "Terminating EC2 instance: i-0000000000000000d", t: NOW - 900 },
        { d: "Terminating EC2 instance: i-0000000000000000e", t: NOW - 900 },
        { d: "Launching a new EC2 instance: i-0000000000000000a", t: LONG_AGO },
      ],
    });
    asg.on(CompleteLifecycleActionCommand).rejects(Object.assign(new Error("No active Lifecycle Action found with instance ID i-0000000000000000d"), { name: "ValidationError" }));
    const { decision, report } = await runScaler(clients, CFG, NOW, quiet);
    assert.deepEqual(decision.release, [{ instanceId: "i-0000000000000000d", reason: "empty" }]);
    assert.deepEqual(asg.commandCalls(CompleteLifecycleActionCommand).map((c) => c.args[0].input), [
      { AutoScalingGroupName: CFG.groupName, LifecycleHookName: CFG.hookName, InstanceId: "i-0000000000000000d", LifecycleActionResult: "CONTINUE" },
    ]);
    assert.equal(report.tolerated.length, 1);
    assert.deepEqual(asg.commandCalls(RecordLifecycleActionHeartbeatCommand).map((c) => c.args[0].input.InstanceId), ["i-0000000000000000e"]);
  });

  it("an unexpected API failure fails the invocation (Lambda Errors metric) after the other calls were made", async () => {
    world({
      desired: 0,
      bridges: [{ id: "i-0000000000000000e", state: "Terminating:Wait", participants: 7 }],
      fleet: () => 7,
      activities: [{ d: "Terminating EC2 instance: i-0000000000000000e", t: NOW - 600 }],
    });
    asg.on(SetDesiredCapacityCommand).rejects(Object.assign(new Error("not authorized"), { name: "AccessDenied" }));
    // min 1 with nothing serving → SetDesiredCapacity 1 fails; the heartbeat that follows is still sent.
    await assert.rejects(runScaler(clients, CFG, NOW, quiet), /1 call\(s\) failed: SetDesiredCapacity 1: AccessDenied: not authorized/);
    assert.equal(asg.commandCalls(RecordLifecycleActionHeartbeatCommand).length, 1);
  });

  it("counts warm-pool instances (DescribeWarmPool only when the group has a warm pool)", async () => {
    world({ desired: 1, bridges: [{ id: "i-0000000000000000a", state: "InService", participants: 5 }], fleet: () => 5, warm: ["i-0000000000000000w"] });
    const { decision } = await runScaler(clients, CFG, NOW, quiet);
    assert.equal(decision.estimate.warm, 1);
    assert.equal(decision.estimate.leadTimeS, CFG.policy.warmStartS + CFG.policy.metricDelayS + CFG.policy.scheduleS);
    asg.reset();
    cw.reset();
    world({ desired: 1, bridges: [{ id: "i-0000000000000000a", state: "InService", participants: 5 }], fleet: () => 5 });
    await runScaler(clients, CFG, NOW, quiet);
    assert.equal(asg.commandCalls(DescribeWarmPoolCommand).length, 0);
  });
});

describe("functions/bridge-scaler handler helpers", () => {
  it("minuteSeries ends at the newest published minute and marks gaps null", () => {
    const pts = [{ t: MIN - 120, v: 5 }, { t: MIN - 240, v: 3 }];
    assert.deepEqual(minuteSeries(pts, NOW, 3, 180), [3, null, 5]);
    // Nothing fresh: ends at the last whole minute, which is missing → null (decide holds).
    assert.deepEqual(minuteSeries([{ t: MIN - 3600, v: 1 }], NOW, 2, 180), [null, null]);
  });

  it("previousDaysPeaks takes the highest total in the upcoming window of each earlier day, newest first", () => {
    const pts = [
      { t: NOW - 86400 + 60, v: 40 }, { t: NOW - 86400 + 240, v: 90 }, { t: NOW - 86400 + 900, v: 500 },
      { t: NOW - 2 * 86400 + 120, v: 70 },
    ];
    assert.deepEqual(previousDaysPeaks(pts, NOW, 3, 300), [90, 70]);
  });

  it("readScalerConfig names missing variables and bad policy fields", () => {
    assert.throws(() => readScalerConfig({}), /missing environment: BRIDGE_GROUP_NAME, BRIDGE_HOOK_NAME, BRIDGE_FLEET_NAME, BRIDGE_FLEET_REGION/);
    const env = { [SCALER_ENV.groupName]: "g", [SCALER_ENV.hookName]: "h", [SCALER_ENV.fleetName]: "f", [SCALER_ENV.fleetRegion]: "eu-central-1" };
    assert.throws(() => readScalerConfig({ ...env, [SCALER_ENV.policy]: "{nope" }), /BRIDGE_POLICY_JSON is not JSON/);
    assert.throws(() => readScalerConfig({ ...env, [SCALER_ENV.policy]: JSON.stringify({ targetStress: 3 }) }), /targetStress must be a number from 0.05 to 1, got 3/);
    assert.throws(() => readScalerConfig({ ...env, [SCALER_ENV.historyDays]: "30" }), /BRIDGE_HISTORY_DAYS must be an integer from 0 to 14/);
    assert.equal(readScalerConfig({ ...env, [SCALER_ENV.policy]: JSON.stringify({ minBridges: 0 }) }).policy.minBridges, 0);
  });
});
