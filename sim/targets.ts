/**
 * Issue #9's targets for the shipped (`default`) policies, checked on one simulation result: what
 * tests/sim/simulate.test.ts asserts on the shared traces and `npm run bench:scaling` counts over trace sets.
 */
import { PolicyResult, SimResult } from "./engine";

/** Bridge cost ceiling relative to the oracle (issue #9). */
export const MAX_ORACLE_RATIO = 1.3;
/** Overloaded participant-minutes ceiling, % of all (issue #9). */
export const MAX_OVERLOADED_PCT = 0.1;

/** One target that does not hold: which kind (the three lines) and a sentence saying by how much. */
export interface TargetProblem {
  readonly kind: "cost" | "overload" | "recorders";
  readonly text: string;
}

/** Which targets failed (empty = all hold). `bridgesOnly` leaves out the recorder targets. */
export function targetProblems(r: SimResult, bridgesOnly = false): TargetProblem[] {
  const row = (name: string): PolicyResult | undefined => r.policies.find((p) => p.name === name);
  const d = row("default");
  if (!d) throw new Error("targetProblems: the result has no default policy");
  const problems: TargetProblem[] = [];
  const fail = (kind: TargetProblem["kind"], text: string): void => void problems.push({ kind, text });
  if (d.oracleRatio > MAX_ORACLE_RATIO) fail("cost", `bridge cost ${d.oracleRatio.toFixed(3)} × oracle > ${MAX_ORACLE_RATIO.toFixed(2)}`);
  if (d.overloadedPct > MAX_OVERLOADED_PCT) fail("overload", `overloaded ${d.overloadedPct.toFixed(3)} % > ${MAX_OVERLOADED_PCT} %`);
  if (d.cutConferences > 0) fail("overload", `${d.cutConferences} conferences cut by scale-in`);
  for (const b of [row("jitsi-autoscaler"), row("jitsi-aws-template")]) {
    if (!b) continue;
    if (d.bridgeInstanceHours >= b.bridgeInstanceHours) fail("cost", `not cheaper than ${b.name}`);
    if (d.overloadedPct > b.overloadedPct) fail("overload", `more overload than ${b.name} (${d.overloadedPct.toFixed(3)} vs ${b.overloadedPct.toFixed(3)} %)`);
  }
  if (!bridgesOnly) {
    const s = row("static-peak");
    if (d.failedRecordingStarts > 0) fail("recorders", `${d.failedRecordingStarts} failed recording starts`);
    if (s && d.recorderInstanceHours >= s.recorderInstanceHours) fail("recorders", "recorders not cheaper than static provisioning");
  }
  return problems;
}
