/**
 * The pack over the real prod plan (`npm run policy -- --stack prod`): it must pass with 0 mandatory
 * violations, and breaking the plan the way a careless PR would must make the matching policy fire on
 * every affected resource — proof that the rules see the plan's real input shapes, not only fixtures.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ALL_POLICIES } from "../../policies/all";
import { evaluate, parseResources, PlanResource } from "../../policies/evaluate";
import { decodeUserData } from "../../policies/props";
import { REPO_ROOT } from "../helpers/env";

describe("policy pack over the prod plan", function () {
  this.timeout(120_000);
  let dir: string;
  let stdout = "";
  let status: number | null = null;
  let plan: PlanResource[] = [];

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-prod-"));
    const r = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "tools/policy.ts", "--stack", "prod", "--out", dir], {
      cwd: REPO_ROOT,
      encoding: "utf8",
      timeout: 110_000,
    });
    stdout = r.stdout + r.stderr;
    status = r.status;
    const file = path.join(dir, "resources.json");
    if (fs.existsSync(file)) plan = parseResources(fs.readFileSync(file, "utf8"), file);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("passes with 0 mandatory violations (npm run policy -- --stack prod exits 0)", () => {
    assert.strictEqual(status, 0, stdout);
    assert.match(stdout, new RegExp(`\\n${ALL_POLICIES.length} policies, ${plan.length} resources, 0 mandatory violations\\n$`));
  });

  /** Evaluates a changed copy of the plan and returns, per policy, the URNs it blamed. */
  async function blamed(change: (r: PlanResource) => PlanResource | null): Promise<Map<string, Set<string>>> {
    const changed = plan.map((r) => change(JSON.parse(JSON.stringify(r)) as PlanResource)).filter((r): r is PlanResource => r !== null);
    const result = await evaluate(ALL_POLICIES, changed, { secretsMasked: true });
    const out = new Map<string, Set<string>>();
    for (const v of result.violations) out.set(v.policy, (out.get(v.policy) ?? new Set()).add(v.urn ?? "(stack)"));
    return out;
  }

  const urnsOf = (type: string) => new Set(plan.filter((r) => r.type === type).map((r) => r.urn));

  function requireSome(ctx: Mocha.Context, type: string): Set<string> {
    const urns = urnsOf(type);
    if (urns.size === 0) {
      console.log(`      skipped: the prod plan has no ${type} yet`);
      ctx.skip();
    }
    return urns;
  }

  it("IMDSv1 allowed on every launch template: imdsv2-required blames each one", async function () {
    const lts = requireSome(this, "aws:ec2/launchTemplate:LaunchTemplate");
    const v = await blamed((r) => {
      if (lts.has(r.urn)) (r.inputs.metadataOptions as Record<string, unknown>).httpTokens = "optional";
      return r;
    });
    assert.deepStrictEqual(v.get("imdsv2-required"), lts);
  });

  for (const [type, policy] of [
    ["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "s3-public-access-block"],
    ["aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "s3-encryption"],
    ["aws:s3/bucketPolicy:BucketPolicy", "s3-tls-only"],
  ]) {
    it(`every ${type.split(":").pop()} removed: ${policy} blames every bucket`, async function () {
      const buckets = requireSome(this, "aws:s3/bucket:Bucket");
      const v = await blamed((r) => (r.type === type ? null : r));
      assert.deepStrictEqual(v.get(policy), buckets);
    });
  }

  it("the TURN secret stored as a String parameter: turn-secret-is-secret blames each parameter", async function () {
    const turn = new Set(plan.filter((r) => r.type === "aws:ssm/parameter:Parameter" && /turn.*secret/i.test(r.name)).map((r) => r.urn));
    if (turn.size === 0) this.skip();
    const v = await blamed((r) => {
      if (turn.has(r.urn)) r.inputs.type = "String";
      return r;
    });
    assert.deepStrictEqual(v.get("turn-secret-is-secret"), turn);
  });

  it("every lifecycle hook removed: drain-lifecycle-hook blames every BridgeFleet/JibriPool group", async function () {
    const components = plan.filter((r) => r.type === "jitsi:index:BridgeFleet" || r.type === "jitsi:index:JibriPool").map((r) => r.urn);
    if (components.length === 0) {
      console.log("      skipped: the prod plan has no BridgeFleet or JibriPool yet");
      this.skip();
    }
    const under = (r: PlanResource, roots: string[]): boolean => {
      const byUrn = new Map(plan.map((x) => [x.urn, x]));
      for (let p = r.parent; p; p = byUrn.get(p)?.parent ?? null) if (roots.includes(p)) return true;
      return false;
    };
    const groups = new Set(plan.filter((r) => r.type === "aws:autoscaling/group:Group" && under(r, components)).map((r) => r.urn));
    const v = await blamed((r) => {
      if (r.type === "aws:autoscaling/lifecycleHook:LifecycleHook") return null;
      if (groups.has(r.urn)) delete r.inputs.initialLifecycleHooks;
      return r;
    });
    assert.deepStrictEqual(v.get("drain-lifecycle-hook"), groups);
  });

  it("the bridges told to drain longer than their hook allows: drain-lifecycle-hook blames their groups", async function () {
    const fleets = plan.filter((r) => r.type === "jitsi:index:BridgeFleet").map((r) => r.urn);
    if (fleets.length === 0) this.skip();
    const lts = plan.filter((r) => r.type === "aws:ec2/launchTemplate:LaunchTemplate" && fleets.includes(r.parent ?? ""));
    assert.ok(lts.every((lt) => /--max-drain-seconds \d+/.test(decodeUserData(lt.inputs.userData))), "the drain agent's command line is in the user data");
    const v = await blamed((r) => {
      if (lts.some((lt) => lt.urn === r.urn))
        r.inputs.userData = Buffer.from(decodeUserData(r.inputs.userData).replace(/--max-drain-seconds \d+/g, "--max-drain-seconds 200000")).toString("base64");
      return r;
    });
    const groups = new Set(plan.filter((r) => r.type === "aws:autoscaling/group:Group" && fleets.includes(r.parent ?? "")).map((r) => r.urn));
    assert.deepStrictEqual(v.get("drain-lifecycle-hook"), groups);
  });

  it("every Jibri terminating hook cut to 60 s: the violation names the drain read from the hosts (--termination-cap-s)", async function () {
    const pools = plan.filter((r) => r.type === "jitsi:index:JibriPool").map((r) => r.urn);
    if (pools.length === 0) this.skip();
    const caps = plan
      .filter((r) => r.type === "aws:ec2/launchTemplate:LaunchTemplate" && pools.includes(r.parent ?? ""))
      .map((lt) => Number(/--termination-cap-s[ ,'"\]]+(\d+)/.exec(decodeUserData(lt.inputs.userData))?.[1]));
    assert.ok(caps.length > 0 && caps.every((c) => c > 0), `termination caps in the Jibri user data: ${caps}`);
    const changed = plan.map((r) => {
      const c = JSON.parse(JSON.stringify(r)) as PlanResource;
      if (pools.includes(c.parent ?? "") && c.type === "aws:autoscaling/group:Group")
        for (const h of c.inputs.initialLifecycleHooks as Record<string, unknown>[]) h.heartbeatTimeout = 60;
      if (pools.includes(c.parent ?? "") && c.type === "aws:autoscaling/lifecycleHook:LifecycleHook") c.inputs.heartbeatTimeout = 60;
      return c;
    });
    const result = await evaluate(ALL_POLICIES, changed, { secretsMasked: true });
    const msgs = result.violations.filter((v) => v.policy === "drain-lifecycle-hook").map((v) => v.message);
    assert.strictEqual(msgs.length, pools.length, msgs.join("\n"));
    for (const m of msgs) assert.match(m, new RegExp(`heartbeatTimeout 60 s does not cover the (${caps.join("|")}) s drain`));
  });

  it("a literal password in every launch template's user data: no-plaintext-secrets blames each one", async function () {
    const lts = requireSome(this, "aws:ec2/launchTemplate:LaunchTemplate");
    const v = await blamed((r) => {
      if (lts.has(r.urn)) r.inputs.userData = Buffer.from(`${decodeUserData(r.inputs.userData)}\n# JVB_PASSWORD=hunter2hunter2\n`).toString("base64");
      return r;
    });
    assert.deepStrictEqual(v.get("no-plaintext-secrets"), lts);
  });

  it("SSH opened to the world on every security group: sg-world-ingress blames each rule", async function () {
    const rules = requireSome(this, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
    const v = await blamed((r) => {
      if (rules.has(r.urn)) Object.assign(r.inputs, { ipProtocol: "tcp", fromPort: 22, toPort: 22, cidrIpv4: "0.0.0.0/0" });
      return r;
    });
    assert.deepStrictEqual(v.get("sg-world-ingress"), rules);
  });

  it("Lambdas on nodejs20.x and log groups without retention: both policies blame every one", async function () {
    const fns = requireSome(this, "aws:lambda/function:Function");
    const logs = requireSome(this, "aws:cloudwatch/logGroup:LogGroup");
    const v = await blamed((r) => {
      if (fns.has(r.urn)) r.inputs.runtime = "nodejs20.x";
      if (logs.has(r.urn)) delete r.inputs.retentionInDays;
      return r;
    });
    assert.deepStrictEqual(v.get("lambda-supported-nodejs"), fns);
    assert.deepStrictEqual(v.get("log-group-retention"), logs);
  });

  it("every EdgeProxy group shrunk to one instance: edge-proxy-ha blames every EdgeProxy", async function () {
    const edges = requireSome(this, "jitsi:index:EdgeProxy");
    const v = await blamed((r) => {
      if (r.type === "aws:ec2/instance:Instance") return null;
      if (r.type === "aws:autoscaling/group:Group") r.inputs.minSize = 0;
      return r;
    });
    assert.deepStrictEqual(v.get("edge-proxy-ha"), edges);
  });

  it("every Jibri replenisher told idleTarget 0: jibri-idle-target blames every JibriPool", async function () {
    const pools = requireSome(this, "jitsi:index:JibriPool");
    const v = await blamed((r) => {
      const vars = (r.inputs.environment as { variables?: Record<string, string> } | undefined)?.variables;
      if (r.type === "aws:lambda/function:Function" && vars?.JIBRI_TARGET)
        vars.JIBRI_TARGET = JSON.stringify({ ...JSON.parse(vars.JIBRI_TARGET), idleTarget: 0 });
      return r;
    });
    assert.deepStrictEqual(v.get("jibri-idle-target"), pools);
  });

  it("a warm pool added to every Spot (mixed-instances) group: no-warm-pool-with-spot blames each group", async function () {
    const groups = requireSome(this, "aws:autoscaling/group:Group");
    const v = await blamed((r) => {
      if (groups.has(r.urn)) {
        r.inputs.warmPool = { poolState: "Stopped" };
        r.inputs.mixedInstancesPolicy = { instancesDistribution: { onDemandPercentageAboveBaseCapacity: 0 } };
      }
      return r;
    });
    assert.deepStrictEqual(v.get("no-warm-pool-with-spot"), groups);
  });

  it("two regions given the same VPC range: region-cidrs-disjoint fires", async function () {
    const vpcs = plan.filter((r) => r.type === "awsx:ec2:Vpc" || r.type === "aws:ec2/vpc:Vpc");
    if (vpcs.length < 2) this.skip();
    const v = await blamed((r) => {
      if (r.type === "awsx:ec2:Vpc" || r.type === "aws:ec2/vpc:Vpc") r.inputs.cidrBlock = "10.99.0.0/16";
      return r;
    });
    assert.ok((v.get("region-cidrs-disjoint")?.size ?? 0) >= 1);
  });
});
