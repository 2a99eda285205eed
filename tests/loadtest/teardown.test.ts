/** The automatic teardown: the pure decision, the handler's AWS calls (mocked SDK) and the role's scope. */
import * as assert from "assert";
import { AwsClientStub, mockClient } from "aws-sdk-client-mock";
import { AutoScalingClient, DescribeAutoScalingGroupsCommand, UpdateAutoScalingGroupCommand } from "@aws-sdk/client-auto-scaling";
import { DescribeInstancesCommand, EC2Client, StopInstancesCommand } from "@aws-sdk/client-ec2";
import { decideTeardown, runStartedAt, STARTED_AT_TAG } from "../../functions/loadtest-teardown/decide";
import { teardownOnce } from "../../functions/loadtest-teardown/handler";
import { teardownExcludedPackages, teardownPolicy } from "../../functions/loadtest-teardown/index";

const START = new Date("2026-03-01T10:00:00Z");
const at = (min: number) => new Date(START.getTime() + min * 60_000);
const RUNNING = { nodeDesired: 10, nodeMin: 0, hubState: "running" };

describe("load test teardown: decideTeardown", () => {
  it("waits before maxDurationMinutes, counting the seconds left", () => {
    const d = decideTeardown(at(59.5), START, 60, RUNNING);
    assert.strictEqual(d.status, "wait");
    assert.deepStrictEqual(d.actions, []);
    assert.strictEqual(d.remainingSeconds, 30);
    assert.strictEqual(d.deadline.toISOString(), "2026-03-01T11:00:00.000Z");
  });

  it("at the deadline: nodes to zero and the hub stopped", () => {
    const d = decideTeardown(at(60), START, 60, RUNNING);
    assert.strictEqual(d.status, "teardown");
    assert.deepStrictEqual(d.actions, ["scale-nodes-to-zero", "stop-hub"]);
  });

  it("acts only on what still runs, and reports done when nothing does", () => {
    assert.deepStrictEqual(decideTeardown(at(90), START, 60, { nodeDesired: 0, nodeMin: 0, hubState: "running" }).actions, ["stop-hub"]);
    assert.deepStrictEqual(decideTeardown(at(90), START, 60, { nodeDesired: 0, nodeMin: 2, hubState: "stopped" }).actions, ["scale-nodes-to-zero"]);
    assert.deepStrictEqual(decideTeardown(at(90), START, 60, { nodeDesired: 3, nodeMin: 0, hubState: "pending" }).actions, ["scale-nodes-to-zero", "stop-hub"]);
    const done = decideTeardown(at(90), START, 60, { nodeDesired: 0, nodeMin: 0, hubState: "stopping" });
    assert.strictEqual(done.status, "done");
    assert.deepStrictEqual(done.actions, []);
    assert.strictEqual(decideTeardown(at(90), START, 60, { nodeDesired: 0, nodeMin: 0, hubState: "missing" }).status, "done");
  });

  it("refuses bad inputs with the parameter named", () => {
    assert.throws(() => decideTeardown(at(1), START, 5, RUNNING), /maxDurationMinutes must be a whole number from 10 to 480, got 5/);
    assert.throws(() => decideTeardown(at(1), START, 60.5, RUNNING), /maxDurationMinutes/);
    assert.throws(() => decideTeardown(at(1), new Date("nope"), 60, RUNNING), /startedAt must be a valid date/);
  });

  it("a re-arm tag later than the group's creation restarts the clock; an invalid or older one is ignored", () => {
    assert.strictEqual(runStartedAt(START, {}).getTime(), START.getTime());
    assert.strictEqual(runStartedAt(START, { [STARTED_AT_TAG]: at(120).toISOString() }).getTime(), at(120).getTime());
    assert.strictEqual(runStartedAt(START, { [STARTED_AT_TAG]: "yesterday" }).getTime(), START.getTime());
    assert.strictEqual(runStartedAt(START, { [STARTED_AT_TAG]: at(-10).toISOString() }).getTime(), START.getTime());
  });
});

