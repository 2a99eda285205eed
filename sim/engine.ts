/**
 * The simulation loop: replays a trace region by region through each policy and the oracle, and collects the
 * report's numbers. Time advances from event to event (joins, leaves, boots, faults, minute ticks).
 */
import { BridgePolicy } from "../functions/bridge-scaler/decide";
import { ReplenishTarget } from "../functions/jibri-replenisher/decide";
import { billedSeconds } from "./billing";
import {
  BridgeRunner, defaultRunner, jitsiAutoscalerRunner, jitsiAwsTemplateRunner, staticPeakRunner,
} from "./bridge-policies";
import { SIM_JIBRI_WARM_POOL, SIM_WARM_POOL, SimConfig, uploadSeconds } from "./config";
import { FaultSpec, faultSchedule } from "./faults";
import { Fleet } from "./fleet";
import { EventQueue } from "./heap";
import { bridgeNeed, concurrency, oracleSchedule, peakOf } from "./oracle";
import {
  autoscalerRecorderRunner, defaultRecorderRunner, RecorderPool, RecorderRunner, staticRecorderRunner, templateRecorderRunner,
} from "./recorders";
import { Conference, regionsOf } from "./trace";
import { bridgeLoadSteps, buildWorkload, peakTurnAllocations, Workload } from "./workload";

/** The policies the issue compares (`--policy all`). */
export const POLICY_NAMES = ["default", "static-peak", "jitsi-autoscaler", "jitsi-aws-template", "oracle"] as const;
/**
 * References run only when named: `perfect-forecast` = the shipped decide() fed the true load of the next minutes
 * (what perfect forecasting would buy; no Lambda can know it).
 */
export const REFERENCE_POLICY_NAMES = ["perfect-forecast"] as const;
export type PolicyName = (typeof POLICY_NAMES)[number] | (typeof REFERENCE_POLICY_NAMES)[number];

export interface SimOptions {
  readonly cfg: SimConfig;
  readonly bridgePolicy: BridgePolicy;
  readonly replenishTarget: ReplenishTarget;
  readonly faults: FaultSpec;
  readonly policies: readonly PolicyName[];
  /**
   * Prepared instances in the shipped stack's bridge warm pool (BridgeFleet `warmPoolSize`; 0 = none, as in a Spot
   * group). Only the shipped policy's fleet has one: Jitsi's baselines run as published (no warm pool).
   * @default SIM_WARM_POOL
   */
  readonly warmPool?: number;
  /**
   * Prepared recorders in the shipped stack's Jibri warm pool (JibriPool `warmPoolSize`; 0 = none). The shipped
   * replenisher then plans with the stack's warm-pool lead time (JibriPool's default) unless the target names one.
   * @default SIM_JIBRI_WARM_POOL
   */
  readonly jibriWarmPool?: number;
  /** Called with the share done (0..1) as regions finish. */
  readonly onProgress?: (done: number) => void;
}

/** One policy's numbers over all regions. */
export interface PolicyResult {
  readonly name: PolicyName;
  readonly bridgeInstanceHours: number;
  readonly oracleRatio: number;
  readonly overloadedParticipantMinutes: number;
  readonly overloadedPct: number;
  /** Overloaded participant-minutes per day of the trace. */
  readonly overloadedMinutesByDay: readonly number[];
  readonly cutConferences: number;
  /**
   * Conferences whose participants on a terminated bridge were moved to another one by Jicofo instead of waited for
   * (BridgePolicy.consolidateAfterS): not cut, but their media paused for the re-invite. `movedParticipants` counts
   * those participants.
   */
  readonly movedConferences: number;
  readonly movedParticipants: number;
  /** Endpoints Jicofo's load redistribution re-invited away from bridges at its threshold (their media paused too). */
  readonly redistributedParticipants: number;
  readonly faultHitConferences: number;
  readonly scalingActions: number;
  readonly recorderInstanceHours: number;
  /** Bridge-hours spent draining (no new conferences, waiting for the last one to end); 0 for the oracle. */
  readonly drainingBridgeHours: number;
  readonly failedRecordingStarts: number;
  readonly peakTurnAllocations: number;
  readonly timeToCapacityP50S: number;
  readonly timeToCapacityP95S: number;
  /**
   * Most bridges (recorders) billed at the same moment in any one region: what the stack's `bridges.max` (`jibri.max`)
   * must allow for this trace (the simulator runs uncapped unless told otherwise, see SIM_SIZING).
   */
  readonly peakBridges: number;
  readonly peakRecorders: number;
  /** Per-minute [t, load, ready capacity at stress 0.8 (participants), billed bridges], summed over regions. */
  readonly timeline: readonly (readonly [number, number, number, number])[];
}

