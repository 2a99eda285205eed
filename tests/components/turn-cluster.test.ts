/**
 * TurnCluster in the offline plan of the prod example: what an operator checks — one cluster per region with
 * a stable Elastic IP and a self-healing group per host, IMDSv2 and encrypted disks, only TURN's ports open to
 * the world, one DNS name per region (the name the shards' Prosody hands out), a role that reads only the TURN
 * secret the shards use, and user data without any secret. Bad args are named before anything is created.
 */
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { gunzipSync } from "zlib";
import { parseConfig } from "../../config/parse";
import { resolveTurnClusterArgs, TurnClusterArgs, turnHostCertName } from "../../components/turn-cluster";
import { PlannedResource, PlanResult, runPlan } from "../../tools/plan/run";
import { tempProject } from "../plan/fixtures";
import { which } from "../helpers/env";
import { prodPlan } from "../helpers/prod-plan";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
const inputs = (r: PlannedResource) => r.inputs as Any;

function userDataText(b64: string): string {
  const raw = Buffer.from(b64, "base64");
  return raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw).toString("utf8") : raw.toString("utf8");
}

describe("components/turn-cluster in the prod plan", function () {
  this.timeout(120_000);
  let plan: PlanResult;
  const all = (type: string, prefix: string) => plan.resources.filter((r) => r.type === type && r.name.startsWith(prefix));
  const one = (type: string, name: string) => {
    const r = plan.resources.find((x) => x.type === type && x.name === name);
    assert.ok(r, `no ${type} ${name} in the plan`);
    return r;
  };
  before(async () => {
    plan = await prodPlan();
  });

  it("one TurnCluster per region; per host an Elastic IP and a group of one pinned to its own public subnet", () => {
    const clusters = plan.resources.filter((r) => r.type === "jitsi:index:TurnCluster");
    assert.deepStrictEqual(clusters.map((c) => c.name).sort(), ["eu-west-1-turn", "us-east-1-turn"]);
    for (const [region, hosts] of [["us-east-1", 2], ["eu-west-1", 1]] as const) {
      const cluster = one("jitsi:index:TurnCluster", `${region}-turn`);
      const eips = all("aws:ec2/eip:Eip", `${region}-turn-eip-`);
      assert.equal(eips.length, hosts);
      assert.ok(eips.every((e) => e.parent === cluster.urn && inputs(e).domain === "vpc"));
      const groups = all("aws:autoscaling/group:Group", `${region}-turn-`);
      assert.equal(groups.length, hosts);
      for (const g of groups) assert.deepStrictEqual([inputs(g).minSize, inputs(g).maxSize, inputs(g).desiredCapacity, inputs(g).vpcZoneIdentifiers.length], [1, 1, 1, 1]);
      assert.equal(new Set(groups.map((g) => inputs(g).vpcZoneIdentifiers[0])).size, hosts, "hosts spread over AZs");
    }
  });

  it("launch templates: IMDSv2 required, encrypted gp3 disk; user data is valid cloud-config, < 16 KB, with no secret", function () {
    const lts = all("aws:ec2/launchTemplate:LaunchTemplate", "").filter((r) => /-turn-\d+-lt$/.test(r.name));
    assert.equal(lts.length, 3);
    for (const r of lts) {
      const lt = inputs(r);
      assert.equal(lt.metadataOptions.httpTokens, "required");
      assert.equal(lt.blockDeviceMappings[0].ebs.encrypted, "true");
      assert.ok(Buffer.from(lt.userData, "base64").length <= 16 * 1024);
      const text = userDataText(lt.userData);
      for (const s of plan.secretValues) assert.ok(!text.includes(s), `${r.name}: a generated secret is in the user data`);
      assert.ok(!/^\s*static-auth-secret\s*=/m.test(text), `${r.name}: a static-auth-secret line in the user data`);
      const ci = which("cloud-init");
      if (!ci) continue;
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "turn-ud-")), "user-data.yaml");
      fs.writeFileSync(file, text);
      execFileSync(ci, ["schema", "--config-file", file], { stdio: "pipe" });
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  });

  it("security group: from the world only 3478 udp/tcp, 5349 tcp and the UDP relay range; nothing else inbound", () => {
    const rules = all("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "us-east-1-turn-").map((r) => inputs(r));
    assert.deepStrictEqual(rules.map((r) => `${r.cidrIpv4} ${r.fromPort}-${r.toPort}/${r.ipProtocol}`).sort(), [
      "0.0.0.0/0 3478-3478/tcp",
      "0.0.0.0/0 3478-3478/udp",
      "0.0.0.0/0 49152-65535/udp",
      "0.0.0.0/0 5349-5349/tcp",
    ]);
  });

  it("DNS: turn-<region>.<domain> has one health-checked multivalue answer per host Elastic IP, the name Prosody hands out", () => {
    for (const region of ["us-east-1", "eu-west-1"]) {
      const name = `turn-${region}.meet.example.com`;
      const records = all("aws:route53/record:Record", `${region}-turn-dns-`).map((r) => inputs(r));
      const ips = all("aws:ec2/eip:Eip", `${region}-turn-eip-`).length;
      assert.equal(records.length, ips);
      for (const r of records) {
        assert.deepStrictEqual([r.name, r.type, r.multivalueAnswerRoutingPolicy, r.zoneId], [name, "A", true, "Z0123456789EXAMPLE01"]);
        assert.match(r.records[0], /^\d+\.\d+\.\d+\.\d+$/);
        assert.ok(r.healthCheckId);
      }
      const checks = all("aws:route53/healthCheck:HealthCheck", `${region}-turn-health-`).map((r) => inputs(r));
      assert.deepStrictEqual(checks.map((c) => [c.type, c.port]), Array(ips).fill(["TCP", 3478]));
      const prosody = plan.files.filter((f) => f.region === region && f.path === "prosody.cfg.lua");
      assert.ok(prosody.length > 0);
      for (const p of prosody) assert.match(p.content, new RegExp(`type = "turns", host = "${name.replace(/\./g, "\\.")}", port = 5349`));
    }
  });

  it("role: reads only the TURN secret the shards read (+ its CloudWatch agent config); moves only its own Elastic IPs", () => {
    const doc = JSON.parse(inputs(one("aws:iam/rolePolicy:RolePolicy", "us-east-1-turn-policy")).policy);
    const st = (sid: string) => doc.Statement.find((s: Any) => s.Sid === sid);
    const ssmReads = doc.Statement.filter((s: Any) => [s.Action].flat().some((a: string) => a.startsWith("ssm:Get")));
    assert.deepStrictEqual(ssmReads.flatMap((s: Any) => [s.Resource].flat()).sort(), [
      "arn:aws:ssm:us-east-1:123456789012:parameter/jitsi/prod/cloudwatch-agent/turn",
      "arn:aws:ssm:us-east-1:123456789012:parameter/jitsi/prod/us-east-1/turn-secret",
    ]);
    const shardDoc = JSON.parse(inputs(one("aws:iam/rolePolicy:RolePolicy", "us-east-1-s1-shard-policy")).policy);
    assert.ok(JSON.stringify(shardDoc).includes("parameter/jitsi/prod/us-east-1/turn-secret"), "the shard reads the same parameter");
    const eipIds = all("aws:ec2/eip:Eip", "us-east-1-turn-eip-").length;
    assert.equal(st("OwnElasticIps").Resource.filter((r: string) => r.includes(":elastic-ip/eipalloc-")).length, eipIds);
    assert.deepStrictEqual(st("AcmeDnsChallenge").Condition["ForAllValues:StringEquals"]["route53:ChangeResourceRecordSetsRecordTypes"], ["TXT"]);
    for (const s of doc.Statement) for (const a of [s.Action].flat()) assert.ok(!/^\*$|:\*$/.test(a), `wildcard action ${a}`);
  });

  it("the turnserver.conf files in the plan carry no secret and deny loopback", () => {
    const confs = plan.files.filter((f) => f.component.endsWith("-turn") && f.path === "turnserver.conf");
    assert.equal(confs.length, 2);
    for (const c of confs) {
      assert.ok(!/^static-auth-secret/m.test(c.content));
      assert.ok(!/allow-loopback-peers/.test(c.content));
      assert.match(c.content, /^denied-peer-ip=127\.0\.0\.0-127\.255\.255\.255$/m);
      assert.match(c.content, /^realm=meet\.example\.com$/m);
    }
  });
});

