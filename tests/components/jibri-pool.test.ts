/**
 * JibriPool in the offline plan of the prod example (and of a variant with a warm pool, streaming and
 * replication): what an operator would check — secure defaults, a group the replenisher owns, the hooks, the
 * bucket baseline, least-privilege roles, the Lambda's triggers, and a jibri.conf with no secret.
 */
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { gunzipSync } from "zlib";
import { resolveJibriPoolArgs } from "../../components/jibri-pool";
import { makeHandler } from "../../functions/jibri-replenisher/handler";
import { PlannedResource, PlanResult, runPlan } from "../../tools/plan/run";
import { which } from "../helpers/env";
import { parseHoconText } from "../helpers/hocon-keys";
import { prodPlan } from "../helpers/prod-plan";
import { tempProject } from "../plan/fixtures";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
const inputs = (r: PlannedResource) => r.inputs as Any;
const POOL = "us-east-1-jibri";

function userDataText(b64: string): string {
  const raw = Buffer.from(b64, "base64");
  return raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw).toString("utf8") : raw.toString("utf8");
}
function statements(r: PlannedResource): Any[] {
  return JSON.parse(inputs(r).policy).Statement;
}

describe("components/jibri-pool in the prod plan", function () {
  this.timeout(120_000);
  let plan: PlanResult;
  const of = (type: string, name: string) => {
    const r = plan.resources.find((x) => x.type === type && x.name === name);
    assert.ok(r, `no ${type} ${name} in the plan`);
    return r;
  };
  before(async () => {
    plan = await prodPlan();
  });

  it("one JibriPool per region, its children under it", () => {
    const pools = plan.resources.filter((r) => r.type === "jitsi:index:JibriPool").map((r) => r.name).sort();
    assert.deepStrictEqual(pools, ["eu-west-1-jibri", "us-east-1-jibri"]);
    const pool = of("jitsi:index:JibriPool", POOL);
    const kids = plan.resources.filter((r) => r.parent === pool.urn).map((r) => r.type);
    for (const t of ["aws:autoscaling/group:Group", "aws:ec2/launchTemplate:LaunchTemplate", "aws:s3/bucket:Bucket", "aws:sns/topic:Topic", "aws:lambda/function:Function", "aws:cloudwatch/eventRule:EventRule"])
      assert.ok(kids.includes(t), `${POOL} lacks ${t}`);
  });

  it("launch template: IMDSv2 required, encrypted disk, no public address; user data is valid cloud-config without secrets", function () {
    const lt = inputs(of("aws:ec2/launchTemplate:LaunchTemplate", `${POOL}-lt`));
    assert.equal(lt.metadataOptions.httpTokens, "required");
    assert.equal(lt.blockDeviceMappings[0].ebs.encrypted, "true");
    assert.equal(lt.blockDeviceMappings[0].ebs.volumeSize, 40);
    assert.equal(lt.networkInterfaces[0].associatePublicIpAddress, "false");
    const text = userDataText(lt.userData);
    assert.ok(text.startsWith("#cloud-config\n"));
    for (const s of plan.secretValues) assert.ok(!text.includes(s), "a generated secret is in the user data");
    assert.ok(Buffer.byteLength(lt.userData, "base64") <= 16 * 1024);
    const ci = which("cloud-init");
    if (!ci) return this.skip();
    const file = path.join(fs.mkdtempSync("/tmp/jibri-ud-"), "user-data.yaml");
    fs.writeFileSync(file, text);
    execFileSync(ci, ["schema", "--config-file", file], { stdio: "pipe" });
  });

  it("group: 0..max with the idle target as its first desired capacity, both lifecycle hooks, a warm pool of 10 by default", () => {
    const g = inputs(of("aws:autoscaling/group:Group", `${POOL}-asg`));
    const max = plan.config.regions.find((r) => r.name === "us-east-1")!.jibri.max;
    assert.deepStrictEqual([g.name, g.minSize, g.maxSize, g.desiredCapacity], ["prod-us-east-1-jibri", 0, max, 5]);
    const hooks = Object.fromEntries(g.initialLifecycleHooks.map((h: Any) => [h.lifecycleTransition, [h.name, h.heartbeatTimeout, h.defaultResult]]));
    assert.deepStrictEqual(hooks, {
      "autoscaling:EC2_INSTANCE_LAUNCHING": ["prod-us-east-1-jibri-launching", 1800, "ABANDON"],
      "autoscaling:EC2_INSTANCE_TERMINATING": ["prod-us-east-1-jibri-terminating", 3600, "CONTINUE"],
    });
    // An absolute pool of 10 prepared recorders (minSize = maxGroupPreparedCapacity), not max − desired.
    assert.deepStrictEqual([g.warmPool.poolState, g.warmPool.minSize, g.warmPool.maxGroupPreparedCapacity, g.warmPool.instanceReusePolicy.reuseOnScaleIn], ["Stopped", 10, 10, false]);
    assert.equal(g.instanceRefresh.preferences.scaleInProtectedInstances, "Wait");
    assert.deepStrictEqual(g.suspendedProcesses, ["AZRebalance"], "only the replenisher picks which recorder goes");
  });

  it("recordings bucket: SSE-S3, versioned, public access blocked, TLS-only, lifecycle to IA then expiry, kept on destroy", () => {
    const sse = inputs(of("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", `${POOL}-recordings-sse`));
    assert.equal(sse.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm, "AES256");
    assert.equal(inputs(of("aws:s3/bucketVersioning:BucketVersioning", `${POOL}-recordings-versioning`)).versioningConfiguration.status, "Enabled");
    const pab = inputs(of("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", `${POOL}-recordings-public-access-block`));
    assert.deepStrictEqual([pab.blockPublicAcls, pab.blockPublicPolicy, pab.ignorePublicAcls, pab.restrictPublicBuckets], [true, true, true, true]);
    const deny = statements(of("aws:s3/bucketPolicy:BucketPolicy", `${POOL}-recordings-policy`)).find((s) => s.Effect === "Deny");
    assert.deepStrictEqual(deny.Condition, { Bool: { "aws:SecureTransport": "false" } });
    const rules = inputs(of("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", `${POOL}-recordings-lifecycle`)).rules;
    const age = rules.find((r: Any) => r.id === "recordings-age");
    assert.deepStrictEqual([age.filter.prefix, age.transitions[0].days, age.transitions[0].storageClass, age.expiration.days], ["recordings/", 30, "STANDARD_IA", 365]);
    assert.equal(inputs(of("aws:s3/bucket:Bucket", `${POOL}-recordings`)).forceDestroy, false);
  });

  it("instance role: uploads only under recordings/, protection and hooks only on its own group, tags only its status keys", () => {
    const st = statements(of("aws:iam/rolePolicy:RolePolicy", `${POOL}-policy`));
    for (const s of st) for (const a of [s.Action].flat()) assert.ok(!a.endsWith("*"), `wildcard action ${a}`);
    const by = (sid: string) => st.find((s) => s.Sid === sid);
    assert.match(by("UploadRecordings").Resource, /^arn:aws:s3:::.+\/recordings\/\*$/);
    assert.equal(by("OwnGroupLifecycle").Resource, "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:*:autoScalingGroupName/prod-us-east-1-jibri");
    assert.deepStrictEqual(by("OwnStatusTags").Condition.StringEquals, { "ec2:ResourceTag/aws:autoscaling:groupName": "prod-us-east-1-jibri" });
    assert.match(by("StatusEvents").Resource, /^arn:aws:sns:us-east-1:123456789012:/);
    assert.equal(by("CloudWatchAgentConfig").Resource, "arn:aws:ssm:us-east-1:123456789012:parameter/jitsi/prod/cloudwatch-agent/jibri");
    assert.deepStrictEqual(by("OwnSecrets").Resource, [
      "arn:aws:ssm:us-east-1:123456789012:parameter/jitsi/prod/us-east-1/us-east-1-s1/jibri",
      "arn:aws:ssm:us-east-1:123456789012:parameter/jitsi/prod/us-east-1/us-east-1-s1/recorder",
      "arn:aws:ssm:us-east-1:123456789012:parameter/jitsi/prod/us-east-1/us-east-1-s2/jibri",
      "arn:aws:ssm:us-east-1:123456789012:parameter/jitsi/prod/us-east-1/us-east-1-s2/recorder",
    ]);
  });

  it("replenisher: nodejs22.x, explicit timeout, one run at a time, own role scoped to its group, small archive", () => {
    const fn = inputs(of("aws:lambda/function:Function", `${POOL}-replenisher-fn`));
    assert.deepStrictEqual([fn.runtime, fn.timeout, fn.reservedConcurrentExecutions], ["nodejs22.x", 30, 1]);
    assert.equal(fn.environment.variables.JIBRI_GROUP, "prod-us-east-1-jibri");
    const target = JSON.parse(fn.environment.variables.JIBRI_TARGET);
    const max = plan.config.regions.find((r) => r.name === "us-east-1")!.jibri.max;
    // The warm pool's lead (a prepared recorder records after about a minute), not a cold boot's 600 s.
    assert.deepStrictEqual([target.idleTarget, target.maxInstances, target.leadTimeSeconds], [5, max, 180]);
    assert.ok(fn.code["[archive]"].bytes < 100 * 1024, `archive ${fn.code["[archive]"].bytes} bytes`);
    const st = statements(of("aws:iam/rolePolicy:RolePolicy", `${POOL}-replenisher-policy`));
    const scale = st.find((s) => s.Sid === "ScaleOwnGroup");
    assert.equal(scale.Resource, "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:*:autoScalingGroupName/prod-us-east-1-jibri");
    assert.deepStrictEqual(st.filter((s) => s.Resource === "*").flatMap((s) => s.Action).sort(), ["autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeWarmPool", "cloudwatch:GetMetricData", "cloudwatch:PutMetricData", "ec2:DescribeInstances"]);
  });

  it("replenisher triggers: every minute and on every status message", () => {
    assert.equal(inputs(of("aws:cloudwatch/eventRule:EventRule", `${POOL}-replenisher-schedule`)).scheduleExpression, "rate(1 minute)");
    const sub = inputs(of("aws:sns/topicSubscription:TopicSubscription", `${POOL}-replenisher-status-subscription`));
    assert.equal(sub.protocol, "lambda");
    const perms = plan.resources.filter((r) => r.type === "aws:lambda/permission:Permission" && r.name.startsWith(`${POOL}-replenisher`)).map((r) => inputs(r).principal).sort();
    assert.deepStrictEqual(perms, ["events.amazonaws.com", "sns.amazonaws.com"]);
  });

  it("the shards accept XMPP from the recorders' security group", () => {
    const sg = of("aws:ec2/securityGroup:SecurityGroup", `${POOL}-sg`);
    const rules = plan.resources.filter((r) => r.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule" && r.name.startsWith("us-east-1-s1-shard-xmpp-from-sg"));
    assert.ok(rules.some((r) => inputs(r).fromPort === 5222 && String(inputs(r).referencedSecurityGroupId).includes("sg-")), JSON.stringify(rules.map(inputs)));
    assert.equal(plan.resources.filter((r) => r.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule" && r.parent === sg.urn).length, 0, "no inbound to recorders");
  });

  it("writes jibri.conf under files/<region>/<pool>/ with one environment per shard of the region and no secret", async () => {
    const f = plan.files.find((x) => x.region === "us-east-1" && x.component === POOL && x.path === "jibri.conf");
    assert.ok(f, "no jibri.conf");
    for (const s of plan.secretValues) assert.ok(!f.content.includes(s));
    const env: Record<string, string> = { JIBRI_INSTANCE_ID: "i-1" };
    for (const sh of ["US_EAST_1_S1", "US_EAST_1_S2"]) Object.assign(env, { [`JIBRI_CONTROL_PASSWORD_${sh}`]: "x", [`JIBRI_CALL_PASSWORD_${sh}`]: "y" });
    const conf = (await parseHoconText(f.content, env)) as Any;
    assert.deepStrictEqual(conf.jibri.api.xmpp.environments.map((e: Any) => e["xmpp-server-hosts"][0]), ["us-east-1-s1.us-east-1.prod.jitsi.internal", "us-east-1-s2.us-east-1.prod.jitsi.internal"]);
    assert.deepStrictEqual(conf.jibri.streaming["rtmp-allow-list"], [], "no streaming unless configured");
    // The recorders join the brewery each shard's Jicofo watches.
    const jicofo = plan.files.find((x) => x.component === "us-east-1-s1-shard" && x.path === "jicofo.conf");
    assert.ok(jicofo, "no jicofo.conf of us-east-1-s1");
    const brewery = /jibri\s*\{[^}]*brewery-jid\s*=\s*"([^"]+)"/s.exec(jicofo.content)?.[1];
    const muc = conf.jibri.api.xmpp.environments[0]["control-muc"];
    assert.equal(`${muc["room-name"]}@${muc.domain}`, brewery);
  });
});

describe("components/jibri-pool variant: warm pool, streaming, replication", function () {
  this.timeout(120_000);
  it("sizes the warm pool, with its shorter lead time, the RTMP allow list and a replication rule with its own role", async () => {
    const dir = tempProject("var", {
      deployment: "var",
      domain: "meet.example.com",
      regions: [{ name: "eu-west-1", vpcCidr: "10.20.0.0/16", jibri: { warmPoolSize: 4, idleTarget: 2, max: 8, rtmpAllowList: ["^rtmps://live\\.example\\.com/.*"] } }],
      recordings: { replicationDestinationBucketArn: "arn:aws:s3:::var-recordings-replica" },
    });
    const plan = await runPlan({ stack: "var", root: dir });
    const r = (type: string, name: string) => inputs(plan.resources.find((x) => x.type === type && x.name === name)!);
    const g = r("aws:autoscaling/group:Group", "eu-west-1-jibri-asg");
    assert.deepStrictEqual([g.warmPool.poolState, g.warmPool.minSize, g.warmPool.maxGroupPreparedCapacity], ["Stopped", 4, 4]);
    assert.equal(JSON.parse(r("aws:lambda/function:Function", "eu-west-1-jibri-replenisher-fn").environment.variables.JIBRI_TARGET).leadTimeSeconds, 180);
    const rep = r("aws:s3/bucketReplicationConfig:BucketReplicationConfig", "eu-west-1-jibri-recordings-replication");
    assert.deepStrictEqual([rep.rules[0].filter.prefix, rep.rules[0].destination.bucket], ["recordings/", "arn:aws:s3:::var-recordings-replica"]);
    const repPolicy = JSON.parse(r("aws:iam/rolePolicy:RolePolicy", "eu-west-1-jibri-recordings-replication-policy").policy).Statement;
    assert.equal(repPolicy.find((s: Any) => s.Sid === "WriteReplica").Resource, "arn:aws:s3:::var-recordings-replica/*");
    const conf = plan.files.find((f) => f.component === "eu-west-1-jibri" && f.path === "jibri.conf")!.content;
    assert.match(conf, /rtmp-allow-list = \["\^rtmps:\/\/live\\\\.example\\\\.com\/\.\*"\]/);
  });
});

describe("components/jibri-pool arguments and the Lambda closure", () => {
  const base = { deployment: "d", region: "us-east-1", domain: "meet.example.com", shards: [{ id: "s", region: "us-east-1", hostname: "h", secretParameters: { focus: "/a", jvb: "/b", jibri: "/c", recorder: "/d" } }], vpcId: "vpc-1", subnetIds: ["subnet-1"], agent: { bucket: "b", key: "k", objectArn: "arn:aws:s3:::b/k" } };
  it("resolves defaults in one place", () => {
    const a = resolveJibriPoolArgs(base);
    assert.deepStrictEqual([a.poolName, a.idleTarget, a.max, a.warmPool, a.warmPoolSize, a.leadTimeSeconds, a.usageTimeoutMinutes, a.resolution], ["jibri", 5, 20, true, 10, 180, 240, "1280x720"]);
    assert.equal(resolveJibriPoolArgs({ ...base, warmPool: false }).leadTimeSeconds, 600, "a cold boot installs and reboots");
  });
  it("reports every bad field together", () => {
    assert.throws(
      () => resolveJibriPoolArgs({ ...base, shards: [], idleTarget: 50, max: 10, transitionToIaDays: 10, expireDays: 5 }),
      (e: Any) => {
        const paths = (e.errors as { propertyPath: string }[]).map((x) => x.propertyPath).sort();
        return JSON.stringify(paths) === JSON.stringify(["expireDays", "idleTarget", "shards", "transitionToIaDays"]);
      },
    );
  });
  it("the handler serializes into a standalone module that loads the AWS SDK from the runtime, not Pulumi", async () => {
    const { text, exportName } = await pulumi.runtime.serializeFunction(makeHandler, { isFactoryFunction: true });
    assert.match(text, /require\("@aws-sdk\/client-auto-scaling["/]/);
    assert.ok(!/require\("@pulumi\//.test(text), "the archive would pull in @pulumi");
    // Loaded from inside the repository (so require finds @aws-sdk as the Lambda runtime would), it builds the
    // handler, which refuses to run without its environment.
    const dir = fs.mkdtempSync(path.join(__dirname, "..", "..", "node_modules", ".cache-jibri-"));
    try {
      fs.writeFileSync(path.join(dir, "index.js"), text);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const handler = require(path.join(dir, "index.js"))[exportName] as (e: unknown) => Promise<unknown>;
      const saved = process.env.JIBRI_GROUP;
      delete process.env.JIBRI_GROUP;
      await assert.rejects(handler({}), /environment variable JIBRI_GROUP is required/);
      if (saved !== undefined) process.env.JIBRI_GROUP = saved;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
