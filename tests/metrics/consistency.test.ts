/**
 * Dashboards and alarms against the emitters: every series a widget or alarm reads is published by someone
 * (the publisher's parsers on real-shaped fixtures, the CloudWatch agent config we render, a log metric
 * filter we create, or an AWS service), with a dimension set it is really published with.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { ALARM_DEFAULTS, regionAlarms } from "../../metrics/alarms";
import { allCustomMetrics, AWS_METRICS, AWS_NAMESPACES, CUSTOM_METRIC_GROUPS, emitterOf, HOST_METRICS, HOST_NAMESPACE, PUBLISHER } from "../../metrics/catalog";
import { LOG_METRIC_FILTERS, matchesTermPattern } from "../../metrics/log-filters";
import { isDeclaredDimensionSet } from "../../metrics/refs";
import { HOST_ROLES, renderCloudWatchAgentConfig } from "../../render/cloudwatch-agent";
import { dashboardSeries, type RegionDashboardInput, renderGlobalDashboard, renderRegionDashboard } from "../../render/dashboard";
import { publisherEmittedNames } from "./emitted";

const EU: RegionDashboardInput = {
  region: "eu-west-1",
  shards: ["euw1-s1", "euw1-s2"],
  fleets: [{ name: "main", autoScalingGroupName: "jitsi-eu-west-1-bridges" }],
  pools: [{ name: "rec", autoScalingGroupName: "jitsi-eu-west-1-jibri" }],
  turnEnabled: true,
  scalerFunctionNames: ["jitsi-euw1-bridge-scaler", "jitsi-euw1-jibri-replenisher"],
  hostAutoScalingGroupNames: ["jitsi-eu-west-1-bridges", "jitsi-eu-west-1-jibri", "jitsi-eu-west-1-edge"],
};
const US: RegionDashboardInput = { ...EU, region: "us-east-1", shards: ["use1-s1"], pools: [], turnEnabled: false, fleets: [{ name: "main", autoScalingGroupName: "jitsi-us-east-1-bridges" }] };

interface Series { namespace: string; name: string; dimensions: Record<string, string> }

/** True when the emitter's source (a .ts file or a folder of them) refers to the metric by catalogue key or name. */
function emitterSourceNames(emitter: string, metricName: string): boolean {
  const root = path.resolve(__dirname, "..", "..");
  const key = Object.values(CUSTOM_METRIC_GROUPS)
    .flatMap((g) => Object.entries(g))
    .find(([, m]) => (m as { name: string }).name === metricName)?.[0];
  const files = fs.existsSync(path.join(root, `${emitter}.ts`))
    ? [path.join(root, `${emitter}.ts`)]
    : fs.existsSync(path.join(root, emitter))
      ? fs.readdirSync(path.join(root, emitter)).filter((f) => f.endsWith(".ts")).map((f) => path.join(root, emitter, f))
      : [];
  return files.some((f) => {
    const text = fs.readFileSync(f, "utf8");
    return text.includes(metricName) || (key !== undefined && new RegExp(`\\.${key}\\b`).test(text));
  });
}

