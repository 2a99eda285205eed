/**
 * The offline plan of the example load-test stack (Pulumi.loadtest.yaml): a grid per region — hub, node group,
 * reports bucket, teardown function and schedule, scoped IAM — and no Jitsi deployment; the cost estimate; a
 * target outside the allow-list creates nothing.
 */
import * as assert from "assert";
import { ConfigError } from "../../config/parse";
import { PlannedResource, PlanResult, runPlan } from "../../tools/plan/run";
import { tempProject } from "../plan/fixtures";

describe("load test: plan of Pulumi.loadtest.yaml", function () {
  this.timeout(120_000);
  let plan: PlanResult;
  before(async () => {
    plan = await runPlan({ stack: "loadtest" });
  });
  const ofType = (t: string) => plan.resources.filter((r) => r.type === t);
  const input = <T>(r: PlannedResource, k: string) => (r.inputs as Record<string, unknown>)[k] as T;

  it("one TortureGrid per region and nothing of a Jitsi deployment", () => {
    assert.deepStrictEqual(ofType("jitsi:index:TortureGrid").map((r) => r.name).sort(), ["eu-west-1-torture", "us-east-1-torture"]);
    for (const t of ["jitsi:index:Region", "jitsi:index:JitsiShard", "jitsi:index:BridgeFleet", "aws:ec2/vpcPeeringConnection:VpcPeeringConnection"]) assert.strictEqual(ofType(t).length, 0, t);
    assert.strictEqual(ofType("awsx:ec2:Vpc").length, 2);
    for (const v of ofType("awsx:ec2:Vpc")) assert.deepStrictEqual(input(v, "natGateways"), { strategy: "None" });
  });

  it("hub: one IMDSv2-only instance with an encrypted disk per region", () => {
    const hubs = ofType("aws:ec2/instance:Instance");
    assert.strictEqual(hubs.length, 2);
    for (const h of hubs) {
      assert.strictEqual(input<{ httpTokens: string }>(h, "metadataOptions").httpTokens, "required");
      assert.strictEqual(input<{ encrypted: boolean }>(h, "rootBlockDevice").encrypted, true);
      assert.strictEqual(input(h, "instanceType"), "m5.large");
    }
  });

  it("node group sized from the parameters: 5 conferences x 8 / 4 per tab = 10 c5.xlarge per region", () => {
    const groups = ofType("aws:autoscaling/group:Group");
    assert.deepStrictEqual(groups.map((g) => [input(g, "name"), input(g, "desiredCapacity"), input(g, "maxSize"), input(g, "minSize")]).sort(), [
      ["loadtest-eu-west-1-torture-nodes", 10, 10, 0],
      ["loadtest-us-east-1-torture-nodes", 10, 10, 0],
    ]);
    for (const lt of ofType("aws:ec2/launchTemplate:LaunchTemplate")) assert.strictEqual(input(lt, "instanceType"), "c5.xlarge");
  });

  it("reports bucket: encrypted, versioned, public access blocked, runs expire", () => {
    assert.strictEqual(ofType("aws:s3/bucket:Bucket").length, 2);
    for (const b of ofType("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")) assert.strictEqual(input(b, "restrictPublicBuckets"), true);
    assert.strictEqual(ofType("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").length, 2);
    for (const l of ofType("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")) assert.match(JSON.stringify(input(l, "rules")), /"days":90/);
  });

  it("teardown: nodejs22.x Lambda with a timeout, every 5 minutes, role scoped to its node group and hub", () => {
    const fns = ofType("aws:lambda/function:Function");
    assert.strictEqual(fns.length, 2);
    for (const f of fns) {
      assert.strictEqual(input(f, "runtime"), "nodejs22.x");
      assert.strictEqual(input(f, "timeout"), 30);
      const vars = input<{ variables: Record<string, string> }>(f, "environment").variables;
      assert.strictEqual(vars.LOADTEST_MAX_MINUTES, "60");
    }
    const rules = ofType("aws:cloudwatch/eventRule:EventRule");
    assert.deepStrictEqual(rules.map((r) => input(r, "scheduleExpression")), ["rate(5 minutes)", "rate(5 minutes)"]);
    assert.strictEqual(ofType("aws:cloudwatch/eventTarget:EventTarget").length, 2);
    const policies = ofType("aws:iam/rolePolicy:RolePolicy").filter((p) => p.name.endsWith("-teardown-policy"));
    assert.strictEqual(policies.length, 2);
    for (const p of policies) {
      const doc = JSON.parse(input<string>(p, "policy")) as { Statement: { Sid: string; Action: string[]; Resource: string }[] };
      const scale = doc.Statement.find((s) => s.Sid === "ScaleNodesToZero")!;
      assert.match(scale.Resource, /^arn:aws:autoscaling:[a-z0-9-]+:123456789012:autoScalingGroup:.*:autoScalingGroupName\/loadtest-[a-z0-9-]+-torture-nodes$/);
      assert.match(doc.Statement.find((s) => s.Sid === "StopHub")!.Resource, /^arn:aws:ec2:[a-z0-9-]+:123456789012:instance\/i-[0-9a-f]+$/);
    }
  });

  it("hub role: may upload reports under runs/ of its own bucket only", () => {
    const hub = ofType("aws:iam/rolePolicy:RolePolicy").filter((p) => p.name.endsWith("-torture-hub-policy"));
    assert.strictEqual(hub.length, 2);
    for (const p of hub) {
      const doc = JSON.parse(input<string>(p, "policy")) as { Statement: { Sid: string; Action: string[]; Resource: string }[] };
      const up = doc.Statement.find((s) => s.Sid === "UploadReports")!;
      assert.deepStrictEqual(up.Action, ["s3:PutObject"]);
      assert.match(up.Resource, /^arn:aws:s3:::[a-z0-9-]+-torture-reports-[0-9a-f]+\/runs\/\*$/);
    }
  });

  it("no security group rule admits the internet", () => {
    for (const r of ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")) {
      assert.strictEqual(input(r, "cidrIpv4"), undefined, r.name);
      assert.ok(input(r, "referencedSecurityGroupId"), r.name);
    }
  });

  it("publishes a cost estimate per grid (printed by npm run plan)", () => {
    const costs = plan.files.filter((f) => f.path === "cost.json").map((f) => JSON.parse(f.content));
    assert.strictEqual(costs.length, 2);
    for (const c of costs) {
      // 10 x $0.17 + $0.096 = $1.796/h; 0.5 h expected (900 s setup + 900 s) + 2.25 GB egress ($0.2025).
      assert.strictEqual(c.nodes, 10);
      assert.strictEqual(c.expectedUsd, 1.1);
      assert.strictEqual(c.worstCaseUsd, 2);
    }
    const runner = plan.files.find((f) => f.path === "hub/run-torture.sh" && f.region === "us-east-1")!;
    assert.match(runner.content, /'--conferences=5'/);
    assert.match(runner.content, /'--room-name-prefix=loadtest-us-east-1'/);
  });

  it("a target outside the allow-list: ConfigError, nothing planned", async () => {
    const dir = tempProject("bad", {
      domain: "meet.example.com",
      regions: [{ name: "us-east-1", vpcCidr: "10.90.0.0/20" }],
      loadtest: { targetDomain: "meet.jit.si", allowedDomains: ["meet.example.com"] },
    });
    await assert.rejects(runPlan({ stack: "bad", root: dir }), (e: unknown) => e instanceof ConfigError && e.problems.some((p) => p.startsWith("jitsi:loadtest.targetDomain: must be one of allowedDomains")));
  });
});
