/**
 * Turns conferences into endpoint events on bridges (the join model) and P2P/TURN usage.
 *
 * Join model (assumption, stated in docs/simulator.md): the first participant joins at `start_s`; each other one
 * at a uniformly random moment in the first min(joinSpreadS, duration/2) seconds (seeded by the conference id);
 * everybody leaves at the end. Two-party calls run P2P and use no bridge (config.js p2p.enabled, facts), a
 * `p2pTurnShare` of them through TURN (2 allocations per call). A recording adds Jibri as one more endpoint on
 * the conference's bridge; a recorded two-party call leaves P2P while Jibri is in it (3 endpoints on a bridge).
 */
import { SimConfig } from "./config";
import { hashString, makeRng } from "./rng";
import { Conference } from "./trace";

/** +n endpoints join (n = 1 per participant) or −n leave conference `conf` at `t`. `all` = the conference ends. */
export interface EndpointEvent {
  readonly t: number;
  readonly conf: number;
  readonly delta: number;
  readonly all?: boolean;
}

export interface Recording {
  readonly conf: number;
  readonly startS: number;
  readonly durationS: number;
}

export interface Workload {
  readonly conferences: readonly Conference[];
  /** Sorted by time; at equal times leaves come before joins. */
  readonly events: readonly EndpointEvent[];
  readonly recordings: readonly Recording[];
  /** [t, +/-allocations] changes of TURN allocations, sorted. */
  readonly turnChanges: readonly (readonly [number, number])[];
  readonly endS: number;
}

export function buildWorkload(confs: readonly Conference[], cfg: SimConfig): Workload {
  const events: EndpointEvent[] = [];
  const recordings: Recording[] = [];
  const turnChanges: [number, number][] = [];
  let endS = 0;
  confs.forEach((c, i) => {
    const end = c.startS + c.durationS;
    endS = Math.max(endS, end);
    const rng = makeRng(hashString(c.id));
    const recorded = c.recordDurationS > 0 && c.recordStartS < c.durationS;
    const recStart = c.startS + c.recordStartS;
    const recEnd = Math.min(end, recStart + c.recordDurationS);
    if (recorded && recEnd > recStart) recordings.push({ conf: i, startS: recStart, durationS: recEnd - recStart });
    if (c.participants <= 2) {
      // P2P call: no bridge, except while Jibri records it.
      const turn = rng() < cfg.p2pTurnShare && c.participants === 2;
      if (recorded && recEnd > recStart) {
        events.push({ t: recStart, conf: i, delta: c.participants + 1 });
        events.push({ t: recEnd, conf: i, delta: -(c.participants + 1), all: true });
        if (turn) turnChanges.push([c.startS, 2], [recStart, -2], [recEnd, 2], [end, -2]);
      } else if (turn) turnChanges.push([c.startS, 2], [end, -2]);
      return;
    }
    const spread = Math.min(cfg.joinSpreadS, c.durationS / 2);
    events.push({ t: c.startS, conf: i, delta: 1 });
    for (let k = 1; k < c.participants; k++) events.push({ t: c.startS + Math.floor(rng() * spread), conf: i, delta: 1 });
    if (recorded && recEnd > recStart) {
      events.push({ t: recStart, conf: i, delta: 1 });
      if (recEnd < end) events.push({ t: recEnd, conf: i, delta: -1 });
    }
    events.push({ t: end, conf: i, delta: 0, all: true });
  });
  // Leaves before joins at the same second, so a bridge freed at t can take a join at t.
  events.sort((a, b) => a.t - b.t || a.delta - b.delta || a.conf - b.conf);
  turnChanges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return { conferences: confs, events, recordings: recordings.sort((a, b) => a.startS - b.startS), turnChanges, endS };
}

/** Bridge endpoints over time as a step function: [t, count after t] at every change. */
export function bridgeLoadSteps(w: Workload): [number, number][] {
  const perConf = new Map<number, number>();
  const steps: [number, number][] = [];
  let load = 0;
  for (const e of w.events) {
    const before = perConf.get(e.conf) ?? 0;
    const after = e.all ? 0 : before + e.delta;
    perConf.set(e.conf, after);
    load += after - before;
    if (steps.length > 0 && steps[steps.length - 1][0] === e.t) steps[steps.length - 1][1] = load;
    else steps.push([e.t, load]);
  }
  return steps;
}

/** Peak simultaneous TURN allocations. */
export function peakTurnAllocations(w: Workload): number {
  let cur = 0;
  let peak = 0;
  for (const [, d] of w.turnChanges) {
    cur += d;
    peak = Math.max(peak, cur);
  }
  return peak;
}
