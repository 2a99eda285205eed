import { strict as assert } from "assert";
import * as http from "http";
import { AddressInfo } from "net";
import { AutoScalingClient, CompleteLifecycleActionCommand, RecordLifecycleActionHeartbeatCommand } from "@aws-sdk/client-auto-scaling";
import { AwsClientStub, mockClient } from "aws-sdk-client-mock";
import { DescribeTagsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { awaitInService, main } from "../../agents/jvb-drain";
import { capFor, DRAIN_CUT_EVENT, DrainConfig, drainModeChange, HANDOVER_MS, initialDrainState, localParticipants, nextDrainAction, realClock } from "../../agents/jvb-drain-core";
import { DRAIN_TAG } from "../../functions/bridge-scaler/protocol";

// Loopback block of this helper (guide: 127.0.5.0/24), OS-assigned ports.
const HOST = "127.0.5.1";

interface FakeBridge {
  url: string;
  shutdownBodies: unknown[];
  statsCalls: number;
  /** JVB drain mode and the POSTs that changed it. */
  drain: boolean;
  drainPosts: string[];
  close(): Promise<void>;
}

/** A fake JVB private REST API: /colibri/shutdown and /colibri/stats; participants leave one per poll after shutdown. */
async function fakeBridge(opts: { participants: number; leavePerPoll: number; relayEndpoints?: number; drain?: boolean }): Promise<FakeBridge> {
  let participants = opts.participants;
  let shuttingDown = false;
  const state = { shutdownBodies: [] as unknown[], statsCalls: 0, drain: opts.drain ?? false, drainPosts: [] as string[] };
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      if (req.method === "POST" && req.url === "/colibri/shutdown") {
        state.shutdownBodies.push(JSON.parse(body));
        shuttingDown = true;
        res.writeHead(200).end();
      } else if (req.method === "GET" && req.url === "/colibri/stats") {
        state.statsCalls++;
        // Relay endpoints are counted in `participants` but are not local (upstream graceful_shutdown.sh).
        const stats = { participants: participants + (opts.relayEndpoints ?? 0), octo_endpoints: opts.relayEndpoints ?? 0, graceful_shutdown: shuttingDown };
        if (shuttingDown) participants = Math.max(0, participants - opts.leavePerPoll);
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(stats));
      } else if (req.method === "GET" && req.url === "/colibri/drain") {
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ drain: state.drain }));
      } else if (req.method === "POST" && (req.url === "/colibri/drain/enable" || req.url === "/colibri/drain/disable")) {
        state.drain = req.url.endsWith("enable");
        state.drainPosts.push(req.url);
        res.writeHead(200).end();
      } else res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, HOST, r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${HOST}:${port}`,
    get shutdownBodies() { return state.shutdownBodies; },
    get statsCalls() { return state.statsCalls; },
    get drain() { return state.drain; },
    get drainPosts() { return state.drainPosts; },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** A fake IMDSv2: token required; the lifecycle state or a Spot notice appear after `afterGets` metadata reads. */
async function fakeImds(opts: { afterGets: number; lifecycle?: string; spotTime?: string }) {
  let gets = 0;
  const unauthorized: string[] = [];
  const server = http.createServer((req, res) => {
    if (req.method === "PUT" && req.url === "/latest/api/token") return void res.writeHead(200).end("tok-123");
    if (req.headers["x-aws-ec2-metadata-token"] !== "tok-123") {
      unauthorized.push(req.url ?? "");
      return void res.writeHead(401).end();
    }
    gets++;
    const due = gets > opts.afterGets;
    if (req.url === "/latest/meta-data/instance-id") return void res.writeHead(200).end("i-0fake00000000001");
    if (req.url === "/latest/meta-data/autoscaling/target-lifecycle-state")
      return void res.writeHead(200).end(due && opts.lifecycle ? opts.lifecycle : "InService");
    if (req.url === "/latest/meta-data/spot/instance-action" && due && opts.spotTime)
      return void res.writeHead(200).end(JSON.stringify({ action: "terminate", time: opts.spotTime }));
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, HOST, r));
  return {
    url: `http://${HOST}:${(server.address() as AddressInfo).port}`,
    unauthorized,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

