/**
 * Multi-region: the Region composition, the peering mesh, relays wired into jvb.conf/jicofo.conf, latency
 * records, and stack-per-region mode with a mocked StackReference.
 */
import * as assert from "assert";
import { PlanResult, PlannedResource, runPlan } from "../../tools/plan/run";
import { prodPlan } from "../helpers/prod-plan";
import { DEFAULT_BRIDGE_POLICY, resolveBridgePolicy } from "../../functions/bridge-scaler/decide";
import { keyPaths, parseHoconText, standInEnv } from "../helpers/hocon-keys";

const inputs = (r: PlannedResource) => r.inputs as Record<string, any>;
const ofType = (p: PlanResult, t: string) => p.resources.filter((r) => r.type === t);

/** Shard ids a rendered jvb.conf registers with (videobridge.apis.xmpp-client.configs.<id>). */
async function jvbShards(content: string): Promise<string[]> {
  const obj = (await parseHoconText(content, standInEnv(content))) as any;
  const configs = obj?.videobridge?.apis?.["xmpp-client"]?.configs ?? {};
  return Object.keys(configs).sort();
}

describe("multi-region plan (prod: us-east-1 + eu-west-1)", function () {
  let plan: PlanResult;
  before(async () => {
    plan = await prodPlan();
  });

  it("composes each region from its VPC, shards, edge, bridges, recorders, TURN and monitoring", () => {
    for (const region of ofType(plan, "jitsi:index:Region")) {
      const kids = plan.resources.filter((r) => r.parent === region.urn).map((r) => r.type);
      for (const t of ["awsx:ec2:Vpc", "aws:route53/zone:Zone", "jitsi:index:JitsiShard", "jitsi:index:EdgeProxy", "jitsi:index:BridgeFleet", "jitsi:index:JibriPool", "jitsi:index:TurnCluster"])
        assert.ok(kids.includes(t), `${region.name} lacks ${t}`);
    }
  });

  it("peers the two VPCs both ways: connection, acceptance, a route per subnet, zones resolvable across", () => {
    const [peering] = ofType(plan, "aws:ec2/vpcPeeringConnection:VpcPeeringConnection");
    assert.ok(peering, "no peering");
    assert.strictEqual(inputs(peering).peerRegion, "us-east-1");
    assert.strictEqual(ofType(plan, "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter").length, 1);
    const routes = ofType(plan, "aws:ec2/route:Route").filter((r) => r.name.startsWith("eu-west-1-us-east-1-"));
    const toUs = routes.filter((r) => inputs(r).destinationCidrBlock === "10.10.0.0/16");
    const toEu = routes.filter((r) => inputs(r).destinationCidrBlock === "10.20.0.0/16");
    assert.strictEqual(toUs.length, 2 * 2, "eu-west-1: 2 AZs × (public + private) route tables");
    assert.strictEqual(toEu.length, 3 * 2, "us-east-1: 3 AZs × (public + private) route tables");
    assert.strictEqual(ofType(plan, "aws:route53/zoneAssociation:ZoneAssociation").length, 2);
  });

  it("lets each shard accept XMPP from the other region's VPC, and nothing else from outside", () => {
    const rules = ofType(plan, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter((r) => r.name.includes("-shard-xmpp-from-peer"));
    const byShard = new Map(rules.map((r) => [r.name.split("-shard-")[0], inputs(r)]));
    assert.deepStrictEqual(byShard.get("us-east-1-s1")?.cidrIpv4, "10.20.0.0/16");
    assert.deepStrictEqual(byShard.get("eu-west-1-s1")?.cidrIpv4, "10.10.0.0/16");
    for (const r of rules) assert.deepStrictEqual([inputs(r).fromPort, inputs(r).toPort, inputs(r).ipProtocol], [5222, 5222, "tcp"]);
  });

  it("lets the other region's edge reach this region's bridges' colibri websockets (9090), over the peering only", () => {
    const rules = ofType(plan, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter((r) => r.name.includes("-bridges-ws-from-peer-"));
    assert.deepStrictEqual(rules.map((r) => [r.name.split("-bridges-")[0], inputs(r).cidrIpv4, inputs(r).fromPort]).sort(), [
      ["eu-west-1", "10.10.0.0/16", 9090],
      ["us-east-1", "10.20.0.0/16", 9090],
    ]);
  });

  it("registers the bridges of each region with the shards of the other (relays)", async () => {
    const eu = plan.files.find((f) => f.region === "eu-west-1" && f.path === "jvb.conf");
    const us = plan.files.find((f) => f.region === "us-east-1" && f.path === "jvb.conf");
    assert.ok(eu && us, "jvb.conf of both regions");
    assert.deepStrictEqual(await jvbShards(eu.content), ["eu-west-1-s1", "us-east-1-s1", "us-east-1-s2"]);
    assert.deepStrictEqual(await jvbShards(us.content), ["eu-west-1-s1", "us-east-1-s1", "us-east-1-s2"]);
    const relay = (await parseHoconText(eu.content, standInEnv(eu.content))) as any;
    assert.strictEqual(String(relay.videobridge.relay.enabled), "true");
    assert.strictEqual(relay.videobridge.relay.region, "eu-west-1");
    assert.ok(keyPaths(relay).includes("videobridge.relay.relay-id"));
  });

  it("uses region-based bridge selection with relays in every shard's Jicofo", () => {
    for (const f of plan.files.filter((x) => x.path === "jicofo.conf")) {
      assert.match(f.content, /selection-strategy = RegionBasedBridgeSelectionStrategy/);
      assert.match(f.content, new RegExp(`local-region = "${f.region}"`));
      assert.match(f.content, /octo \{\s*#[^\n]*\n\s*enabled = true/);
    }
  });

  it("routes users to the nearest healthy region with a latency record per region", () => {
    const records = ofType(plan, "aws:route53/record:Record").filter((r) => inputs(r).latencyRoutingPolicies);
    assert.deepStrictEqual(records.map((r) => inputs(r).setIdentifier).sort(), ["eu-west-1", "us-east-1"]);
    for (const r of records) {
      assert.strictEqual(inputs(r).name, "meet.example.com");
      assert.strictEqual(inputs(r).zoneId, "Z0123456789EXAMPLE01");
      assert.ok(inputs(r).healthCheckId, "health checked");
      assert.strictEqual(inputs(r).aliases[0].evaluateTargetHealth, true);
    }
    const ids = new Set(records.map((r) => inputs(r).healthCheckId));
    assert.strictEqual(ids.size, 2, "one health check per region");
  });
});

describe("stack-per-region mode (mocked StackReference)", function () {
  let us: PlanResult;
  let eu: PlanResult;
  before(async () => {
    us = await runPlan({ stack: "prod-us-east-1" });
    eu = await runPlan({ stack: "prod-eu-west-1" });
  });

  it("deploys one region and reads the other from its stack", () => {
    assert.deepStrictEqual(ofType(us, "jitsi:index:Region").map((r) => r.name), ["us-east-1"]);
    const refs = ofType(us, "pulumi:pulumi:StackReference");
    assert.deepStrictEqual(refs.map((r) => r.name), ["acme/jitsi-aws/prod-eu-west-1"]);
  });

  it("wires the peer: shards admit its CIDR, bridges register with its shards", async () => {
    const rule = ofType(us, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").find((r) => r.name === "us-east-1-s1-shard-xmpp-from-peer-0");
    assert.strictEqual(rule && inputs(rule).cidrIpv4, "10.20.0.0/16");
    const jvb = us.files.find((f) => f.path === "jvb.conf");
    assert.ok(jvb);
    assert.deepStrictEqual(await jvbShards(jvb.content), ["eu-west-1-s1", "us-east-1-s1", "us-east-1-s2"]);
    const euJvb = eu.files.find((f) => f.path === "jvb.conf");
    assert.deepStrictEqual(await jvbShards(euJvb!.content), ["eu-west-1-s1", "us-east-1-s1", "us-east-1-s2"]);
  });

  it("gives each peering exactly one owner: the stack whose region sorts later", () => {
    const usPeering = ofType(us, "aws:ec2/vpcPeeringConnection:VpcPeeringConnection");
    const euPeering = ofType(eu, "aws:ec2/vpcPeeringConnection:VpcPeeringConnection");
    assert.strictEqual(usPeering.length, 1, "us-east-1 sorts after eu-west-1: it owns the link");
    assert.strictEqual(euPeering.length, 0);
    // The peer's VPC id comes from the StackReference outputs.
    assert.match(inputs(usPeering[0]).vpcId, /^vpc-/);
    assert.match(inputs(usPeering[0]).peerVpcId, /^vpc-/);
    assert.strictEqual(ofType(us, "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter").length, 1);
  });
});

describe("scaling policy from the stack config", () => {
  it("reaches the bridge scaler Lambda (regions[].bridges.scaling → BRIDGE_POLICY_JSON)", async () => {
    const plan = await prodPlan();
    const fns = plan.resources.filter((r) => r.type === "aws:lambda/function:Function" && r.name.includes("bridges-scaler"));
    assert.strictEqual(fns.length, 2);
    for (const fn of fns) {
      // The Lambda gets the overrides and resolves the rest from the shipped defaults, as the handler does.
      const policy = resolveBridgePolicy(JSON.parse((fn.inputs as any).environment.variables.BRIDGE_POLICY_JSON));
      const region = plan.config.regions.find((r) => fn.name.startsWith(r.name))!;
      assert.strictEqual(policy.participantsPerBridge, region.bridges.scaling.participantsPerBridge ?? DEFAULT_BRIDGE_POLICY.participantsPerBridge);
      assert.strictEqual(policy.drainCapS, region.bridges.maxDrainSeconds);
      assert.strictEqual(policy.minBridges, region.bridges.min);
      assert.strictEqual(policy.maxBridges, region.bridges.max);
    }
    assert.strictEqual(plan.config.regions[0].bridges.scaling.participantsPerBridge, 100, "set in Pulumi.prod.yaml");
  });
});
