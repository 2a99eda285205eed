/**
 * The alarms of one region, as plain definitions: metric (from the catalogue), threshold, periods, and how
 * missing data is treated, with the reason. components/monitoring turns each into an aws.cloudwatch.MetricAlarm
 * whose actions go to the region's SNS topic. Pure; generic in the dimension value type (see metrics/refs.ts).
 */
import { AWS_METRICS, BRIDGE_METRICS, EDGE_METRICS, PUBLISHER_METRICS, SHARD_METRICS, TURN_METRICS } from "./catalog";
import { type MetricRef, ref } from "./refs";

export type TreatMissingData = "breaching" | "notBreaching" | "ignore" | "missing";
export type Comparison = "GreaterThanOrEqualToThreshold" | "GreaterThanThreshold" | "LessThanThreshold" | "LessThanOrEqualToThreshold";

export interface AlarmThresholds {
  /** jitsi-facts.md: Jicofo treats a bridge above stress 0.8 as overloaded. */
  readonly bridgeStress: number;
  readonly bridgeStressMinutes: number;
  readonly noIdleRecorderMinutes: number;
  /** HAProxy marks a shard down after `fall 2` x `inter 10s` (jitsi-facts.md); 3 minutes rules out a blip. */
  readonly shardDownMinutes: number;
  readonly edge5xxPercent: number;
  /** Requests per minute below which the 5xx share is not judged (2 failures of 3 requests at night). */
  readonly edge5xxMinRequests: number;
  readonly turnAllocationFailuresPer5Min: number;
  readonly metricsMissingMinutes: number;
  readonly sourceFailingMinutes: number;
}

export const ALARM_DEFAULTS: AlarmThresholds = {
  bridgeStress: 0.8,
  bridgeStressMinutes: 5,
  noIdleRecorderMinutes: 5,
  shardDownMinutes: 3,
  edge5xxPercent: 5,
  edge5xxMinRequests: 20,
  turnAllocationFailuresPer5Min: 20,
  metricsMissingMinutes: 5,
  sourceFailingMinutes: 5,
};

export interface RegionAlarmInput<V = string> {
  readonly deployment: string;
  readonly region: string;
  /** Fleet dimension values of the region's bridge fleets (publish-metrics --fleet). */
  readonly fleets: readonly string[];
  /** Recorder pools of the region (any: the no-idle-recorder alarm exists when there is one). */
  readonly pools: readonly string[];
  readonly turnEnabled: boolean;
  /** The scaling Lambdas: a stable key for the alarm name and the function name (an Input in components). */
  readonly scalerFunctions: readonly { readonly key: string; readonly functionName: V }[];
  readonly thresholds: AlarmThresholds;
}

export interface AlarmDef<V = string> {
  /** Unique within the region, e.g. "bridge-stress-main". */
  readonly key: string;
  /** The CloudWatch alarm name: `${deployment}-${region}-${key}`. */
  readonly name: string;
  readonly description: string;
  /** One metric, or the inputs of `expression`. */
  readonly metrics: readonly { readonly id: string; readonly metric: MetricRef<V> }[];
  /** Metric math over `metrics` (the alarm evaluates it as id "e1"); unset: the single metric. */
  readonly expression?: string;
  readonly comparison: Comparison;
  readonly threshold: number;
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly treatMissingData: TreatMissingData;
  /** Why missing data is treated so; also written into the alarm description. */
  readonly missingDataReason: string;
}

/** Sources every region always runs: the edge proxies (HAProxy) and the shards (Jicofo). */
const ALWAYS_PRESENT = ["haproxy", "jicofo"];

const SILENCE_IS_ANOTHER_ALARM = "a silent publisher is reported by the metrics-missing alarms; counting silence here too would page twice for one cause";

