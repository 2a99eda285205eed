/**
 * Bridge scaling policies the simulator compares. Each sees only what its real counterpart sees:
 * - `default`: the shipped functions/bridge-scaler/decide.ts, fed what the Lambda gathers (DescribeAutoScalingGroups
 *   + GetMetricData: samples visible after the metric delay, once a minute), its decision applied as the handler would.
 * - `static-peak`: a fixed fleet sized for the trace's peak at stress 0.8 (knows the peak; never scales).
 * - `jitsi-autoscaler`: Jitsi's autoscaler rules (jitsi-facts.md; jitsi/jitsi-autoscaler src/autoscaler.ts):
 *   mean stress per 60 s period; +1 when every one of the last 2 periods is ≥ 0.3, −1 when every one of the last
 *   10 is < 0.1; nothing while desired ≠ instances; 600 s grace after any change; victims: provisioning first,
 *   then fewest participants, drained gracefully (forced after 6 h).
 * - `jitsi-aws-template`: Jitsi's older AWS template (jitsi-facts.md): ASG alarms on the group's mean
 *   `JVB_load_1` (host load average, modelled as loadAverageAtStress1 × stress): ≥ 2.0 for 2 min → +5,
 *   < 2.0 for 360 min → −1, 300 s ASG cooldown; the ASG's default termination policy picks the victim, the
 *   terminating lifecycle hook keeps it up to 6 h while participants remain.
 * Min/max come from the same stack sizing for every policy, so the comparison is about the rules.
 */
import {
  AsgLifecycleState, BridgeFleetState, BridgeInstance, BridgePolicy, decideBridgeCapacity, fleetHistoryMinutes, Forecaster, gracefulShutdownMinParticipants,
} from "../functions/bridge-scaler/decide";
import { DrainMode, Fleet } from "./fleet";
import { SimBridge } from "./jicofo";
import { upperBound } from "../functions/sorted";

export interface BridgeRunner {
  readonly name: string;
  readonly drainMode: DrainMode;
  /** Bridges in service at t = 0. */
  readonly initial: number;
  /** Runs on the shipped stack's group, with its warm pool (SimOptions.warmPool); the baselines' groups have none. */
  readonly warmPool?: boolean;
  /** Called at each one-minute tick when the scaling function runs (a failed invocation skips it). */
  tick(fleet: Fleet, nowS: number): void;
}

/** What the Lambda's handler would assemble from DescribeAutoScalingGroups + GetMetricData. */
export function fleetState(fleet: Fleet, policy: BridgePolicy, nowS: number): BridgeFleetState {
  const instances: BridgeInstance[] = fleet.live().map((b) => ({
    instanceId: b.id,
    lifecycleState: lifecycleOf(fleet, b),
    protectedFromScaleIn: b.protectedFromScaleIn,
    launchTimeS: b.launchS,
    sample: fleet.latestSample(b, nowS),
    drainStartedS: b.drainStartS,
  }));
  for (const w of fleet.warmInstances(nowS))
    instances.push({ instanceId: w.id, lifecycleState: w.prepared ? "Warmed:Stopped" : "Warmed:Pending", protectedFromScaleIn: false, launchTimeS: w.launchS });
  const previous: number[] = [];
  const levels: number[] = [];
  for (let d = 1; d <= 7 && nowS - d * 86400 >= 0; d++) {
    const from = nowS - d * 86400;
    const peak = fleet.seriesPeak(from, from + policy.profileHorizonS);
    if (peak === undefined) continue;
    previous.push(peak);
    levels.push(fleet.seriesAt(from, from + policy.profileHorizonS) ?? peak);
  }
  return {
    desiredCapacity: fleet.desired,
    instances,
    fleetParticipantsPerMinute: fleet.visibleFleetSeries(nowS, fleetHistoryMinutes(policy)),
    previousDaysUpcomingPeak: previous,
    previousDaysLevel: levels,
    shardParticipants: fleet.visibleShardParticipants(nowS, policy.maxSampleAgeS),
    liveParticipants: fleet.cfg.liveRead ? fleet.liveParticipants(nowS) : undefined,
    lastScaleOutS: fleet.lastScaleOutS,
    lastScaleInS: fleet.lastScaleInS,
  };
}

