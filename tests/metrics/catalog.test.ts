import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { allCustomMetrics, AWS_METRICS, DIM, emitterOf, HOST_METRICS, NAMESPACE, PUBLISHER } from "../../metrics/catalog";
import { ref } from "../../metrics/refs";
import { BRIDGE_METRICS } from "../../metrics/catalog";
import { REPO_ROOT } from "../helpers/env";
import { publisherEmittedNames } from "./emitted";

/** CloudWatch's StandardUnit values (PutMetricData API reference). */
const STANDARD_UNITS = new Set(["Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None"]);

describe("metrics/catalog", () => {
  const all = allCustomMetrics();

  it("names every custom metric once, in one namespace, with CloudWatch units and known dimensions", () => {
    const names = all.map((m) => m.name);
    assert.deepEqual(names.filter((n, i) => names.indexOf(n) !== i), [], "duplicate metric names");
    const dims = new Set<string>(Object.values(DIM));
    for (const m of all) {
      assert.equal(m.namespace, NAMESPACE, m.name);
      assert.ok(STANDARD_UNITS.has(m.unit), `${m.name}: unit ${m.unit}`);
      assert.ok(/^[A-Z][A-Za-z0-9]{1,254}$/.test(m.name), m.name);
      for (const set of m.dimensions) {
        assert.ok(set.length <= 30, `${m.name}: CloudWatch allows 30 dimensions`);
        for (const d of set) assert.ok(dims.has(d), `${m.name}: unknown dimension ${d}`);
      }
    }
  });

  it("every metric credited to the publisher is emitted by its parsers on the real-shaped fixtures, and nothing else is", () => {
    const emitted = publisherEmittedNames();
    const credited = all.filter((m) => emitterOf(m) === PUBLISHER).map((m) => m.name).sort();
    assert.deepEqual(credited.filter((n) => !emitted.has(n)), [], "credited to the publisher but never emitted");
    assert.deepEqual([...emitted].filter((n) => !credited.includes(n)).sort(), [], "emitted but credited to someone else");
  });

  it("every other emitter exists in the repository and names the metric (by catalogue key or name)", () => {
    const missing: string[] = [];
    for (const [group, defs] of Object.entries(require("../../metrics/catalog").CUSTOM_METRIC_GROUPS as Record<string, Record<string, { name: string; source: string }>>)) {
      for (const [key, m] of Object.entries(defs)) {
        const emitter = emitterOf(m);
        if (emitter === PUBLISHER) continue;
        const base = path.join(REPO_ROOT, emitter);
        const files = fs.existsSync(`${base}.ts`) ? [`${base}.ts`] : fs.existsSync(base) && fs.statSync(base).isDirectory() ? fs.readdirSync(base).filter((f) => f.endsWith(".ts")).map((f) => path.join(base, f)) : [];
        const text = files.map((f) => fs.readFileSync(f, "utf8")).join("\n");
        const constName = `${group.toUpperCase()}_METRICS`;
        if (!text.includes(`.${key}`) && !text.includes(m.name)) missing.push(`${m.name} (${constName}.${key}) by ${emitter}`);
      }
    }
    assert.deepEqual(missing, [], "metrics whose emitter does not exist or never mentions them");
  });

  it("host and AWS metrics are in their own namespaces", () => {
    for (const m of Object.values(HOST_METRICS)) assert.equal(m.name, `${m.plugin}_${m.measurement}`);
    for (const m of Object.values(AWS_METRICS)) assert.ok(m.namespace.startsWith("AWS/"));
  });

  it("docs/monitoring.md lists every catalogue metric and every alarm", () => {
    const doc = fs.readFileSync(path.join(REPO_ROOT, "docs", "monitoring.md"), "utf8");
    const { regionAlarms, ALARM_DEFAULTS } = require("../../metrics/alarms");
    const names = [...all.map((m) => m.name), ...Object.values(HOST_METRICS).map((m) => m.name)];
    const keys = (regionAlarms({ deployment: "d", region: "r", fleets: ["<fleet>"], pools: ["<pool>"], turnEnabled: true, scalerFunctions: [{ key: "<scaler>", functionName: "f" }], thresholds: ALARM_DEFAULTS }) as { key: string }[]).map((a) => a.key);
    assert.deepEqual([...names, ...keys].filter((n) => !doc.includes(`\`${n}\``)), []);
  });

  it("ref() refuses a dimension set the metric is not published with (the classic dead widget)", () => {
    assert.throws(() => ref(BRIDGE_METRICS.stress, { Region: "eu-west-1", Shard: "s1" }, "Average"), /JitsiAws\/BridgeStress is not published with dimensions \[Region, Shard\]/);
    assert.deepEqual(ref(BRIDGE_METRICS.stress, { Fleet: "main", Region: "eu-west-1" }, "Average").dimensions, { Fleet: "main", Region: "eu-west-1" });
  });
});
