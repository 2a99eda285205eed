/**
 * What the metrics publisher really emits: its parsers run over every real-shaped fixture (two polls where a
 * counter needs a baseline), plus the per-source error metric every cycle adds. Used by the consistency
 * tests: a catalogue entry credited to the publisher must be in this set.
 */
import * as fs from "fs";
import * as path from "path";
import { haproxySamples, parseColibriStats, parseCoturnPs, parseHaproxyCsv, parseJibriHealth, parseJicofoStats, type Sample } from "../../agents/metrics-sources";
import { PUBLISHER_METRICS } from "../../metrics/catalog";

const FIX = path.join(__dirname, "..", "fixtures", "metrics");
const fixture = (f: string) => fs.readFileSync(path.join(FIX, f), "utf8");

export function publisherSamples(): Sample[] {
  const jicofo1 = parseJicofoStats(fixture("jicofo-stats.json"));
  const jicofo2 = parseJicofoStats(fixture("jicofo-stats.json"), { recordingFailures: 0, conferencesCreated: 0 });
  const rows = parseHaproxyCsv(fixture("haproxy-show-stat.csv"));
  return [
    ...parseColibriStats(fixture("colibri-stats.json")),
    ...parseColibriStats(fixture("colibri-stats-draining.json")),
    ...jicofo1.samples,
    ...jicofo2.samples,
    ...["idle", "busy", "expired"].flatMap((k) => parseJibriHealth(fixture(`jibri-health-${k}.json`))),
    ...parseCoturnPs(fixture("coturn-cli-ps.txt")),
    ...haproxySamples(rows, { http5xx: 0, requests: 0 }).samples,
    { metric: PUBLISHER_METRICS.sourceErrors, value: 0, dims: { Source: "jvb" } },
  ];
}

/** Names of the metrics the publisher emits (from the fixtures). */
export function publisherEmittedNames(): Set<string> {
  return new Set(publisherSamples().map((s) => s.metric.name));
}