function lifecycleOf(fleet: Fleet, b: SimBridge): AsgLifecycleState {
  if (b.state === "booting") return "Pending";
  if (b.state === "serving" || !b.leaving) return "InService";
  // A Spot reclaim is AWS's termination, not the scaler's lifecycle hook.
  return fleet.isReclaiming(b) ? "Terminating" : "Terminating:Wait";
}

/**
 * The true forecast: the highest bridge load in [newest datapoint, newest datapoint + lead], read from the load the
 * trace will really put on the bridges (`load`: [t, endpoints] steps, sorted). Not something a Lambda can know; the
 * `perfect-forecast` reference runs the shipped decide() with it to show how much of the gap to the oracle is
 * forecasting and how much is the rules (sessions that cannot move, Jicofo's spreading).
 */
export function perfectForecaster(load: readonly (readonly [number, number])[], metricDelayS: number, nowS: number): Forecaster {
  return (_state, _policy, leadS) => {
    const from = nowS - metricDelayS;
    const to = from + leadS;
    // Last step at or before `from`, then every step inside the window.
    const i = upperBound(load, from, (step) => step[0]) - 1;
    let peak = i >= 0 ? load[i][1] : 0;
    for (let j = i + 1; j < load.length && load[j][0] <= to; j++) peak = Math.max(peak, load[j][1]);
    return { expected: peak, surge: peak };
  };
}

/**
 * The shipped decide(), applied the way functions/bridge-scaler/handler.ts applies it. With `perfectLoad` (the
 * trace's bridge load steps) it is the `perfect-forecast` reference instead: the same rules fed the true future load.
 */
export function defaultRunner(policy: BridgePolicy, perfectLoad?: readonly (readonly [number, number])[]): BridgeRunner {
  // Only used if the ASG itself removes a bridge (it does not: the scaler protects every serving bridge).
  const drainMode: DrainMode = { releaseWhenEmpty: true, capS: policy.drainCapS };
  return {
    name: perfectLoad ? "perfect-forecast" : "default",
    drainMode,
    initial: policy.minBridges,
    warmPool: true,
    tick(fleet, nowS) {
      const forecaster = perfectLoad ? perfectForecaster(perfectLoad, fleet.cfg.metricDelayS, nowS) : undefined;
      const d = decideBridgeCapacity(fleetState(fleet, policy, nowS), policy, nowS, forecaster);
      const byId = new Map(fleet.live().map((b) => [b.id, b]));
      for (const id of d.protect) byId.get(id)!.protectedFromScaleIn = true;
      for (const id of d.undrain) fleet.undrain(byId.get(id)!);
      for (const id of d.drain) fleet.softDrain(byId.get(id)!, nowS);
      for (const id of d.reserve) fleet.reserve(byId.get(id)!, nowS);
      for (const id of d.unprotect) byId.get(id)!.protectedFromScaleIn = false;
      // JVB's graceful-shutdown-min-participants (rendered from the policy): a bridge terminated with that few
      // participants hands them to Jicofo instead of waiting, whatever the reason.
      const handOver = gracefulShutdownMinParticipants(policy);
      for (const t of d.terminate) {
        const b = byId.get(t.instanceId)!;
        if (t.reason === "drain-cap") fleet.terminateInGroup(b, nowS);
        else fleet.shutDownMoving(b, nowS, handOver, (b.drainStartS ?? nowS) + policy.drainCapS);
      }
      if (d.change === "out") fleet.setDesired(d.desiredCapacity, nowS, drainMode);
    },
  };
}

export function staticPeakRunner(peakBridges: number): BridgeRunner {
  return { name: "static-peak", drainMode: { releaseWhenEmpty: true, capS: 21600 }, initial: peakBridges, tick: () => undefined };
}

