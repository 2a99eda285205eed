import { strict as assert } from "assert";
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeScalingActivitiesCommand,
  DescribeWarmPoolCommand,
  SetDesiredCapacityCommand,
  SetInstanceProtectionCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from "@aws-sdk/client-auto-scaling";
import { CloudWatchClient, GetMetricDataCommand, GetMetricDataCommandInput } from "@aws-sdk/client-cloudwatch";
import { CreateTagsCommand, DeleteTagsCommand, DescribeInstancesCommand, DescribeTagsCommand, EC2Client } from "@aws-sdk/client-ec2";
import * as http from "http";
import { AddressInfo } from "net";
import { mockClient } from "aws-sdk-client-mock";
import { BRIDGE_METRICS, NAMESPACE, SHARD_METRICS } from "../../metrics/catalog";
import { applyDecision, gatherState, HttpGet, LIVE_TIMEOUT_MS, minuteSeries, previousDaysProfile, readLiveParticipants, readScalerConfig, runScaler, ScalerConfig, SCALER_ENV } from "../../functions/bridge-scaler/handler";
import { startBridgeLive } from "../../agents/bridge-live";
import { BridgeDecision, BridgePolicy, fleetHistoryMinutes, resolveBridgePolicy } from "../../functions/bridge-scaler/decide";
import { DRAIN_TAG, LIVE_PATH, liveReplyBody } from "../../functions/bridge-scaler/protocol";

const NOW = 1_790_000_000; // a fixed Unix second; nothing reads the wall clock
const MIN = Math.floor(NOW / 60) * 60;
const clients = { asg: new AutoScalingClient({ region: "eu-central-1" }), cw: new CloudWatchClient({ region: "eu-central-1" }), ec2: new EC2Client({ region: "eu-central-1" }) };
// Instance mocks: they cannot collide with other test files that mock the client classes.
const asg = mockClient(clients.asg);
const cw = mockClient(clients.cw);
const ec2 = mockClient(clients.ec2);

const CFG: ScalerConfig = {
  groupName: "jitsi-prod-eu-central-1-bridges",
  fleetName: "bridges",
  fleetRegion: "eu-central-1",
  // The adapter is tested against decide.ts's own defaults; scenario tests check consistency with its decision.
  policy: resolveBridgePolicy({ minBridges: 1, maxBridges: 50 }),
  historyDays: 0,
};

interface Bridge {
  id: string;
  state: string;
  protected?: boolean;
  /** Newest per-minute participants; undefined = no datapoint. */
  participants?: number;
  /** Drain tag value (Unix seconds) when the bridge is draining. */
  drainedAt?: number;
}

/** Wires the mocks: the group, its activities, and CloudWatch answering per query id / dimensions. */
function world(opts: { desired: number; bridges: Bridge[]; fleet: (minuteStartS: number) => number | undefined; activities?: { d: string; t: number }[]; warm?: string[]; shards?: number }) {
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
        if (q.MetricStat!.Metric!.MetricName === SHARD_METRICS.participants.name) {
          // Jicofo's participants over the region's shards: only the newest minute.
          if (opts.shards !== undefined) (ts.push(new Date((MIN - 120) * 1000)), vs.push(opts.shards));
        } else if (dims.InstanceId) {
          const b = opts.bridges.find((x) => x.id === dims.InstanceId);
          // Conferences per bridge: one per 4 participants, rounded up (a stand-in the tests can predict).
          const value = q.MetricStat!.Metric!.MetricName === BRIDGE_METRICS.conferences.name ? (b?.participants === undefined ? undefined : Math.ceil(b.participants / 4)) : b?.participants;
          if (value !== undefined) (ts.push(new Date((MIN - 120) * 1000)), vs.push(value));
        } else
          for (let t = MIN - 120; t >= start && t < end; t -= 60) {
            const v = opts.fleet(t);
            if (v !== undefined) (ts.push(new Date(t * 1000)), vs.push(v));
          }
        return { Id: q.Id, Label: q.Id, Timestamps: ts, Values: vs, StatusCode: "Complete" };
      }),
    };
  });
  ec2.on(DescribeTagsCommand).resolves({
    Tags: [
      ...opts.bridges.filter((b) => b.drainedAt !== undefined).map((b) => ({ ResourceId: b.id, ResourceType: "instance" as const, Key: DRAIN_TAG, Value: String(b.drainedAt) })),
      // Another group's bridge with the same tag: not ours, ignored.
      { ResourceId: "i-0ffffffffffffffff", ResourceType: "instance" as const, Key: DRAIN_TAG, Value: String(NOW - 60) },
    ],
  });
  ec2.on(CreateTagsCommand).resolves({});
  ec2.on(DeleteTagsCommand).resolves({});
  for (const cmd of [SetDesiredCapacityCommand, SetInstanceProtectionCommand, TerminateInstanceInAutoScalingGroupCommand] as const) asg.on(cmd as never).resolves({});
}