// The agent creates its clients itself, so the classes are mocked, only while this suite runs (before/after):
// a module-level class mock would be replaced by any other test file's.
let asg: AwsClientStub<AutoScalingClient>;
let ec2: AwsClientStub<EC2Client>;
const FAST = ["--poll-seconds", "0.05", "--heartbeat-seconds", "0.1", "--watch-seconds", "0.02", "--watch-limit-seconds", "10"];
const IDS = ["--group", "jitsi-prod-eu-bridges", "--hook", "drain", "--region", "eu-central-1"];

function capture() {
  const events: { event: string; [k: string]: unknown }[] = [];
  return { events, log: (event: string, fields: Record<string, unknown> = {}) => void events.push({ event, ...fields }) };
}

describe("agents/jvb-drain", function () {
  this.timeout(20_000);
  const closers: (() => Promise<void>)[] = [];
  before(() => {
    asg = mockClient(AutoScalingClient);
    ec2 = mockClient(EC2Client);
  });
  after(() => {
    asg.restore();
    ec2.restore();
  });
  beforeEach(() => {
    asg.reset();
    ec2.reset();
    // No drain tag unless a test says so (the agent reads it; never the real EC2 API).
    ec2.on(DescribeTagsCommand).resolves({ Tags: [] });
  });
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((c) => c()));
  });

  it("lifecycle: participants 5 → 0 completes the lifecycle action exactly once (CONTINUE), with heartbeats meanwhile", async () => {
    const bridge = await fakeBridge({ participants: 5, leavePerPoll: 1, relayEndpoints: 2 });
    const imds = await fakeImds({ afterGets: 3, lifecycle: "Terminated" });
    closers.push(bridge.close, imds.close);
    asg.on(RecordLifecycleActionHeartbeatCommand).resolves({});
    asg.on(CompleteLifecycleActionCommand).resolves({});
    const { events, log } = capture();
    const code = await main(["watch", ...IDS, ...FAST, "--poll-seconds", "0.06", "--colibri-url", bridge.url, "--imds-url", imds.url], undefined, log);
    assert.equal(code, 0);
    assert.deepEqual(bridge.shutdownBodies, [{ "graceful-shutdown": "true" }]);
    const completes = asg.commandCalls(CompleteLifecycleActionCommand);
    assert.equal(completes.length, 1);
    assert.deepEqual(completes[0].args[0].input, {
      AutoScalingGroupName: "jitsi-prod-eu-bridges", LifecycleHookName: "drain", InstanceId: "i-0fake00000000001", LifecycleActionResult: "CONTINUE",
    });
    // 5,4,3,2,1 local participants then 0: six polls of ~60 ms, heartbeats every 100 ms.
    assert.equal(bridge.statsCalls, 6);
    assert.ok(asg.commandCalls(RecordLifecycleActionHeartbeatCommand).length >= 2, "no heartbeat while participants remained");
    assert.equal(events.find((e) => e.event === "jvb-drain-completed")?.reason, "empty");
    assert.ok(!events.some((e) => e.event === DRAIN_CUT_EVENT));
    assert.deepEqual(imds.unauthorized, [], "a metadata read went without the IMDSv2 token");
  });

  it("still busy at the cap: completes once and reports a cut with the participants left", async () => {
    const bridge = await fakeBridge({ participants: 3, leavePerPoll: 0 });
    const imds = await fakeImds({ afterGets: 0, lifecycle: "Terminated" });
    closers.push(bridge.close, imds.close);
    asg.on(RecordLifecycleActionHeartbeatCommand).resolves({});
    asg.on(CompleteLifecycleActionCommand).resolves({});
    const { events, log } = capture();
    const started = Date.now();
    const code = await main(["watch", ...IDS, ...FAST, "--max-drain-seconds", "0.5", "--colibri-url", bridge.url, "--imds-url", imds.url], undefined, log);
    const took = Date.now() - started;
    assert.equal(code, 0);
    assert.equal(asg.commandCalls(CompleteLifecycleActionCommand).length, 1);
    assert.ok(took >= 500 && took < 3000, `drain took ${took} ms for a 0.5 s cap`);
    const cut = events.find((e) => e.event === DRAIN_CUT_EVENT);
    assert.ok(cut, "no drain cut reported");
    assert.equal(cut.participants, 3);
    assert.equal(events.find((e) => e.event === "jvb-drain-completed")?.reason, "cap");
    assert.ok(asg.commandCalls(RecordLifecycleActionHeartbeatCommand).length >= 1, "no heartbeat during a 0.5 s drain with 0.1 s heartbeats");
  });

  it("spot notice: starts the same drain, capped before the reclaim time; no pending lifecycle action is not an error", async () => {
    const bridge = await fakeBridge({ participants: 2, leavePerPoll: 1 });
    const imds = await fakeImds({ afterGets: 4, spotTime: new Date(Date.now() + 120_000).toISOString() });
    closers.push(bridge.close, imds.close);
    asg.on(CompleteLifecycleActionCommand).rejects(Object.assign(new Error("No active Lifecycle Action found with instance ID i-0fake00000000001"), { name: "ValidationError" }));
    const { events, log } = capture();
    const code = await main(["watch", ...IDS, ...FAST, "--colibri-url", bridge.url, "--imds-url", imds.url], undefined, log);
    assert.equal(code, 0);
    assert.equal(bridge.shutdownBodies.length, 1);
    const trigger = events.find((e) => e.event === "jvb-drain-trigger");
    assert.equal(trigger?.trigger, "spot");
    // 120 s notice minus the 15 s margin, not the 3600 s default.
    assert.ok((trigger?.capSeconds as number) <= 105 && (trigger?.capSeconds as number) >= 100, `cap ${trigger?.capSeconds}`);
    assert.equal(asg.commandCalls(CompleteLifecycleActionCommand).length, 1);
    assert.ok(events.some((e) => e.event === "jvb-drain-complete-failed"));
  });

  it("a bridge that stops answering after graceful shutdown is released, not waited for until the cap", async () => {
    const imds = await fakeImds({ afterGets: 0 });
    closers.push(imds.close);
    asg.on(CompleteLifecycleActionCommand).resolves({});
    const { events, log } = capture();
    // Nothing listens on this loopback port: the bridge process is gone.
    const code = await main(["now", ...IDS, ...FAST, "--colibri-url", `http://${HOST}:1`, "--imds-url", imds.url], undefined, log);
    assert.equal(code, 0);
    assert.equal(asg.commandCalls(CompleteLifecycleActionCommand).length, 1);
    assert.equal(events.find((e) => e.event === "jvb-drain-completed")?.reason, "bridge-gone");
  });

  it("await-in-service waits while the instance sits in the warm pool", async () => {
    // Metadata says Warmed:Stopped for three reads (the instance sits in the warm pool), then InService.
    let warmReads = 0;
    const warm = http.createServer((req, res) => {
      if (req.method === "PUT") return void res.writeHead(200).end("t");
      if (req.url !== "/latest/meta-data/autoscaling/target-lifecycle-state" || req.headers["x-aws-ec2-metadata-token"] !== "t") return void res.writeHead(401).end();
      warmReads++;
      res.writeHead(200).end(warmReads > 3 ? "InService" : "Warmed:Stopped");
    });
    await new Promise<void>((r) => warm.listen(0, HOST, r));
    closers.push(() => new Promise<void>((r) => warm.close(() => r())));
    const url = `http://${HOST}:${(warm.address() as AddressInfo).port}`;
    assert.equal(await main(["await-in-service", "--imds-url", url, "--watch-seconds", "0.02", "--watch-limit-seconds", "5"]), 0);
    assert.equal(warmReads, 4);
  });

  it("await-in-service with a launching hook: released once prepared in the pool (after the boot), once started from it", async () => {
    // First boot into the warm pool (target Warmed:Stopped), then, after a stop and a start, InService.
    const targets = ["Warmed:Stopped", "Warmed:Stopped", "InService"];
    let reads = 0;
    const imds = http.createServer((req, res) => {
      if (req.method === "PUT") return void res.writeHead(200).end("t");
      if (req.url === "/latest/meta-data/instance-id") return void res.writeHead(200).end("i-0fake00000000002");
      if (req.url !== "/latest/meta-data/autoscaling/target-lifecycle-state") return void res.writeHead(404).end();
      res.writeHead(200).end(targets[Math.min(reads++, targets.length - 1)]);
    });
    await new Promise<void>((r) => imds.listen(0, HOST, r));
    closers.push(() => new Promise<void>((r) => imds.close(() => r())));
    const url = `http://${HOST}:${(imds.address() as AddressInfo).port}`;
    asg.on(CompleteLifecycleActionCommand).resolves({});
    const args = ["await-in-service", "--group", "jitsi-us-east-1-jvb", "--launch-hook", "jvb-launch", "--region", "us-east-1", "--imds-url", url, "--watch-seconds", "0.02", "--watch-limit-seconds", "5", "--cloud-init-wait-seconds", "0"];
    assert.equal(await main(args), 0);
    const calls = asg.commandCalls(CompleteLifecycleActionCommand).map((c) => c.args[0].input);
    // Once per transition, not once per read: into the pool, then into service.
    assert.equal(calls.length, 2);
    for (const c of calls)
      assert.deepEqual(c, { AutoScalingGroupName: "jitsi-us-east-1-jvb", LifecycleHookName: "jvb-launch", InstanceId: "i-0fake00000000002", LifecycleActionResult: "CONTINUE" });

    // The boot must be over before a prepared instance is released to be stopped.
    const order: string[] = [];
    const seq = ["Warmed:Stopped", "InService"];
    let k = 0;
    const ok = await awaitInService(
      { watchSeconds: 0.01, watchLimitSeconds: 5 },
      {
        target: async () => seq[Math.min(k++, seq.length - 1)],
        launchHook: { complete: async () => void order.push("complete"), heartbeat: async () => undefined },
        bootFinished: async () => void order.push("boot finished"),
      },
      realClock,
      () => undefined,
    );
    assert.equal(ok, true);
    assert.deepEqual(order, ["boot finished", "complete", "complete"]);
    // A launching hook without --group or --region is refused before anything runs.
    assert.equal(await main(["await-in-service", "--launch-hook", "jvb-launch", "--imds-url", url]), 2);
  });

  it("initial-drain prints true only for a bridge the scaler tagged while it booted; any failure prints false (fail open)", async () => {
    const answers = async (): Promise<string[]> => {
      const out: string[] = [];
      const logOut = console.log;
      const logErr = console.error;
      console.log = (line: string) => void out.push(String(line));
      console.error = () => undefined;
      try {
        assert.equal(await main(["initial-drain", "--region", "eu-central-1", "--instance-id", "i-0fake00000000001"]), 0);
      } finally {
        console.log = logOut;
        console.error = logErr;
      }
      return out;
    };
    ec2.on(DescribeTagsCommand).resolves({ Tags: [{ ResourceId: "i-0fake00000000001", ResourceType: "instance", Key: DRAIN_TAG, Value: "1700000000" }] });
    assert.deepEqual(await answers(), ["true"]);
    assert.deepEqual(ec2.commandCalls(DescribeTagsCommand)[0].args[0].input.Filters, [{ Name: "resource-id", Values: ["i-0fake00000000001"] }, { Name: "key", Values: [DRAIN_TAG] }]);
    ec2.on(DescribeTagsCommand).resolves({ Tags: [] });
    assert.deepEqual(await answers(), ["false"]);
    ec2.on(DescribeTagsCommand).rejects(Object.assign(new Error("Rate exceeded"), { name: "RequestLimitExceeded" }));
    assert.deepEqual(await answers(), ["false"], "stdout carries only the answer, even on an error");
  });

  it("drain mode follows the scaler's tag: tagged → POST /colibri/drain/enable once; tag gone → disable", async () => {
    const bridge = await fakeBridge({ participants: 4, leavePerPoll: 0 });
    const imds = await fakeImds({ afterGets: 0 }); // never terminating
    closers.push(bridge.close, imds.close);
    ec2.on(DescribeTagsCommand).resolves({ Tags: [{ ResourceId: "i-0fake00000000001", ResourceType: "instance", Key: DRAIN_TAG, Value: String(Math.floor(Date.now() / 1000) - 30) }] });
    const { events, log } = capture();
    const limit = ["--watch-seconds", "0.02", "--tag-seconds", "0.05", "--watch-limit-seconds", "0.4"];
    assert.equal(await main(["watch", ...IDS, ...limit, "--colibri-url", bridge.url, "--imds-url", imds.url], undefined, log), 0);
    assert.equal(bridge.drain, true);
    assert.deepEqual(bridge.drainPosts, ["/colibri/drain/enable"], "in step after one change");
    const tagQuery = ec2.commandCalls(DescribeTagsCommand)[0].args[0].input;
    assert.deepEqual(tagQuery.Filters, [{ Name: "resource-id", Values: ["i-0fake00000000001"] }, { Name: "key", Values: [DRAIN_TAG] }]);
    assert.ok(events.some((e) => e.event === "jvb-drain-mode" && e.drain === true));
    assert.equal(bridge.shutdownBodies.length, 0, "drain mode is not a shutdown");
    assert.equal(asg.commandCalls(CompleteLifecycleActionCommand).length, 0);

    ec2.on(DescribeTagsCommand).resolves({ Tags: [] });
    assert.equal(await main(["watch", ...IDS, ...limit, "--colibri-url", bridge.url, "--imds-url", imds.url], undefined, capture().log), 0);
    assert.equal(bridge.drain, false);
    assert.deepEqual(bridge.drainPosts, ["/colibri/drain/enable", "/colibri/drain/disable"]);
  });

  it("a bridge drained by the scaler for most of maxDrainSeconds gets only the rest (and the hand-over minute) on termination", async () => {
    const bridge = await fakeBridge({ participants: 0, leavePerPoll: 0 });
    const imds = await fakeImds({ afterGets: 0, lifecycle: "Terminated" });
    closers.push(bridge.close, imds.close);
    ec2.on(DescribeTagsCommand).resolves({ Tags: [{ ResourceId: "i-0fake00000000001", ResourceType: "instance", Key: DRAIN_TAG, Value: String(Math.floor(Date.now() / 1000) - 3000) }] });
    asg.on(CompleteLifecycleActionCommand).resolves({});
    const { events, log } = capture();
    assert.equal(await main(["watch", ...IDS, ...FAST, "--max-drain-seconds", "3600", "--colibri-url", bridge.url, "--imds-url", imds.url], undefined, log), 0);
    const cap = events.find((e) => e.event === "jvb-drain-trigger")?.capSeconds as number;
    assert.ok(cap >= 598 && cap <= 601, `cap ${cap} s, want ~600 s (3600 − 3000)`);
    assert.equal(asg.commandCalls(CompleteLifecycleActionCommand).length, 1);
  });

  it("rejects a command line with missing or unknown options (exit 2)", async () => {
    assert.equal(await main(["watch", "--group", "g"]), 2);
    assert.equal(await main(["watch", ...IDS, "--max-drain", "10"]), 2);
    assert.equal(await main(["explode"]), 2);
  });
});