export interface SimResult {
  readonly regions: readonly string[];
  readonly conferences: number;
  readonly endS: number;
  readonly policies: readonly PolicyResult[];
}

interface RegionRun {
  bridgeSeconds: number;
  recorderSeconds: number;
  overloadedS: number;
  overloadedByDay: number[];
  endpointS: number;
  cut: number;
  moved: number;
  movedParticipants: number;
  redistributed: number;
  hit: number;
  actions: number;
  failed: number;
  episodes: number[];
  timeline: [number, number, number, number][];
  peakBridges: number;
  peakRecorders: number;
  stateMinutes?: Fleet["stateMinutes"];
}

/** Runs every requested policy on the conferences. */
export function simulate(confs: readonly Conference[], opts: SimOptions): SimResult {
  const regions = regionsOf(confs);
  const perRegion = regions.map((r) => buildWorkload(confs.filter((c) => c.region === r), opts.cfg));
  const endS = Math.ceil(Math.max(...perRegion.map((w) => w.endS), 60) / 60) * 60;
  const turnPeak = perRegion.reduce((s, w) => s + peakTurnAllocations(w), 0);
  const oracle = perRegion.map((w) => runOracle(w, opts.cfg, endS));
  const oracleBridgeHours = oracle.reduce((s, o) => s + o.bridgeSeconds, 0) / 3600;
  const results: PolicyResult[] = [];
  const total = opts.policies.length * regions.length;
  let done = 0;
  for (const name of opts.policies) {
    const runs = perRegion.map((w, i) => {
      const run = name === "oracle" ? oracle[i] : runRegion(w, regions[i], name, opts, endS);
      opts.onProgress?.(++done / total);
      return run;
    });
    results.push(summarize(name, runs, oracleBridgeHours, turnPeak));
  }
  return { regions, conferences: confs.length, endS, policies: results };
}

function summarize(name: PolicyName, runs: RegionRun[], oracleHours: number, turnPeak: number): PolicyResult {
  const sum = (f: (r: RegionRun) => number): number => runs.reduce((s, r) => s + f(r), 0);
  const episodes = runs.flatMap((r) => r.episodes).sort((a, b) => a - b);
  const pct = (p: number): number => (episodes.length === 0 ? 0 : episodes[Math.min(episodes.length - 1, Math.ceil(p * episodes.length) - 1)]);
  const bridgeHours = sum((r) => r.bridgeSeconds) / 3600;
  const endpointS = sum((r) => r.endpointS);
  const timeline = new Map<number, [number, number, number, number]>();
  for (const r of runs)
    for (const [t, l, c, b] of r.timeline) {
      const p = timeline.get(t) ?? [t, 0, 0, 0];
      timeline.set(t, [t, p[1] + l, p[2] + c, p[3] + b]);
    }
  return {
    name,
    bridgeInstanceHours: bridgeHours,
    oracleRatio: oracleHours > 0 ? bridgeHours / oracleHours : 0,
    overloadedParticipantMinutes: sum((r) => r.overloadedS) / 60,
    overloadedPct: endpointS > 0 ? (100 * sum((r) => r.overloadedS)) / endpointS : 0,
    overloadedMinutesByDay: runs.reduce<number[]>((acc, r) => {
      r.overloadedByDay.forEach((v, d) => (acc[d] = (acc[d] ?? 0) + (v ?? 0) / 60));
      return acc;
    }, []),
    cutConferences: sum((r) => r.cut),
    movedConferences: sum((r) => r.moved),
    movedParticipants: sum((r) => r.movedParticipants),
    redistributedParticipants: sum((r) => r.redistributed),
    faultHitConferences: sum((r) => r.hit),
    scalingActions: sum((r) => r.actions),
    recorderInstanceHours: sum((r) => r.recorderSeconds) / 3600,
    drainingBridgeHours: sum((r) => r.stateMinutes?.draining ?? 0) / 60,
    failedRecordingStarts: sum((r) => r.failed),
    peakTurnAllocations: turnPeak,
    timeToCapacityP50S: pct(0.5),
    peakBridges: Math.max(0, ...runs.map((r) => r.peakBridges)),
    peakRecorders: Math.max(0, ...runs.map((r) => r.peakRecorders)),
    timeToCapacityP95S: pct(0.95),
    timeline: [...timeline.values()].sort((a, b) => a[0] - b[0]),
  };
}

