/**
 * agents/jibri-status: protection, tags and the replenisher notification on each phase change, with the AWS SDK
 * calls mocked (aws-sdk-client-mock) and Jibri's real health bodies (tests/fixtures/metrics).
 */
import { strict as assert } from "assert";
import { AutoScalingClient, SetInstanceProtectionCommand } from "@aws-sdk/client-auto-scaling";
import { CreateTagsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import * as fs from "fs";
import * as path from "path";
import {
  holdForTermination,
  initialStatus,
  JibriObservation,
  JIBRI_TAGS,
  parseHealth,
  parseStatusArgs,
  releaseLaunchHook,
  StatusIo,
  StatusState,
  STATUS_EVENT_SOURCE,
  StatusTarget,
  tick,
} from "../../agents/jibri-status";

const FIX = path.join(__dirname, "..", "fixtures", "metrics");
const body = (f: string) => fs.readFileSync(path.join(FIX, f), "utf8");
const IDLE = parseHealth(body("jibri-health-idle.json"));
const BUSY = parseHealth(body("jibri-health-busy.json"));
const EXPIRED = parseHealth(body("jibri-health-expired.json"));
const DOWN: JibriObservation = { reachable: false };

const T: StatusTarget = { instanceId: "i-0123456789abcdef0", group: "jitsi-us-east-1-rec-asg", pool: "rec", region: "us-east-1", topicArn: "arn:aws:sns:us-east-1:123456789012:jibri-status" };

describe("agents/jibri-status (mocked AWS SDK)", () => {
  const asg = mockClient(AutoScalingClient);
  const ec2 = mockClient(EC2Client);
  const sns = mockClient(SNSClient);
  let order: string[];
  let restarts: number;
  let io: StatusIo;
  const noLog = () => undefined;

  beforeEach(() => {
    asg.reset();
    ec2.reset();
    sns.reset();
    order = [];
    restarts = 0;
    asg.on(SetInstanceProtectionCommand).callsFake(() => (order.push("protect"), {}));
    ec2.on(CreateTagsCommand).callsFake(() => (order.push("tag"), {}));
    sns.on(PublishCommand).callsFake(() => (order.push("publish"), { MessageId: "m1" }));
    io = {
      autoscaling: new AutoScalingClient({ region: "us-east-1" }),
      ec2: new EC2Client({ region: "us-east-1" }),
      sns: new SNSClient({ region: "us-east-1" }),
      restartJibri: async () => {
        restarts++;
      },
    };
  });
  after(() => {
    asg.restore();
    ec2.restore();
    sns.restore();
  });

  async function toIdle(): Promise<StatusState> {
    const s = await tick(io, T, initialStatus(0), IDLE, false, 1_000, noLog);
    asg.resetHistory();
    ec2.resetHistory();
    sns.resetHistory();
    order = [];
    return s;
  }

  it("health fixtures parse to what Jibri reported", () => {
    assert.deepStrictEqual([IDLE, BUSY, EXPIRED], [
      { reachable: true, busyStatus: "IDLE", healthy: true },
      { reachable: true, busyStatus: "BUSY", healthy: true },
      { reachable: true, busyStatus: "EXPIRED", healthy: false },
    ]);
    assert.deepStrictEqual(parseHealth("<html>"), { reachable: false });
  });

  it("first idle: clears protection, tags idle, tells the replenisher", async () => {
    const s = await tick(io, T, initialStatus(0), IDLE, false, 1_000, noLog);
    assert.equal(s.phase, "idle");
    assert.deepStrictEqual(asg.commandCalls(SetInstanceProtectionCommand)[0].args[0].input, { AutoScalingGroupName: T.group, InstanceIds: [T.instanceId], ProtectedFromScaleIn: false });
    assert.equal(JSON.parse(sns.commandCalls(PublishCommand)[0].args[0].input.Message ?? "").phase, "idle");
  });

  it("idle → busy: protects its own instance FIRST, then tags (with last-busy-at) and publishes at once", async () => {
    const s = await tick(io, T, await toIdle(), BUSY, false, 61_000, noLog);
    assert.equal(s.phase, "busy");
    assert.deepStrictEqual(order, ["protect", "tag", "publish"]);
    assert.deepStrictEqual(asg.commandCalls(SetInstanceProtectionCommand)[0].args[0].input, { AutoScalingGroupName: T.group, InstanceIds: [T.instanceId], ProtectedFromScaleIn: true });
    const tags = ec2.commandCalls(CreateTagsCommand)[0].args[0].input;
    assert.deepStrictEqual(tags.Resources, [T.instanceId]);
    assert.deepStrictEqual(tags.Tags, [
      { Key: JIBRI_TAGS.phase, Value: "busy" },
      { Key: JIBRI_TAGS.phaseSince, Value: "61" },
      { Key: JIBRI_TAGS.lastBusyAt, Value: "61" },
    ]);
    const pub = sns.commandCalls(PublishCommand)[0].args[0].input;
    assert.equal(pub.TopicArn, T.topicArn);
    assert.deepStrictEqual(JSON.parse(pub.Message ?? ""), { source: STATUS_EVENT_SOURCE, instanceId: T.instanceId, group: T.group, pool: "rec", region: "us-east-1", phase: "busy", since: 61 });
  });

  it("steady state makes no AWS call", async () => {
    const s = await tick(io, T, await toIdle(), BUSY, false, 2_000, noLog);
    asg.resetHistory();
    ec2.resetHistory();
    sns.resetHistory();
    await tick(io, T, s, BUSY, false, 4_000, noLog);
    assert.equal(asg.calls().length + ec2.calls().length + sns.calls().length, 0);
  });

  it("uploading wins over Jibri's IDLE: stays protected while the finalize marker exists, clears after", async () => {
    let s = await tick(io, T, await toIdle(), BUSY, false, 2_000, noLog);
    s = await tick(io, T, s, IDLE, true, 3_000, noLog);
    assert.equal(s.phase, "uploading");
    assert.equal(s.protectedSet, true);
    assert.equal(asg.commandCalls(SetInstanceProtectionCommand).length, 1, "already protected: no second call");
    s = await tick(io, T, s, IDLE, false, 4_000, noLog);
    assert.equal(s.phase, "idle");
    const last = asg.commandCalls(SetInstanceProtectionCommand).at(-1)!.args[0].input;
    assert.equal(last.ProtectedFromScaleIn, false, "protection cleared once idle again");
  });

  it("a failed SetInstanceProtection stops the tick (no publish of an unprotected busy) and is retried next tick", async () => {
    const idle = await toIdle();
    asg.on(SetInstanceProtectionCommand).rejectsOnce(new Error("Throttling")).callsFake(() => (order.push("protect"), {}));
    const logs: string[] = [];
    let s = await tick(io, T, idle, BUSY, false, 2_000, (e) => logs.push(e));
    assert.equal(s.protectedSet, false);
    assert.equal(sns.commandCalls(PublishCommand).length, 0);
    assert.ok(logs.includes("jibri-status-effect-failed"));
    s = await tick(io, T, s, BUSY, false, 4_000, noLog);
    assert.equal(s.protectedSet, true);
    assert.equal(s.notifiedPhase, "busy");
    assert.deepStrictEqual(order, ["protect", "tag", "publish"]);
  });

  it("single-use: EXPIRED restarts jibri once per backoff, reports booting and clears protection", async () => {
    let s = await tick(io, T, await toIdle(), BUSY, false, 2_000, noLog);
    s = await tick(io, T, s, EXPIRED, false, 10_000, noLog);
    assert.equal(s.phase, "booting");
    assert.equal(restarts, 1);
    assert.equal(s.protectedSet, false);
    s = await tick(io, T, s, EXPIRED, false, 12_000, noLog);
    assert.equal(restarts, 1, "no second restart within the backoff");
    s = await tick(io, T, s, IDLE, false, 30_000, noLog);
    assert.equal(s.phase, "idle");
  });

  it("Jibri unreachable: a busy recorder stays busy during a short gap, becomes unhealthy after 2 min", async () => {
    let s = await tick(io, T, await toIdle(), BUSY, false, 2_000, noLog);
    s = await tick(io, T, s, DOWN, false, 30_000, noLog);
    assert.equal(s.phase, "busy");
    s = await tick(io, T, s, DOWN, false, 2_000 + 120_000, noLog);
    assert.equal(s.phase, "unhealthy");
    assert.equal(s.protectedSet, false);
  });
});

describe("agents/jibri-status termination hook", () => {
  function fakes(busyPolls: number) {
    let t = 0;
    let polls = 0;
    const calls: string[] = [];
    return {
      calls,
      deps: {
        lifecycle: { heartbeat: async () => void calls.push("heartbeat"), complete: async () => void calls.push("complete") },
        busy: async () => polls++ < busyPolls,
        gracefulShutdown: async () => void calls.push("graceful"),
        now: () => t,
        sleep: async (ms: number) => void (t += ms),
        log: () => undefined,
        capMs: 600_000,
        pollMs: 5_000,
        heartbeatMs: 60_000,
      },
    };
  }
  it("asks Jibri to stop taking sessions, heartbeats while busy/uploading, completes once when done", async () => {
    const f = fakes(30); // 150 s busy
    const res = await holdForTermination(f.deps);
    assert.equal(res.reason, "done");
    assert.deepStrictEqual(f.calls, ["graceful", "heartbeat", "heartbeat", "complete"]);
  });
  it("completes at the cap when the recorder never frees up", async () => {
    const f = fakes(1_000_000);
    const res = await holdForTermination(f.deps);
    assert.equal(res.reason, "cap");
    assert.equal(f.calls.filter((c) => c === "complete").length, 1);
    assert.equal(f.calls.at(-1), "complete");
  });
});

describe("agents/jibri-status launching hook", () => {
  const lifecycle = (errors: string[]) => {
    const calls: string[] = [];
    return {
      calls,
      client: {
        heartbeat: async () => undefined,
        complete: async () => {
          calls.push("complete");
          const e = errors.shift();
          if (e) throw new Error(e);
        },
      },
    };
  };
  it("releases Pending:Wait once the agent runs (host set up), retrying a transient failure", async () => {
    const l = lifecycle(["Rate exceeded"]);
    assert.equal(await releaseLaunchHook(l.client, async () => undefined, () => undefined), true);
    assert.deepStrictEqual(l.calls, ["complete", "complete"]);
  });
  it("stops at once when there is no pending action (already released, or an agent restart)", async () => {
    const l = lifecycle(["No active Lifecycle Action found with instance ID i-0123456789abcdef0"]);
    assert.equal(await releaseLaunchHook(l.client, async () => undefined, () => undefined), false);
    assert.equal(l.calls.length, 1);
  });
  it("gives up after 5 tries (bounded)", async () => {
    const l = lifecycle(Array(10).fill("AccessDenied"));
    assert.equal(await releaseLaunchHook(l.client, async () => undefined, () => undefined), false);
    assert.equal(l.calls.length, 5);
  });
});

describe("agents/jibri-status command line", () => {
  const base = ["watch", "--group", "g", "--region", "us-east-1", "--pool", "rec", "--topic-arn", "arn:aws:sns:us-east-1:123456789012:t", "--hook", "h"];
  it("defaults: loopback health URL and 2 s interval", () => {
    const o = parseStatusArgs(base);
    assert.equal(o.healthUrl, "http://127.0.0.1:2222/jibri/api/v1.0/health");
    assert.equal(o.intervalMs, 2000);
  });
  it("errors name the flag", () => {
    assert.throws(() => parseStatusArgs(base.slice(0, -2)), /--hook is required/);
    assert.throws(() => parseStatusArgs([...base.slice(0, 7), "--topic-arn", "nope", "--hook", "h"]), /--topic-arn must be an SNS topic ARN/);
    assert.throws(() => parseStatusArgs([...base, "--interval-ms", "10"]), /--interval-ms must be a whole number from 500 to 60000/);
    assert.throws(() => parseStatusArgs([...base, "--what", "x"]), /unknown option --what/);
  });
});