describe("agents/jvb-drain pure core", () => {
  const cfg: DrainConfig = { maxDrainMs: 1000, pollMs: 100, heartbeatMs: 300, unreachableLimit: 3 };
  const cases: { name: string; steps: [number | undefined, number][]; want: string[] }[] = [
    { name: "empty at once", steps: [[0, 0]], want: ["complete:empty"] },
    { name: "heartbeat while busy, then empty", steps: [[4, 100], [3, 300], [2, 400], [0, 500]], want: ["wait", "heartbeat", "wait", "complete:empty"] },
    { name: "cap with participants", steps: [[4, 500], [4, 1000]], want: ["heartbeat", "complete:cap"] },
    { name: "unreachable three times", steps: [[2, 100], [undefined, 200], [undefined, 250], [undefined, 280]], want: ["wait", "wait", "wait", "complete:bridge-gone"] },
    { name: "a failed poll in between resets", steps: [[2, 100], [undefined, 150], [1, 200], [undefined, 250], [undefined, 280]], want: ["wait", "wait", "wait", "wait", "wait"] },
  ];
  for (const c of cases)
    it(c.name, () => {
      let s = initialDrainState(0);
      const got = c.steps.map(([p, t]) => {
        const r = nextDrainAction(s, p, t, cfg);
        s = r.state;
        return r.action.kind === "complete" ? `complete:${r.action.reason}` : r.action.kind;
      });
      assert.deepEqual(got, c.want);
    });

  it("never completes twice", () => {
    const r = nextDrainAction(initialDrainState(0), 0, 0, cfg);
    assert.throws(() => nextDrainAction(r.state, 0, 1, cfg), /already completed/);
  });

  it("capFor: the drain budget counts from the scaler's first drain, keeps the hand-over minute, and never passes a Spot reclaim", () => {
    const now = 10_000_000;
    const life = { kind: "lifecycle" } as const;
    assert.equal(capFor(life, now, 3_600_000), 3_600_000, "no tag: the whole budget");
    assert.equal(capFor(life, now, 3_600_000, now / 1000 - 3000), 600_000);
    assert.equal(capFor(life, now, 3_600_000, now / 1000 - 9000), HANDOVER_MS, "past the budget: the hand-over minute");
    assert.equal(capFor({ kind: "spot", deadlineMs: now + 120_000 }, now, 3_600_000), 105_000);
    assert.equal(capFor({ kind: "spot", deadlineMs: now + 10_000 }, now, 3_600_000), 0);
  });

  it("drainModeChange: only when the tag and JVB disagree and both are known", () => {
    assert.equal(drainModeChange(true, false), "enable");
    assert.equal(drainModeChange(false, true), "disable");
    assert.equal(drainModeChange(true, true), undefined);
    assert.equal(drainModeChange(undefined, false), undefined);
    assert.equal(drainModeChange(true, undefined), undefined);
  });

  it("counts local endpoints only", () => {
    assert.equal(localParticipants({ local_endpoints: 3, participants: 9 }), 3);
    assert.equal(localParticipants({ participants: 9, octo_endpoints: 4 }), 5);
    assert.throws(() => localParticipants({ conferences: 1 }), /neither local_endpoints nor participants/);
  });
});

