/** Node-count and cost arithmetic of the load-test grid (sim/loadtest-sizing.ts) and the component's guard. */
import * as assert from "assert";
import * as fc from "fast-check";
import * as pulumi from "@pulumi/pulumi";
import { estimateCost, gridSize, sessionsPerNode, splitConferences } from "../../sim/loadtest-sizing";
import { resolveTortureGridArgs, TortureGridArgs } from "../../components/torture-grid";

const grid = (over: Partial<TortureGridArgs> = {}): TortureGridArgs => ({
  deployment: "lt",
  region: "us-east-1",
  vpcId: "vpc-1",
  subnetIds: ["subnet-1"],
  targetDomain: "meet.example.com",
  allowedDomains: ["meet.example.com"],
  conferences: 5,
  participants: 8,
  senders: 2,
  durationSeconds: 600,
  ...over,
});

describe("load test: node count", () => {
  it("splits conferences over the grids, the first ones taking the remainder", () => {
    assert.deepStrictEqual(splitConferences(10, 3), [4, 3, 3]);
    assert.deepStrictEqual(splitConferences(2, 3), [1, 1, 0]);
    fc.assert(fc.property(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 8 }), (t, n) => {
      const s = splitConferences(t, n);
      return s.reduce((a, b) => a + b, 0) === t && Math.max(...s) - Math.min(...s) <= 1;
    }));
  });

  it("one browser session per 4 vCPU / 7 GiB (jitsi-facts.md)", () => {
    assert.strictEqual(sessionsPerNode("c5.xlarge"), 1);
    assert.strictEqual(sessionsPerNode("c5.2xlarge"), 2);
    assert.strictEqual(sessionsPerNode("c5.4xlarge"), 4);
    assert.strictEqual(sessionsPerNode("m5.2xlarge"), 2); // 8 vCPU bound, not its 32 GiB
    assert.strictEqual(sessionsPerNode("t3.medium"), 1); // never 0
    assert.throws(() => sessionsPerNode("x1.huge"), /nodeInstanceType: unknown instance type x1\.huge/);
  });

  it("full browsers: one node per participant; load-test mode: participantsPerTab per session", () => {
    const full = gridSize({ conferences: 10, participants: 8, loadTestMode: false, participantsPerTab: 4, nodeInstanceType: "c5.xlarge", gridRegions: 2 });
    assert.deepStrictEqual(full.nodesByRegion, [40, 40]);
    const lite = gridSize({ conferences: 10, participants: 8, loadTestMode: true, participantsPerTab: 4, nodeInstanceType: "c5.xlarge", gridRegions: 2 });
    assert.deepStrictEqual(lite.nodesByRegion, [10, 10]);
    const odd = gridSize({ conferences: 5, participants: 7, loadTestMode: true, participantsPerTab: 3, nodeInstanceType: "c5.2xlarge", gridRegions: 2 });
    // 3 and 2 conferences of 7 = 21 and 14 participants; 2 sessions x 3 per tab = 6 per node -> 4 and 3 nodes.
    assert.deepStrictEqual(odd.nodesByRegion, [4, 3]);
    assert.strictEqual(odd.nodesPerRegion, 4);
  });

  it("the component refuses parameters needing more than maxNodes, naming the parameter", () => {
    assert.throws(
      () => resolveTortureGridArgs(grid({ conferences: 10, participants: 10, loadTestMode: false, maxNodes: 20 })),
      (e: unknown) => e instanceof pulumi.InputPropertiesError && /participants/.test(JSON.stringify((e as unknown as { errors: unknown }).errors)) && /needs 100 browser nodes, more than maxNodes \(20\)/.test(JSON.stringify((e as unknown as { errors: unknown }).errors)),
    );
    assert.throws(() => resolveTortureGridArgs(grid({ maxNodes: 501 })), (e: unknown) => /maxNodes.*must be a whole number from 1 to 500/.test(JSON.stringify((e as unknown as { errors: unknown }).errors)));
    assert.throws(() => resolveTortureGridArgs(grid({ targetDomain: "meet.jit.si" })), (e: unknown) => /targetDomain.*not in allowedDomains/.test(JSON.stringify((e as unknown as { errors: unknown }).errors)));
    assert.strictEqual(resolveTortureGridArgs(grid()).nodes, 40);
  });
});

describe("load test: cost estimate", () => {
  it("prices hub + nodes for setup + duration, and for the whole teardown window", () => {
    // 2 regions x 10 c5.xlarge ($0.17) + 2 m5.large hubs ($0.096) = $3.592/h.
    const c = estimateCost({ nodesByRegion: [10, 10], nodeInstanceType: "c5.xlarge", hubInstanceType: "m5.large", durationSeconds: 900, maxDurationMinutes: 60, senders: 20 });
    // egress: 20 senders x 2 Mbps x 900 s / 8 / 1000 = 4.5 GB x $0.09 = $0.405
    assert.strictEqual(c.egressGB, 4.5);
    assert.strictEqual(c.egressUsd, 0.41);
    // expected: 0.5 h (900 s setup + 900 s) x 3.592 + 0.405 = 2.201
    assert.strictEqual(c.expectedUsd, 2.2);
    assert.strictEqual(c.expectedInstanceHours, 11);
    // worst case: 1 h x 3.592 + 0.405 = 3.997
    assert.strictEqual(c.worstCaseUsd, 4);
    assert.strictEqual(c.worstCaseInstanceHours, 22);
    assert.ok(c.assumptions.some((a) => a.includes("20 x c5.xlarge")));
  });

  it("worst case never below expected, both grow with nodes", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 500 }), fc.integer({ min: 30, max: 14400 }), (n, d) => {
      const max = Math.ceil((d + 900) / 60);
      const a = estimateCost({ nodesByRegion: [n], nodeInstanceType: "c5.xlarge", hubInstanceType: "m5.large", durationSeconds: d, maxDurationMinutes: max, senders: 0 });
      const b = estimateCost({ nodesByRegion: [n + 1], nodeInstanceType: "c5.xlarge", hubInstanceType: "m5.large", durationSeconds: d, maxDurationMinutes: max, senders: 0 });
      return a.worstCaseUsd >= a.expectedUsd && b.expectedUsd >= a.expectedUsd && b.worstCaseUsd > a.worstCaseUsd;
    }));
  });
});