/** Mean stress of the minute ending `minutesAgo` before the newest visible one; undefined when not published. */
function meanStress(fleet: Fleet, nowS: number, minutesAgo: number): number | undefined {
  const m = Math.floor((nowS - fleet.cfg.metricDelayS) / 60) - minutesAgo;
  if (m < 0) return undefined;
  const total = fleet.fleetSeries[m];
  const n = fleet.reportingSeries[m];
  if (Number.isNaN(total) || n === 0) return undefined;
  return total / n / fleet.cfg.participantsPerBridge;
}

/** The last `periods` values, newest first; a missing period takes its newer neighbour's value (autoscaler fill). */
function periods(fleet: Fleet, nowS: number, count: number, value: (ago: number) => number | undefined): number[] | undefined {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const v = value(i) ?? (out.length > 0 ? out[out.length - 1] : undefined);
    if (v === undefined) return undefined;
    out.push(v);
  }
  return out;
}

export function jitsiAutoscalerRunner(minBridges: number, maxBridges: number): BridgeRunner {
  const drainMode: DrainMode = { releaseWhenEmpty: true, capS: 6 * 3600 };
  let graceUntil = -Infinity;
  return {
    name: "jitsi-autoscaler",
    drainMode,
    initial: minBridges,
    tick(fleet, nowS) {
      const group = fleet.inGroup();
      const count = group.length;
      if (nowS < graceUntil || fleet.desired !== count) return;
      const stress = periods(fleet, nowS, 10, (ago) => meanStress(fleet, nowS, ago));
      const up = (v: number): boolean => (count < maxBridges && v >= 0.3) || count < minBridges;
      const down = (v: number): boolean => count > minBridges && v < 0.1;
      if (count < minBridges || (stress && stress.slice(0, 2).every(up))) {
        fleet.setDesired(Math.min(maxBridges, Math.max(minBridges, fleet.desired + 1)), nowS, drainMode);
        graceUntil = nowS + 600;
      } else if (stress && stress.slice(0, 10).every(down)) {
        // Victim: still provisioning first, then the fewest participants.
        const victim = [...group].sort(
          (a, b) => Number(b.state === "booting") - Number(a.state === "booting") ||
            (fleet.latestSample(a, nowS)?.participants ?? 0) - (fleet.latestSample(b, nowS)?.participants ?? 0) || a.launchS - b.launchS,
        )[0];
        fleet.drain(victim, nowS, drainMode);
        graceUntil = nowS + 600;
      }
    },
  };
}

export function jitsiAwsTemplateRunner(minBridges: number, maxBridges: number, loadAtStress1: number): BridgeRunner {
  const drainMode: DrainMode = { releaseWhenEmpty: true, capS: 6 * 3600 };
  let cooldownUntil = -Infinity;
  return {
    name: "jitsi-aws-template",
    drainMode,
    initial: Math.max(minBridges, 1),
    tick(fleet, nowS) {
      const load = (ago: number): number | undefined => {
        const s = meanStress(fleet, nowS, ago);
        return s === undefined ? undefined : s * loadAtStress1;
      };
      // CloudWatch alarms need every datapoint of the evaluation window (missing data does not breach).
      const breaching = (n: number, test: (v: number) => boolean): boolean => {
        for (let i = 0; i < n; i++) {
          const v = load(i);
          if (v === undefined || !test(v)) return false;
        }
        return true;
      };
      if (fleet.inGroup().length < minBridges) fleet.setDesired(minBridges, nowS, drainMode);
      if (nowS < cooldownUntil) return;
      if (breaching(2, (v) => v >= 2.0) && fleet.desired < maxBridges) {
        fleet.setDesired(Math.min(maxBridges, fleet.desired + 5), nowS, drainMode);
        cooldownUntil = nowS + 300;
      } else if (breaching(360, (v) => v < 2.0) && fleet.desired > minBridges) {
        fleet.setDesired(fleet.desired - 1, nowS, drainMode);
        cooldownUntil = nowS + 300;
      }
    },
  };
}
