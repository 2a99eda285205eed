/**
 * One negative and one positive fixture per policy (tests/policies/fixtures/<policy>.ts). The whole pack
 * runs over each fixture, so a negative fixture must trigger exactly its own policy — if a rule stops
 * firing, or another rule starts firing on it, this fails.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { ALL_POLICIES } from "../../policies/all";
import { evaluate, PlanResource } from "../../policies/evaluate";

interface Fixture {
  negative: PlanResource[];
  positive: PlanResource[];
}

function load(name: string): Fixture {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(`./fixtures/${name}`) as Fixture;
}

const describeViolations = (vs: { policy: string; message: string }[]) => vs.map((v) => `  ${v.policy}: ${v.message}`).join("\n");

describe("policy fixtures", () => {
  it("every policy has exactly one fixture file and every fixture file names a policy", () => {
    const names = ALL_POLICIES.map((p) => p.name);
    assert.strictEqual(new Set(names).size, names.length, "policy names must be unique");
    const files = fs
      .readdirSync(path.join(__dirname, "fixtures"))
      .filter((f) => f.endsWith(".ts") && f !== "build.ts")
      .map((f) => f.replace(/\.ts$/, ""));
    assert.deepStrictEqual([...files].sort(), [...names].sort());
  });

  it("docs/policies.md lists every policy in its table", () => {
    const doc = fs.readFileSync(path.join(__dirname, "..", "..", "docs", "policies.md"), "utf8");
    const listed = [...doc.matchAll(/^\| `([a-z0-9-]+)` \|/gm)].map((m) => m[1]);
    assert.deepStrictEqual(listed, ALL_POLICIES.map((p) => p.name));
  });

  for (const policy of ALL_POLICIES) {
    describe(policy.name, () => {
      it("its negative fixture triggers this policy and no other", async () => {
        const { negative } = load(policy.name);
        const result = await evaluate(ALL_POLICIES, negative, { secretsMasked: true });
        const fired = [...new Set(result.violations.map((v) => v.policy))];
        assert.deepStrictEqual(fired, [policy.name], `violations:\n${describeViolations(result.violations)}`);
        const urns = new Set(negative.map((r) => r.urn));
        for (const v of result.violations) assert.ok(v.urn && urns.has(v.urn), `violation must name a fixture resource, got ${v.urn}`);
        assert.ok(result.mandatory > 0, "every policy is mandatory by default");
      });

      it("its positive fixture passes every policy", async () => {
        const { positive } = load(policy.name);
        const result = await evaluate(ALL_POLICIES, positive, { secretsMasked: true });
        assert.deepStrictEqual(result.violations, [], `violations:\n${describeViolations(result.violations)}`);
      });
    });
  }
});
