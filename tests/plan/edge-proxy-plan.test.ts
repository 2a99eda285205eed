/**
 * The EdgeProxy in the prod plan, checked as an operator would: per region one EdgeProxy with its group, launch
 * template, NLB, TLS listener, target group, certificate, security groups (world: 443 only) and access-log
 * group; and bad arguments refused before anything is created.
 */
import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { resolveEdgeProxyArgs, EdgeProxyArgs } from "../../components/edge-proxy";
import { PlanResult, PlannedResource } from "../../tools/plan/run";
import { prodPlan } from "../helpers/prod-plan";

let plan: PlanResult;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const inputs = (r: PlannedResource) => r.inputs as Record<string, any>;
const childrenOf = (r: PlannedResource) => plan.resources.filter((c) => c.parent === r.urn);
const child = (edge: PlannedResource, type: string, suffix: string) => {
  const found = childrenOf(edge).filter((c) => c.type === type && c.name.endsWith(suffix));
  assert.equal(found.length, 1, `${edge.name}: one ${type} named *${suffix}`);
  return found[0];
};

describe("EdgeProxy in the plan of the prod stack", function () {
  this.timeout(120_000);
  let edges: PlannedResource[];
  before(async () => {
    plan = await prodPlan();
    edges = plan.resources.filter((r) => r.type === "jitsi:index:EdgeProxy");
  });

  it("has one EdgeProxy per region, inside that region", () => {
    assert.deepEqual(edges.map((e) => e.name).sort(), ["eu-west-1-edge", "us-east-1-edge"]);
    for (const e of edges) {
      const parent = plan.resources.find((r) => r.urn === e.parent);
      assert.equal(parent?.type, "jitsi:index:Region");
    }
  });

  it("runs ≥ 2 HAProxies in one self-healing group over every private subnet (≥ 2 AZs), behind the target group", () => {
    for (const e of edges) {
      const asg = inputs(child(e, "aws:autoscaling/group:Group", "-asg"));
      assert.deepEqual([asg.minSize, asg.maxSize, asg.desiredCapacity], [2, 2, 2]);
      assert.ok(asg.vpcZoneIdentifiers.length >= 2, "subnets of two AZs at least");
      assert.equal(asg.healthCheckType, "ELB");
      assert.equal(asg.targetGroupArns.length, 1);
      // Rolling replacement launches before it terminates: a new proxy joins the peers first.
      assert.deepEqual([asg.instanceRefresh.preferences.minHealthyPercentage, asg.instanceRefresh.preferences.maxHealthyPercentage], [100, 200]);
    }
  });

  it("launches from a template with IMDSv2 required, an encrypted disk, no public address and the rendered user data", () => {
    for (const e of edges) {
      const lt = inputs(child(e, "aws:ec2/launchTemplate:LaunchTemplate", "-lt"));
      assert.equal(lt.metadataOptions.httpTokens, "required");
      assert.ok(lt.blockDeviceMappings.every((b: { ebs: { encrypted: string } }) => b.ebs.encrypted === "true"));
      assert.equal(lt.networkInterfaces[0].associatePublicIpAddress, "false");
      const files = plan.files.filter((f) => f.component === e.name).map((f) => f.path);
      for (const f of ["haproxy.cfg", "haproxy-input.json", "boot.sh", "user-data.yaml"]) assert.ok(files.includes(f), `${e.name} renders ${f}`);
    }
  });

  it("terminates TLS on an internet-facing NLB with the ACM certificate, validated by DNS in the hosted zone", () => {
    for (const e of edges) {
      const nlb = child(e, "aws:lb/loadBalancer:LoadBalancer", "-nlb");
      assert.equal(inputs(nlb).loadBalancerType, "network");
      assert.equal(inputs(nlb).internal, false);
      const listener = inputs(child(e, "aws:lb/listener:Listener", "-tls"));
      assert.deepEqual([listener.port, listener.protocol, listener.alpnPolicy], [443, "TLS", "HTTP1Only"]);
      assert.match(listener.sslPolicy, /^ELBSecurityPolicy-TLS13/);
      const cert = inputs(child(e, "aws:acm/certificate:Certificate", "-cert"));
      assert.deepEqual([cert.domainName, cert.validationMethod], ["meet.example.com", "DNS"]);
      child(e, "aws:acm/certificateValidation:CertificateValidation", "-cert-validated");
      assert.match(listener.certificateArn, new RegExp(`^arn:aws:acm:${e.name.replace(/-edge$/, "")}:\\d{12}:certificate/`));
      const record = inputs(child(e, "aws:route53/record:Record", "-cert-validation"));
      assert.equal(record.zoneId, "Z0123456789EXAMPLE01");
      assert.equal(record.type, "CNAME");
    }
  });

  it("forwards TCP with PROXY protocol v2 to HAProxy and health-checks /haproxy-health", () => {
    for (const e of edges) {
      const tg = inputs(child(e, "aws:lb/targetGroup:TargetGroup", "-tg"));
      assert.deepEqual([tg.protocol, tg.port, tg.proxyProtocolV2], ["TCP", 80, true]);
      assert.deepEqual([tg.healthCheck.protocol, tg.healthCheck.port, tg.healthCheck.path], ["HTTP", "8404", "/haproxy-health"]);
    }
  });

  it("lets colibri websockets reach only bridge addresses of this and the peer region's VPC", () => {
    for (const f of plan.files.filter((x) => x.component.endsWith("-edge") && x.path === "haproxy.cfg"))
      assert.match(f.content, /acl bridge_ok var\(txn\.bridge\) -m ip (10\.10\.0\.0\/16 10\.20\.0\.0\/16|10\.20\.0\.0\/16 10\.10\.0\.0\/16)\n/, f.region);
  });

  it("opens only 443 to the world; HAProxy only to the NLB and to the other proxies (peers)", () => {
    for (const e of edges) {
      const rules = childrenOf(e).filter((c) => c.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").map(inputs);
      const world = rules.filter((r) => r.cidrIpv4 === "0.0.0.0/0" || r.cidrIpv6 === "::/0");
      assert.deepEqual(world.map((r) => [r.ipProtocol, r.fromPort, r.toPort]), [["tcp", 443, 443]]);
      assert.ok(rules.filter((r) => r !== world[0]).every((r) => r.referencedSecurityGroupId !== undefined), "the rest come from security groups");
      assert.deepEqual(rules.map((r) => r.fromPort).sort(), [1024, 443, 80, 8404].sort());
    }
  });

  it("lets each shard take web (80) and agent-check (6060) traffic, and the bridges colibri-ws (9090), from the edge", () => {
    for (const e of edges) {
      const region = e.name.replace(/-edge$/, "");
      // The proxies' own group: the peers rule refers to it.
      const edgeSg = inputs(child(e, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "-peers")).referencedSecurityGroupId;
      const fromEdge = plan.resources
        .filter((r) => r.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule" && r.name.startsWith(`${region}-`) && inputs(r).referencedSecurityGroupId === edgeSg && r.parent !== e.urn)
        .map((r) => `${r.name.replace(/-(web|agent|ws)-from-edge-0$/, "")}:${inputs(r).fromPort}`)
        .sort();
      const shards = plan.config.regions.find((r) => r.name === region)?.shards ?? 0;
      const expected = [`${region}-bridges:9090`, ...Array.from({ length: shards }, (_, i) => [`${region}-s${i + 1}-shard:6060`, `${region}-s${i + 1}-shard:80`]).flat()].sort();
      assert.deepEqual(fromEdge, expected);
    }
  });

  it("gives the proxies a least-privilege role: no '*' action, '*' resource only for DescribeInstances and what AWS requires", () => {
    for (const e of edges) {
      const policy = JSON.parse(inputs(child(e, "aws:iam/rolePolicy:RolePolicy", "-policy")).policy) as { Statement: { Sid: string; Action: string[]; Resource: unknown }[] };
      for (const s of policy.Statement) assert.ok(s.Action.every((a) => !a.includes("*")), `${s.Sid} has a wildcard action`);
      const discovery = policy.Statement.find((s) => s.Sid === "PeerDiscovery");
      assert.deepEqual(discovery?.Action, ["ec2:DescribeInstances"]);
      assert.match(String(policy.Statement.find((s) => s.Sid === "CloudWatchAgentConfig")?.Resource), /^arn:aws:ssm:[a-z0-9-]+:\d{12}:parameter\/jitsi\/prod\/cloudwatch-agent\/edge$/);
    }
  });

  it("ships access logs to the region's /jitsi/prod/haproxy log group (created by EdgeProxy, with retention)", () => {
    const groups = plan.resources.filter((r) => r.type === "aws:cloudwatch/logGroup:LogGroup" && inputs(r).name === "/jitsi/prod/haproxy");
    assert.equal(groups.length, 2, "one per region");
    const edges = new Set(plan.resources.filter((r) => r.type === "jitsi:index:EdgeProxy").map((r) => r.urn));
    for (const g of groups) assert.ok(edges.has(g.parent ?? ""), `${g.name} belongs to an EdgeProxy`);
    for (const g of groups) assert.ok(inputs(g).retentionInDays > 0);
    for (const f of plan.files.filter((x) => x.component.endsWith("-edge") && x.path === "haproxy.cfg")) {
      assert.match(f.content, /log \/dev\/log local0/);
      assert.match(f.content, /log-format ".*room=%\[var\(txn\.room\)\]/);
    }
  });
});

describe("EdgeProxy arguments", () => {
  const good: EdgeProxyArgs = {
    deployment: "prod",
    region: "us-east-1",
    domain: "meet.example.com",
    vpcId: "vpc-1",
    vpcCidr: "10.10.0.0/16",
    publicSubnetIds: ["subnet-a", "subnet-b"],
    privateSubnetIds: ["subnet-c", "subnet-d"],
    shards: [{ id: "us-east-1-s1", hostname: "us-east-1-s1.us-east-1.prod.jitsi.internal" }],
    agent: { bucket: "b", key: "k", objectArn: "arn:aws:s3:::b/k" },
  };

  it("resolves the documented defaults", () => {
    const r = resolveEdgeProxyArgs(good);
    assert.deepEqual([r.instances, r.instanceType, r.hashBalanceFactor, r.stickExpireSeconds, r.connectionsPer10sPerClient], [2, "c5.large", 150, 300, 60]);
  });

  it("refuses bad arguments, naming every bad field, before any child exists", () => {
    try {
      resolveEdgeProxyArgs({ ...good, instances: 1, bridgeCidrs: ["10.10.0.0/40"], shards: [{ id: "bad id", hostname: "x_y" }], hashBalanceFactor: 90 });
      assert.fail("should throw");
    } catch (e) {
      assert.ok(e instanceof pulumi.InputPropertiesError, String(e));
      const paths = e.errors?.map((x) => x.propertyPath) ?? [];
      assert.deepEqual(paths, ["instances", "shards[0].id", "shards[0].address", "bridges.cidrs[0]", "tuning.hashBalanceFactor"]);
      assert.match(e.message, /instances must be a whole number from 2 to 10/);
    }
    assert.throws(() => resolveEdgeProxyArgs({ ...good, shards: [] }), /shards must list at least one shard/);
  });
});