/** Every alarm of one region. Alarm names are unique; every alarm names why it treats missing data as it does. */
export function regionAlarms<V = string>(i: RegionAlarmInput<V>): AlarmDef<V>[] {
  const t = i.thresholds;
  const R = i.region;
  const out: AlarmDef<V>[] = [];
  const add = (a: Omit<AlarmDef<V>, "name" | "description"> & { what: string }) => {
    const { what, ...rest } = a;
    out.push({ ...rest, name: `${i.deployment}-${R}-${a.key}`, description: `${what} Missing data: ${a.treatMissingData}, because ${a.missingDataReason}.` });
  };
  const m = <T>(metric: MetricRef<T>) => [{ id: "m1", metric }];

  for (const fleet of i.fleets)
    add({
      key: `bridge-stress-${fleet}`,
      what: `Bridges of fleet ${fleet} in ${R} average stress above ${t.bridgeStress} for ${t.bridgeStressMinutes} minutes: the scaler is not keeping up (max reached, or launches failing).`,
      metrics: m(ref<V>(BRIDGE_METRICS.stress, { Region: R, Fleet: fleet }, "Average")),
      comparison: "GreaterThanThreshold", threshold: t.bridgeStress, periodSeconds: 60, evaluationPeriods: t.bridgeStressMinutes, datapointsToAlarm: t.bridgeStressMinutes,
      treatMissingData: "notBreaching",
      missingDataReason: `a fleet with no running bridge has no stress to report; ${SILENCE_IS_ANOTHER_ALARM}`,
    });

  if (i.fleets.length > 0)
    add({
      key: "bridge-drain-cut",
      what: `A bridge in ${R} reached its drain cap with participants still on it: scale-in cut a live conference (the scaler must never do this before the cap; raise maxDrainSeconds or look at the drain).`,
      metrics: m(ref<V>(BRIDGE_METRICS.drainCuts, { Region: R }, "Sum")),
      comparison: "GreaterThanOrEqualToThreshold", threshold: 1, periodSeconds: 300, evaluationPeriods: 1, datapointsToAlarm: 1,
      treatMissingData: "notBreaching",
      missingDataReason: "the drain agent emits a value only when a drain is cut; no value means no cut",
    });

  // Recorders as each shard's Jicofo sees them in its JibriBrewery: a shard with none available cannot start
  // a recording, whatever the pool's own count says. Minimum over the shards of the region.
  if (i.pools.length > 0)
    add({
      key: "no-idle-recorder",
      what: `A shard in ${R} has seen no available recorder for ${t.noIdleRecorderMinutes} minutes: a recording asked for there now would fail.`,
      metrics: m(ref<V>(SHARD_METRICS.recordersAvailable, { Region: R }, "Minimum")),
      comparison: "LessThanThreshold", threshold: 1, periodSeconds: 60, evaluationPeriods: t.noIdleRecorderMinutes, datapointsToAlarm: t.noIdleRecorderMinutes,
      treatMissingData: "breaching",
      missingDataReason: "a Jicofo with a recorder pool always reports its JibriBrewery; no number means no recorder can be shown to be available, which is what this alarm guards",
    });

  add({
    key: "shard-down",
    what: `HAProxy in ${R} has marked a shard DOWN for ${t.shardDownMinutes} minutes: new rooms on it fail until it is back (MAINT is deliberate and not counted).`,
    metrics: m(ref<V>(EDGE_METRICS.shardsDown, { Region: R }, "Maximum")),
    comparison: "GreaterThanThreshold", threshold: 0, periodSeconds: 60, evaluationPeriods: t.shardDownMinutes, datapointsToAlarm: t.shardDownMinutes,
    treatMissingData: "notBreaching",
    missingDataReason: `without HAProxy data the shard state is unknown, not down; ${SILENCE_IS_ANOTHER_ALARM}`,
  });

  add({
    key: "edge-5xx-rate",
    what: `More than ${t.edge5xxPercent}% of requests through the edge in ${R} answered 5xx in 3 of 5 minutes (judged only above ${t.edge5xxMinRequests} requests a minute).`,
    metrics: [
      { id: "m1", metric: ref<V>(EDGE_METRICS.http5xx, { Region: R }, "Sum") },
      { id: "m2", metric: ref<V>(EDGE_METRICS.requests, { Region: R }, "Sum") },
    ],
    expression: `IF(m2 >= ${t.edge5xxMinRequests}, 100 * m1 / m2, 0)`,
    comparison: "GreaterThanThreshold", threshold: t.edge5xxPercent, periodSeconds: 60, evaluationPeriods: 5, datapointsToAlarm: 3,
    treatMissingData: "notBreaching",
    missingDataReason: `the counters are deltas, so the first minute after a publisher restart has none; ${SILENCE_IS_ANOTHER_ALARM}`,
  });

  if (i.turnEnabled)
    add({
      key: "turn-allocation-failures",
      what: `coturn in ${R} refused more than ${t.turnAllocationFailuresPer5Min} allocations in 5 minutes (quota, capacity or credential errors; the normal 401 challenge is not counted).`,
      metrics: m(ref<V>(TURN_METRICS.allocationFailures, {}, "Sum")),
      comparison: "GreaterThanThreshold", threshold: t.turnAllocationFailuresPer5Min, periodSeconds: 300, evaluationPeriods: 1, datapointsToAlarm: 1,
      treatMissingData: "notBreaching",
      missingDataReason: "the log metric filter emits a value only when a refusal is logged; no value means no refusal",
    });

  for (const f of i.scalerFunctions) {
    const dims = { FunctionName: f.functionName };
    add({
      key: `${f.key}-errors`,
      what: `The scaling function ${f.key} in ${R} failed in 3 of the last 5 minutes: capacity is not being adjusted.`,
      metrics: m(ref<V>(AWS_METRICS.lambdaErrors, dims, "Sum")),
      comparison: "GreaterThanOrEqualToThreshold", threshold: 1, periodSeconds: 60, evaluationPeriods: 5, datapointsToAlarm: 3,
      treatMissingData: "notBreaching",
      missingDataReason: `Lambda reports Errors only for minutes with invocations; a scaler that stopped running is the ${f.key}-not-invoked alarm`,
    });
    add({
      key: `${f.key}-throttles`,
      what: `The scaling function ${f.key} in ${R} was throttled in 2 of the last 5 minutes (account concurrency exhausted?).`,
      metrics: m(ref<V>(AWS_METRICS.lambdaThrottles, dims, "Sum")),
      comparison: "GreaterThanOrEqualToThreshold", threshold: 1, periodSeconds: 60, evaluationPeriods: 5, datapointsToAlarm: 2,
      treatMissingData: "notBreaching",
      missingDataReason: "Lambda reports Throttles only when a throttle happens; no value means none",
    });
    add({
      key: `${f.key}-not-invoked`,
      what: `The scaling function ${f.key} in ${R} has not run for 5 minutes (its schedule fires every minute): nothing scales.`,
      metrics: m(ref<V>(AWS_METRICS.lambdaInvocations, dims, "Sum")),
      comparison: "LessThanThreshold", threshold: 1, periodSeconds: 60, evaluationPeriods: 5, datapointsToAlarm: 5,
      treatMissingData: "breaching",
      missingDataReason: "Lambda publishes no Invocations when nothing invokes the function, so silence is the failure itself",
    });
  }

  // Publishers of the always-present sources send MetricsSourceErrors every minute, so a missing datapoint
  // means no publisher of that kind got through.
  for (const source of ALWAYS_PRESENT)
    add({
      key: `metrics-missing-${source}`,
      what: `No ${source} publisher in ${R} has sent metrics for ${t.metricsMissingMinutes} minutes: dashboards and the alarms above are blind.`,
      metrics: m(ref<V>(PUBLISHER_METRICS.sourceErrors, { Region: R, Source: source }, "SampleCount")),
      comparison: "LessThanThreshold", threshold: 1, periodSeconds: 60, evaluationPeriods: t.metricsMissingMinutes, datapointsToAlarm: t.metricsMissingMinutes,
      treatMissingData: "breaching",
      missingDataReason: "this alarm exists to detect silence: every publisher sends this metric every minute",
    });

  const sources = ["haproxy", "jicofo", ...(i.fleets.length ? ["jvb"] : []), ...(i.pools.length ? ["jibri"] : []), ...(i.turnEnabled ? ["coturn"] : [])];
  for (const source of sources)
    add({
      key: `metrics-source-failing-${source}`,
      what: `A ${source} daemon in ${R} has not answered its local stats endpoint for ${t.sourceFailingMinutes} minutes (the host's other metrics still flow).`,
      metrics: m(ref<V>(PUBLISHER_METRICS.sourceErrors, { Region: R, Source: source }, "Maximum")),
      comparison: "GreaterThanOrEqualToThreshold", threshold: 1, periodSeconds: 60, evaluationPeriods: t.sourceFailingMinutes, datapointsToAlarm: t.sourceFailingMinutes,
      treatMissingData: "notBreaching",
      missingDataReason: ALWAYS_PRESENT.includes(source)
        ? `a silent ${source} publisher is the metrics-missing-${source} alarm's job; paging here too would double-page one cause`
        : `${source} hosts may be scaled to zero, and no host means no failing source`,
    });

  const names = new Set<string>();
  for (const a of out) {
    if (names.has(a.name)) throw new Error(`two alarms are named ${a.name}: fleet, pool and scaler keys must be unique`);
    if (a.name.length > 255) throw new Error(`alarm name ${a.name} is longer than CloudWatch's 255 characters`);
    names.add(a.name);
  }
  return out;
}
