/**
 * The lower bound ("oracle"): knowing the future, exactly ceil(load ÷ capacity at stress 0.8) bridges at every
 * moment, each launched exactly one boot ahead, an idle one kept through a gap only when the gap is no longer
 * than a boot (then keeping it is cheaper than relaunching; facts "Measuring an autoscaler").
 * Instances are interchangeable, so each capacity level k (the k-th instance) is scheduled on its own:
 * the intervals where need ≥ k, merged across short gaps, each run billed for boot + length (60 s minimum).
 */
import { billedSeconds } from "./billing";

/** A step function: [t, value from t on], sorted by t. */
export type Steps = readonly (readonly [number, number])[];

export interface OracleRun {
  /** Launch time (one boot before the instance is needed). */
  readonly launchS: number;
  readonly readyS: number;
  readonly endS: number;
}

export interface OracleResult {
  readonly runs: readonly OracleRun[];
  readonly instanceHours: number;
  /** Times the instance count changes (launch or termination moments). */
  readonly scalingActions: number;
}

/** Intervals [from, to) where need ≥ k, per level k (index k−1). */
export function levelIntervals(need: Steps, endS: number): [number, number][][] {
  const levels: [number, number][][] = [];
  const open: number[] = [];
  let cur = 0;
  const close = (to: number, t: number): void => {
    for (let k = cur; k > to; k--) {
      const start = open[k - 1];
      if (t > start) (levels[k - 1] ??= []).push([start, t]);
    }
  };
  for (const [t, v] of need) {
    if (v > cur) for (let k = cur + 1; k <= v; k++) open[k - 1] = t;
    else if (v < cur) close(v, t);
    cur = v;
  }
  close(0, endS);
  return levels;
}

/** Schedules the oracle's instances for a need step function. */
export function oracleSchedule(need: Steps, bootS: number, endS: number): OracleResult {
  const runs: OracleRun[] = [];
  for (const intervals of levelIntervals(need, endS)) {
    let from = -1;
    let to = -1;
    for (const [a, b] of intervals ?? []) {
      if (from >= 0 && a - to <= bootS) to = b;
      else {
        if (from >= 0) runs.push({ launchS: from - bootS, readyS: from, endS: to });
        from = a;
        to = b;
      }
    }
    if (from >= 0) runs.push({ launchS: from - bootS, readyS: from, endS: to });
  }
  const moments = new Set<number>();
  for (const r of runs) moments.add(r.launchS).add(r.endS);
  const seconds = runs.reduce((s, r) => s + billedSeconds(r.launchS, r.endS), 0);
  return { runs, instanceHours: seconds / 3600, scalingActions: moments.size };
}

/** Bridges needed: ceil(load ÷ (participantsPerBridge × stress)) at every step. */
export function bridgeNeed(load: Steps, participantsPerBridge: number, stress: number): [number, number][] {
  const per = participantsPerBridge * stress;
  const out: [number, number][] = [];
  for (const [t, l] of load) {
    const n = Math.max(0, Math.ceil(l / per - 1e-9));
    if (out.length > 0 && out[out.length - 1][1] === n) continue;
    out.push([t, n]);
  }
  return out;
}

/** Step function of a count of overlapping [start, end) intervals. */
export function concurrency(intervals: readonly (readonly [number, number])[]): [number, number][] {
  const changes: [number, number][] = [];
  for (const [a, b] of intervals) changes.push([a, 1], [b, -1]);
  changes.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  const out: [number, number][] = [];
  let cur = 0;
  for (const [t, d] of changes) {
    cur += d;
    if (out.length > 0 && out[out.length - 1][0] === t) out[out.length - 1][1] = cur;
    else out.push([t, cur]);
  }
  return out;
}

/** Highest value of a step function. */
export function peakOf(steps: Steps): number {
  return steps.reduce((m, [, v]) => Math.max(m, v), 0);
}
