/**
 * Exports a load test's per-bridge samples from CloudWatch as the CSV `npm run calibrate` reads: for every bridge
 * (InstanceId) of a fleet, BridgeParticipants, BridgeStress and the packet rates (download + upload) at 60 s, joined
 * on the minute. Metric names and dimension sets come from the catalogue (metrics/catalog.ts BRIDGE_METRICS).
 * The query building and the join are pure (tested offline); exportSamplesCsv does the two AWS calls.
 */
import { CloudWatchClient, GetMetricDataCommand, ListMetricsCommand, MetricDataQuery, MetricDataResult } from "@aws-sdk/client-cloudwatch";
import { BRIDGE_METRICS, DIM, NAMESPACE } from "../../metrics/catalog";
import type { BridgeSample } from "../../sim/calibrate";

const SERIES = {
  p: BRIDGE_METRICS.participants,
  s: BRIDGE_METRICS.stress,
  d: BRIDGE_METRICS.packetRateDownload,
  u: BRIDGE_METRICS.packetRateUpload,
} as const;
type SeriesKey = keyof typeof SERIES;

/** GetMetricData queries: four per bridge, ids `<series><index>` (CloudWatch ids must start with a lower-case letter). */
export function buildExportQueries(region: string, fleet: string, instanceIds: readonly string[]): MetricDataQuery[] {
  return instanceIds.flatMap((id, i) =>
    (Object.entries(SERIES) as [SeriesKey, (typeof SERIES)[SeriesKey]][]).map(([k, m]) => ({
      Id: `${k}${i}`,
      Label: `${id} ${m.name}`,
      MetricStat: {
        Metric: { Namespace: NAMESPACE, MetricName: m.name, Dimensions: [{ Name: DIM.Region, Value: region }, { Name: DIM.Fleet, Value: fleet }, { Name: DIM.InstanceId, Value: id }] },
        Period: 60,
        Stat: "Average",
      },
      ReturnData: true,
    })),
  );
}

/** Joins the results into samples: one per bridge and minute that has both participants and stress. */
export function samplesFromResults(results: readonly MetricDataResult[], instanceIds: readonly string[]): BridgeSample[] {
  const byId = new Map<string, Map<number, number>>();
  for (const r of results) {
    const m = byId.get(r.Id ?? "") ?? new Map<number, number>();
    (r.Timestamps ?? []).forEach((t, j) => m.set(new Date(t).getTime(), (r.Values ?? [])[j]));
    byId.set(r.Id ?? "", m);
  }
  const out: BridgeSample[] = [];
  instanceIds.forEach((bridge, i) => {
    const get = (k: SeriesKey) => byId.get(`${k}${i}`) ?? new Map<number, number>();
    const p = get("p");
    const s = get("s");
    for (const t of [...p.keys()].sort((a, b) => a - b)) {
      const stress = s.get(t);
      if (stress === undefined) continue;
      const d = get("d").get(t);
      const u = get("u").get(t);
      out.push({ timestamp: new Date(t).toISOString(), bridge, participants: p.get(t)!, stress, ...(d !== undefined && u !== undefined ? { packetRate: d + u } : {}) });
    }
  });
  return out;
}

export function samplesToCsv(samples: readonly BridgeSample[]): string {
  const rows = ["timestamp,bridge,participants,stress,packetRate"];
  for (const s of samples) rows.push([s.timestamp ?? "", s.bridge, s.participants, s.stress, s.packetRate ?? ""].join(","));
  return rows.join("\n") + "\n";
}

/** Lists the fleet's bridges that published stress, fetches their series over [start, end] and returns the CSV. */
export async function exportSamplesCsv(cw: Pick<CloudWatchClient, "send">, o: { region: string; fleet: string; start: Date; end: Date }): Promise<string> {
  const ids = new Set<string>();
  let next: string | undefined;
  for (let page = 0; page < 100; page++) {
    const r = await cw.send(new ListMetricsCommand({ Namespace: NAMESPACE, MetricName: BRIDGE_METRICS.stress.name, Dimensions: [{ Name: DIM.Region, Value: o.region }, { Name: DIM.Fleet, Value: o.fleet }, { Name: DIM.InstanceId }], NextToken: next }));
    for (const m of r.Metrics ?? []) {
      const id = m.Dimensions?.find((d) => d.Name === DIM.InstanceId)?.Value;
      if (id) ids.add(id);
    }
    next = r.NextToken;
    if (!next) break;
  }
  const instanceIds = [...ids].sort();
  if (instanceIds.length === 0) throw new Error(`no ${BRIDGE_METRICS.stress.name} series for fleet ${o.fleet} in ${o.region}`);
  const results: MetricDataResult[] = [];
  // GetMetricData takes at most 500 queries per call: 4 per bridge, so 125 bridges per batch.
  for (let i = 0; i < instanceIds.length; i += 125) {
    const queries = buildExportQueries(o.region, o.fleet, instanceIds.slice(i, i + 125)).map((q) => ({ ...q, Id: q.Id!.replace(/\d+$/, (n) => String(Number(n) + i)) }));
    let token: string | undefined;
    for (let page = 0; page < 1000; page++) {
      const r = await cw.send(new GetMetricDataCommand({ MetricDataQueries: queries, StartTime: o.start, EndTime: o.end, NextToken: token }));
      for (const res of r.MetricDataResults ?? []) {
        const prev = results.find((x) => x.Id === res.Id);
        if (prev) {
          prev.Timestamps = [...(prev.Timestamps ?? []), ...(res.Timestamps ?? [])];
          prev.Values = [...(prev.Values ?? []), ...(res.Values ?? [])];
        } else results.push({ ...res });
      }
      token = r.NextToken;
      if (!token) break;
    }
  }
  return samplesToCsv(samplesFromResults(results, instanceIds));
}
