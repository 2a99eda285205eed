/**
 * `jitsi:loadtest`: malformed load-test parameters are refused with the key named (`jitsi:loadtest.<key>: …`),
 * the node count is checked against maxNodes, and the example stack parses with its defaults.
 */
import * as assert from "assert";
import { ConfigError, parseConfig } from "../../config/parse";
import { loadStackConfig } from "../../tools/plan/run";
import { REPO_ROOT } from "../helpers/env";
import { base } from "./malformed-cases";

const lt = (over: Record<string, unknown> = {}) => ({ targetDomain: "meet.example.com", allowedDomains: ["meet.example.com"], ...over });
const cfg = (over: Record<string, unknown> = {}, top: Record<string, unknown> = {}) => base({ loadtest: lt(over), ...top });

const CASES: [string, Record<string, unknown>, RegExp][] = [
  ["target not on the allow-list", cfg({ targetDomain: "meet.jit.si" }), /^jitsi:loadtest\.targetDomain: must be one of allowedDomains \(meet\.example\.com\); refusing to load-test a domain not on the allow-list \(got "meet\.jit\.si"\)$/],
  ["empty allow-list", cfg({ allowedDomains: [] }), /^jitsi:loadtest\.allowedDomains: must list at least one domain/],
  ["missing targetDomain", base({ loadtest: { allowedDomains: ["meet.example.com"] } }), /^jitsi:loadtest\.targetDomain: must be a DNS name such as meet\.example\.com \(got nothing\)$/],
  ["loadtest not an object", base({ loadtest: "yes" }), /^jitsi:loadtest: must be an object with at least targetDomain and allowedDomains/],
  ["one participant", cfg({ participants: 1 }), /^jitsi:loadtest\.participants: must be an integer from 2 to 500 \(got 1\)$/],
  ["conferences zero", cfg({ conferences: 0 }), /^jitsi:loadtest\.conferences: must be an integer from 1 to 1000 \(got 0\)$/],
  ["conferences as a string", cfg({ conferences: "10" }), /^jitsi:loadtest\.conferences: must be an integer from 1 to 1000 \(got "10"\)$/],
  ["more senders than participants", cfg({ participants: 4, senders: 5 }), /^jitsi:loadtest\.senders: must be at most participants \(4\) \(got 5\)$/],
  ["duration too short", cfg({ durationSeconds: 10 }), /^jitsi:loadtest\.durationSeconds: must be an integer from 30 to 14400 \(got 10\)$/],
  ["duration beyond the teardown", cfg({ durationSeconds: 3000, maxDurationMinutes: 60 }), /^jitsi:loadtest\.durationSeconds: must leave 900 s of setup before the teardown at maxDurationMinutes \(60 min = 3600 s\) \(got 3000\)$/],
  ["teardown too late", cfg({ maxDurationMinutes: 600 }), /^jitsi:loadtest\.maxDurationMinutes: must be an integer from 10 to 480 \(got 600\)$/],
  ["maxNodes above the hard maximum", cfg({ maxNodes: 1000 }), /^jitsi:loadtest\.maxNodes: must be an integer from 1 to 500 \(got 1000\)$/],
  ["more nodes than maxNodes", cfg({ conferences: 20, participants: 10, loadTestMode: false, maxNodes: 50 }), /^jitsi:loadtest\.participants: needs 200 browser nodes per region \(200 participants ÷ 1 per node\), more than loadtest\.maxNodes \(50\)/],
  ["per-tab participants without load-test mode", cfg({ loadTestMode: false, participantsPerTab: 4 }), /^jitsi:loadtest\.participantsPerTab: must be 1 unless loadTestMode is true/],
  ["disrupted bridges above 100 %", cfg({ maxDisruptedBridgesPct: 150 }), /^jitsi:loadtest\.maxDisruptedBridgesPct: must be a number from 0 to 100 \(got 150\)$/],
  ["room prefix with upper case", cfg({ roomPrefix: "Load Test" }), /^jitsi:loadtest\.roomPrefix: must be a lower-case name/],
  ["unknown client region", cfg({ clientRegions: ["us-east-1", "mars-1"] }), /^jitsi:loadtest\.clientRegions\[1\]: must be a known AWS region/],
  ["unknown node instance type", cfg({ nodeInstanceType: "c5.huge" }), /^jitsi:loadtest\.nodeInstanceType: must be a supported EC2 instance type/],
  ["torture ref a branch", cfg({ tortureRef: "master" }), /^jitsi:loadtest\.tortureRef: must be a full 40-character git commit id \(got "master"\)$/],
  ["selenium version 3", cfg({ seleniumVersion: "3.141.59" }), /^jitsi:loadtest\.seleniumVersion: must be a Selenium 4 version/],
  ["typo in the section", cfg({ participant: 8 }), /^jitsi:loadtest: unknown key 'participant'/],
  ["peer stacks in a load-test stack", cfg({}, { peerStacks: ["org/jitsi/prod-eu"] }), /^jitsi:peerStacks: must be empty in a load-test stack/],
  ["loadMode not boolean", cfg({ loadTestMode: "yes" }), /^jitsi:loadtest\.loadTestMode: must be true or false \(got "yes"\)$/],
];

describe("stack config: jitsi:loadtest", () => {
  for (const [what, c, expected] of CASES)
    it(`refuses ${what}`, () => {
      let err: unknown;
      try {
        parseConfig(c);
      } catch (e) {
        err = e;
      }
      assert.ok(err instanceof ConfigError, `expected a ConfigError for ${what}`);
      assert.ok(err.problems.some((l) => expected.test(l)), `no problem line matches ${expected}:\n  ${err.problems.join("\n  ")}`);
    });

  it("splits the node check by region: the same load fits when a second region takes half", () => {
    const load = { conferences: 20, participants: 10, loadTestMode: false, maxNodes: 100 };
    assert.throws(() => parseConfig(cfg(load)), /needs 200 browser nodes/);
    const two = parseConfig(cfg(load, { regions: [{ name: "us-east-1", vpcCidr: "10.10.0.0/16" }, { name: "eu-west-1", vpcCidr: "10.20.0.0/16" }] }));
    assert.strictEqual(two.loadtest?.conferences, 20);
  });

  it("fills defaults from config/defaults.ts (pinned torture commit, 60 min teardown, load-test mode)", () => {
    const c = parseConfig(cfg());
    assert.deepStrictEqual(
      { conferences: c.loadtest?.conferences, participants: c.loadtest?.participants, maxDurationMinutes: c.loadtest?.maxDurationMinutes, loadTestMode: c.loadtest?.loadTestMode, maxNodes: c.loadtest?.maxNodes },
      { conferences: 5, participants: 8, maxDurationMinutes: 60, loadTestMode: true, maxNodes: 50 },
    );
    assert.match(c.loadtest!.tortureRef, /^[0-9a-f]{40}$/);
  });

  it("a deployment stack has no loadtest section", () => {
    assert.strictEqual(parseConfig(base()).loadtest, undefined);
  });

  it("Pulumi.loadtest.yaml parses: two grid regions, meet.example.com on the allow-list", () => {
    const { config } = loadStackConfig(REPO_ROOT, "loadtest");
    assert.deepStrictEqual(config.regions.map((r) => r.name), ["us-east-1", "eu-west-1"]);
    assert.strictEqual(config.loadtest?.targetDomain, "meet.example.com");
    assert.ok(config.loadtest?.allowedDomains.includes("meet.example.com"));
  });
});
