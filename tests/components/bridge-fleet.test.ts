import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AutoScalingClient, DescribeAutoScalingGroupsCommand, DescribeScalingActivitiesCommand, SetDesiredCapacityCommand, SetInstanceProtectionCommand } from "@aws-sdk/client-auto-scaling";
import { CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { DescribeTagsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { AwsClientStub, mockClient } from "aws-sdk-client-mock";
import { resolveBridgeFleetArgs } from "../../components/bridge-fleet";
import { shardEndpoint } from "../../config/naming";
import { bridgeScalerBundleIncludePath } from "../../functions/bridge-scaler/bundle";
import { scalerCallback, scalerPolicyDocument } from "../../functions/bridge-scaler/index";
import { PORTS } from "../../config/ports";
import { SCALER_ENV } from "../../functions/bridge-scaler/handler";
import { requireBinary, requireShared, run } from "../helpers/env";
import { leafPaths, parseHoconObject, referenceKeySet, unknownPaths } from "../render/jvb-reference-keys";
import { prodFiles, prodPlan } from "../helpers/prod-plan";
import { PlannedResource } from "../../tools/plan/run";

const REGIONS = ["us-east-1", "eu-west-1"];
const ONE_MB = 1024 * 1024;

type Inputs = Record<string, any>;
const inputs = (r: PlannedResource) => r.inputs as Inputs;

/** Resources of the prod plan under one region's BridgeFleet (by name prefix). */
async function fleetResources(region: string): Promise<PlannedResource[]> {
  return (await prodPlan()).resources.filter((r) => r.name.startsWith(`${region}-bridges`));
}
function one(rs: PlannedResource[], type: string, suffix = ""): PlannedResource {
  const found = rs.filter((r) => r.type === type && r.name.endsWith(suffix));
  assert.equal(found.length, 1, `expected one ${type} *${suffix}, found ${found.map((f) => f.name).join(", ")}`);
  return found[0];
}
function statements(policyJson: string): { Sid?: string; Action: string | string[]; Resource: string | string[]; Condition?: Record<string, unknown> }[] {
  return JSON.parse(policyJson).Statement;
}
const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);

const BASE = {
  deployment: "prod",
  region: "eu-west-1",
  domain: "meet.example.com",
  vpcId: "vpc-1",
  subnetIds: ["subnet-a", "subnet-b"],
  shards: [shardEndpoint("prod", "eu-west-1", "eu-west-1-s1")],
  xmppDestinationCidrs: ["10.20.0.0/16"],
  agent: { bucket: "b", key: "agents/0/agent.js", objectArn: "arn:aws:s3:::b/agents/0/agent.js" },
};

describe("components/bridge-fleet: arguments", () => {
  it("resolves defaults in one place; the hook alone covers the drain; heartbeats stay below the hook timeout", () => {
    const a = resolveBridgeFleetArgs(BASE);
    assert.equal(a.instanceType, "c5.xlarge");
    assert.deepEqual([a.minBridges, a.maxBridges, a.maxDrainSeconds], [1, 10, 3600]);
    assert.equal(a.hookTimeoutSeconds, 3900);
    assert.ok(a.heartbeatSeconds < a.hookTimeoutSeconds);
    const long = resolveBridgeFleetArgs({ ...BASE, maxDrainSeconds: 6 * 3600 });
    assert.equal(long.hookTimeoutSeconds, 7200, "AWS caps the heartbeat timeout at 7200 s; heartbeats extend it");
    assert.deepEqual(resolveBridgeFleetArgs({ ...BASE, spot: true }).spotInstanceTypes, ["c5.xlarge", "c5a.xlarge", "c6i.xlarge", "c6a.xlarge"]);
  });

  it("JVB hands over exactly as many participants as the scaler consolidates (jvb.conf graceful-shutdown-min-participants)", () => {
    assert.equal(resolveBridgeFleetArgs(BASE).handOverParticipants, 20);
    assert.equal(resolveBridgeFleetArgs({ ...BASE, scalingPolicy: { consolidateMaxParticipants: 4 } }).handOverParticipants, 4);
    assert.equal(resolveBridgeFleetArgs({ ...BASE, scalingPolicy: { consolidateAfterS: 0 } }).handOverParticipants, 0, "off: wait for the last one");
  });

  it("rejects warm pool + Spot (and every other bad field) together, naming each", () => {
    try {
      resolveBridgeFleetArgs({ ...BASE, warmPool: true, spot: true, minBridges: 5, maxBridges: 2, maxDrainSeconds: 10, shards: [], scalingPolicy: { targetStress: 2 } });
      assert.fail("should throw");
    } catch (e) {
      const errors = (e as { errors?: { propertyPath: string; reason: string }[] }).errors ?? [];
      assert.deepEqual(errors.map((x) => x.propertyPath).sort(), ["maxDrainSeconds", "minBridges", "scalingPolicy.targetStress", "shards", "warmPool"]);
      assert.match(errors.find((x) => x.propertyPath === "warmPool")!.reason, /cannot be combined with spot/);
    }
  });
});

describe("components/bridge-fleet: prod plan", function () {
  this.timeout(120_000);

  it("per region: group across the region's subnets, launch template (IMDSv2, encrypted gp3, public IP), hook, scaler, schedule", async () => {
    const plan = await prodPlan();
    for (const region of REGIONS) {
      const rs = await fleetResources(region);
      const asg = inputs(one(rs, "aws:autoscaling/group:Group"));
      const regionCfg = plan.config.regions.find((r) => r.name === region)!;
      assert.equal(asg.name, `prod-${region}-bridges`);
      assert.equal(asg.vpcZoneIdentifiers.length, regionCfg.azCount, "one subnet per AZ of the region");
      assert.deepEqual([asg.minSize, asg.maxSize, asg.desiredCapacity], [regionCfg.bridges.min, regionCfg.bridges.max, regionCfg.bridges.min]);
      assert.equal(asg.protectFromScaleIn, true);
      const lt = inputs(one(rs, "aws:ec2/launchTemplate:LaunchTemplate"));
      assert.equal(lt.metadataOptions.httpTokens, "required");
      assert.equal(lt.blockDeviceMappings[0].ebs.encrypted, "true");
      assert.equal(lt.blockDeviceMappings[0].ebs.volumeType, "gp3");
      assert.equal(lt.networkInterfaces[0].associatePublicIpAddress, "true");
      assert.equal(lt.instanceType, regionCfg.bridges.instanceType);
      const hook = inputs(one(rs, "aws:autoscaling/lifecycleHook:LifecycleHook"));
      assert.equal(hook.lifecycleTransition, "autoscaling:EC2_INSTANCE_TERMINATING");
      assert.ok(hook.heartbeatTimeout >= 30 && hook.heartbeatTimeout <= 7200);
      // Up to 7200 s the hook alone covers the drain; beyond, the drain agent's heartbeats extend it to
      // min(48 h, 100 × heartbeatTimeout) (jitsi-facts.md), and the hook must still outlast one heartbeat gap.
      const drain = regionCfg.bridges.maxDrainSeconds;
      if (drain <= 7200) assert.ok(hook.heartbeatTimeout >= drain, "the hook alone covers the drain");
      else assert.ok(hook.heartbeatTimeout === 7200 && drain <= Math.min(172800, 100 * hook.heartbeatTimeout), "heartbeats extend the hook over the drain");
      const fn = inputs(one(rs, "aws:lambda/function:Function"));
      assert.equal(fn.runtime, "nodejs22.x");
      assert.equal(fn.timeout, 50);
      assert.equal(fn.reservedConcurrentExecutions, undefined, "a reservation fails on low-limit accounts");
      assert.equal(fn.environment.variables[SCALER_ENV.groupName], asg.name);
      assert.equal(JSON.parse(fn.environment.variables[SCALER_ENV.policy]).maxBridges, regionCfg.bridges.max);
      assert.equal(inputs(one(rs, "aws:cloudwatch/eventRule:EventRule")).scheduleExpression, "rate(1 minute)");
      assert.equal(inputs(one(rs, "aws:lambda/permission:Permission")).principal, "events.amazonaws.com");
      one(rs, "aws:cloudwatch/eventTarget:EventTarget");
    }
  });

  it("warm pool in us-east-1, Spot mixed instances in eu-west-1 (never both)", async () => {
    const us = inputs(one(await fleetResources("us-east-1"), "aws:autoscaling/group:Group"));
    assert.equal(us.warmPool.poolState, "Stopped");
    // An absolute pool of 4 prepared instances (minSize = maxGroupPreparedCapacity), not group max − desired.
    assert.equal(us.warmPool.minSize, 4);
    assert.equal(us.warmPool.maxGroupPreparedCapacity, 4);
    assert.equal(us.warmPool.instanceReusePolicy.reuseOnScaleIn, false);
    // A launching hook from the group's creation, released by the bridge's await-in-service (named in its user data).
    assert.deepEqual(us.initialLifecycleHooks, [{ name: "jvb-launch", lifecycleTransition: "autoscaling:EC2_INSTANCE_LAUNCHING", heartbeatTimeout: 1200, defaultResult: "ABANDON" }]);
    assert.equal(us.mixedInstancesPolicy, undefined);
    const eu = inputs(one(await fleetResources("eu-west-1"), "aws:autoscaling/group:Group"));
    assert.equal(eu.warmPool, undefined);
    assert.equal(eu.initialLifecycleHooks, undefined, "no launching hook to release without a warm pool");
    assert.equal(eu.mixedInstancesPolicy.instancesDistribution.spotAllocationStrategy, "price-capacity-optimized");
    assert.equal(eu.capacityRebalance, true);
  });

  it("security group: only UDP 10000 open to the world; colibri-ws only from the edge's group and peer VPCs; XMPP out only to the VPCs", async () => {
    for (const region of REGIONS) {
      const rs = await fleetResources(region);
      const ingress = rs.filter((r) => r.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").map(inputs);
      const world = ingress.filter((r) => r.cidrIpv4 === "0.0.0.0/0");
      assert.deepEqual(world.map((r) => [r.ipProtocol, r.fromPort, r.toPort]), [["udp", 10000, 10000]]);
      const ws = ingress.filter((r) => r.fromPort === 9090);
      assert.ok(ws.some((r) => r.referencedSecurityGroupId && !r.cidrIpv4), "from the region's edge group");
      // A peer region's edge reaches it over the peering: exactly the other VPC's CIDR, never the world.
      assert.deepEqual(ws.filter((r) => r.cidrIpv4).map((r) => r.cidrIpv4), [region === "eu-west-1" ? "10.10.0.0/16" : "10.20.0.0/16"]);
      const xmpp = rs.filter((r) => r.type === "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule").map(inputs).filter((r) => r.fromPort === 5222);
      assert.deepEqual(xmpp.map((r) => r.cidrIpv4).sort(), ["10.10.0.0/16", "10.20.0.0/16"]);
    }
  });

  it("IAM: the bridge role reads only its shards' jvb passwords and completes lifecycle actions only on its own group", async () => {
    const rs = await fleetResources("eu-west-1");
    const role = statements(inputs(one(rs, "aws:iam/rolePolicy:RolePolicy", "bridges-policy")).policy);
    const ssm = role.find((s) => list(s.Action).includes("ssm:GetParameter"))!;
    assert.deepEqual(list(ssm.Resource).sort(), [
      "arn:aws:ssm:eu-west-1:123456789012:parameter/jitsi/prod/eu-west-1/eu-west-1-s1/jvb",
      "arn:aws:ssm:us-east-1:123456789012:parameter/jitsi/prod/us-east-1/us-east-1-s1/jvb",
      "arn:aws:ssm:us-east-1:123456789012:parameter/jitsi/prod/us-east-1/us-east-1-s2/jvb",
    ]);
    const lifecycle = role.find((s) => list(s.Action).includes("autoscaling:CompleteLifecycleAction"))!;
    assert.deepEqual(list(lifecycle.Resource), ["arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:*:autoScalingGroupName/prod-eu-west-1-bridges"]);
  });

  it("IAM: the scaler may scale only its group's ARN, tag only its group's instances with the drain tag; '*' only for Describe*/GetMetricData", async () => {
    const rs = await fleetResources("eu-west-1");
    const asg = (await prodPlan()).resources.find((r) => r.type === "aws:autoscaling/group:Group" && r.name === "eu-west-1-bridges-asg")!;
    const st = statements(inputs(one(rs, "aws:iam/rolePolicy:RolePolicy", "scaler-policy")).policy);
    for (const s of st) for (const a of list(s.Action)) assert.ok(!a.includes("*"), `wildcard action ${a}`);
    const scale = st.find((s) => list(s.Action).includes("autoscaling:SetDesiredCapacity"))!;
    assert.match(String(scale.Resource), /^arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:[0-9a-f-]+:autoScalingGroupName\/prod-eu-west-1-bridges$/);
    assert.ok(inputs(asg).name === "prod-eu-west-1-bridges");
    const tags = st.find((s) => list(s.Action).includes("ec2:CreateTags"))!;
    assert.deepEqual(tags.Condition, {
      StringEquals: { "aws:ResourceTag/aws:autoscaling:groupName": "prod-eu-west-1-bridges" },
      "ForAllValues:StringEquals": { "aws:TagKeys": ["jitsi:drain-started"] },
    });
    const star = st.filter((s) => list(s.Resource).includes("*")).flatMap((s) => list(s.Action)).sort();
    assert.deepEqual(star, [
      "autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeScalingActivities", "autoscaling:DescribeWarmPool", "cloudwatch:GetMetricData",
      "ec2:DescribeInstances", "ec2:DescribeNetworkInterfaces", "ec2:DescribeTags",
    ]);
  });

  it("live read: the scaler runs in the region's private subnets with its own group, the only one that reaches the bridges' 9091", async () => {
    const plan = await prodPlan();
    for (const region of REGIONS) {
      const rs = await fleetResources(region);
      const regionCfg = plan.config.regions.find((r) => r.name === region)!;
      const fn = inputs(one(rs, "aws:lambda/function:Function"));
      const asg = inputs(one(rs, "aws:autoscaling/group:Group"));
      const scalerSg = one(rs, "aws:ec2/securityGroup:SecurityGroup", "scaler-sg");
      const bridgeSg = one(rs, "aws:ec2/securityGroup:SecurityGroup", "bridges-sg");
      // Private subnets, one per AZ: not the bridges' public ones (a Lambda gets no public address there).
      assert.equal(fn.vpcConfig.subnetIds.length, regionCfg.azCount);
      for (const id of fn.vpcConfig.subnetIds) assert.ok(!asg.vpcZoneIdentifiers.includes(id), `${id} is a bridge (public) subnet`);
      assert.equal(fn.environment.variables[SCALER_ENV.livePort], String(PORTS.bridgeLive));
      const ingress = rs.filter((r) => r.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").map(inputs);
      const live = ingress.filter((r) => r.fromPort <= PORTS.bridgeLive && r.toPort >= PORTS.bridgeLive);
      assert.equal(live.length, 1);
      assert.equal(live[0].cidrIpv4, undefined, "never from a CIDR");
      assert.equal(live[0].ipProtocol, "tcp");
      const egress = rs.filter((r) => r.type === "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule").map(inputs);
      const fromScaler = egress.filter((r) => r.securityGroupId === fn.vpcConfig.securityGroupIds[0]);
      assert.deepEqual(fromScaler.map((r) => [r.ipProtocol, r.fromPort, r.toPort, r.cidrIpv4 ?? "group"]).sort(), [["tcp", 443, 443, "0.0.0.0/0"], ["tcp", PORTS.bridgeLive, PORTS.bridgeLive, "group"]]);
      assert.ok(scalerSg && bridgeSg);
      // Lambda's attachment to the VPC: interfaces only in its subnets and with its group.
      const st = statements(inputs(one(rs, "aws:iam/rolePolicy:RolePolicy", "scaler-policy")).policy);
      const eni = st.find((s) => list(s.Action).includes("ec2:CreateNetworkInterface"))!;
      const account = "123456789012";
      assert.deepEqual(list(eni.Resource).sort(), [
        `arn:aws:ec2:${region}:${account}:network-interface/*`,
        `arn:aws:ec2:${region}:${account}:security-group/${fn.vpcConfig.securityGroupIds[0]}`,
        ...fn.vpcConfig.subnetIds.map((id: string) => `arn:aws:ec2:${region}:${account}:subnet/${id}`),
      ].sort());
    }
  });

  it("without the live read (a BridgeFleet without scalerSubnetIds) the scaler role has no network-interface or DescribeInstances rights", () => {
    const groupArn = "arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:0f0f:autoScalingGroupName/g";
    const logArn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/g-scaler";
    const actions = (doc: string) => statements(doc).flatMap((s) => list(s.Action));
    const without = actions(scalerPolicyDocument({ groupArn, groupName: "g", logArn }));
    assert.ok(!without.some((a) => a.includes("NetworkInterface") || a === "ec2:DescribeInstances"), without.join(" "));
    const withLive = scalerPolicyDocument({ groupArn, groupName: "g", logArn, live: { subnetIds: ["subnet-p1"], securityGroupId: "sg-s" } });
    assert.ok(actions(withLive).includes("ec2:CreateNetworkInterface"));
    assert.ok(list(statements(withLive).find((s) => list(s.Action).includes("ec2:CreateNetworkInterface"))!.Resource).includes("arn:aws:ec2:eu-west-1:123456789012:subnet/subnet-p1"));
  });

  it("each Lambda archive holds only the callback and the handler bundle, well under 1 MB", async () => {
    for (const region of REGIONS) {
      const code = inputs(one(await fleetResources(region), "aws:lambda/function:Function")).code["[archive]"];
      assert.ok(code.bytes <= ONE_MB, `${code.bytes} bytes`);
      assert.equal(code.files, 2, "__index.js + the bundle; no node_modules package");
      assert.ok(code.bytes < 100 * 1024, `${code.bytes} bytes: an SDK or a dependency slipped in`);
    }
  });

  it("renders jvb.conf, the boot files and valid cloud-config user data under files/<region>/<fleet>/", async function () {
    const plan = await prodPlan();
    for (const region of REGIONS) {
      const files = plan.files.filter((f) => f.region === region && f.component === `${region}-bridges`).map((f) => f.path).sort();
      for (const f of ["jvb.conf", "boot.sh", "jvb-env.sh", "user-data.yaml", "jitsi-aws-jvb-drain.service", "jitsi-aws-metrics.service", "jitsi-aws-jvb-env.service", "jitsi-aws-bridge-live.service"])
        assert.ok(files.includes(f), `${region}: ${f} missing (have ${files.join(", ")})`);
    }
    const userData = (await prodFiles("user-data.yaml")).filter((f) => f.component.endsWith("-bridges"));
    assert.equal(userData.length, 2);
    for (const u of userData) assert.ok(Buffer.byteLength(u.content) < 64 * 1024);
    const cloudInit = requireBinary(this, "cloud-init");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bridge-ud-"));
    try {
      for (const u of userData) {
        const file = path.join(dir, `${u.region}.yaml`);
        fs.writeFileSync(file, u.content);
        run(cloudInit, ["schema", "--config-file", file], { timeoutMs: 60_000 });
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("components/bridge-fleet: the prod plan's jvb.conf", function () {
  this.timeout(120_000);
  it("each region's bridges join every shard of the deployment (local and peer) as themselves, with upstream keys only", async function () {
    const dir = requireShared(this, "reference", "jitsi-upstream");
    const ref = (f: string) => path.join(dir, f);
    const known = await referenceKeySet([
      { path: ref("jitsi-videobridge--jvb-src-main-resources-reference.conf") },
      { path: ref("jitsi-videobridge--jvb-src-main-resources-application.conf"), appendTo: ref("jitsi-videobridge--jvb-src-main-resources-reference.conf") },
      { path: ref("ice4j--src-main-resources-reference.conf") },
    ]);
    const plan = await prodPlan();
    const allShards = plan.config.regions.flatMap((r) => Array.from({ length: r.shards }, (_, i) => `${r.name}-s${i + 1}`)).sort();
    for (const region of REGIONS) {
      const text = plan.files.find((f) => f.region === region && f.component === `${region}-bridges` && f.path === "jvb.conf")!.content;
      const env: Record<string, string> = { JVB_INSTANCE_ID: "i-0abc", JVB_LOCAL_IPV4: "10.0.0.5", JVB_PUBLIC_IPV4: "203.0.113.5", JVB_INITIAL_DRAIN: "false" };
      for (const id of allShards) env[`JVB_XMPP_PASSWORD_${id.toUpperCase().replace(/-/g, "_")}`] = `pw-${id}`;
      const saved = { ...process.env };
      Object.assign(process.env, env);
      let conf: any;
      try {
        conf = await parseHoconObject(text);
      } finally {
        for (const k of Object.keys(env)) if (!(k in saved)) delete process.env[k];
      }
      const configs = conf.videobridge.apis["xmpp-client"].configs;
      assert.deepEqual(Object.keys(configs).sort(), allShards);
      for (const id of allShards) assert.equal(configs[id].password, `pw-${id}`);
      assert.equal(conf.videobridge.relay.region, region);
      const fields = ["hostname", "domain", "username", "password", "muc_jids", "muc_nickname", "disable_certificate_verification", "iq_handler_mode"];
      assert.deepEqual(unknownPaths(leafPaths(conf), known, { "videobridge.apis.xmpp-client.configs": fields }), []);
    }
  });
});

describe("functions/bridge-scaler: the shipped archive runs", function () {
  this.timeout(60_000);
  // The bundled handler creates its own clients: mock the classes, only while this suite runs.
  let asg: AwsClientStub<AutoScalingClient>;
  let cw: AwsClientStub<CloudWatchClient>;
  let ec2: AwsClientStub<EC2Client>;
  let dir: string;
  const savedEnv = { ...process.env };

  before(() => {
    asg = mockClient(AutoScalingClient);
    cw = mockClient(CloudWatchClient);
    ec2 = mockClient(EC2Client);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "bridge-lambda-"));
  });
  after(() => {
    asg.restore();
    cw.restore();
    ec2.restore();
    for (const k of Object.keys(process.env)) if (!(k in savedEnv)) delete process.env[k];
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("the serialized callback + bundle, laid out as /var/task, make one scaling round against a mocked SDK", async () => {
    const pulumi = await import("@pulumi/pulumi");
    const include = bridgeScalerBundleIncludePath();
    const serialized = await pulumi.runtime.serializeFunction(scalerCallback(`./${include}`));
    const task = path.join(dir, "task");
    fs.mkdirSync(path.dirname(path.join(task, include)), { recursive: true });
    fs.writeFileSync(path.join(task, "__index.js"), serialized.text);
    fs.copyFileSync(path.resolve(include), path.join(task, include));
    // The Lambda runtime provides the AWS SDK v3; here it resolves to the project's (mocked) copy.
    fs.mkdirSync(path.join(task, "node_modules"), { recursive: true });
    fs.symlinkSync(path.resolve("node_modules", "@aws-sdk"), path.join(task, "node_modules", "@aws-sdk"));

    const now = Math.floor(Date.now() / 1000);
    asg.on(DescribeAutoScalingGroupsCommand).resolves({
      AutoScalingGroups: [{ AutoScalingGroupName: "g", MinSize: 0, MaxSize: 10, DesiredCapacity: 0, DefaultCooldown: 0, AvailabilityZones: [], HealthCheckType: "EC2", CreatedTime: new Date(0), Instances: [] }],
    });
    asg.on(DescribeScalingActivitiesCommand).resolves({ Activities: [] });
    asg.on(SetDesiredCapacityCommand).resolves({});
    asg.on(SetInstanceProtectionCommand).resolves({});
    ec2.on(DescribeTagsCommand).resolves({ Tags: [] });
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: "fleet", Timestamps: [new Date((Math.floor(now / 60) * 60 - 120) * 1000)], Values: [150], StatusCode: "Complete" }] });
    Object.assign(process.env, {
      [SCALER_ENV.groupName]: "g",
      [SCALER_ENV.fleetName]: "eu-west-1-bridges",
      [SCALER_ENV.fleetRegion]: "eu-west-1",
      [SCALER_ENV.policy]: JSON.stringify({ minBridges: 0, maxBridges: 10 }),
      AWS_REGION: "eu-west-1",
    });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const lambda = require(path.join(task, "__index.js")) as { handler: (event: unknown) => Promise<{ decision: { change: string; desiredCapacity: number } }> };
    const origLog = console.log;
    console.log = () => undefined;
    let result;
    try {
      result = await lambda.handler({ source: "aws.events" });
    } finally {
      console.log = origLog;
    }
    // 150 participants and no bridge: a scale-out, applied as decided (the decision's numbers are decide.ts's).
    assert.equal(result.decision.change, "out");
    assert.ok(result.decision.desiredCapacity >= 2, `desired ${result.decision.desiredCapacity} for 150 participants`);
    assert.deepEqual(asg.commandCalls(SetDesiredCapacityCommand).map((c) => c.args[0].input.DesiredCapacity), [result.decision.desiredCapacity]);
  });
});

describe("config: regions[].bridges", () => {
  it("rejects warmPool together with spot, naming both fields", async () => {
    const { parseConfig } = await import("../../config/parse");
    assert.throws(
      () => parseConfig({ domain: "meet.example.com", regions: [{ name: "eu-west-1", vpcCidr: "10.20.0.0/16", bridges: { warmPool: true, spot: true } }] }),
      (e: Error) => /regions\[0\]\.bridges\.warmPool/.test(e.message) || (/warmPool/.test(e.message) && /spot/.test(e.message)),
    );
    const ok = parseConfig({ domain: "meet.example.com", regions: [{ name: "eu-west-1", vpcCidr: "10.20.0.0/16", bridges: { min: 0, max: 500, warmPool: true } }] });
    assert.equal(ok.regions[0].bridges.min, 0, "0 at night is allowed");
  });

  it("a warm pool of 4 by default, none by default on Spot (AWS allows not both)", async () => {
    const { parseConfig } = await import("../../config/parse");
    const bridges = (b: object) => parseConfig({ domain: "meet.example.com", regions: [{ name: "eu-west-1", vpcCidr: "10.20.0.0/16", bridges: b }] }).regions[0].bridges;
    assert.deepEqual([bridges({}).warmPool, bridges({}).warmPoolSize], [true, 4]);
    assert.equal(bridges({ spot: true }).warmPool, false);
    assert.equal(bridges({ warmPool: false }).warmPool, false);
    assert.equal(bridges({ warmPoolSize: 8 }).warmPoolSize, 8);
    assert.throws(() => bridges({ warmPoolSize: 0 }), /regions\[0\]\.bridges\.warmPoolSize: must be an integer from 1 to 100/);
    // The component resolves the same defaults for a platform team's own program.
    assert.deepEqual([resolveBridgeFleetArgs(BASE).warmPool, resolveBridgeFleetArgs(BASE).warmPoolSize], [true, 4]);
    assert.equal(resolveBridgeFleetArgs({ ...BASE, spot: true }).warmPool, false);
  });
});