const quiet = () => undefined;
const LONG_AGO = NOW - 7200;

describe("functions/bridge-scaler handler (mocked AWS SDK)", () => {
  beforeEach(() => {
    asg.reset();
    cw.reset();
    ec2.reset();
  });

  it("gathers the state decide() reads: instances, launch times, fresh samples, drain tags, warm pool, fleet series, memories", async () => {
    world({
      desired: 4,
      bridges: [
        { id: "i-0000000000000000a", state: "InService", participants: 12 },
        { id: "i-0000000000000000b", state: "InService", protected: false, participants: 2 },
        { id: "i-0000000000000000d", state: "InService", participants: 0, drainedAt: NOW - 900 },
        { id: "i-0000000000000000t", state: "Terminating:Wait", participants: 3 },
        { id: "i-0000000000000000p", state: "Pending" },
      ],
      warm: ["i-0000000000000000w"],
      fleet: (t) => (t === MIN - 180 ? undefined : 17),
      activities: [
        { d: "Launching a new EC2 instance: i-0000000000000000a", t: LONG_AGO },
        { d: "Launching a new EC2 instance: i-0000000000000000b", t: NOW - 300 },
        { d: "Launching a new EC2 instance into warm pool: i-0000000000000000w", t: NOW - 100 },
        { d: "Terminating EC2 instance: i-0000000000000000x", t: NOW - 200 },
      ],
    });
    const state = await gatherState(clients, { ...CFG, historyDays: 1 }, NOW);
    assert.equal(state.desiredCapacity, 4);
    const byId = Object.fromEntries(state.instances.map((i) => [i.instanceId.slice(-1), i]));
    assert.deepEqual(Object.keys(byId).sort(), ["a", "b", "d", "p", "t", "w"]);
    assert.deepEqual(byId.a, { instanceId: "i-0000000000000000a", lifecycleState: "InService", protectedFromScaleIn: true, launchTimeS: LONG_AGO, sample: { timestampS: MIN - 60, participants: 12, conferences: 3 }, drainStartedS: undefined });
    assert.equal(byId.b.protectedFromScaleIn, false);
    assert.equal(byId.d.drainStartedS, NOW - 900, "drain tag read back");
    assert.equal(byId.t.sample?.participants, 3, "terminating bridges keep their samples");
    assert.equal(byId.p.sample, undefined, "no metric query for a booting instance");
    assert.equal(byId.w.lifecycleState, "Warmed:Stopped");
    const p = CFG.policy;
    assert.equal(state.fleetParticipantsPerMinute.length, fleetHistoryMinutes(p), "as far back as decide() looks (both half-hour cycles)");
    assert.ok(fleetHistoryMinutes(p) >= 61);
    assert.equal(state.fleetParticipantsPerMinute.at(-1), 17);
    assert.equal(state.fleetParticipantsPerMinute.at(-2), null, "a missing minute stays null");
    assert.deepEqual(state.previousDaysUpcomingPeak, [17]);
    assert.deepEqual(state.previousDaysLevel, [17], "yesterday's level at this minute, aligned with its peak");
    assert.equal(state.lastScaleOutS, NOW - 300, "launches into the warm pool are not scale-outs");
    assert.equal(state.lastScaleInS, NOW - 200, "newest of drain tags and terminations");
  });

  it("reads only catalogue metrics: fleet participants Sum, per bridge participants and conferences Maximum, the region's shard participants Sum", async () => {
    world({ desired: 1, bridges: [{ id: "i-0000000000000000a", state: "InService", participants: 3 }], fleet: () => 3, shards: 5 });
    await runScaler(clients, CFG, NOW, quiet);
    const queries = cw.commandCalls(GetMetricDataCommand).flatMap((c) => c.args[0].input.MetricDataQueries!);
    assert.ok(queries.length === 4, `${queries.length} queries`);
    assert.deepEqual(queries.map((q) => q.MetricStat!.Metric!.MetricName).sort(), [BRIDGE_METRICS.conferences.name, BRIDGE_METRICS.participants.name, BRIDGE_METRICS.participants.name, SHARD_METRICS.participants.name]);
    for (const q of queries) {
      assert.equal(q.MetricStat!.Metric!.Namespace, NAMESPACE);
      assert.equal(q.MetricStat!.Period, 60);
      const dims = Object.fromEntries(q.MetricStat!.Metric!.Dimensions!.map((d) => [d.Name, d.Value]));
      assert.equal(dims.Region, "eu-central-1");
      // The shard metric is summed over the region's shards (its [Region] dimension set); the rest is the fleet's.
      if (q.MetricStat!.Metric!.MetricName === SHARD_METRICS.participants.name) assert.deepEqual(Object.keys(dims), ["Region"]);
      else assert.equal(dims.Fleet, "bridges");
    }
    assert.deepEqual(queries.map((q) => q.MetricStat!.Stat).sort(), ["Maximum", "Maximum", "Sum", "Sum"]);
  });

  it("min 0: a fleet at zero bridges wakes up when Jicofo reports participants waiting, and stays at zero when it does not", async () => {
    const cfg = { ...CFG, policy: resolveBridgePolicy({ ...CFG.policy, minBridges: 0 }) };
    world({ desired: 0, bridges: [], fleet: quiet, shards: 12 });
    const { decision } = await runScaler(clients, cfg, NOW, quiet);
    assert.equal(decision.change, "out", decision.reason);
    assert.deepEqual(asg.commandCalls(SetDesiredCapacityCommand).map((c) => c.args[0].input.DesiredCapacity), [1]);
    asg.reset();
    cw.reset();
    world({ desired: 0, bridges: [], fleet: quiet, shards: 0 });
    const idle = await runScaler(clients, cfg, NOW, quiet);
    assert.equal(idle.decision.change, "hold", idle.decision.reason);
    assert.equal(asg.commandCalls(SetDesiredCapacityCommand).length, 0);
  });

  it("applies a decision in decide.ts's order: protect (≤ 50 per call), undrain, drain, unprotect, terminate, set desired", async () => {
    world({ desired: 0, bridges: [], fleet: () => undefined });
    const many = Array.from({ length: 51 }, (_, i) => `i-${String(i).padStart(17, "0")}`);
    const decision: BridgeDecision = {
      change: "out", desiredCapacity: 7, reason: "test",
      protect: many, undrain: ["i-0000000000000000u"], drain: ["i-0000000000000000v"], reserve: ["i-0000000000000000r"], unprotect: ["i-0000000000000000z"],
      terminate: [{ instanceId: "i-0000000000000000z", reason: "empty" }],
      estimate: {} as BridgeDecision["estimate"],
    };
    // One log across both clients, in call order.
    const calls: { name: string; input: unknown }[] = [];
    const record = (name: string) => (input: unknown) => (calls.push({ name, input }), {});
    asg.on(SetInstanceProtectionCommand).callsFake(record("SetInstanceProtection"));
    asg.on(TerminateInstanceInAutoScalingGroupCommand).callsFake(record("TerminateInstanceInAutoScalingGroup"));
    asg.on(SetDesiredCapacityCommand).callsFake(record("SetDesiredCapacity"));
    ec2.on(CreateTagsCommand).callsFake(record("CreateTags"));
    ec2.on(DeleteTagsCommand).callsFake(record("DeleteTags"));
    const report = await applyDecision(clients, CFG, decision, NOW);
    assert.deepEqual(report.errors, []);
    assert.deepEqual(calls.map((c) => c.name), [
      "SetInstanceProtection", "SetInstanceProtection", "DeleteTags", "CreateTags",
      "SetInstanceProtection", "TerminateInstanceInAutoScalingGroup", "SetDesiredCapacity",
    ]);
    assert.deepEqual(calls.map((c) => c.input).slice(2), [
      { Resources: ["i-0000000000000000u"], Tags: [{ Key: DRAIN_TAG }] },
      // A booting reserve gets the drain tag in the same call as the drained bridges.
      { Resources: ["i-0000000000000000v", "i-0000000000000000r"], Tags: [{ Key: DRAIN_TAG, Value: String(NOW) }] },
      { AutoScalingGroupName: CFG.groupName, InstanceIds: ["i-0000000000000000z"], ProtectedFromScaleIn: false },
      { InstanceId: "i-0000000000000000z", ShouldDecrementDesiredCapacity: true },
      { AutoScalingGroupName: CFG.groupName, DesiredCapacity: 7, HonorCooldown: false },
    ]);
    assert.deepEqual((calls[0].input as { InstanceIds: string[] }).InstanceIds.length, 50);
    // "hold" and "in" never set the desired capacity (terminations decrement it themselves).
    asg.reset();
    ec2.reset();
    world({ desired: 0, bridges: [], fleet: () => undefined });
    await applyDecision(clients, CFG, { ...decision, change: "in", protect: [] }, NOW);
    assert.equal(asg.commandCalls(SetDesiredCapacityCommand).length, 0);
  });

  it("scale-out round: SetDesiredCapacity to what decide() asked, above the current size", async () => {
    world({
      desired: 2,
      bridges: [{ id: "i-0000000000000000a", state: "InService", participants: 100 }, { id: "i-0000000000000000b", state: "InService", participants: 100 }],
      fleet: () => 200,
      activities: [{ d: "Launching a new EC2 instance: i-0000000000000000b", t: LONG_AGO }],
    });
    const { decision } = await runScaler(clients, CFG, NOW, quiet);
    assert.equal(decision.change, "out", decision.reason);
    assert.ok(decision.desiredCapacity > 2);
    assert.deepEqual(asg.commandCalls(SetDesiredCapacityCommand).map((c) => c.args[0].input.DesiredCapacity), [decision.desiredCapacity]);
  });

  it("scale-in round: the drained bridges are exactly the tagged ones; nothing terminated in the same breath", async () => {
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
    // 30 participants on 3 bridges: over-provisioned under any headroom decide.ts's defaults may keep.
    const policy = resolveBridgePolicy({ ...CFG.policy, headroomParticipants: 0 } as Partial<BridgePolicy>);
    const { decision } = await runScaler(clients, { ...CFG, policy }, NOW, quiet);
    assert.equal(decision.change, "in", decision.reason);
    assert.ok(decision.drain.includes("i-0000000000000000b"), "the emptiest bridge drains first");
    assert.deepEqual(ec2.commandCalls(CreateTagsCommand).map((c) => c.args[0].input.Resources), [decision.drain]);
    assert.equal(asg.commandCalls(TerminateInstanceInAutoScalingGroupCommand).length, 0);
  });

  it("a drained bridge seen empty after its drain began is unprotected, then terminated decrementing desired", async () => {
    world({
      desired: 2,
      bridges: [
        // Nobody anywhere: whatever headroom decide.ts keeps, the min of 1 is served by a.
        { id: "i-0000000000000000a", state: "InService", participants: 0 },
        { id: "i-0000000000000000d", state: "InService", participants: 0, drainedAt: NOW - 900 },
      ],
      fleet: () => 0,
      activities: [{ d: "Launching a new EC2 instance: i-0000000000000000a", t: LONG_AGO }],
    });
    const { decision } = await runScaler(clients, CFG, NOW, quiet);
    assert.deepEqual(decision.terminate.map((t) => t.instanceId), ["i-0000000000000000d"], decision.reason);
    const order = asg.calls().map((c) => c.args[0].constructor.name).filter((n) => /SetInstanceProtection|TerminateInstance/.test(n));
    assert.deepEqual(order, ["SetInstanceProtectionCommand", "TerminateInstanceInAutoScalingGroupCommand"]);
    assert.deepEqual(asg.commandCalls(TerminateInstanceInAutoScalingGroupCommand)[0].args[0].input, { InstanceId: "i-0000000000000000d", ShouldDecrementDesiredCapacity: true });
  });

  it("an unexpected API failure fails the invocation (Lambda Errors metric) after the other calls were made", async () => {
    world({ desired: 0, bridges: [], fleet: () => undefined });
    asg.on(SetInstanceProtectionCommand).rejects(Object.assign(new Error("not authorized"), { name: "AccessDenied" }));
    const decision: BridgeDecision = {
      change: "out", desiredCapacity: 2, reason: "test", protect: ["i-0000000000000000a"], undrain: [], drain: [], reserve: [], unprotect: [], terminate: [],
      estimate: {} as BridgeDecision["estimate"],
    };
    const report = await applyDecision(clients, CFG, decision, NOW);
    assert.deepEqual(report.errors, ["SetInstanceProtection true i-0000000000000000a: AccessDenied: not authorized"]);
    assert.equal(asg.commandCalls(SetDesiredCapacityCommand).length, 1, "the later call was still made");
    // runScaler turns errors into a failed invocation.
    world({ desired: 0, bridges: [], fleet: () => 500 });
    asg.on(SetDesiredCapacityCommand).rejects(Object.assign(new Error("not authorized"), { name: "AccessDenied" }));
    await assert.rejects(runScaler(clients, CFG, NOW, quiet), /call\(s\) failed: SetDesiredCapacity \d+: AccessDenied: not authorized/);
  });

  it("counts warm-pool instances (DescribeWarmPool only when the group has a warm pool)", async () => {
    world({ desired: 1, bridges: [{ id: "i-0000000000000000a", state: "InService", participants: 5 }], fleet: () => 5, warm: ["i-0000000000000000w"] });
    const { decision } = await runScaler(clients, CFG, NOW, quiet);
    assert.equal(decision.estimate.warm, 1);
    asg.reset();
    cw.reset();
    ec2.reset();
    world({ desired: 1, bridges: [{ id: "i-0000000000000000a", state: "InService", participants: 5 }], fleet: () => 5 });
    await runScaler(clients, CFG, NOW, quiet);
    assert.equal(asg.commandCalls(DescribeWarmPoolCommand).length, 0);
  });
});

