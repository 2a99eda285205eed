/**
 * The package root (index.ts) is the whole public API: every component class under components/ is exported
 * from it, with the config schema and parser, the region composition and the TURN credential helper.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as root from "../../index";

const ROOT = path.resolve(__dirname, "..", "..");

describe("package root exports", () => {
  it("exports every ComponentResource class defined under components/ and stacks/", () => {
    const declared = ["components", "stacks"].flatMap((dir) =>
      fs
        .readdirSync(path.join(ROOT, dir))
        .filter((f) => f.endsWith(".ts"))
        .flatMap((f) => [...fs.readFileSync(path.join(ROOT, dir, f), "utf8").matchAll(/export class (\w+) extends pulumi\.ComponentResource/g)].map((m) => m[1])),
    );
    assert.ok(declared.length >= 8, `found only ${declared.join(", ")}`);
    const exported = root as unknown as Record<string, unknown>;
    const missing = declared.filter((c) => typeof exported[c] !== "function");
    assert.deepEqual(missing, [], `add ${missing.join(", ")} to index.ts`);
    for (const c of declared) assert.ok((exported[c] as { prototype: unknown }).prototype instanceof pulumi.ComponentResource, `${c} is not a ComponentResource`);
  });

  it("exports the config schema and parser: a bad config is refused naming the field", () => {
    assert.equal(typeof root.configSchema.safeParse, "function");
    assert.ok(root.CONFIG_KEYS.includes("regions"));
    assert.throws(() => root.parseConfig({ domain: 42 }), (e: unknown) => e instanceof root.ConfigError && /jitsi:domain/.test((e as Error).message));
  });

  it("exports the TURN credential helper (coturn REST API: <expiry>:<user>, base64 HMAC-SHA1)", () => {
    const c = root.turnCredential("s3cret", "alice", 600, 1_700_000_000);
    assert.equal(c.username, "1700000600:alice");
    assert.equal(c.password, require("crypto").createHmac("sha1", "s3cret").update("1700000600:alice").digest("base64"));
  });

  it("exports the composition and the naming helpers consumers build regions with", () => {
    for (const f of ["jitsiProgram", "configuredPeers", "shardEndpoint", "shardIds", "privateZoneName", "turnHostname"])
      assert.equal(typeof (root as unknown as Record<string, unknown>)[f], "function", f);
    const ep = root.shardEndpoint("acme", "eu-central-1", "eu-central-1-s1");
    assert.equal(ep.hostname, `eu-central-1-s1.${root.privateZoneName("acme", "eu-central-1")}`);
  });
});
