/**
 * The Jibri pool's replenishment decision: pure, no AWS or Pulumi import, the clock passed in.
 *
 * One Jibri records or streams one conference at a time (jitsi-facts.md), so a recording can start only if an
 * IDLE recorder exists at that moment. The pool therefore keeps a buffer of idle recorders: when one is
 * allocated, another is launched at once; when more are idle than needed, the longest-idle one is shut down.
 *
 * Both the Lambda (functions/jibri-replenisher/handler.ts: DescribeAutoScalingGroups + the agents' status tags, the
 * recording starts and the region's meetings created from CloudWatch) and the capacity simulator (sim/) fill a
 * {@link PoolSnapshot} and apply the returned {@link PoolAction}s.
 *
 * Every time is in SECONDS on one clock: Unix seconds in the Lambda, trace seconds in the simulator.
 */

import { upperBound } from "../sorted";

/**
 * Where a recorder is in its life, as seen by the replenisher.
 * - `booting`: launched (or leaving the warm pool), or restarting Jibri after a recording (single-use mode), and
 *   not yet idle; counts as coming capacity. `phaseSince` = when it started booting.
 * - `warm`: stopped in the ASG warm pool; not serving and not in desired capacity (ASG pulls it on scale-out).
 * - `idle`: Jibri healthy and IDLE: can take a recording now.
 * - `busy`: recording or streaming. Never scaled in.
 * - `uploading`: recording finished, finalize is uploading it to S3. Never scaled in.
 * - `unhealthy`: running but Jibri reports unhealthy; replaced unless it holds data (protected).
 * - `leaving`: terminating / detaching; ignored (already gone from desired capacity).
 */
export type RecorderPhase = "booting" | "warm" | "idle" | "busy" | "uploading" | "unhealthy" | "leaving";

/** One recorder instance of the pool. */
export interface RecorderInstance {
  /** EC2 instance id (or a simulator id). */
  readonly id: string;
  readonly phase: RecorderPhase;
  /** When the instance was launched (seconds). */
  readonly launchedAt: number;
  /** When the current phase began (seconds); for `idle` this is "idle since". */
  readonly phaseSince: number;
  /** The ASG's scale-in protection flag (set by the status agent while busy or uploading). */
  readonly protectedFromScaleIn: boolean;
}

/** What the replenisher sees of the pool at one instant. */
export interface PoolSnapshot {
  /** The group's current desired capacity (in-service + pending, warm pool excluded). */
  readonly desiredCapacity: number;
  /** The group's MinSize: desired capacity may not go below it. */
  readonly minSize: number;
  /** The group's MaxSize: desired capacity may not go above it. */
  readonly maxSize: number;
  /** Every instance the group knows about, warm pool included. */
  readonly recorders: readonly RecorderInstance[];
  /**
   * Times (seconds) of recording/stream starts observed recently, reaching back {@link startHistorySeconds}
   * (demand window and seasonal periods); older entries are ignored. Used to size the idle buffer to the start
   * rate. The Lambda fills it from the agents' `last-busy-at` tags and the JibriRecordingStarts metric.
   */
  readonly recentStarts: readonly number[];
  /**
   * Meetings created in the region (Jicofo's `total_conferences_created`, SHARD_METRICS.conferencesCreated summed over
   * its shards): their times (seconds), reaching back {@link meetingHistorySeconds}, and the end of
   * the newest minute published (`throughS`; CloudWatch is a minute or two behind). Absent when unknown.
   */
  readonly meetingStarts?: { readonly times: readonly number[]; readonly throughS: number };
}