/** Recorders needed over time: a recording holds one from its start through upload and restart. */
export function recorderNeed(w: Workload, cfg: SimConfig): [number, number][] {
  return concurrency(w.recordings.map((r) => [r.startS, r.startS + r.durationS + uploadSeconds(cfg, r.durationS) + cfg.recorderRestartS]));
}

function runOracle(w: Workload, cfg: SimConfig, endS: number): RegionRun {
  const load = bridgeLoadSteps(w);
  const bridges = oracleSchedule(bridgeNeed(load, cfg.participantsPerBridge, cfg.jicofoStressThreshold), cfg.bootS, endS);
  const recorders = oracleSchedule(recorderNeed(w, cfg), cfg.recorderBootS, endS);
  let endpointS = 0;
  for (let i = 0; i < load.length; i++) endpointS += load[i][1] * ((i + 1 < load.length ? load[i + 1][0] : endS) - load[i][0]);
  const timeline: [number, number, number, number][] = [];
  let li = 0;
  for (let t = 0; t <= endS; t += 60) {
    while (li + 1 < load.length && load[li + 1][0] <= t) li++;
    const l = load.length > 0 && load[0][0] <= t ? load[li][1] : 0;
    const ready = bridges.runs.filter((r) => r.readyS <= t && r.endS > t).length;
    const billed = bridges.runs.filter((r) => r.launchS <= t && r.endS > t).length;
    timeline.push([t, l, ready * cfg.participantsPerBridge * cfg.jicofoStressThreshold, billed]);
  }
  return {
    bridgeSeconds: bridges.instanceHours * 3600,
    recorderSeconds: recorders.instanceHours * 3600,
    overloadedS: 0,
    overloadedByDay: [],
    endpointS,
    cut: 0,
    moved: 0,
    movedParticipants: 0,
    redistributed: 0,
    hit: 0,
    actions: bridges.scalingActions + recorders.scalingActions,
    failed: 0,
    episodes: [],
    timeline,
    peakBridges: peakOf(concurrency(bridges.runs.map((r) => [r.launchS, r.endS]))),
    peakRecorders: peakOf(concurrency(recorders.runs.map((r) => [r.launchS, r.endS]))),
  };
}

function bridgeRunner(name: PolicyName, w: Workload, opts: SimOptions): BridgeRunner {
  const p = opts.bridgePolicy;
  switch (name) {
    case "default":
      return defaultRunner(p);
    case "perfect-forecast":
      return defaultRunner(p, bridgeLoadSteps(w));
    case "static-peak":
      return staticPeakRunner(Math.max(p.minBridges, Math.ceil(peakOf(bridgeLoadSteps(w)) / (opts.cfg.participantsPerBridge * opts.cfg.jicofoStressThreshold))));
    case "jitsi-autoscaler":
      return jitsiAutoscalerRunner(p.minBridges, p.maxBridges);
    case "jitsi-aws-template":
      return jitsiAwsTemplateRunner(p.minBridges, p.maxBridges, opts.cfg.loadAverageAtStress1);
    case "oracle":
      throw new Error("the oracle is computed, not run");
  }
}

