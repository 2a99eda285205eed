/**
 * Forecasts for the bridge scaler (pure): the fleet total one lead time ahead, learned from the per-minute series
 * (current growth, the seasonal rise of the half-hour cycle, a remembered surge) and from previous days.
 * decide.ts re-exports everything here; the types come from decide.ts.
 */
import type { BridgeFleetState, BridgePolicy } from "./decide";

/** Median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * The biggest rise of the fleet total within `leadS` seen in the last `memoryS` of the per-minute series: a surge
 * that happened recently (a top-of-the-hour crowd) is expected again, learned from the data, not from a clock.
 */
export function recentRise(series: readonly (number | null)[], leadS: number, memoryS: number): number {
  const k = Math.max(1, Math.ceil(leadS / 60));
  const from = Math.max(0, series.length - 1 - Math.ceil(memoryS / 60));
  let rise = 0;
  for (let i = from + k; i < series.length; i++) {
    const a = series[i - k];
    const b = series[i];
    if (a !== null && b !== null && a !== undefined && b !== undefined) rise = Math.max(rise, b - a);
  }
  return rise;
}

/**
 * What happened right after this phase of the cycle in the previous `cycles` periods (a seasonal naive forecast):
 * the relative rise within `leadS` after the same point one, two, … periods ago — the biggest of them (`max`), or a
 * mean that halves each older cycle's weight (`recent`: 2/3 the last cycle, 1/3 the one before, so a ramp's growing
 * crowds count) — applied to the latest total. Meetings start on a half-hour grid, so crowds recur with that period;
 * the period is a policy number, the surges themselves are learned from the series. `floor` keeps tiny night loads
 * from giving huge ratios. `end` is the minute forecast from (the newest by default; {@link biggestMiss} replays older ones).
 */
export function seasonalRise(series: readonly (number | null)[], leadS: number, periodS: number, cycles: number, floor: number, aggregate: "max" | "recent" = "max", end: number = series.length - 1): number {
  const last = end >= 0 ? series[end] : null;
  if (periodS <= 0 || last === null || last === undefined) return 0;
  const p = Math.round(periodS / 60);
  const k = Math.max(1, Math.ceil(leadS / 60));
  const ratios: { ratio: number; weight: number }[] = [];
  for (let c = 1; c <= cycles; c++) {
    const i0 = end - c * p;
    if (i0 < 0 || i0 + k > end) continue;
    const a = series[i0];
    if (a === null || a === undefined) continue;
    let ratio = 0;
    for (let i = i0 + 1; i <= i0 + k; i++) {
      const b = series[i];
      if (b !== null && b !== undefined) ratio = Math.max(ratio, (b - a) / Math.max(a, floor));
    }
    ratios.push({ ratio, weight: 2 ** -(c - 1) });
  }
  if (ratios.length === 0) return 0;
  const weighted = ratios.reduce((s, r) => s + r.ratio * r.weight, 0) / ratios.reduce((s, r) => s + r.weight, 0);
  const ratio = aggregate === "max" ? Math.max(...ratios.map((r) => r.ratio)) : weighted;
  return ratio * Math.max(last, floor);
}

/**
 * What previous days say the fleet total will reach within the profile horizon. With each day's level at this minute
 * known, the median of the days' relative rises (upcoming peak ÷ level) scaled to today's level, since days differ in
 * volume (a quiet Friday after a busy Thursday) while the shape of the day repeats; otherwise the median of the
 * peaks. `floor` (one bridge at target) keeps night-time levels near zero from giving huge ratios.
 */
export function previousDaysForecast(state: BridgeFleetState, last: number, floor: number): number {
  const peaks = state.previousDaysUpcomingPeak;
  if (peaks.length === 0) return 0;
  const levels = state.previousDaysLevel;
  if (!levels || levels.length !== peaks.length) return median(peaks);
  return median(peaks.map((p, i) => p / Math.max(levels[i], floor))) * Math.max(last, floor);
}

/** What the fleet total may reach `leadS` ahead. */
export interface Forecast {
  /**
   * Latest total plus the larger of its current growth (over `trendMinutes`, projected over the lead) and the
   * seasonal rise; or the latest total plus `profileWeight` × the previous days' rise to their upcoming peak, if higher.
   */
  readonly expected: number;
  /** Latest total plus the biggest rise within such a lead seen in the last `riseMemoryS` (a surge that may repeat). */
  readonly surge: number;
}

/**
 * Which bridges a forecast sizes: the `serving` ones (they must hold what comes before the next run can undrain: a
 * shortfall overloads someone within minutes, so the seasonal rise is the biggest of the previous cycles) or the whole
 * `group` (launches are slow and billed for a while; a shortfall there is met by the stress buffer between Jicofo's
 * 0.8 and 1.0 and by undrains, so the seasonal rise is the `recent`-weighted mean of the cycles). Measured (sim, the
 * shared traces and 36 generated ones): weekday / top-of-hour / recording-heavy 1.30 / 1.42 / 1.33 → 1.28 / 1.40 /
 * 1.27 × oracle, mean 1.403 → 1.382; overload above 0.1 % or above a Jitsi baseline on 2 of 39 traces instead of 1 (a
 * first-morning ramp of a 1-day generated trace). A plain mean was as cheap but overloaded top-of-hour's 08:30 crowd.
 */
export type ForecastHorizon = "serving" | "group";

