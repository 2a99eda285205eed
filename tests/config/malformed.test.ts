/**
 * Malformed stack configs: each is rejected with a message that names the exact key path and what is
 * allowed. (The CLI side — exit code and nothing written — is in tests/plan/plan-cli.test.ts.)
 */
import * as assert from "assert";
import { ConfigError, parseConfig } from "../../config/parse";
import { base, MALFORMED, region } from "./malformed-cases";

describe("stack config: malformed configs are rejected with the key named", () => {
  it(`has at least 30 cases (${MALFORMED.length})`, () => assert.ok(MALFORMED.length >= 30));
  for (const [what, cfg, expected] of MALFORMED) {
    it(what, () => {
      let err: unknown;
      try {
        parseConfig(cfg);
      } catch (e) {
        err = e;
      }
      assert.ok(err instanceof ConfigError, `expected a ConfigError for ${what}`);
      const lines = err.problems;
      assert.ok(
        lines.some((l) => expected.test(l)),
        `no problem line matches ${expected}:\n  ${lines.join("\n  ")}`,
      );
    });
  }

  it("reports every problem at once", () => {
    try {
      parseConfig({ regions: [region({ shards: 0, azCount: 9 })], bogus: 1 });
      assert.fail("accepted");
    } catch (e) {
      const problems = (e as ConfigError).problems;
      assert.ok(problems.length >= 4, problems.join("\n"));
    }
  });
});

describe("stack config: valid configs get their defaults in one place", () => {
  it("fills component defaults from config/defaults.ts", () => {
    const c = parseConfig(base());
    assert.strictEqual(c.deployment, "jitsi");
    assert.strictEqual(c.regions[0].shards, 1);
    assert.strictEqual(c.regions[0].shard.stressThreshold, 0.8);
    assert.strictEqual(c.regions[0].bridges.maxDrainSeconds, 3600);
    assert.strictEqual(c.regions[0].jibri.idleTarget, 5);
    assert.strictEqual(c.regions[0].edge.instances, 2);
    assert.strictEqual(c.turn.credentialTtlSeconds, 86400);
  });
  it("accepts min 0 bridges (0 at night) and adjacent CIDRs", () => {
    const c = parseConfig(base({ regions: [region({ bridges: { min: 0 } }), region({ name: "eu-west-1", vpcCidr: "10.11.0.0/16" })] }));
    assert.strictEqual(c.regions[0].bridges.min, 0);
  });
});
