/**
 * Issue #9's targets for the shipped (`default`) policies, checked on one simulation result: what
 * tests/sim/simulate.test.ts asserts on the shared traces and `npm run bench:scaling` counts over trace sets.
 */
import { PolicyResult, SimResult } from "./engine";

/** Bridge cost ceiling relative to the oracle (issue #9). */
export const MAX_ORACLE_RATIO = 1.3;
/** Overloaded participant-minutes ceiling, % of all (issue #9). */
export const MAX_OVERLOADED_PCT = 0.1;

/** Which targets failed, each as a sentence (empty = all hold). `bridgesOnly` leaves out the recorder targets. */
export function targetProblems(r: SimResult, bridgesOnly = false): string[] {
  const row = (name: string): PolicyResult | undefined => r.policies.find((p) => p.name === name);
  const d = row("default");
  if (!d) return ["no default policy in the result"];
  const problems: string[] = [];
  if (d.oracleRatio > MAX_ORACLE_RATIO) problems.push(`bridge cost ${d.oracleRatio.toFixed(3)} × oracle > ${MAX_ORACLE_RATIO.toFixed(2)}`);
  if (d.overloadedPct > MAX_OVERLOADED_PCT) problems.push(`overloaded ${d.overloadedPct.toFixed(3)} % > ${MAX_OVERLOADED_PCT} %`);
  if (d.cutConferences > 0) problems.push(`${d.cutConferences} conferences cut by scale-in`);
  for (const b of [row("jitsi-autoscaler"), row("jitsi-aws-template")]) {
    if (!b) continue;
    if (d.bridgeInstanceHours >= b.bridgeInstanceHours) problems.push(`not cheaper than ${b.name}`);
    if (d.overloadedPct > b.overloadedPct) problems.push(`more overload than ${b.name} (${d.overloadedPct.toFixed(3)} vs ${b.overloadedPct.toFixed(3)} %)`);
  }
  if (!bridgesOnly) {
    const s = row("static-peak");
    if (d.failedRecordingStarts > 0) problems.push(`${d.failedRecordingStarts} failed recording starts`);
    if (s && d.recorderInstanceHours >= s.recorderInstanceHours) problems.push("recorders not cheaper than static provisioning");
  }
  return problems;
}