/**
 * The fleet total's own forecast made at minute `end` of the series: that minute's total plus the larger of its current
 * growth and the seasonal rise (no headroom, no previous days). Undefined when that minute is missing.
 */
export function trendForecast(series: readonly (number | null)[], end: number, policy: BridgePolicy, leadS: number, horizon: ForecastHorizon): number | undefined {
  const last = end >= 0 ? series[end] : null;
  if (last === null || last === undefined) return undefined;
  const k = Math.min(policy.trendMinutes, end);
  const before = k > 0 ? series[end - k] : null;
  // A rise is expected to go on for as long as the window that measured it, not for the whole lead: a crowd joins
  // within a few minutes (docs/simulator.md join model), and projecting a short slope over a whole boot overshoots
  // right after every crowd (DEFAULT_BRIDGE_POLICY.trendMinutes says what was measured).
  const growth = before !== null && before !== undefined ? (Math.max(0, last - before) / k) * Math.min(leadS / 60, k) : 0;
  const seasonal = seasonalRise(series, leadS, policy.seasonalPeriodS, policy.seasonalCycles, policy.participantsPerBridge * policy.targetStress, horizon === "serving" ? "max" : "recent", end);
  return last + Math.max(growth, seasonal);
}

/**
 * This fleet's recent surprise: {@link trendForecast} replayed at every minute of the last `headroomLearnS` whose lead
 * has passed, and the most the fleet total then rose above it within the lead (0 if it never did). A calm fleet learns
 * that it needs little room beyond its forecast, a fleet whose crowds beat the forecast learns how much they beat it
 * by. Undefined when learning is off or no minute can be replayed yet (the square-root rule alone then).
 */
export function biggestMiss(series: readonly (number | null)[], policy: BridgePolicy, leadS: number, horizon: ForecastHorizon): number | undefined {
  if (policy.headroomLearnS <= 0) return undefined;
  const k = Math.max(1, Math.ceil(leadS / 60));
  const end = series.length - 1;
  let miss: number | undefined;
  for (let t = end - k; t >= Math.max(0, end - k - Math.round(policy.headroomLearnS / 60)); t--) {
    const forecast = trendForecast(series, t, policy, leadS, horizon);
    if (forecast === undefined) continue;
    let reached = -Infinity;
    for (let u = t + 1; u <= t + k; u++) {
      const v = series[u];
      if (v !== null && v !== undefined) reached = Math.max(reached, v);
    }
    if (reached > -Infinity) miss = Math.max(miss ?? 0, reached - forecast);
  }
  return miss;
}

/** Forecast of fleet participants `leadS` ahead; undefined when the newest minute is missing. */
export function forecastParticipants(state: BridgeFleetState, policy: BridgePolicy, leadS: number, horizon: ForecastHorizon = "serving"): Forecast | undefined {
  const series = state.fleetParticipantsPerMinute;
  const last = series.length > 0 ? series[series.length - 1] : null;
  if (last === null || last === undefined) return undefined;
  const trend = trendForecast(series, series.length - 1, policy, leadS, horizon) ?? last;
  // The previous days' rise counts at profileWeight (BridgePolicy.profileWeight says why not fully).
  const learnedPeak = previousDaysForecast(state, Math.max(last, 0), policy.participantsPerBridge * policy.targetStress);
  const history = state.previousDaysUpcomingPeak.length > 0 ? last + policy.profileWeight * (learnedPeak - last) : 0;
  // Headroom only while someone is on a bridge, so an idle fleet can still go to zero at night (minBridges 0); it grows
  // with √load up to its cap (BridgePolicy.headroomScale), and is no more than the fleet's own recent surprise allows
  // (BridgePolicy.headroomLearnS). With previous days in CloudWatch their rise at this time of day is already in
  // `history`: the cap is then only for surprises beyond it (headroomWithHistoryParticipants).
  const learned = policy.profileWeight > 0 && state.previousDaysUpcomingPeak.length > 0;
  const miss = last > 0 ? biggestMiss(series, policy, leadS, horizon) : undefined;
  const cap = learned ? policy.headroomWithHistoryParticipants : miss !== undefined ? policy.headroomLearnedParticipants : policy.headroomParticipants;
  const surprise = miss === undefined ? Infinity : policy.headroomLearnFactor * miss;
  const headroom = last > 0 ? Math.min(cap, policy.headroomScale * Math.sqrt(last), surprise) : 0;
  return { expected: Math.max(trend, last + headroom, history), surge: last + recentRise(series, leadS, policy.riseMemoryS) };
}

/** Minutes of per-minute fleet totals the handler must read for {@link BridgeFleetState.fleetParticipantsPerMinute}. */
export function fleetHistoryMinutes(policy: BridgePolicy): number {
  const lead = Math.ceil((policy.bootS + policy.metricDelayS + policy.scheduleS) / 60);
  const lookback = Math.max(policy.trendMinutes, Math.round(policy.seasonalPeriodS / 60) * policy.seasonalCycles);
  // biggestMiss replays the forecast over headroomLearnS back from a lead ago, each replay reading `lookback` before it.
  const learn = policy.headroomLearnS > 0 ? Math.round(policy.headroomLearnS / 60) + lead + lookback : 0;
  return Math.max(Math.ceil(policy.scaleInStableS / 60), Math.ceil(policy.riseMemoryS / 60) + lead, lookback, learn) + 1;
}