describe("load test teardown: handler (mocked AWS SDK)", () => {
  // Created in before(), not at load time: other files mock the same clients (mocha loads every file first).
  let asg: AwsClientStub<AutoScalingClient>;
  let ec2: AwsClientStub<EC2Client>;
  before(() => {
    asg = mockClient(AutoScalingClient);
    ec2 = mockClient(EC2Client);
  });
  const env = { nodeGroup: "lt-us-east-1-torture-nodes", hubInstanceId: "i-0123", maxDurationMinutes: 60 };
  beforeEach(() => {
    asg.reset();
    ec2.reset();
    asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [{ AutoScalingGroupName: env.nodeGroup, CreatedTime: START, DesiredCapacity: 10, MinSize: 0, MaxSize: 10, Tags: [] } as never] });
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [{ InstanceId: "i-0123", State: { Name: "running", Code: 16 } }] }] });
    asg.on(UpdateAutoScalingGroupCommand).resolves({});
    ec2.on(StopInstancesCommand).resolves({});
  });
  after(() => {
    asg.restore();
    ec2.restore();
  });
  const clients = () => ({ autoscaling: new AutoScalingClient({ region: "us-east-1" }), ec2: new EC2Client({ region: "us-east-1" }) });

  it("before the deadline it changes nothing", async () => {
    const d = await teardownOnce(env, clients(), at(30));
    assert.strictEqual(d.status, "wait");
    assert.strictEqual(asg.commandCalls(UpdateAutoScalingGroupCommand).length, 0);
    assert.strictEqual(ec2.commandCalls(StopInstancesCommand).length, 0);
  });

  it("after it: UpdateAutoScalingGroup min/desired 0 on the node group, StopInstances on the hub", async () => {
    await teardownOnce(env, clients(), at(61));
    assert.deepStrictEqual(asg.commandCalls(UpdateAutoScalingGroupCommand).map((c) => c.args[0].input), [{ AutoScalingGroupName: env.nodeGroup, MinSize: 0, DesiredCapacity: 0 }]);
    assert.deepStrictEqual(ec2.commandCalls(StopInstancesCommand).map((c) => c.args[0].input), [{ InstanceIds: ["i-0123"] }]);
  });
});

describe("load test teardown: least privilege", () => {
  const doc = JSON.parse(teardownPolicy({
    nodeGroupArn: "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:abc:autoScalingGroupName/lt-nodes",
    hubInstanceArn: "arn:aws:ec2:us-east-1:123456789012:instance/i-0123",
    logGroupArn: "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/lt-teardown",
  })) as { Statement: { Sid: string; Action: string[]; Resource: string }[] };

  it("scaling only the node group, stopping only the hub, '*' only for Describe", () => {
    for (const s of doc.Statement) for (const a of s.Action) assert.ok(!a.includes("*"), `wildcard action ${a}`);
    const bySid = Object.fromEntries(doc.Statement.map((s) => [s.Sid, s]));
    assert.deepStrictEqual(bySid.ScaleNodesToZero.Action, ["autoscaling:UpdateAutoScalingGroup", "autoscaling:SetDesiredCapacity"]);
    assert.match(bySid.ScaleNodesToZero.Resource, /autoScalingGroupName\/lt-nodes$/);
    assert.deepStrictEqual(bySid.StopHub.Action, ["ec2:StopInstances"]);
    assert.match(bySid.StopHub.Resource, /instance\/i-0123$/);
    for (const s of doc.Statement.filter((x) => x.Resource === "*")) for (const a of s.Action) assert.match(a, /:Describe/);
  });

  it("the archive excludes every production dependency but @pulumi/* (the runtime ships the AWS SDK v3)", () => {
    const ex = teardownExcludedPackages();
    for (const p of ["@aws-sdk/client-auto-scaling", "@aws-sdk/client-ec2", "zod", "yaml"]) assert.ok(ex.includes(p), p);
    assert.ok(!ex.some((p) => p.startsWith("@pulumi/")));
  });
});
