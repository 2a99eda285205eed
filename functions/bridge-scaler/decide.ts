/**
 * The bridge (JVB) fleet's scaling decision: pure, no AWS or Pulumi import, the clock passed in.
 *
 * The Lambda (functions/bridge-scaler/handler.ts) fills a {@link BridgeFleetState} from
 * DescribeAutoScalingGroups (instances, lifecycle states, protection, the scaler's own tags on the group) and
 * CloudWatch GetMetricData (per-bridge BridgeParticipants / BridgeStress samples with their timestamps, the fleet
 * total per minute, and the same minutes of previous days), calls {@link decideBridgeCapacity} once a minute and
 * applies the returned {@link BridgeDecision}. The capacity simulator (sim/) calls the same function with what
 * the Lambda would see (delayed metrics, one-minute schedule).
 *
 * Every time is in SECONDS on one clock: Unix seconds in the Lambda, trace seconds in the simulator.
 *
 * How scaling works (why each rule exists):
 * - Scale out on forecast load: the latest fleet total plus its recent growth projected over the lead time
 *   (boot or warm start + metric delay + schedule), or what previous days saw at this time of day if higher.
 *   Jicofo's +0.01 stress per recent join spreads a burst unevenly (jitsi-facts.md), so the target stress is
 *   below Jicofo's 0.8 threshold and each minute re-forecasts: a flash crowd is met in several steps.
 * - Booting instances count as coming capacity, so a minute later the same load launches nothing new.
 * - Scale in slowly with hysteresis: only when the highest load of the last `scaleInStableS` fits in one bridge
 *   fewer at `scaleInStress` (< targetStress), after cooldowns, `maxScaleInStep` bridges at a time.
 * - Scale in = drain: the victim (fewest participants) is unprotected and terminated with
 *   ShouldDecrementDesiredCapacity; the ASG's terminating lifecycle hook holds it in Terminating:Wait while its
 *   conferences finish. The scaler releases it (CompleteLifecycleAction CONTINUE) when a fresh sample shows 0
 *   participants, or when `drainCapS` has passed.
 * - Missing or stale metrics: hold (no scale-in; scale-out only on what is known; min is always kept).
 * - While the ASG has not yet carried out the previous desired capacity, nothing new is decided.
 */

/** EC2 Auto Scaling lifecycle states (DescribeAutoScalingGroups `Instances[].LifecycleState`, warm pool included). */
export type AsgLifecycleState =
  | "Pending" | "Pending:Wait" | "Pending:Proceed" | "Quarantined" | "InService"
  | "Terminating" | "Terminating:Wait" | "Terminating:Proceed" | "Terminated"
  | "Detaching" | "Detached" | "EnteringStandby" | "Standby"
  | "Warmed:Pending" | "Warmed:Pending:Wait" | "Warmed:Pending:Proceed"
  | "Warmed:Terminating" | "Warmed:Terminating:Wait" | "Warmed:Terminating:Proceed" | "Warmed:Terminated"
  | "Warmed:Stopped" | "Warmed:Running" | "Warmed:Hibernated";

/** The latest CloudWatch sample of one bridge (metrics/catalog.ts BRIDGE_METRICS, InstanceId dimension). */
export interface BridgeSample {
  /** End of the sample's period (seconds). Its age is `nowS − timestampS`. */
  readonly timestampS: number;
  /** Endpoints on the bridge (BridgeParticipants). */
  readonly participants: number;
  /** JVB stress (BridgeStress); informative: sizing uses participants ÷ participantsPerBridge. */
  readonly stress?: number;
}

/** One instance the ASG lists. */
export interface BridgeInstance {
  readonly instanceId: string;
  readonly lifecycleState: AsgLifecycleState;
  /** ASG `ProtectedFromScaleIn`. */
  readonly protectedFromScaleIn: boolean;
  /** EC2 LaunchTime (seconds). */
  readonly launchTimeS: number;
  /** Latest sample, absent when CloudWatch returned none for this instance. */
  readonly sample?: BridgeSample;
  /**
   * When the scaler started draining it (seconds): the handler tags the instance when it terminates it
   * (or reads the scaling activity's StartTime). Absent when not draining.
   */
  readonly drainStartedS?: number;
}