/** Why a series is live, or a reason it is dead. */
function liveness(s: Series): string | null {
  const keys = Object.keys(s.dimensions);
  if (AWS_NAMESPACES.includes(s.namespace)) {
    const def = Object.values(AWS_METRICS).find((m) => m.namespace === s.namespace && m.name === s.name);
    if (!def) return `${s.namespace}/${s.name} is not an AWS metric listed in AWS_METRICS`;
    return isDeclaredDimensionSet(def, keys) ? null : `${s.name}: AWS does not publish it with [${keys}]`;
  }
  if (s.namespace === HOST_NAMESPACE) {
    const def = Object.values(HOST_METRICS).find((m) => m.name === s.name);
    if (!def) return `${s.name} is not a host metric`;
    // The agent must really collect it: in some role's rendered config, with the ASG roll-up.
    const collected = HOST_ROLES.some((role) => {
      const c = JSON.parse(renderCloudWatchAgentConfig({ deployment: "jitsi", role }));
      return (c.metrics.metrics_collected[def.plugin]?.measurement ?? []).includes(def.measurement) && JSON.stringify(c.metrics.aggregation_dimensions) === JSON.stringify([keys]);
    });
    return collected ? null : `${s.name} [${keys}] is not in any rendered agent config`;
  }
  const def = allCustomMetrics().find((m) => m.namespace === s.namespace && m.name === s.name);
  if (!def) return `${s.namespace}/${s.name} is not in the catalogue`;
  if (!isDeclaredDimensionSet(def, keys)) return `${s.name} is not published with [${keys}]`;
  const emitter = emitterOf(def);
  if (emitter === PUBLISHER) return publisherEmittedNames().has(def.name) ? null : `${def.name} is credited to the publisher but its parsers never emit it`;
  if (emitter === "metrics/log-filters") return LOG_METRIC_FILTERS.some((f) => f.metric.name === def.name) ? null : `${def.name}: no log metric filter makes it`;
  // Another program of ours (a host agent, a Lambda) that really sends it: its source names the metric.
  if (/^(agents|functions)\//.test(emitter) && emitterSourceNames(emitter, def.name)) return null;
  return `${def.name} comes from ${emitter}; dashboards here read only publisher, agent, log-filter and AWS metrics`;
}

describe("dashboards and alarms: every referenced metric is emitted", () => {
  it("region dashboard: every series is live (and the body is what CloudWatch accepts)", () => {
    const body = renderRegionDashboard(EU);
    const series = dashboardSeries(body);
    assert.ok(series.length > 30, `expected a full dashboard, got ${series.length} series`);
    assert.deepEqual(series.map((s) => liveness(s)).filter((x) => x), []);
    const parsed = JSON.parse(body);
    for (const w of parsed.widgets) {
      assert.ok(w.x + w.width <= 24 && w.width >= 1 && w.height >= 1, `widget ${w.properties.title} off the 24-column grid`);
      assert.ok(w.properties.metrics.length >= 1, `empty widget ${w.properties.title}`);
    }
    assert.ok(Buffer.byteLength(body) < 1_000_000, "PutDashboard accepts bodies up to 1 MB");
  });

  it("region dashboard shows what the issue asks for: users, conferences, bridges, stress, recorders, shard health, TURN, scaling, Lambda errors, host metrics", () => {
    const titles = JSON.parse(renderRegionDashboard(EU)).widgets.map((w: { properties: { title: string } }) => w.properties.title).join(" | ");
    for (const want of ["Users", "Conferences", "Bridges (count", "Bridge stress", "Recorders idle / busy", "Shard health", "TURN allocations", "Scaling actions", "Lambdas: errors", "Host CPU", "Host memory", "Host network", "disk % and IO"])
      assert.ok(titles.includes(want), `missing widget ${want} in: ${titles}`);
  });

  it("a region without recorders or TURN gets no empty recorder/TURN widgets", () => {
    const titles = dashboardSeries(renderRegionDashboard(US)).map((s) => s.widget);
    assert.ok(!titles.some((t) => /Recorders|TURN/.test(t)), titles.join());
  });

  it("global dashboard: every series is live and queried in its own region", () => {
    const series = dashboardSeries(renderGlobalDashboard([EU, US], "eu-west-1"));
    assert.deepEqual(series.map((s) => liveness(s)).filter((x) => x), []);
    for (const s of series) if (s.dimensions.Region) assert.equal(s.region, s.dimensions.Region, `${s.widget}: ${s.name} queried in ${s.region}`);
    assert.deepEqual([...new Set(series.filter((s) => s.widget === "Users by region").map((s) => s.region))], ["eu-west-1", "us-east-1"]);
  });

  it("the liveness check itself flags dead series (so the tests above can fail)", () => {
    const dead: Series[] = [
      { namespace: "JitsiAws", name: "BridgeCpu", dimensions: { Region: "eu-west-1" } },
      { namespace: "JitsiAws", name: "BridgeStress", dimensions: { Region: "eu-west-1", Shard: "s1" } },
      { namespace: "CWAgent", name: "cpu_usage_active", dimensions: { InstanceId: "i-0123456789abcdef0" } },
      { namespace: "AWS/Lambda", name: "Duration", dimensions: { FunctionName: "f" } },
      // Emitted by the replenisher, but never per instance: a wrong dimension set is dead too.
      { namespace: "JitsiAws", name: "JibriUploading", dimensions: { Region: "eu-west-1", Pool: "rec", InstanceId: "i-0123456789abcdef0" } },
    ];
    assert.deepEqual(dead.map((x) => liveness(x) !== null), [true, true, true, true, true]);
  });

  const alarms = regionAlarms({ deployment: "jitsi", region: "eu-west-1", fleets: ["main"], pools: ["rec"], turnEnabled: true, scalerFunctions: [{ key: "bridge-scaler", functionName: "jitsi-euw1-bridge-scaler" }], thresholds: ALARM_DEFAULTS });

  it("alarms: every metric they read is live", () => {
    assert.deepEqual(alarms.flatMap((a) => a.metrics.map((m) => liveness(m.metric))).filter((x) => x), []);
  });

  it("alarms: at least 6, unique names, each with a missing-data treatment and its reason in the description", () => {
    assert.ok(alarms.length >= 6, `${alarms.length} alarms`);
    assert.equal(new Set(alarms.map((a) => a.name)).size, alarms.length);
    for (const a of alarms) {
      assert.ok(["breaching", "notBreaching", "ignore", "missing"].includes(a.treatMissingData), a.name);
      assert.ok(a.missingDataReason.length > 20, `${a.name}: no reason for ${a.treatMissingData}`);
      assert.ok(a.description.includes(a.missingDataReason), a.name);
      assert.ok(a.description.length <= 1024, `${a.name}: AlarmDescription is limited to 1024 characters`);
    }
  });

  it("alarms: periods and evaluation windows are values CloudWatch accepts", () => {
    for (const a of alarms) {
      assert.ok([10, 30].includes(a.periodSeconds) || a.periodSeconds % 60 === 0, `${a.name}: period ${a.periodSeconds}`);
      assert.ok(a.datapointsToAlarm >= 1 && a.datapointsToAlarm <= a.evaluationPeriods, `${a.name}: M of N`);
      assert.ok(a.periodSeconds * a.evaluationPeriods <= 86400, `${a.name}: evaluation window over one day`);
      if (a.expression) assert.ok(a.metrics.every((m) => a.expression?.includes(m.id)), `${a.name}: expression ignores an input`);
      else assert.equal(a.metrics.length, 1, a.name);
    }
  });

  it("alarms cover the issue's list: stress, no idle recorder, shard down, 5xx rate, TURN failures, Lambda errors and throttles, missing metrics", () => {
    const keys = alarms.map((a) => a.key);
    for (const k of ["bridge-stress-main", "no-idle-recorder", "shard-down", "edge-5xx-rate", "turn-allocation-failures", "bridge-scaler-errors", "bridge-scaler-throttles", "bridge-scaler-not-invoked", "metrics-missing-haproxy", "metrics-missing-jicofo"])
      assert.ok(keys.includes(k), `missing ${k} in ${keys.join(", ")}`);
    const missing = Object.fromEntries(alarms.map((a) => [a.key, a.treatMissingData]));
    // Silence is the failure for these three; for the others it is another alarm's job.
    assert.equal(missing["no-idle-recorder"], "breaching");
    assert.equal(missing["metrics-missing-haproxy"], "breaching");
    assert.equal(missing["bridge-scaler-not-invoked"], "breaching");
    assert.equal(missing["bridge-stress-main"], "notBreaching");
  });

  it("the bridge stress threshold follows the configured shard stress threshold input", () => {
    const a = regionAlarms({ deployment: "jitsi", region: "eu-west-1", fleets: ["main"], pools: [], turnEnabled: false, scalerFunctions: [], thresholds: { ...ALARM_DEFAULTS, bridgeStress: 0.7 } });
    assert.equal(a.find((x) => x.key === "bridge-stress-main")?.threshold, 0.7);
    assert.ok(!a.some((x) => x.key.startsWith("no-idle-recorder") || x.key === "turn-allocation-failures"));
  });

  it("two fleets with one name would make two alarms with one name: refused", () => {
    assert.throws(() => regionAlarms({ deployment: "jitsi", region: "eu-west-1", fleets: ["main", "main"], pools: [], turnEnabled: false, scalerFunctions: [], thresholds: ALARM_DEFAULTS }), /two alarms are named jitsi-eu-west-1-bridge-stress-main/);
  });
});

describe("log metric filters", () => {
  const lines = fs.readFileSync(path.join(__dirname, "..", "fixtures", "metrics", "coturn-verbose.log"), "utf8").trim().split("\n");
  it("the TURN allocation-failure pattern matches coturn's real refusal line, not its success or 401 lines", () => {
    const f = LOG_METRIC_FILTERS.find((x) => x.key === "turn-allocation-failures");
    assert.ok(f);
    assert.deepEqual(lines.map((l) => matchesTermPattern(f.pattern, l)), [false, true, false, false]);
    assert.ok(matchesTermPattern(f.pattern, "session 1: realm <r> user <u>: incoming packet ALLOCATE processed, error 508: Cannot create socket"));
    assert.ok(!matchesTermPattern(f.pattern, "session 1: realm <r> user <u>: incoming packet ALLOCATE processed, error 401: Unauthorized"));
  });
});