/** The replenisher's policy. All fields are required here; {@link resolveReplenishTarget} fills defaults. */
export interface ReplenishTarget {
  /** N: idle recorders kept ready at all times (the floor of the buffer). */
  readonly idleTarget: number;
  /**
   * Most recorders in service (idle + busy + uploading + booting). Desired capacity never exceeds
   * min(maxInstances, pool.maxSize).
   */
  readonly maxInstances: number;
  /**
   * Seconds from a launch decision to a recorder that is idle: boot (~3–8 min when configured at boot,
   * 1–3 min from a baked AMI) or warm-pool resume (~30 s) plus Jibri start (jitsi-facts.md).
   */
  readonly leadTimeSeconds: number;
  /** Look-back window for the recording start rate (seconds). */
  readonly demandWindowSeconds: number;
  /**
   * Safety margin, in standard deviations of a Poisson arrival count over the lead time: the buffer is
   * ceil(λ + burstFactor·√λ) with λ = start rate × lead time, and never below idleTarget. 0 turns it off
   * (constant buffer of idleTarget).
   */
  readonly burstFactor: number;
  /**
   * Calendar effect: meetings, and so recordings, start in bursts at :00 and :30. For each period P, the starts seen
   * in (now − P, now − P + leadTimeSeconds] forecast those of the coming lead time, so the buffer is raised before
   * the next burst instead of after it. [] turns the forecast off.
   */
  readonly seasonalPeriodsSeconds: readonly number[];
  /**
   * A seasonal count is scaled by how much busier the last demand window is than the same window one period ago
   * (a morning ramp makes each :00 burst bigger than the last), at most this factor; 1 turns the scaling off.
   */
  readonly seasonalGrowthCap: number;
  /**
   * Recordings start a few minutes into a meeting (the shared traces: 86–89 % within its first fifth), so a crowd of
   * new meetings announces a crowd of recordings before the first of them starts. The start rate foreseen from it:
   * this weight × (recordings ÷ meetings created over the last {@link recordShareWindowSeconds}) × the meetings created
   * in the last lead time ÷ lead time; it counts when higher than the other rates. 0 turns it off.
   */
  readonly meetingStartWeight: number;
  /** How far back the share of meetings that get recorded is measured (seconds). */
  readonly recordShareWindowSeconds: number;
  /** Upper bound of the idle buffer however high the start rate (cost cap). */
  readonly maxIdle: number;
  /** An idle recorder is trimmed only after being idle this long (avoids launch/terminate churn). */
  readonly scaleInIdleSeconds: number;
  /**
   * Idle recorders are trimmed only down to the largest buffer wanted over this long (seconds), the buffer of each
   * earlier minute worked out again from the same start history: the wanted buffer dips between runs when a burst
   * leaves a look-back window, and a pool trimmed in such a dip meets the next burst short. 0 = trim to the buffer
   * wanted now.
   */
  readonly trimHoldSeconds: number;
  /** Most recorders shut down per decision ("shut one down" = 1). */
  readonly maxTerminationsPerRun: number;
  /** A recorder still `booting` this long after its phaseSince is replaced (its boot failed). */
  readonly bootTimeoutSeconds: number;
  /** An `unhealthy` recorder (without data) is replaced after this long in that phase (a blip is not a failure). */
  readonly unhealthyGraceSeconds: number;
  /**
   * Grace before the replenisher repairs a protection flag the agent should have set or cleared
   * (busy/uploading but unprotected, or idle but still protected).
   */
  readonly protectionRepairSeconds: number;
}

