/**
 * Edge cases of the rules beyond the one-fixture-per-policy set: input shapes (string booleans, gzip user
 * data, CLI-style property dependencies), configuration (levels, extra ports), and the boundaries the
 * Jitsi invariants draw (hook timeouts above 7200 s, awsx VPC children, leaked TURN secrets).
 */
import * as assert from "assert";
import * as zlib from "zlib";
import { ALL_POLICIES } from "../../policies/all";
import { evaluate, PlanResource, resolveLevel, stackResources, checkPackConfig } from "../../policies/evaluate";
import { secretFindings } from "../../policies/secrets";
import { s3Encryption } from "../../policies/storage";
import { b64, bridgeFleet, bucketSet, component, edgeProxy, group, jibriPool, lambdaWithLogs, launchTemplate, res, T, turnCluster } from "./fixtures/build";

async function fired(resources: PlanResource[], opts: Parameters<typeof evaluate>[2] = { secretsMasked: true }) {
  const r = await evaluate(ALL_POLICIES, resources, opts);
  return r.violations.map((v) => `${v.level} ${v.policy}: ${v.message}`);
}

describe("policies: input shapes", () => {
  it("secretFindings: references to a secret pass, literal secrets do not", () => {
    const references = [
      "static-auth-secret=$(aws ssm get-parameter --name /jitsi/turn --with-decryption --query Parameter.Value --output text)",
      'external_service_secret = os.getenv("TURN_SECRET")',
      "password = ${?JVB_PASSWORD}",
      'external_service_secret = "{{TURN_SECRET}}"',
      "use-auth-secret",
      "--secret-parameter /jitsi/prod/turn",
      "token=true",
    ];
    for (const r of references) assert.deepStrictEqual(secretFindings(r), [], r);
    const literals: [string, string][] = [
      ["static-auth-secret=Zx81kq0pLr7w2mVn", "static-auth-secret is set to a literal value"],
      ["turnserver --static-auth-secret Zx81kq0pLr7w2mVn", "static-auth-secret is set to a literal value"],
      ['{"password": "Zx81kq0pLr7w"}', "password is set to a literal value"],
      ["aws_access_key_id = AKIAABCDEFGHIJKLMNOP", "it contains an AWS access key id"],
      ["-----BEGIN RSA PRIVATE KEY-----", "it contains a private key"],
    ];
    for (const [text, finding] of literals) assert.ok(secretFindings(text).includes(finding), `${text}: ${secretFindings(text)}`);
  });

  it("reads gzip+base64 user data and finds the secret inside", async () => {
    const gz = zlib.gzipSync("#!/bin/sh\nexport JICOFO_AUTH_PASSWORD=Qm9kZXJuZTEyMzQ1\n").toString("base64");
    const v = await fired([launchTemplate("shard-lt", undefined, { userData: gz })]);
    assert.deepStrictEqual(v, ["mandatory no-plaintext-secrets: userData: JICOFO_AUTH_PASSWORD is set to a literal value; keep secrets in an SSM SecureString parameter and read it at boot / run time."]);
  });

  it("flags a Pulumi secret interpolated into user data or a Lambda variable (the plan shows [secret])", async () => {
    const v = await fired([
      launchTemplate("turn-lt", undefined, { userData: "[secret]" }),
      ...lambdaWithLogs("scaler", undefined, { environment: { variables: { TURN_SECRET: "[secret]" } } }),
    ]);
    assert.strictEqual(v.length, 2, v.join("\n"));
    assert.ok(v.every((m) => m.includes("no-plaintext-secrets")));
  });

  it("accepts a Lambda variable that names the SSM parameter of a secret", async () => {
    assert.deepStrictEqual(await fired(lambdaWithLogs("scaler", undefined, { environment: { variables: { TURN_SECRET: "/jitsi/prod/turn" } } })), []);
  });

  it("pairs a bucket with its encryption through the CLI's property dependencies", async () => {
    const [bucket, , pab, policy] = bucketSet("logs");
    const sse = res("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "unrelated-name", {
      bucket: "id-from-engine",
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" } }],
    });
    const stack = stackResources([bucket, sse, pab, policy]);
    stack[1].propertyDependencies = { bucket: [stack[0]] };
    const reports: string[] = [];
    await s3Encryption.validateStack(
      { resources: stack, stackTags: new Map(), getConfig: <T>() => ({}) as T, notApplicable: () => { throw new Error("n/a"); } },
      (m) => reports.push(m),
    );
    assert.deepStrictEqual(reports, []);
  });

  it("reads IAM documents given as objects, Role inlinePolicies, and broad managed policy attachments", async () => {
    const v = await fired([
      res("aws:iam/role:Role", "r", {
        inlinePolicies: [{ name: "x", policy: { Statement: { Effect: "Allow", NotAction: "iam:*", Resource: "*" } } }],
      }),
      res("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "a", { role: "r", policyArn: "arn:aws:iam::aws:policy/AmazonS3FullAccess" }),
    ]);
    assert.ok(v.some((m) => /iam-no-wildcard-action: inlinePolicies\[0\] \(x\) statement 0 allows NotAction/.test(m)), v.join("\n"));
    assert.ok(v.some((m) => /AmazonS3FullAccess/.test(m)), v.join("\n"));
  });

  it("an ARN whose resource part is * counts as *; a prefix-scoped ARN does not", async () => {
    const doc = (resource: string) => [res("aws:iam/rolePolicy:RolePolicy", "p", { role: "r", policy: JSON.stringify({ Statement: [{ Effect: "Allow", Action: "ssm:GetParameter", Resource: resource }] }) })];
    assert.strictEqual((await fired(doc("arn:aws:ssm:*:*:*"))).length, 1);
    assert.strictEqual((await fired(doc("arn:aws:s3:::*"))).length, 1);
    assert.deepStrictEqual(await fired(doc("arn:aws:ssm:us-east-1:123456789012:parameter/jitsi/prod/*")), []);
  });

  it("reports an IAM document it cannot read instead of passing it", async () => {
    const v = await fired([res("aws:iam/rolePolicy:RolePolicy", "p", { role: "r", policy: "{not json" })]);
    assert.ok(v.some((m) => m.includes("not valid JSON")), v.join("\n"));
  });

  it("opens all traffic to the world: reported; protocol -1 on ::/0 counts as world", async () => {
    const v = await fired([res(T.sg, "open", { ingress: [{ protocol: "-1", fromPort: 0, toPort: 0, ipv6CidrBlocks: ["::/0"] }] })]);
    assert.deepStrictEqual(v, [
      "mandatory sg-world-ingress: all traffic is open to ::/0; only 443/tcp, 10000/udp, 3478/udp, 3478/tcp, 5349/tcp, 49152-65535/udp may be (policy config allowedWorldIngress).",
    ]);
  });
});

