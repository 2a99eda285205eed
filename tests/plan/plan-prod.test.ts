/**
 * The offline plan of the production example: what `pulumi up` would create, checked as an operator would
 * (one shard component per configured shard with its children, secure defaults, no secret anywhere).
 */
import * as assert from "assert";
import { parse } from "yaml";
import { PlanResult, PlannedResource } from "../../tools/plan/run";
import { prodPlan } from "../helpers/prod-plan";
import { decodeUserData } from "../helpers/user-data";

let plan: PlanResult;
const byType = (t: string) => plan.resources.filter((r) => r.type === t);
const childrenOf = (r: PlannedResource) => plan.resources.filter((c) => c.parent === r.urn);
const inputs = (r: PlannedResource) => r.inputs as Record<string, any>;


describe("plan of the prod stack", function () {
  before(async () => {
    plan = await prodPlan();
  });

  it("has one JitsiShard per configured shard (2 in us-east-1, 1 in eu-west-1)", () => {
    const shards = byType("jitsi:index:JitsiShard").map((r) => r.name).sort();
    const expected = plan.config.regions.flatMap((r) => Array.from({ length: r.shards }, (_, i) => `${r.name}-s${i + 1}-shard`)).sort();
    assert.deepStrictEqual(shards, expected);
    assert.deepStrictEqual(shards, ["eu-west-1-s1-shard", "us-east-1-s1-shard", "us-east-1-s2-shard"]);
  });

  it("gives each shard its EC2, IAM, security group, DNS and SSM children", () => {
    for (const shard of byType("jitsi:index:JitsiShard")) {
      const types = childrenOf(shard).map((c) => c.type);
      for (const t of [
        "aws:ec2/launchTemplate:LaunchTemplate",
        "aws:autoscaling/group:Group",
        "aws:ec2/securityGroup:SecurityGroup",
        "aws:iam/role:Role",
        "aws:iam/rolePolicy:RolePolicy",
        "aws:iam/instanceProfile:InstanceProfile",
        "aws:route53/record:Record",
      ])
        assert.ok(types.includes(t), `${shard.name} lacks ${t}`);
      assert.strictEqual(types.filter((t) => t === "aws:ssm/parameter:Parameter").length, 4, `${shard.name}: 4 XMPP secrets`);
      const asg = childrenOf(shard).find((c) => c.type === "aws:autoscaling/group:Group")!;
      assert.deepStrictEqual([inputs(asg).minSize, inputs(asg).maxSize], [1, 1], "a self-healing group of one");
    }
  });

  it("keeps every SSM secret a SecureString whose value is masked", () => {
    // The CloudWatch agent configs (components/monitoring) are plain String parameters: they hold no secret.
    const params = byType("aws:ssm/parameter:Parameter").filter((p) => !/\/cloudwatch-agent\//.test(inputs(p).name));
    assert.ok(params.length >= 14);
    for (const p of params) {
      assert.strictEqual(inputs(p).type, "SecureString", p.name);
      assert.strictEqual(inputs(p).value, "[secret]", p.name);
    }
  });

  it("has no generated secret value anywhere in resources or rendered files", () => {
    assert.ok(plan.secretValues.length >= 14);
    const everything = JSON.stringify(plan.resources) + plan.files.map((f) => f.content).join("\n");
    for (const s of plan.secretValues) assert.ok(!everything.includes(s), "a secret leaked");
  });

  it("requires IMDSv2 and encrypts the root disk of every launch template", () => {
    for (const lt of byType("aws:ec2/launchTemplate:LaunchTemplate")) {
      assert.strictEqual(inputs(lt).metadataOptions?.httpTokens, "required", lt.name);
      for (const bd of inputs(lt).blockDeviceMappings ?? []) assert.ok([true, "true"].includes(bd.ebs?.encrypted), lt.name);
    }
  });

  it("opens nothing on a shard to the world; web only from the edge, XMPP only from bridges/recorders/peer VPCs", () => {
    const shardSgs = new Set(
      byType("aws:ec2/securityGroup:SecurityGroup").filter((s) => s.name.endsWith("-shard-sg")).map((s) => s.urn),
    );
    const rules = byType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter((r) => r.name.includes("-shard-"));
    assert.ok(rules.length > 0 && shardSgs.size === 3);
    for (const r of rules) {
      assert.notStrictEqual(inputs(r).cidrIpv4, "0.0.0.0/0", r.name);
      if (inputs(r).cidrIpv4) {
        assert.strictEqual(inputs(r).fromPort, 5222, `${r.name}: only XMPP from peer-region CIDRs`);
        assert.ok(["10.10.0.0/16", "10.20.0.0/16"].includes(inputs(r).cidrIpv4));
      }
    }
  });

  it("grants no IAM action '*' and reads only its own secrets", () => {
    for (const p of byType("aws:iam/rolePolicy:RolePolicy")) {
      const doc = JSON.parse(inputs(p).policy);
      for (const st of doc.Statement) {
        const actions = [].concat(st.Action);
        assert.ok(!actions.some((a: string) => a === "*" || a.endsWith(":*")), `${p.name}: ${actions}`);
        if (actions.includes("ssm:GetParameter" as never)) {
          for (const res of [].concat(st.Resource) as string[]) assert.match(res, /^arn:aws:ssm:[a-z0-9-]+:\d{12}:parameter\/jitsi\/prod\//);
        }
      }
    }
    const shardPolicy = byType("aws:iam/rolePolicy:RolePolicy").find((p) => p.name === "us-east-1-s1-shard-policy")!;
    const readable = JSON.parse(inputs(shardPolicy).policy).Statement.find((s: any) => s.Sid === "OwnSecrets").Resource as string[];
    assert.ok(readable.every((r) => r.includes("/us-east-1-s1/") || r.endsWith("/us-east-1/turn-secret")), readable.join(", "));
  });

  it("renders cloud-config user data with the shard's configs and no secret", () => {
    for (const lt of byType("aws:ec2/launchTemplate:LaunchTemplate").filter((l) => l.name.includes("-shard-"))) {
      const text = decodeUserData(inputs(lt).userData);
      assert.ok(text.startsWith("#cloud-config\n"));
      const doc = parse(text);
      const paths = doc.write_files.map((f: { path: string }) => f.path);
      for (const f of ["prosody.cfg.lua", "jicofo.conf", "config.js", "nginx-site.conf", "boot.sh"])
        assert.ok(paths.some((p: string) => p.endsWith(f)), `${lt.name} lacks ${f}`);
      assert.ok(!/password\s*=\s*"[A-Za-z0-9]{20,}"/.test(text));
    }
  });

  it("publishes every rendered file under its region and component", () => {
    const keys = plan.files.map((f) => `${f.region}/${f.component}/${f.path}`);
    for (const s of ["us-east-1/us-east-1-s1-shard", "us-east-1/us-east-1-s2-shard", "eu-west-1/eu-west-1-s1-shard"])
      for (const f of ["jicofo.conf", "prosody.cfg.lua", "config.js", "nginx-site.conf", "boot.sh", "user-data.yaml"])
        assert.ok(keys.includes(`${s}/${f}`), `missing ${s}/${f}`);
  });

  it("lists resources sorted by URN with unique URNs and parents that exist", () => {
    const urns = plan.resources.map((r) => r.urn);
    assert.deepStrictEqual(urns, [...urns].sort());
    assert.strictEqual(new Set(urns).size, urns.length);
    const set = new Set(urns);
    for (const r of plan.resources) if (r.parent) assert.ok(set.has(r.parent), `${r.urn} has unknown parent`);
  });
});