/** Defaults of {@link ReplenishTarget}. */
export const REPLENISH_DEFAULTS: ReplenishTarget = {
  // Issue #6's example is 3. Sim, with the recorders' warm pool: 3 left 1 failed start on 91 traces and 2 on a
  // validation day whose first five recordings came within 80 s before any history (docs/simulator.md); 5 none on
  // either, for +1.6 % recorder-hours (0.50 × static provisioning on average); 4 still 1 there.
  idleTarget: 5,
  maxInstances: 100,
  // jitsi-facts.md: boot-to-ready 3–8 min when configured at boot; a warm pool serves in ~30 s.
  leadTimeSeconds: 300,
  demandWindowSeconds: 900,
  // 3.5 standard deviations. Sim: 2 left one failed start on recording-heavy.csv, 3 none on the shared traces but 5
  // single first-burst failures on 36 generated traces (pool max 200), 3.5 leaves 2 (+4 % recorder-hours).
  burstFactor: 3.5,
  // Half hour, hour, and the same time yesterday (the Lambda reads a day of JibriRecordingStarts when it has it).
  seasonalPeriodsSeconds: [1800, 3600, 86400],
  // At most a doubling within a period. With the previous-day period, it took failed starts on 16 generated 2-day
  // traces from 12 to 9 (95 to 13 with harsher crowds); docs/jibri-pool.md.
  seasonalGrowthCap: 2,
  // Above 1 because the meetings of the last lead time start their recordings over the next several lead times, and
  // a crowd's share of recorded meetings varies. Sim, 91 traces (npm run bench:scaling's day, mixed and the resampled
  // shared ones, recorders uncapped): failed starts 16 on 9 traces without, 10 on 7 at 1, 6 on 4 at 1.5 (two of them a
  // round-the-clock trace's first minutes), for +1 % recorder-hours.
  meetingStartWeight: 1.5,
  // Two hours: enough meetings for a steady share (10 % recorded × ~100 meetings), recent enough for the time of day.
  recordShareWindowSeconds: 7200,
  // Cost cap on the buffer: 60 idle covers ~30 starts per lead time at 3 sigma (λ + 3√λ), ~350 recordings an hour.
  maxIdle: 60,
  // jitsi-autoscaler scales a Jibri group down only after 20 one-minute periods of surplus; 10 min here.
  scaleInIdleSeconds: 600,
  // Sim, 91 recorder traces (docs/jibri-pool.md): 0 kept 2 failed starts on 1 trace (and 1 on a 2000-meeting office
  // day: 3 recordings in 15 s took the 3 idle left after a dip-time trim, the 4th came 6 s before the relaunch was
  // idle); 300 none, for recorder-hours 0.49 → 0.50 × static; 600 none at 0.51.
  trimHoldSeconds: 300,
  maxTerminationsPerRun: 1,
  bootTimeoutSeconds: 1200,
  unhealthyGraceSeconds: 180,
  protectionRepairSeconds: 120,
};