describe("policies: configuration", () => {
  const turn443 = [res(T.ingress, "turn-443-udp", { ipProtocol: "udp", fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0" })];

  it("443/udp is refused by default and allowed once the policy config lists it", async () => {
    assert.strictEqual((await fired(turn443)).length, 1);
    const config = { "sg-world-ingress": { allowedWorldIngress: ["443/tcp", "443/udp", "10000/udp", "3478/udp", "3478/tcp", "5349/tcp"] } };
    assert.deepStrictEqual(await fired(turn443, { config }), []);
  });

  it("levels: a policy's own, then 'all', then the policy's config entry; remediate counts as mandatory", () => {
    const p = ALL_POLICIES.find((x) => x.name === "edge-proxy-ha")!;
    assert.strictEqual(resolveLevel(p), "mandatory");
    assert.strictEqual(resolveLevel(p, { all: "advisory" }), "advisory");
    assert.strictEqual(resolveLevel(p, { all: "advisory", "edge-proxy-ha": { enforcementLevel: "remediate" } }), "mandatory");
  });

  it("an advisory violation is reported but not counted as mandatory; a disabled policy does not run", async () => {
    const single = edgeProxy("edge", undefined, { minSize: 1, vpcZoneIdentifiers: ["subnet-a"] });
    const adv = await evaluate(ALL_POLICIES, single, { config: { "edge-proxy-ha": "advisory" } });
    assert.strictEqual(adv.violations.length, 2);
    assert.strictEqual(adv.mandatory, 0);
    const off = await evaluate(ALL_POLICIES, single, { config: { "edge-proxy-ha": "disabled" } });
    assert.strictEqual(off.violations.length, 0);
  });

  it("rejects a config naming an unknown policy or level, saying which", () => {
    const names = ALL_POLICIES.map((p) => p.name);
    assert.throws(() => checkPackConfig({ "edge-proxy": "advisory" }, names), /"edge-proxy" is not a policy of the pack/);
    assert.throws(() => checkPackConfig({ all: "warn" }, names), /enforcementLevel must be one of advisory, mandatory, remediate, disabled, got "warn"/);
  });
});

describe("policies: Jitsi invariants at their boundaries", () => {
  it("a drain longer than 7200 s is covered only when 100 x timeout reaches it (heartbeats)", async () => {
    const fleet = (timeout: number) => {
      const rs = bridgeFleet("jvb", undefined, { hook: { heartbeatTimeout: timeout } });
      rs[0].inputs = { maxDrainSeconds: 21600 }; // the component declares a 6 h drain
      return rs;
    };
    assert.deepStrictEqual(await fired(fleet(7200)), []);
    assert.deepStrictEqual(await fired(fleet(200)), ["mandatory drain-lifecycle-hook: BridgeFleet jvb: hook heartbeatTimeout 200 s does not cover the 21600 s drain."]);
  });

  it("reads the drain from the hosts' user data (the drain agent's --max-drain-seconds)", async () => {
    const fleet = (timeout: number) => {
      const rs = bridgeFleet("jvb", undefined, { hook: { heartbeatTimeout: timeout } });
      const lt = rs.find((r) => r.type === "aws:ec2/launchTemplate:LaunchTemplate")!;
      lt.inputs.userData = b64("#cloud-config\nruncmd:\n  - [node, /opt/agent.js, jvb-drain, watch, --max-drain-seconds, '5400']\nExecStart=/usr/bin/node agent.js jvb-drain watch --max-drain-seconds 5400\n");
      return rs;
    };
    assert.deepStrictEqual(await fired(fleet(5700)), []);
    assert.deepStrictEqual(await fired(fleet(3900)), ["mandatory drain-lifecycle-hook: BridgeFleet jvb: hook heartbeatTimeout 3900 s does not cover the 5400 s drain."]);
  });

  it("reads a Jibri's termination cap (--termination-cap-s) as its drain: above 7200 s heartbeats must reach it", async () => {
    const pool = (timeout: number) => {
      const rs = jibriPool("jibri");
      const lt = rs.find((r) => r.type === "aws:ec2/launchTemplate:LaunchTemplate")!;
      lt.inputs.userData = b64("#cloud-config\nwrite_files:\n  - content: ExecStart=/usr/bin/node agent.js jibri-status --termination-cap-s 18000\n");
      rs.find((r) => r.type === "aws:autoscaling/lifecycleHook:LifecycleHook")!.inputs.heartbeatTimeout = timeout;
      return rs;
    };
    assert.deepStrictEqual(await fired(pool(3600)), []);
    assert.deepStrictEqual(await fired(pool(120)), ["mandatory drain-lifecycle-hook: JibriPool jibri: hook heartbeatTimeout 120 s does not cover the 18000 s drain."]);
  });

  it("a group without any terminating hook is reported; a launching hook does not count", async () => {
    const rs = bridgeFleet("jvb", undefined, { hook: { lifecycleTransition: "autoscaling:EC2_INSTANCE_LAUNCHING" } });
    const v = await fired(rs);
    assert.deepStrictEqual(v, ["mandatory drain-lifecycle-hook: BridgeFleet jvb: group jvb-asg has no EC2_INSTANCE_TERMINATING lifecycle hook, so scale-in cuts live conferences."]);
  });

  it("still finds a component known only through its children's parent URNs (engine without component resources)", async () => {
    const rs = bridgeFleet("jvb", undefined, { hook: { heartbeatTimeout: 600 } }).filter((r) => r.type !== T.bridges);
    assert.deepStrictEqual(await fired(rs), ["mandatory drain-lifecycle-hook: BridgeFleet jvb: hook heartbeatTimeout 600 s does not cover the 3600 s drain."]);
  });

  it("accepts a hook given inline as the group's initialLifecycleHooks", async () => {
    const fleet = component(T.bridges, "jvb");
    const rs = [fleet, launchTemplate("jvb-lt", fleet), group("jvb-asg", fleet, {
      initialLifecycleHooks: [{ name: "drain", lifecycleTransition: "autoscaling:EC2_INSTANCE_TERMINATING", heartbeatTimeout: "3600" }],
    })];
    assert.deepStrictEqual(await fired(rs), []);
  });

  it("finds a warm pool with Spot through the sibling launch template's market options", async () => {
    const fleet = component(T.bridges, "jvb");
    const rs = [
      fleet,
      launchTemplate("jvb-lt", fleet, { instanceMarketOptions: { marketType: "spot" } }),
      group("jvb-asg", fleet, { warmPool: { poolState: "Stopped" } }),
      res("aws:autoscaling/lifecycleHook:LifecycleHook", "jvb-drain", { lifecycleTransition: "autoscaling:EC2_INSTANCE_TERMINATING", heartbeatTimeout: 3600 }, fleet),
    ];
    const v = await fired(rs);
    assert.deepStrictEqual(v, ["mandatory no-warm-pool-with-spot: group jvb-asg has a warm pool and Spot instances (launch template jvb-lt); AWS warm pools do not support Spot or mixed instances (jitsi-facts.md)."]);
  });

  it("a JibriPool whose idle target appears nowhere is reported", async () => {
    const rs = jibriPool("jibri");
    rs[4].inputs = { ...rs[4].inputs, environment: { variables: { GROUP_NAME: "jibri-asg" } } };
    assert.deepStrictEqual(await fired(rs), [
      "mandatory jibri-idle-target: JibriPool jibri: no idle target found (component props, scaler environment IDLE_TARGET, or schedule input).",
    ]);
  });

  it("an idle target registered by the component itself counts", async () => {
    const rs = jibriPool("jibri").filter((r) => r.type !== "aws:lambda/function:Function");
    rs[0].inputs = { idleTarget: 3 };
    assert.deepStrictEqual(await fired(rs), []);
  });

  it("an awsx Vpc's own aws:ec2/vpc:Vpc child (real engine) is not an overlap", async () => {
    const awsx = res(T.awsxVpc, "use1-vpc", { cidrBlock: "10.16.0.0/16" });
    const child = res(T.vpc, "use1-vpc", { cidrBlock: "10.16.0.0/16" }, awsx);
    assert.deepStrictEqual(await fired([awsx, child]), []);
  });

  it("EdgeProxy from plain instances: two in different AZs pass, two in one AZ fail", async () => {
    const edge = component(T.edge, "edge");
    const inst = (n: string, az: string) =>
      res(T.instance, n, {
        availabilityZone: az,
        metadataOptions: { httpTokens: "required" },
        rootBlockDevice: { encrypted: "true" },
      }, edge);
    assert.deepStrictEqual(await fired([edge, inst("edge-a", "us-east-1a"), inst("edge-b", "us-east-1b")]), []);
    const same = await fired([edge, inst("edge-a", "us-east-1a"), inst("edge-b", "us-east-1a")]);
    assert.deepStrictEqual(same, ["mandatory edge-proxy-ha: EdgeProxy edge spans 1 availability zone(s)/subnet(s); at least 2 are required."]);
  });

  it("TURN: a plaintext value is reported offline (secrets masked) and wherever it leaks into user data", async () => {
    const rs = turnCluster("turn", undefined, { value: "Wm1hY2tzZWNyZXQxMjM0" });
    const leak = launchTemplate("turn-lt", rs[0], { userData: b64("#!/bin/sh\nTURN=Wm1hY2tzZWNyZXQxMjM0 coturn\n") });
    const v = await fired([...rs, leak]);
    assert.deepStrictEqual(v.filter((m) => m.includes("turn-secret-is-secret")), [
      "mandatory turn-secret-is-secret: turn-secret-param's value is not a Pulumi secret (wrap it in pulumi.secret or generate it with random.RandomPassword).",
      "mandatory turn-secret-is-secret: the TURN secret held by turn-secret-param appears in plain text in the inputs of turn-lt.",
    ]);
    // Under the Pulumi CLI secrets arrive unwrapped: only the leak is a finding there.
    const cli = await fired([...rs, leak], {});
    assert.deepStrictEqual(cli.filter((m) => m.includes("turn-secret-is-secret")).length, 1);
  });

  it("TURN under the CLI (secrets unwrapped): the generator and secret stores holding the value are not leaks", async () => {
    const rs = turnCluster("turn", undefined, { value: "Wm1hY2tzZWNyZXQxMjM0" });
    const generator = res("random:index/randomPassword:RandomPassword", "turn-secret-value", { length: 40, result: "Wm1hY2tzZWNyZXQxMjM0" }, rs[0]);
    assert.deepStrictEqual(await fired([...rs, generator], {}), []);
    const tagged = res(T.sg, "turn-sg", { tags: { note: "Wm1hY2tzZWNyZXQxMjM0" } }, rs[0]);
    assert.deepStrictEqual(await fired([...rs, generator, tagged], {}), [
      "mandatory turn-secret-is-secret: the TURN secret held by turn-secret-param appears in plain text in the inputs of turn-sg.",
    ]);
  });

  it("TURN deployed without any secret parameter is reported", async () => {
    const v = await fired([component(T.turn, "turn")]);
    assert.strictEqual(v.length, 1);
    assert.match(v[0], /turn-secret-is-secret: TURN is deployed but no SSM SecureString parameter/);
  });

  it("Wildcard action in a bucket policy Allow is reported; the TLS Deny with s3:* is not", async () => {
    const rs = bucketSet("rec", {
      policy: {
        Statement: [
          { Effect: "Deny", Principal: "*", Action: "s3:*", Resource: ["arn:aws:s3:::rec", "arn:aws:s3:::rec/*"], Condition: { Bool: { "aws:SecureTransport": false } } },
          { Effect: "Allow", Principal: { AWS: "arn:aws:iam::1:role/x" }, Action: "s3:*", Resource: "arn:aws:s3:::rec/*" },
        ],
      },
    });
    assert.deepStrictEqual(await fired(rs), ["mandatory iam-no-wildcard-action: policy statement 1 allows wildcard action s3:*; list the actions needed."]);
  });
});
