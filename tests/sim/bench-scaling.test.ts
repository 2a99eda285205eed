/**
 * `npm run bench:scaling`: the trace sets behind docs/simulator.md "Measured", counted against sim/targets.ts.
 */
import { strict as assert } from "assert";
import { BENCH_SETS, main, runSet } from "../../tools/bench-scaling";
import { captureCli } from "../helpers/capture";

const cli = (args: string[]) => captureCli(() => main(args));

describe("bench:scaling", function () {
  this.timeout(60_000);
  const day = BENCH_SETS.find((s) => s.name === "day")!;

  it("every trace of a set is a replayable npm run simulate argument list, and the sets are the documented sizes", () => {
    const sizes = Object.fromEntries(BENCH_SETS.map((s) => [s.name, s.traces().length]));
    assert.deepEqual(sizes, { shared: 3, day: 48, mixed: 32, week: 8, resampled: 48, "validation-day": 48, "validation-resampled": 48 });
    // The validation sets are fresh: no trace of theirs is one of the tuning sets' (the same arguments replay the same trace).
    const args = (name: string): string[] => BENCH_SETS.find((s) => s.name === name)!.traces().map((t) => t.args.join(" "));
    const tuned = new Set(["shared", "day", "mixed", "week", "resampled"].flatMap(args));
    for (const v of ["validation-day", "validation-resampled"]) for (const a of args(v)) assert.ok(!tuned.has(a), `${a} is in a tuning set`);
    for (const t of day.traces()) assert.match(t.args.join(" "), /^--generate seed=\d+,days=1,regions=1,shape=\w+,perDay=\d+,record=0\.\d+$/);
  });

  it("counts the targets each trace meets: the shipped policy against one that plans bridges at stress 0.3", () => {
    const shipped = runSet(day, { limit: 2 });
    assert.equal(shipped.traces, 2);
    assert.equal(shipped.costWithin, 2, JSON.stringify(shipped.rows));
    // Planning at 0.3 runs ~2.5 × the bridges: no trace stays within 1.30 × oracle, and the count says so.
    const lavish = runSet(day, { limit: 2, bridge: { targetStress: 0.3, scaleInStress: 0.2 } });
    assert.equal(lavish.costWithin, 0);
    assert.ok(lavish.rows.every((r) => r.problems.some((p) => p.kind === "cost" && p.text.startsWith("bridge cost"))));
    assert.ok(lavish.meanOracleRatio > 2);
  });

  it("prints one line per set (JSON with --json), and rejects an unknown set naming the allowed ones", async () => {
    const text = await cli(["--set", "day", "--limit", "1", "--rows"]);
    assert.equal(text.code, 0);
    assert.match(text.out, /^day \(1 day, 1 region.*\): all targets [01] of 1; cost ≤ 1\.30 × oracle [01];/);
    assert.match(text.out, /\n {2}--generate seed=2500,days=1,regions=1,shape=office,perDay=2000,record=0\.15: 1\.\d+ × oracle/);
    const json = await cli(["--set", "week", "--limit", "1", "--json"]);
    const j = JSON.parse(json.out);
    assert.equal(j.sets[0].set, "week");
    assert.equal(j.sets[0].recordersWithin, null, "the week set counts bridges only");
    const bad = await cli(["--set", "weekly"]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--set: unknown set "weekly" \(allowed: shared, day, mixed, week, resampled, validation-day, validation-resampled, all\)/);
    assert.match((await cli(["--bridge", "targetStress=7"])).err, /targetStress must be a number from 0.05 to 1, got 7/);
    assert.match((await cli(["--warm-pool", "2.5"])).err, /--warm-pool must be a whole number from 0 \(no warm pool\) to 100, got "2.5"/);
    // A row names the warm pool it was measured with, so it replays as printed.
    const cold = await cli(["--set", "day", "--limit", "1", "--rows", "--warm-pool", "0"]);
    assert.match(cold.out, /\n {2}--generate seed=2500,[^\n]* --warm-pool 0: 1\.\d+ × oracle/);
    const relays = await cli(["--set", "day", "--limit", "1", "--rows", "--jicofo-draining", "none-while-active"]);
    assert.match(relays.out, /\n {2}--generate seed=2500,[^\n]* --jicofo-draining none-while-active: 1\.\d+ × oracle/);
  });
});