/** Thrown by {@link resolveReplenishTarget} with every bad field listed. */
export class ReplenishTargetError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid Jibri replenish target: ${problems.join("; ")}`);
    this.name = "ReplenishTargetError";
  }
}

/** Fills defaults and validates; the error names each bad field and the allowed range. */
export function resolveReplenishTarget(partial: Partial<ReplenishTarget> = {}): ReplenishTarget {
  const t: ReplenishTarget = { ...REPLENISH_DEFAULTS, ...stripUndefined(partial) };
  const problems: string[] = [];
  type NumericField = Exclude<keyof ReplenishTarget, "seasonalPeriodsSeconds">;
  const int = (field: NumericField, min: number): void => {
    const v = t[field];
    if (!Number.isInteger(v) || v < min) problems.push(`${field} must be a whole number >= ${min}, got ${v}`);
  };
  const num = (field: NumericField, min: number): void => {
    const v = t[field];
    if (typeof v !== "number" || !Number.isFinite(v) || v < min) problems.push(`${field} must be a number >= ${min}, got ${v}`);
  };
  int("idleTarget", 0);
  int("maxInstances", 1);
  num("leadTimeSeconds", 1);
  num("demandWindowSeconds", 60);
  num("burstFactor", 0);
  num("seasonalGrowthCap", 1);
  num("meetingStartWeight", 0);
  num("recordShareWindowSeconds", 600);
  int("maxIdle", 0);
  num("scaleInIdleSeconds", 0);
  num("trimHoldSeconds", 0);
  if (t.trimHoldSeconds > 3600) problems.push(`trimHoldSeconds must be at most 3600, got ${t.trimHoldSeconds}`);
  int("maxTerminationsPerRun", 0);
  num("bootTimeoutSeconds", 60);
  num("unhealthyGraceSeconds", 0);
  num("protectionRepairSeconds", 0);
  if (!Array.isArray(t.seasonalPeriodsSeconds) || t.seasonalPeriodsSeconds.some((p) => !Number.isInteger(p) || p < 60 || p > 86_400))
    problems.push(`seasonalPeriodsSeconds must be a list of whole seconds from 60 to 86400, got ${JSON.stringify(t.seasonalPeriodsSeconds)}`);
  if (problems.length === 0 && t.maxIdle < t.idleTarget) problems.push(`maxIdle must be >= idleTarget (${t.idleTarget}), got ${t.maxIdle}`);
  if (problems.length === 0 && t.maxInstances < t.idleTarget) problems.push(`maxInstances must be >= idleTarget (${t.idleTarget}), got ${t.maxInstances}`);
  if (problems.length > 0) throw new ReplenishTargetError(problems);
  return t;
}

function stripUndefined<T extends object>(o: Partial<T>): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * What to do. The Lambda maps them to Auto Scaling calls; the simulator applies them to its model.
 * - `setDesired`: SetDesiredCapacity (HonorCooldown false): launches `desired − current` recorders
 *   (from the warm pool first when there is one).
 * - `terminate`: TerminateInstanceInAutoScalingGroup; `decrementDesired` true = shrink the pool,
 *   false = replace the instance (the ASG launches a new one).
 * - `protect` / `unprotect`: SetInstanceProtection repair when an agent missed a transition.
 */
export type PoolAction =
  | { readonly kind: "setDesired"; readonly desired: number; readonly reason: string }
  | { readonly kind: "terminate"; readonly instanceId: string; readonly decrementDesired: boolean; readonly reason: string }
  | { readonly kind: "protect"; readonly instanceId: string; readonly reason: string }
  | { readonly kind: "unprotect"; readonly instanceId: string; readonly reason: string };

/** Counts behind a decision (logged by the Lambda, recorded by the simulator). */
export interface PoolSummary {
  readonly idle: number;
  readonly busy: number;
  readonly uploading: number;
  /** Booting recorders plus launches requested but not yet listed (desired − listed in-service). */
  readonly coming: number;
  readonly warm: number;
  readonly unhealthy: number;
  /** Recording starts per second the buffer is sized for: the higher of startRate and meetingStartRate. */
  readonly startRatePerSecond: number;
  /** The idle buffer wanted now: max(idleTarget, ceil(λ + burstFactor·√λ)), capped at maxIdle. */
  readonly wantIdle: number;
  /** True when maxInstances/maxSize stopped the pool from reaching wantIdle. */
  readonly capped: boolean;
}

export interface PoolDecision {
  readonly actions: readonly PoolAction[];
  readonly summary: PoolSummary;
}

/** The idle buffer for a start rate (per second): Poisson mean over the lead time plus a safety margin. */
export function idleBufferFor(startRatePerSecond: number, target: ReplenishTarget): number {
  const lambda = startRatePerSecond * target.leadTimeSeconds;
  const dynamic = Math.ceil(lambda + target.burstFactor * Math.sqrt(lambda) - 1e-9);
  return Math.min(target.maxIdle, Math.max(target.idleTarget, target.burstFactor > 0 ? dynamic : 0));
}

/**
 * Start rate (per second) the buffer is sized for: the highest of
 * - the rate over the demand window;
 * - the rate over the last lead time (a burst raises the buffer at once instead of being diluted);
 * - for each seasonal period P, the rate seen in (now − P, now − P + lead]: what came next last half hour/hour/day,
 *   times the growth since then (starts in the last demand window ÷ those in the same window one period ago,
 *   between 1 and seasonalGrowthCap).
 */
export function startRate(recentStarts: readonly number[], now: number, target: ReplenishTarget): number {
  return rateOf(counter(recentStarts), now, target);
}

/** How many of a set of times fall in (from, to]. */
type Count = (from: number, to: number) => number;

/** The times sorted once and counted by binary search (a run counts the same history many times). */
function counter(times: readonly number[]): Count {
  const sorted = [...times].sort((a, b) => a - b);
  const upTo = (x: number): number => upperBound(sorted, x, (t) => t);
  return (from, to) => (to > from ? upTo(to) - upTo(from) : 0);
}

/** {@link startRate} over counted starts, none after `now` counted. */
function rateOf(starts: Count, now: number, target: ReplenishTarget): number {
  const count = (from: number, to: number): number => starts(from, Math.min(to, now));
  const longRate = count(now - target.demandWindowSeconds, now) / target.demandWindowSeconds;
  const shortWindow = Math.min(target.leadTimeSeconds, target.demandWindowSeconds);
  const shortRate = count(now - shortWindow, now) / shortWindow;
  const window = target.demandWindowSeconds;
  const recent = count(now - window, now);
  const seasonal = target.seasonalPeriodsSeconds.map((p) => {
    const then = count(now - p - window, now - p);
    const growth = then > 0 ? Math.min(target.seasonalGrowthCap, Math.max(1, recent / then)) : 1;
    return (count(now - p, now - p + target.leadTimeSeconds) / target.leadTimeSeconds) * growth;
  });
  return Math.max(longRate, shortRate, ...seasonal);
}

/** Fewer meetings than this in the share window say too little about how many get recorded. */
export const MIN_MEETINGS_FOR_SHARE = 20;

/**
 * Recording start rate (per second) foreseen from the meetings created in the last lead time (see
 * {@link ReplenishTarget.meetingStartWeight}): 0 without meeting data, with fewer than {@link MIN_MEETINGS_FOR_SHARE}
 * meetings in the share window, or with the weight at 0. Both counts end at the newest published meeting minute.
 */
export function meetingStartRate(pool: Pick<PoolSnapshot, "recentStarts" | "meetingStarts">, target: ReplenishTarget): number {
  const m = pool.meetingStarts;
  return m ? meetingRateOf(counter(pool.recentStarts), counter(m.times), m.throughS, target) : 0;
}

/** {@link meetingStartRate} over counted starts and meetings, both counted up to `throughS`. */
function meetingRateOf(starts: Count, meetingTimes: Count, throughS: number, target: ReplenishTarget): number {
  if (target.meetingStartWeight <= 0) return 0;
  const meetings = meetingTimes(throughS - target.recordShareWindowSeconds, throughS);
  if (meetings < MIN_MEETINGS_FOR_SHARE) return 0;
  const share = starts(throughS - target.recordShareWindowSeconds, throughS) / meetings;
  return (target.meetingStartWeight * share * meetingTimes(throughS - target.leadTimeSeconds, throughS)) / target.leadTimeSeconds;
}

/**
 * How far back `recentStarts` and `meetingStarts` must reach for {@link startRate} and {@link meetingStartRate}, now
 * and at each minute of the last {@link ReplenishTarget.trimHoldSeconds} ({@link trimFloor}).
 */
export function startHistorySeconds(target: ReplenishTarget): number {
  return target.trimHoldSeconds + Math.max(target.demandWindowSeconds, target.recordShareWindowSeconds, ...target.seasonalPeriodsSeconds.map((p) => p + target.demandWindowSeconds));
}

/** How far back `meetingStarts` must reach: the share window, at each minute of the trim hold. */
export function meetingHistorySeconds(target: ReplenishTarget): number {
  return target.trimHoldSeconds + target.recordShareWindowSeconds;
}

/** The history of one run, counted once for every minute it is looked at. */
interface History {
  readonly starts: Count;
  readonly meetings?: { readonly count: Count; readonly throughS: number };
}

function historyOf(pool: Pick<PoolSnapshot, "recentStarts" | "meetingStarts">): History {
  const m = pool.meetingStarts;
  return { starts: counter(pool.recentStarts), meetings: m && { count: counter(m.times), throughS: m.throughS } };
}

/** The start rate the buffer was sized for `backS` seconds ago, from what the snapshot held then (starts up to it, meetings published then). */
function rateBefore(h: History, target: ReplenishTarget, now: number, backS: number): number {
  const m = h.meetings;
  return Math.max(rateOf(h.starts, now - backS, target), m ? meetingRateOf(h.starts, m.count, m.throughS - backS, target) : 0);
}

/**
 * Idle recorders the trim keeps: the largest buffer wanted now or at any whole minute of the last
 * {@link ReplenishTarget.trimHoldSeconds} (hysteresis, as the bridges' scale-in waits for a stable low). The search
 * stops once `enough` is reached (the idle count: nothing is trimmed then anyway).
 */
export function trimFloor(pool: Pick<PoolSnapshot, "recentStarts" | "meetingStarts">, target: ReplenishTarget, now: number, enough = Infinity): number {
  return holdFloor(historyOf(pool), target, now, enough);
}

function holdFloor(h: History, target: ReplenishTarget, now: number, enough: number): number {
  let keep = idleBufferFor(rateBefore(h, target, now, 0), target);
  for (let back = 60; back <= target.trimHoldSeconds && keep < enough; back += 60) keep = Math.max(keep, idleBufferFor(rateBefore(h, target, now, back), target));
  return keep;
}

/**
 * Decides the pool's next actions at time `now` (seconds).
 *
 * Invariants (tests/functions/jibri-decide.test.ts):
 * - idle + coming is raised to the wanted buffer in one step, capped by maxInstances and pool.maxSize;
 * - busy, uploading and protected recorders are never terminated;
 * - at most maxTerminationsPerRun idle recorders are trimmed, longest-idle first (then oldest launch), only
 *   after scaleInIdleSeconds idle, and only while more are idle than the largest buffer wanted over the last
 *   trimHoldSeconds;
 * - no scale-out and no trim in the same decision; desired never below pool.minSize;
 * - failed recorders (stuck booting, unhealthy) holding no data are terminated with a decrement, then the
 *   buffer is topped up as usual.
 */
export function decideJibriPool(pool: PoolSnapshot, target: ReplenishTarget, now: number): PoolDecision {
  const by = (phase: RecorderPhase): RecorderInstance[] => pool.recorders.filter((r) => r.phase === phase);
  const idle = by("idle");
  const busy = by("busy");
  const uploading = by("uploading");
  const booting = by("booting");
  const unhealthy = by("unhealthy");
  const warm = by("warm");
  const actions: PoolAction[] = [];

  // Protection repair: a busy/uploading recorder must be protected; an idle one must not stay protected,
  // or the pool can never trim it (the agent normally does both; this covers a missed transition).
  for (const r of [...busy, ...uploading]) {
    if (!r.protectedFromScaleIn && now - r.phaseSince >= target.protectionRepairSeconds)
      actions.push({ kind: "protect", instanceId: r.id, reason: `${r.phase} since ${r.phaseSince} but not protected` });
  }
  for (const r of idle) {
    if (r.protectedFromScaleIn && now - r.phaseSince >= target.protectionRepairSeconds)
      actions.push({ kind: "unprotect", instanceId: r.id, reason: `idle since ${r.phaseSince} but still protected` });
  }

  // Failed recorders hold no data (unprotected) and are not capacity: stuck booting, or Jibri unhealthy. They
  // are terminated with a decrement, and the scale-out below relaunches what the buffer still needs, so a
  // failure during a surplus does not cause a launch-then-trim churn.
  const failed = [
    // phaseSince, not launchedAt: a recorder restarting Jibri after a recording (single-use mode) boots again.
    ...booting.filter((r) => now - r.phaseSince >= target.bootTimeoutSeconds && !r.protectedFromScaleIn),
    ...unhealthy.filter((r) => now - r.phaseSince >= target.unhealthyGraceSeconds && !r.protectedFromScaleIn),
  ];
  const failedIds = new Set(failed.map((r) => r.id));
  // Decrement only down to MinSize (the API refuses below it); beyond that the ASG replaces the instance.
  const decrementable = Math.max(0, pool.desiredCapacity - pool.minSize);
  failed.forEach((r, i) =>
    actions.push({
      kind: "terminate",
      instanceId: r.id,
      decrementDesired: i < decrementable,
      reason: r.phase === "booting" ? `booting for ${now - r.phaseSince}s` : "jibri unhealthy",
    }),
  );
  const replacedByAsg = Math.max(0, failed.length - decrementable);
  const desiredNow = pool.desiredCapacity - (failed.length - replacedByAsg);

  // Coming capacity: booting recorders plus launches the ASG has not listed yet (desired − listed).
  const listedInService = pool.recorders.filter((r) => r.phase !== "warm" && r.phase !== "leaving" && !failedIds.has(r.id)).length;
  const notYetListed = Math.max(0, desiredNow - listedInService);
  const coming = booting.filter((r) => !failedIds.has(r.id)).length + notYetListed;
  // (an instance the ASG replaces shows up in notYetListed: desiredNow still counts it)

  const history = historyOf(pool);
  const rate = rateBefore(history, target, now, 0);
  const wantIdle = idleBufferFor(rate, target);
  const available = idle.length + coming;
  const ceiling = Math.min(target.maxInstances, pool.maxSize);
  let capped = false;

  if (available < wantIdle) {
    const wanted = desiredNow + (wantIdle - available);
    const desired = Math.min(wanted, ceiling);
    capped = desired < wanted;
    if (desired > desiredNow)
      actions.push({ kind: "setDesired", desired, reason: `idle ${idle.length} + coming ${coming} < wanted ${wantIdle} (start rate ${(rate * 3600).toFixed(1)}/h)` });
  } else if (desiredNow > ceiling) {
    // Honour a lowered max: shrink by trimming idle recorders only (busy ones finish first).
    trim(desiredNow - ceiling, "above max");
  } else if (idle.length > wantIdle) {
    // "More than N idle": only recorders idle NOW are surplus. Booting ones are not counted against the buffer
    // here; if demand stays low they become idle and are trimmed then.
    // The hold's look back only when a recorder could go (the search is the costly part of a run).
    const keep = trimmable().length > 0 ? holdFloor(history, target, now, idle.length) : idle.length;
    if (idle.length > keep) trim(idle.length - keep, `idle ${idle.length} > wanted ${keep} (the most of the last ${target.trimHoldSeconds} s)`);
  }

  function trimmable(): RecorderInstance[] {
    return idle.filter((r) => !r.protectedFromScaleIn && now - r.phaseSince >= target.scaleInIdleSeconds);
  }

  function trim(surplus: number, why: string): void {
    const floorRoom = Math.max(0, desiredNow - pool.minSize);
    const n = Math.min(surplus, target.maxTerminationsPerRun, floorRoom);
    const victims = trimmable()
      .sort((a, b) => a.phaseSince - b.phaseSince || a.launchedAt - b.launchedAt || a.id.localeCompare(b.id))
      .slice(0, n);
    for (const r of victims)
      actions.push({ kind: "terminate", instanceId: r.id, decrementDesired: true, reason: `${why}; idle since ${r.phaseSince}` });
  }

  return {
    actions,
    summary: {
      idle: idle.length,
      busy: busy.length,
      uploading: uploading.length,
      coming,
      warm: warm.length,
      unhealthy: unhealthy.length,
      startRatePerSecond: rate,
      wantIdle,
      capped,
    },
  };
}