/** Everything the decision reads. */
export interface BridgeFleetState {
  /** ASG DesiredCapacity (in-service + pending; warm pool and Terminating:* excluded). */
  readonly desiredCapacity: number;
  /** Every instance of the group, warm pool included. */
  readonly instances: readonly BridgeInstance[];
  /**
   * Fleet total participants (sum of BridgeParticipants over the fleet) per minute, oldest first, the last entry
   * being the newest published minute; `null` where CloudWatch has no datapoint. At least
   * `scaleInStableS / 60` entries are needed before any scale-in.
   */
  readonly fleetParticipantsPerMinute: readonly (number | null)[];
  /**
   * Learned time-of-day profile: for each previous day CloudWatch still holds (newest first), the highest fleet
   * total during [now, now + {@link BridgePolicy.profileHorizonS}] at the same time of day. Empty = no history (first day).
   */
  readonly previousDaysUpcomingPeak: readonly number[];
  /** When the scaler last raised desired capacity (seconds; ASG tag written by the handler). */
  readonly lastScaleOutS?: number;
  /** When the scaler last started a drain (seconds; ASG tag written by the handler). */
  readonly lastScaleInS?: number;
}

/** Tuning of the scaler. Plain numbers, so the stack config can carry them; validate with {@link resolveBridgePolicy}. */
export interface BridgePolicy {
  /** Participants one bridge carries at stress 1.0 (jitsi-facts.md: ~100 on c5.xlarge, ~250 on c5.2xlarge). */
  readonly participantsPerBridge: number;
  /** Planned fleet stress for forecast load; below Jicofo's 0.8 so bursts and the join guard fit. */
  readonly targetStress: number;
  /** Scale in only when the recent peak would stay below this stress on one bridge fewer (hysteresis). */
  readonly scaleInStress: number;
  /** The load must have stayed low this long (seconds of per-minute fleet totals, all present). */
  readonly scaleInStableS: number;
  /** No scale-in within this long after a scale-out (seconds). */
  readonly scaleInAfterOutS: number;
  /** No new drain within this long after the previous one (seconds). */
  readonly scaleInCooldownS: number;
  /** Bridges drained per decision at most. */
  readonly maxScaleInStep: number;
  /** Bridges added per decision at most. */
  readonly maxScaleOutStep: number;
  /** Fewest bridges kept in service (0 allowed: "0 at night"). */
  readonly minBridges: number;
  /** Most bridges (in service + booting). */
  readonly maxBridges: number;
  /** A draining bridge is released at this age even with participants (jitsi-facts.md: Jitsi forces after 6 h, 8x8 after 1 h). */
  readonly drainCapS: number;
  /** Cold boot to ready (jitsi-facts.md: 1–3 min from a baked AMI). */
  readonly bootS: number;
  /** Warm-pool start to ready (jitsi-facts.md: ~30 s). */
  readonly warmStartS: number;
  /** CloudWatch delay before a minute's datapoint is visible (seconds). */
  readonly metricDelayS: number;
  /** Schedule period of the scaler (EventBridge rate(1 minute)). */
  readonly scheduleS: number;
  /** A per-bridge sample older than this is stale: hold. */
  readonly maxSampleAgeS: number;
  /** Minutes of fleet totals over which growth is measured for the forecast. */
  readonly trendMinutes: number;
  /** Weight of the previous days' upcoming peak (0 = ignore history, 1 = trust it fully). */
  readonly profileWeight: number;
  /** How far ahead the handler reads previous days (fills {@link BridgeFleetState.previousDaysUpcomingPeak}). */
  readonly profileHorizonS: number;
}

/** Defaults of {@link BridgePolicy}; tuned with `npm run simulate` (docs/simulator.md). */
export const DEFAULT_BRIDGE_POLICY: BridgePolicy = {
  participantsPerBridge: 100,
  targetStress: 0.7,
  scaleInStress: 0.55,
  scaleInStableS: 600,
  scaleInAfterOutS: 600,
  scaleInCooldownS: 180,
  maxScaleInStep: 1,
  maxScaleOutStep: 20,
  minBridges: 1,
  maxBridges: 100,
  // Longer than the longest meeting (the traces' tail is ~3 h), so a drain never cuts a conference.
  drainCapS: 14400,
  bootS: 180,
  warmStartS: 30,
  metricDelayS: 60,
  scheduleS: 60,
  maxSampleAgeS: 180,
  trendMinutes: 3,
  profileWeight: 1,
  profileHorizonS: 900,
};