describe("functions/bridge-scaler handler: the live read", () => {
  beforeEach(() => {
    asg.reset();
    cw.reset();
    ec2.reset();
  });
  const ip = (id: string): string => `10.0.1.${Number(id.replace(/\D/g, "")) || 9}`;
  const addresses = (ids: string[], without: string[] = []) =>
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: ids.filter((id) => !without.includes(id)).map((id) => ({ InstanceId: id, PrivateIpAddress: ip(id) })) }] });
  /** A fake network: each address answers the participants given, an HTTP status, or throws (refused / timeout). */
  const network = (answers: Record<string, number | { status: number } | Error>, seen: string[] = []): HttpGet => async (url, timeoutMs) => {
    seen.push(`${url} ${timeoutMs}`);
    const a = answers[new URL(url).hostname];
    if (a instanceof Error) throw a;
    if (typeof a === "number") return { status: 200, body: liveReplyBody({ participants: a, conferences: 1 }) };
    return { status: a?.status ?? 404, body: "{}" };
  };

  it("sums every bridge's answer, asking each at its private address, port and LIVE_PATH within LIVE_TIMEOUT_MS", async () => {
    addresses(["i-1", "i-2"]);
    const seen: string[] = [];
    const n = await readLiveParticipants({ ...clients, http: network({ "10.0.1.1": 40, "10.0.1.2": 35 }, seen) }, 9091, ["i-1", "i-2"]);
    assert.equal(n, 75);
    assert.deepEqual(seen.sort(), [`http://10.0.1.1:9091${LIVE_PATH} ${LIVE_TIMEOUT_MS}`, `http://10.0.1.2:9091${LIVE_PATH} ${LIVE_TIMEOUT_MS}`]);
    assert.deepEqual(ec2.commandCalls(DescribeInstancesCommand)[0].args[0].input.InstanceIds, ["i-1", "i-2"]);
    // No bridge listed: nobody on one, without asking anyone.
    assert.equal(await readLiveParticipants({ ...clients, http: network({}) }, 9091, []), 0);
  });

  it("gives nothing unless every bridge answered a valid count (a missing one would look like an emptier fleet), naming the silent ones", async () => {
    addresses(["i-1", "i-2", "i-3"], ["i-3"]);
    const cases: [string, Record<string, number | { status: number } | Error>, RegExp][] = [
      ["a 503 (JVB unreadable)", { "10.0.1.1": 40, "10.0.1.2": { status: 503 }, "10.0.1.3": 1 }, /i-2: HTTP 503/],
      ["a timeout", { "10.0.1.1": 40, "10.0.1.2": Object.assign(new Error("t"), { name: "TimeoutError" }), "10.0.1.3": 1 }, /i-2: TimeoutError/],
    ];
    for (const [what, answers, why] of cases) {
      const logs: string[] = [];
      assert.equal(await readLiveParticipants({ ...clients, http: network(answers) }, 9091, ["i-1", "i-2", "i-3"], (l) => logs.push(l)), undefined, what);
      assert.match(logs.join("\n"), why, what);
      // i-3 has no private address (DescribeInstances did not list it): also named.
      assert.match(logs.join("\n"), /i-3: no private address/, what);
    }
  });

  it("a terminating bridge that no longer answers (its JVB shutting down) counts its last CloudWatch sample; an InService one never does", async () => {
    addresses(["i-1", "i-2"]);
    const answers = { "10.0.1.1": 40, "10.0.1.2": { status: 503 } };
    assert.equal(await readLiveParticipants({ ...clients, http: network(answers) }, 9091, ["i-1", "i-2"], () => undefined, new Map([["i-2", 7]])), 47);
    assert.equal(await readLiveParticipants({ ...clients, http: network(answers) }, 9091, ["i-1", "i-2"], () => undefined, new Map([["i-9", 7]])), undefined);
    // Through gatherState: i-2 is in Terminating:Wait with a sample of 12 (the world's CloudWatch stand-in).
    world({ desired: 1, bridges: [{ id: "i-1", state: "InService", participants: 40 }, { id: "i-2", state: "Terminating:Wait", participants: 12 }], fleet: () => 52 });
    const st = await gatherState({ ...clients, http: network(answers) }, { ...CFG, livePort: 9091 }, NOW, () => undefined);
    assert.equal(st.liveParticipants, 40 + 12);
  });

  it("end to end on loopback: the handler's read of the real bridge-live agent, over a fake JVB's colibri stats", async () => {
    let participants = 47;
    const jvb = http.createServer((_req, res) => {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ participants, endpoints: participants, conferences: 3 }));
    });
    await new Promise<void>((r) => jvb.listen(0, "127.0.0.1", r));
    const agent = await startBridgeLive({ host: "127.0.0.1", port: 0, jvbUrl: `http://127.0.0.1:${(jvb.address() as AddressInfo).port}/colibri/stats`, timeoutMs: 1000 });
    try {
      ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [{ InstanceId: "i-1", PrivateIpAddress: "127.0.0.1" }] }] });
      assert.equal(await readLiveParticipants(clients, agent.address.port, ["i-1"]), 47);
      participants = 52;
      assert.equal(await readLiveParticipants(clients, agent.address.port, ["i-1"]), 52, "read fresh at every run");
      jvb.close();
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(await readLiveParticipants(clients, agent.address.port, ["i-1"], () => undefined), undefined, "JVB down: no count, not 0");
    } finally {
      await agent.close();
      jvb.close();
    }
  });

  it("gatherState reads the bridges live only when the function runs with BRIDGE_LIVE_PORT, and passes the sum to decide()", async () => {
    world({ desired: 2, bridges: [{ id: "i-1", state: "InService", participants: 40 }, { id: "i-2", state: "InService", participants: 35 }], fleet: () => 75 });
    addresses(["i-1", "i-2"]);
    const off = await gatherState({ ...clients, http: network({ "10.0.1.1": 60, "10.0.1.2": 50 }) }, CFG, NOW);
    assert.equal(off.liveParticipants, undefined);
    assert.equal(ec2.commandCalls(DescribeInstancesCommand).length, 0);
    const on = await gatherState({ ...clients, http: network({ "10.0.1.1": 60, "10.0.1.2": 50 }) }, { ...CFG, livePort: 9091 }, NOW);
    assert.equal(on.liveParticipants, 110);
    // One silent bridge: CloudWatch alone, as without the VPC.
    const partial = await gatherState({ ...clients, http: network({ "10.0.1.1": 60 }) }, { ...CFG, livePort: 9091 }, NOW, () => undefined);
    assert.equal(partial.liveParticipants, undefined);
  });
});

