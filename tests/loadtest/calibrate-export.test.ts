/** Exporting the bridges' samples from CloudWatch (tools/calibrate/export.ts) against a mocked SDK. */
import * as assert from "assert";
import { AwsClientStub, mockClient } from "aws-sdk-client-mock";
import { CloudWatchClient, GetMetricDataCommand, ListMetricsCommand } from "@aws-sdk/client-cloudwatch";
import { BRIDGE_METRICS } from "../../metrics/catalog";
import { calibrate, parseBridgeSamplesCsv } from "../../sim/calibrate";
import { buildExportQueries, exportSamplesCsv } from "../../tools/calibrate/export";

describe("calibration: export from CloudWatch", () => {
  let cw: AwsClientStub<CloudWatchClient>;
  before(() => {
    cw = mockClient(CloudWatchClient);
  });
  after(() => cw.restore());

  it("queries the catalogue's per-bridge series at 60 s", () => {
    const q = buildExportQueries("us-east-1", "us-east-1-bridges", ["i-a"]);
    assert.deepStrictEqual(q.map((x) => [x.Id, x.MetricStat?.Metric?.MetricName]), [
      ["p0", BRIDGE_METRICS.participants.name],
      ["s0", BRIDGE_METRICS.stress.name],
      ["d0", BRIDGE_METRICS.packetRateDownload.name],
      ["u0", BRIDGE_METRICS.packetRateUpload.name],
    ]);
    assert.deepStrictEqual(q[0].MetricStat?.Metric?.Dimensions?.map((d) => d.Name), ["Region", "Fleet", "InstanceId"]);
    assert.strictEqual(q[0].MetricStat?.Period, 60);
  });

  it("joins participants, stress and packet rates per bridge and minute into the CSV calibrate reads", async () => {
    cw.reset();
    cw.on(ListMetricsCommand).resolves({ Metrics: [{ Dimensions: [{ Name: "Region", Value: "us-east-1" }, { Name: "Fleet", Value: "f" }, { Name: "InstanceId", Value: "i-b" }] }, { Dimensions: [{ Name: "Region", Value: "us-east-1" }, { Name: "Fleet", Value: "f" }, { Name: "InstanceId", Value: "i-a" }] }] });
    const ts = Array.from({ length: 8 }, (_, k) => new Date(Date.UTC(2026, 0, 1, 10, k)));
    const series = (id: string, f: (k: number) => number, n = 8) => ({ Id: id, Timestamps: ts.slice(0, n), Values: ts.slice(0, n).map((_, k) => f(k)) });
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        // i-a (index 0): stress = 0.01 x participants; i-b: 0.012 x participants, one minute without stress.
        series("p0", (k) => 10 * (k + 1)), series("s0", (k) => 0.1 * (k + 1)), series("d0", () => 1000), series("u0", () => 500),
        series("p1", (k) => 5 * (k + 1)), series("s1", (k) => 0.06 * (k + 1), 7), series("d1", () => 10), series("u1", () => 20),
      ],
    });
    const csv = await exportSamplesCsv(new CloudWatchClient({ region: "us-east-1" }), { region: "us-east-1", fleet: "f", start: ts[0], end: ts[7] });
    const samples = parseBridgeSamplesCsv(csv);
    assert.strictEqual(samples.length, 15);
    assert.deepStrictEqual(samples[0], { timestamp: "2026-01-01T10:00:00.000Z", bridge: "i-a", participants: 10, stress: 0.1, packetRate: 1500 });
    assert.deepStrictEqual(samples.filter((s) => s.bridge === "i-b").map((s) => s.participants), [5, 10, 15, 20, 25, 30, 35]);
    assert.ok(calibrate(samples).participantsAtThreshold > 0);
  });

  it("a fleet without stress series is an error naming it", async () => {
    cw.reset();
    cw.on(ListMetricsCommand).resolves({ Metrics: [] });
    await assert.rejects(exportSamplesCsv(new CloudWatchClient({ region: "us-east-1" }), { region: "us-east-1", fleet: "nope", start: new Date(0), end: new Date(60_000) }), /no BridgeStress series for fleet nope in us-east-1/);
  });
});
