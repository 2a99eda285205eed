/**
 * The Pulumi package schema (schema.json) other languages' SDKs are generated from: regenerated from the Args
 * interfaces and compared with the committed file, and checked for what a Python/Go/.NET/YAML user relies on —
 * the five region components are there, every input is documented, plain-vs-Input is right.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { analyzePackage, NOT_SERVED, PackageAnalysis, PACKAGE_DIR, REGION_COMPONENTS } from "../../provider/components";

interface Prop {
  description?: string;
  plain?: boolean;
  type?: string;
  $ref?: string;
}
interface Schema {
  name: string;
  version: string;
  resources: Record<string, { isComponent: boolean; inputProperties: Record<string, Prop>; requiredInputs: string[]; properties: Record<string, Prop> }>;
  types: Record<string, { properties?: Record<string, Prop> }>;
}

describe("package schema (schema.json)", function () {
  this.timeout(180_000);
  let analysis: PackageAnalysis;
  let schema: Schema;
  before(() => {
    analysis = analyzePackage();
    schema = JSON.parse(analysis.schemaText) as Schema;
  });

  it("schema.json is current (regenerate with `npm run schema`)", () => {
    const committed = fs.readFileSync(path.join(PACKAGE_DIR, "schema.json"), "utf8");
    assert.ok(committed === analysis.schemaText, "schema.json differs from what the Args interfaces give: run `npm run schema` and commit it");
  });

  it("names the package jitsi at the package.json version, every resource a component", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(PACKAGE_DIR, "package.json"), "utf8")) as { version: string };
    assert.equal(schema.name, "jitsi");
    assert.equal(schema.version, pkg.version);
    for (const [token, r] of Object.entries(schema.resources)) {
      assert.match(token, /^jitsi:index:[A-Z][A-Za-z]+$/);
      assert.equal(r.isComponent, true, token);
    }
  });

  it("serves the five region components (EdgeProxy, BridgeFleet, JibriPool, TurnCluster, Monitoring)", () => {
    const missing = REGION_COMPONENTS.filter((n) => !analysis.served.includes(n));
    const why = missing.map((n) => `${n}: ${analysis.unanalyzable[n] ?? "not exported from index.ts"}`);
    assert.deepEqual(missing, [], `not in the schema:\n  ${why.join("\n  ")}`);
  });

  it("leaves out only the components NOT_SERVED names (every other exported component is analyzable)", () => {
    assert.deepEqual(Object.keys(analysis.unanalyzable), [], `the analyzer cannot express:\n  ${Object.entries(analysis.unanalyzable).map(([n, m]) => `${n}: ${m}`).join("\n  ")}`);
    for (const n of Object.keys(NOT_SERVED)) assert.ok(!(`jitsi:index:${n}` in schema.resources), `${n} is in NOT_SERVED but in the schema`);
  });

  it("documents every input of every component (the doc comment becomes the SDK's docs)", () => {
    const undocumented: string[] = [];
    for (const [token, r] of Object.entries(schema.resources))
      for (const [input, p] of Object.entries(r.inputProperties)) if (!p.description?.trim()) undocumented.push(`${token.split(":")[2]}.${input}`);
    assert.deepEqual(undocumented, [], `inputs without a doc comment in their Args interface: ${undocumented.join(", ")}`);
  });

  it("plain inputs stay plain, Input<> inputs accept outputs (what the SDKs generate from)", () => {
    const shard = schema.resources["jitsi:index:JitsiShard"];
    assert.equal(shard.inputProperties.deployment.plain, true, "deployment names resources: plain");
    assert.equal(shard.inputProperties.vpcId.plain, undefined, "vpcId is an Input<string>");
    assert.deepEqual(shard.requiredInputs, ["deployment", "domain", "privateZoneId", "region", "shardId", "subnetIds", "vpcId", "webSecurityGroupIds", "xmppClientSecurityGroupIds"]);
    const fleet = schema.resources["jitsi:index:BridgeFleet"];
    if (fleet) {
      assert.equal(fleet.inputProperties.shards.plain, true);
      assert.equal(schema.types["jitsi:index:ShardEndpoint"]?.properties?.secretParameters?.$ref, "#/types/jitsi:index:ShardSecretParameters");
    }
  });
});