describe("jvb-drain: a drain cut is a CloudWatch metric", () => {
  it("publishes BridgeDrainCuts{Region} once per cut and nothing for other events", async () => {
    const { mockClient } = await import("aws-sdk-client-mock");
    const { CloudWatchClient, PutMetricDataCommand } = await import("@aws-sdk/client-cloudwatch");
    const { withCutMetric } = await import("../../agents/jvb-drain");
    const cw = mockClient(CloudWatchClient);
    cw.on(PutMetricDataCommand).resolves({});
    const lines: string[] = [];
    const log = withCutMetric((e) => lines.push(e), "eu-west-1", new CloudWatchClient({ region: "eu-west-1" }));
    log("jvb-drain-completed", { reason: "empty" });
    log("jvb-drain-cut", { participants: 3 });
    await Promise.all(log.pending);
    const calls = cw.commandCalls(PutMetricDataCommand);
    assert.strictEqual(calls.length, 1);
    const datum = calls[0].args[0].input.MetricData![0];
    assert.strictEqual(datum.MetricName, "BridgeDrainCuts");
    assert.deepStrictEqual(datum.Dimensions, [{ Name: "Region", Value: "eu-west-1" }]);
    assert.strictEqual(datum.Value, 1);
    assert.deepStrictEqual(lines, ["jvb-drain-completed", "jvb-drain-cut"]);
    cw.restore();
  });
});