describe("components/turn-cluster variant: TURNS on 443, TCP relay allowed, no public hosted zone", function () {
  this.timeout(120_000);
  it("opens 443 (not 5349) and TCP relay ports, Prosody hands out 443, coturn may bind 443, and no DNS or ACME rights without a zone", async () => {
    const dir = tempProject("t443", {
      deployment: "t443",
      domain: "meet.example.com",
      regions: [{ name: "eu-west-1", vpcCidr: "10.20.0.0/16", turn: { instances: 1 } }],
      turn: { tlsPort: 443, noTcpRelay: false, acmeEmail: "ops@example.com" },
    });
    try {
      const plan = await runPlan({ stack: "t443", root: dir });
      const rules = plan.resources.filter((r) => r.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule" && r.name.startsWith("eu-west-1-turn-")).map((r) => inputs(r));
      assert.deepStrictEqual(rules.map((r) => `${r.fromPort}-${r.toPort}/${r.ipProtocol}`).sort(), ["3478-3478/tcp", "3478-3478/udp", "443-443/tcp", "49152-65535/tcp", "49152-65535/udp"]);
      const file = (p: string) => plan.files.find((f) => f.component === "eu-west-1-turn" && f.path === p)?.content ?? "";
      assert.match(file("turnserver.conf"), /^tls-listening-port=443$/m);
      assert.ok(!/^no-tcp-relay$/m.test(file("turnserver.conf")));
      assert.match(file("host-1/coturn.service.d/jitsi-aws.conf"), /AmbientCapabilities=CAP_NET_BIND_SERVICE/);
      assert.match(file("host-1/turn-cert.sh"), /no public hosted zone configured/);
      assert.ok(!/certbot certonly/.test(file("host-1/turn-cert.sh")));
      const prosody = plan.files.find((f) => f.region === "eu-west-1" && f.path === "prosody.cfg.lua")?.content ?? "";
      assert.match(prosody, /type = "turns", host = "turn-eu-west-1\.meet\.example\.com", port = 443/);
      assert.equal(plan.resources.filter((r) => r.type.startsWith("aws:route53/") && r.name.includes("-turn-")).length, 0);
      const doc = JSON.parse(inputs(plan.resources.find((r) => r.name === "eu-west-1-turn-policy")!).policy);
      assert.ok(!JSON.stringify(doc).includes("route53"), "no Route53 rights without a zone");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("TurnCluster args and config", () => {
  const base: TurnClusterArgs = {
    deployment: "prod",
    region: "us-east-1",
    domain: "meet.example.com",
    hostname: "turn-us-east-1.meet.example.com",
    vpcId: "vpc-1",
    publicSubnetIds: ["subnet-1"],
    turnSecretParameterName: "/jitsi/prod/us-east-1/turn-secret",
    turnSecretParameterArn: "arn:aws:ssm:us-east-1:123456789012:parameter/jitsi/prod/us-east-1/turn-secret",
  };

  it("defaults: 1 host, 5349, RFC 5766 relay range, no TCP relay", () => {
    const r = resolveTurnClusterArgs(base);
    assert.deepStrictEqual([r.instances, r.tlsPort, r.relayPortMin, r.relayPortMax, r.noTcpRelay, r.userQuota], [1, 5349, 49152, 65535, true, 24]);
    assert.equal(turnHostCertName(base.hostname, 1), "turn-us-east-1-2.meet.example.com");
  });

  it("bad args: every field named in one error, before any resource", () => {
    assert.throws(
      () => resolveTurnClusterArgs({ ...base, instances: 0, tlsPort: 8443, turnSecretParameterName: "turn-secret" }),
      (e: unknown) => {
        assert.ok(e instanceof pulumi.InputPropertiesError);
        const paths = (e as Any).errors.map((x: Any) => x.propertyPath).sort();
        assert.deepStrictEqual(paths, ["instances", "tlsPort", "turnSecretParameterName"]);
        return true;
      },
    );
    assert.throws(() => resolveTurnClusterArgs({ ...base, relayPortMin: 3000, relayPortMax: 4000 }), (e: unknown) => /listeningPort 3478 must lie outside the relay range 3000-4000/.test(JSON.stringify((e as Any).errors)));
  });

  it("stack config: the turn section rejects a TURNS port other than 5349/443 and a relay range holding a listening port", () => {
    const cfg = (turn: Record<string, unknown>) => ({ domain: "meet.example.com", regions: [{ name: "us-east-1", vpcCidr: "10.10.0.0/16" }], turn });
    assert.throws(() => parseConfig(cfg({ tlsPort: 8443 })), /turn\.tlsPort.*must be 5349 or 443/s);
    assert.throws(() => parseConfig(cfg({ relayPortMin: 3000, relayPortMax: 6000 })), /relay range must not contain the listening port 3478/);
    assert.equal(parseConfig(cfg({ tlsPort: 443 })).turn.tlsPort, 443);
  });
});