function recorderRunner(name: PolicyName, w: Workload, opts: SimOptions): RecorderRunner {
  const t = opts.replenishTarget;
  switch (name) {
    case "default":
    case "perfect-forecast":
      return defaultRecorderRunner(t);
    case "static-peak":
      return staticRecorderRunner(peakOf(recorderNeed(w, opts.cfg)));
    case "jitsi-autoscaler":
      return autoscalerRecorderRunner(t.idleTarget, t.maxInstances);
    case "jitsi-aws-template":
      return templateRecorderRunner(t.maxInstances);
    case "oracle":
      throw new Error("the oracle is computed, not run");
  }
}

function runRegion(w: Workload, region: string, name: PolicyName, opts: SimOptions, endS: number): RegionRun {
  const cfg = opts.cfg;
  const queue = new EventQueue();
  const schedule = faultSchedule(opts.faults, region, endS, cfg.azCount);
  const fleet = new Fleet(region, cfg, queue, opts.faults, schedule, endS);
  const pool = new RecorderPool(region, cfg, queue, endS);
  pool.setMeetingStarts(w.conferences.map((c) => c.startS));
  const br = bridgeRunner(name, w, opts);
  const rr = recorderRunner(name, w, opts);
  fleet.startWith(br.initial, br.warmPool ? opts.warmPool ?? SIM_WARM_POOL : 0);
  fleet.startRedistribution();
  if (cfg.liveRead) fleet.startLiveSnapshots();
  pool.startWith(rr.initial, rr.warmPool ? opts.jibriWarmPool ?? SIM_JIBRI_WARM_POOL : 0);
  for (const o of schedule.azLosses) fleet.azOutage(o.az, o.fromS, Math.min(o.toS, endS));
  let ei = 0;
  let ri = 0;
  let nextMinute = 0;
  const events = w.events;
  const recs = w.recordings;
  for (;;) {
    const tq = queue.peekTime();
    const te = ei < events.length ? events[ei].t : Infinity;
    const tr = ri < recs.length ? recs[ri].startS : Infinity;
    const t = Math.min(tq, te, tr, nextMinute);
    if (t > endS) break;
    if (tq === t) {
      queue.pop()!.run();
    } else if (te === t) {
      const e = events[ei++];
      if (e.delta > 0) for (let k = 0; k < e.delta; k++) fleet.join(e.conf, t);
      else fleet.leave(e.conf, e.all ? Infinity : -e.delta, t);
    } else if (tr === t) {
      pool.record(recs[ri++], t);
    } else {
      fleet.publish(t);
      pool.publish(t);
      if (!schedule.lambdaFails(t)) {
        br.tick(fleet, t);
        rr.tick(pool, t);
      }
      nextMinute += cfg.scheduleS;
    }
  }
  fleet.finish(endS);
  pool.finish(endS);
  return {
    bridgeSeconds: fleet.bridges.reduce((s, b) => s + billedSeconds(b.launchS, b.endS ?? endS), 0) + fleet.warmPrepSeconds,
    recorderSeconds: pool.recorders.reduce((s, r) => s + billedSeconds(r.launchS, r.endS ?? endS), 0) + pool.warmPrepSeconds,
    overloadedS: fleet.overloadedEndpointSeconds,
    overloadedByDay: [...fleet.overloadedByDay],
    endpointS: fleet.bridgeEndpointSeconds,
    cut: fleet.cutConferences.size,
    moved: fleet.movedConferences.size,
    movedParticipants: fleet.movedEndpoints,
    redistributed: fleet.redistributedEndpoints,
    hit: fleet.faultHitConferences.size,
    actions: fleet.scalingActions + pool.scalingActions,
    failed: pool.failedStarts,
    episodes: fleet.shortfallEpisodesS,
    timeline: fleet.timeline,
    peakBridges: peakOf(concurrency(fleet.bridges.map((b) => [b.launchS, b.endS ?? endS]))),
    peakRecorders: peakOf(concurrency(pool.recorders.map((r) => [r.launchS, r.endS ?? endS]))),
    stateMinutes: fleet.stateMinutes,
  };
}