/** Thrown by {@link resolveBridgePolicy}; lists every bad field. */
export class BridgePolicyError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid bridge scaling policy: ${problems.join("; ")}`);
    this.name = "BridgePolicyError";
  }
}

/** Fills defaults and validates; the error names each bad field and what is allowed. */
export function resolveBridgePolicy(partial: Partial<BridgePolicy> = {}): BridgePolicy {
  const defined = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined));
  const p: BridgePolicy = { ...DEFAULT_BRIDGE_POLICY, ...defined };
  const problems: string[] = [];
  const check = (field: keyof BridgePolicy, min: number, max: number, integer: boolean): void => {
    const v = p[field];
    if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v)))
      problems.push(`${field} must be ${integer ? "a whole number" : "a number"} from ${min} to ${max}, got ${String(v)}`);
  };
  check("participantsPerBridge", 1, 100000, false);
  check("targetStress", 0.05, 1, false);
  check("scaleInStress", 0, 1, false);
  check("scaleInStableS", 60, 86400, false);
  check("scaleInAfterOutS", 0, 86400, false);
  check("scaleInCooldownS", 0, 86400, false);
  check("maxScaleInStep", 0, 1000, true);
  check("maxScaleOutStep", 1, 1000, true);
  check("minBridges", 0, 1000, true);
  check("maxBridges", 1, 1000, true);
  check("drainCapS", 60, 172800, false);
  check("bootS", 0, 3600, false);
  check("warmStartS", 0, 3600, false);
  check("metricDelayS", 0, 3600, false);
  check("scheduleS", 1, 3600, false);
  check("maxSampleAgeS", 1, 86400, false);
  check("trendMinutes", 1, 60, true);
  check("profileWeight", 0, 1, false);
  check("profileHorizonS", 0, 86400, false);
  if (problems.length === 0 && p.minBridges > p.maxBridges) problems.push(`minBridges must be at most maxBridges (${p.maxBridges}), got ${p.minBridges}`);
  if (problems.length === 0 && p.scaleInStress >= p.targetStress)
    problems.push(`scaleInStress must be below targetStress (${p.targetStress}) for hysteresis, got ${p.scaleInStress}`);
  if (problems.length > 0) throw new BridgePolicyError(problems);
  return p;
}

/** Why a draining bridge is released to terminate. */
export type ReleaseReason = "empty" | "drain-cap";

/** What to do; the handler applies the lists in this order: protect, unprotect + drain, setDesired, release, keepDraining. */
export interface BridgeDecision {
  /** `out`: SetDesiredCapacity(desiredCapacity). `in`: drain the `drain` list. `hold`: no capacity change. */
  readonly change: "out" | "in" | "hold";
  /** Desired capacity after this decision (for `in`: what the decrementing terminations leave). */
  readonly desiredCapacity: number;
  /** InService bridges to drain: SetInstanceProtection(false), then TerminateInstanceInAutoScalingGroup(ShouldDecrementDesiredCapacity=true). */
  readonly drain: readonly string[];
  /** InService bridges to protect from scale-in (so only the scaler chooses victims). */
  readonly protect: readonly string[];
  /** Bridges whose protection must go before their drain (the `drain` list's protected members). */
  readonly unprotect: readonly string[];
  /** Terminating:Wait bridges to let go: CompleteLifecycleAction(CONTINUE). */
  readonly release: readonly { readonly instanceId: string; readonly reason: ReleaseReason }[];
  /** Terminating:Wait bridges still holding participants: RecordLifecycleActionHeartbeat. */
  readonly keepDraining: readonly string[];
  /** One line for the log. */
  readonly reason: string;
  /** Numbers behind the decision (logged by the Lambda, recorded by the simulator). */
  readonly estimate: BridgeEstimate;
}

/** Numbers behind a decision. */
export interface BridgeEstimate {
  /** InService bridges not draining. */
  readonly serving: number;
  /** Pending instances (coming capacity). */
  readonly booting: number;
  /** Warm-pool instances (fast start). */
  readonly warm: number;
  readonly draining: number;
  /** Participants on serving bridges by fresh samples (draining bridges excluded). */
  readonly servingParticipants: number;
  /** Participants expected on serving bridges within the lead time. */
  readonly forecastParticipants: number;
  /** Bridges the forecast needs at targetStress, within [min, max]. */
  readonly wantBridges: number;
  /** Serving bridges whose sample is missing or older than maxSampleAgeS. */
  readonly staleBridges: number;
  readonly leadTimeS: number;
}

const PENDING: ReadonlySet<AsgLifecycleState> = new Set(["Pending", "Pending:Wait", "Pending:Proceed"]);
const DRAINING: ReadonlySet<AsgLifecycleState> = new Set(["Terminating", "Terminating:Wait", "Terminating:Proceed"]);
const WARM: ReadonlySet<AsgLifecycleState> = new Set(["Warmed:Pending", "Warmed:Pending:Wait", "Warmed:Pending:Proceed", "Warmed:Stopped", "Warmed:Running", "Warmed:Hibernated"]);

/** Fresh participants of a bridge, or undefined when the sample is missing or stale. */
function freshParticipants(b: BridgeInstance, policy: BridgePolicy, nowS: number): number | undefined {
  if (!b.sample) return undefined;
  return nowS - b.sample.timestampS <= policy.maxSampleAgeS ? b.sample.participants : undefined;
}

/** Median of a non-empty list. */
function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Forecast of fleet participants one lead time ahead: the latest total plus its growth per minute over the last
 * `trendMinutes` (never negative) times the lead time, raised to the previous days' upcoming peak when history
 * exists. Returns undefined when the newest minute is missing.
 */
export function forecastParticipants(state: BridgeFleetState, policy: BridgePolicy, leadTimeS: number): number | undefined {
  const series = state.fleetParticipantsPerMinute;
  const last = series.length > 0 ? series[series.length - 1] : null;
  if (last === null || last === undefined) return undefined;
  let growthPerMin = 0;
  for (let k = 1; k <= policy.trendMinutes && k < series.length; k++) {
    const before = series[series.length - 1 - k];
    if (before !== null && before !== undefined) growthPerMin = Math.max(growthPerMin, (last - before) / k);
  }
  const trend = last + (growthPerMin * leadTimeS) / 60;
  const history = state.previousDaysUpcomingPeak.length > 0 ? policy.profileWeight * median(state.previousDaysUpcomingPeak) : 0;
  return Math.max(trend, history);
}

/** Decides the fleet's next actions at `nowS` (seconds). Invariants: tests/functions/bridge-decide.test.ts. */
export function decideBridgeCapacity(state: BridgeFleetState, policy: BridgePolicy, nowS: number): BridgeDecision {
  const serving = state.instances.filter((b) => b.lifecycleState === "InService");
  const booting = state.instances.filter((b) => PENDING.has(b.lifecycleState));
  const draining = state.instances.filter((b) => DRAINING.has(b.lifecycleState));
  const warm = state.instances.filter((b) => WARM.has(b.lifecycleState));

  // Draining bridges: release when empty by a fresh sample or at the cap; otherwise keep them (heartbeat).
  const release: { instanceId: string; reason: ReleaseReason }[] = [];
  const keepDraining: string[] = [];
  for (const b of draining) {
    if (b.lifecycleState !== "Terminating:Wait") continue;
    const started = b.drainStartedS ?? nowS;
    if (freshParticipants(b, policy, nowS) === 0 && (b.sample?.timestampS ?? -Infinity) >= started) release.push({ instanceId: b.instanceId, reason: "empty" });
    else if (nowS - started >= policy.drainCapS) release.push({ instanceId: b.instanceId, reason: "drain-cap" });
    else keepDraining.push(b.instanceId);
  }
  const protect = serving.filter((b) => !b.protectedFromScaleIn).map((b) => b.instanceId);

  const fresh = serving.map((b) => freshParticipants(b, policy, nowS));
  const staleBridges = fresh.filter((p) => p === undefined).length;
  const servingParticipants = fresh.reduce<number>((s, p) => s + (p ?? 0), 0);
  const drainingParticipants = draining.reduce((s, b) => s + (freshParticipants(b, policy, nowS) ?? 0), 0);
  const leadTimeS = (warm.length > 0 ? policy.warmStartS : policy.bootS) + policy.metricDelayS + policy.scheduleS;
  const fleetForecast = forecastParticipants(state, policy, leadTimeS);
  // Participants on draining bridges stay there; serving bridges need room for the rest.
  const forecast = Math.max(servingParticipants, (fleetForecast ?? servingParticipants) - drainingParticipants);
  const perBridge = policy.participantsPerBridge * policy.targetStress;
  const clamp = (n: number): number => Math.min(policy.maxBridges, Math.max(policy.minBridges, n));
  const wantBridges = clamp(Math.ceil(forecast / perBridge - 1e-9));
  const have = serving.length + booting.length;

  const estimate: BridgeEstimate = {
    serving: serving.length, booting: booting.length, warm: warm.length, draining: draining.length,
    servingParticipants, forecastParticipants: forecast, wantBridges, staleBridges, leadTimeS,
  };
  const base = { protect, release, keepDraining, estimate };
  const hold = (reason: string): BridgeDecision => ({ ...base, change: "hold", desiredCapacity: state.desiredCapacity, drain: [], unprotect: [], reason });
  const out = (n: number, reason: string): BridgeDecision => ({ ...base, change: "out", desiredCapacity: state.desiredCapacity + n, drain: [], unprotect: [], reason });

  // The previous desired capacity is not carried out yet (launches not listed, or extra instances not gone).
  if (have !== state.desiredCapacity) return hold(`in progress: ${have} in service or pending, desired ${state.desiredCapacity}`);

  // The floor holds whatever the metrics say.
  if (have < policy.minBridges) return out(policy.minBridges - have, `below min: ${have} < ${policy.minBridges}`);

  if (have > policy.maxBridges) {
    const victims = chooseVictims(serving, policy, nowS, Math.min(have - policy.maxBridges, serving.length));
    if (victims.length > 0) return drainDecision(victims, `above max: ${have} > ${policy.maxBridges}`);
    return hold(`above max but no serving bridge to drain`);
  }

  if (staleBridges === serving.length && serving.length > 0 && fleetForecast === undefined)
    return hold(`metrics missing for all ${serving.length} serving bridges`);

  if (wantBridges > have) {
    const n = Math.min(wantBridges - have, policy.maxScaleOutStep);
    return out(n, `forecast ${forecast.toFixed(0)} participants needs ${wantBridges} bridges, have ${have} (${booting.length} booting)`);
  }

  // Scale-in guards: fresh metrics, nothing booting, cooldowns, a complete and low recent history.
  if (staleBridges > 0) return hold(`${staleBridges} serving bridge(s) without a fresh sample: no scale-in`);
  if (booting.length > 0) return hold(`${booting.length} bridge(s) booting`);
  if (state.lastScaleOutS !== undefined && nowS - state.lastScaleOutS < policy.scaleInAfterOutS) return hold("scaled out recently");
  if (state.lastScaleInS !== undefined && nowS - state.lastScaleInS < policy.scaleInCooldownS) return hold("scale-in cooldown");
  const window = Math.ceil(policy.scaleInStableS / 60);
  const recent = state.fleetParticipantsPerMinute.slice(-window);
  if (recent.length < window || recent.some((v) => v === null)) return hold("fleet history incomplete: no scale-in");
  const recentPeak = Math.max(...(recent as number[]), forecast + drainingParticipants) - drainingParticipants;
  const canServe = (n: number): boolean => recentPeak <= n * policy.participantsPerBridge * policy.scaleInStress;
  let remove = 0;
  while (remove < policy.maxScaleInStep && serving.length - remove - 1 >= policy.minBridges) {
    const left = serving.length - remove - 1;
    // Down to zero bridges only after a stretch with nobody at all on a bridge.
    if (left === 0 ? recentPeak > 0 : !canServe(left)) break;
    remove++;
  }
  if (remove === 0) return hold(`load ${recentPeak.toFixed(0)} fits ${serving.length} bridges`);
  const victims = chooseVictims(serving, policy, nowS, remove);
  return drainDecision(victims, `recent peak ${recentPeak.toFixed(0)} fits ${serving.length - remove} bridges at stress ${policy.scaleInStress}`);

  function drainDecision(victims: readonly BridgeInstance[], reason: string): BridgeDecision {
    const ids = victims.map((b) => b.instanceId);
    return {
      ...base,
      protect: protect.filter((id) => !ids.includes(id)),
      change: "in",
      desiredCapacity: state.desiredCapacity - victims.length,
      drain: ids,
      unprotect: victims.filter((b) => b.protectedFromScaleIn).map((b) => b.instanceId),
      reason,
    };
  }
}

/**
 * Drain victims: serving bridges with a fresh sample, fewest participants first (fewest conferences to wait for);
 * ties: the newest launch (least billed hour used) then the id, so the choice is deterministic.
 */
export function chooseVictims(serving: readonly BridgeInstance[], policy: BridgePolicy, nowS: number, n: number): BridgeInstance[] {
  return serving
    .filter((b) => freshParticipants(b, policy, nowS) !== undefined)
    .sort((a, b) => (a.sample?.participants ?? 0) - (b.sample?.participants ?? 0) || b.launchTimeS - a.launchTimeS || a.instanceId.localeCompare(b.instanceId))
    .slice(0, Math.max(0, n));
}