describe("functions/bridge-scaler handler helpers", () => {
  it("minuteSeries ends at the newest published minute and marks gaps null", () => {
    const pts = [{ t: MIN - 120, v: 5 }, { t: MIN - 240, v: 3 }];
    assert.deepEqual(minuteSeries(pts, NOW, 3, 180), [3, null, 5]);
    // Nothing fresh: ends at the last whole minute, which is missing → null (decide holds).
    assert.deepEqual(minuteSeries([{ t: MIN - 3600, v: 1 }], NOW, 2, 180), [null, null]);
  });

  it("previousDaysProfile takes the highest total in the upcoming window of each earlier day and its starting level, newest first", () => {
    const pts = [
      { t: NOW - 86400 + 240, v: 90 }, { t: NOW - 86400 + 60, v: 40 }, { t: NOW - 86400 + 900, v: 500 },
      { t: NOW - 2 * 86400 + 120, v: 70 },
    ];
    assert.deepEqual(previousDaysProfile(pts, NOW, 3, 300), { upcomingPeak: [90, 70], level: [40, 70] });
  });

  it("readScalerConfig names missing variables and bad policy fields", () => {
    assert.throws(() => readScalerConfig({}), /missing environment: BRIDGE_GROUP_NAME, BRIDGE_FLEET_NAME, BRIDGE_FLEET_REGION/);
    const env = { [SCALER_ENV.groupName]: "g", [SCALER_ENV.fleetName]: "f", [SCALER_ENV.fleetRegion]: "eu-central-1" };
    assert.throws(() => readScalerConfig({ ...env, [SCALER_ENV.policy]: "{nope" }), /BRIDGE_POLICY_JSON is not JSON/);
    assert.throws(() => readScalerConfig({ ...env, [SCALER_ENV.policy]: JSON.stringify({ targetStress: 3 }) }), /targetStress must be a number from 0.05 to 1, got 3/);
    assert.throws(() => readScalerConfig({ ...env, [SCALER_ENV.historyDays]: "30" }), /BRIDGE_HISTORY_DAYS must be an integer from 0 to 14/);
    assert.equal(readScalerConfig({ ...env, [SCALER_ENV.policy]: JSON.stringify({ minBridges: 0 }) }).policy.minBridges, 0);
    assert.throws(() => readScalerConfig({ ...env, [SCALER_ENV.livePort]: "70000" }), /BRIDGE_LIVE_PORT must be a port from 1 to 65535, got "70000"/);
    assert.equal(readScalerConfig({ ...env, [SCALER_ENV.livePort]: "9091" }).livePort, 9091);
    assert.equal(readScalerConfig(env).livePort, undefined);
  });
});
