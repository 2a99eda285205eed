/**
 * Calibration (sim/calibrate.ts, tools/calibrate.ts): on a synthetic load test with a known slope and intercept
 * (and 5 % outlier spikes) the robust fit finds the participants a bridge holds at stress 0.8; the SVG chart
 * renders; bad CSV input is refused with the line and column named.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { resolveBridgePolicy } from "../../functions/bridge-scaler/decide";
import { calibrate, CalibrationInputError, parseBridgeSamplesCsv, renderCalibrationChart, syntheticSamplesCsv } from "../../sim/calibrate";
import { main, SYNTHETIC } from "../../tools/calibrate";

// Known answer: stress = 0.02 + 0.008 x participants -> (0.8 - 0.02) / 0.008 = 97.5 participants at 0.8.
const KNOWN_AT_08 = (0.8 - SYNTHETIC.intercept) / SYNTHETIC.slope;

function rejects(csv: string, re: RegExp) {
  assert.throws(() => calibrate(parseBridgeSamplesCsv(csv)), (e: unknown) => e instanceof CalibrationInputError && re.test(e.message));
}

describe("calibration: known answer on a synthetic load test", () => {
  const samples = parseBridgeSamplesCsv(syntheticSamplesCsv(SYNTHETIC));

  it("finds 97.5 participants at stress 0.8 within 3 %, despite the outlier spikes", () => {
    const r = calibrate(samples);
    assert.strictEqual(samples.length, 240);
    assert.ok(Math.abs(r.participantsAtThreshold - KNOWN_AT_08) / KNOWN_AT_08 < 0.03, `got ${r.participantsAtThreshold}`);
    assert.ok(Math.abs(r.fit.slope - SYNTHETIC.slope) / SYNTHETIC.slope < 0.03, `slope ${r.fit.slope}`);
    assert.ok(r.outliers.length >= 5, `outliers ${r.outliers.length}`);
    assert.ok(r.outliers.every((o) => o.stress > SYNTHETIC.intercept + SYNTHETIC.slope * o.participants + 0.1), "only the spikes are outliers");
    assert.ok(r.r2 > 0.95);
    assert.strictEqual(r.bridges.length, 4);
    assert.deepStrictEqual(r.warnings, []);
  });

  it("ordinary least squares on the same data would be pulled off by the spikes (why the fit is robust)", () => {
    const n = samples.length;
    const mx = samples.reduce((a, s) => a + s.participants, 0) / n;
    const my = samples.reduce((a, s) => a + s.stress, 0) / n;
    const b = samples.reduce((a, s) => a + (s.participants - mx) * (s.stress - my), 0) / samples.reduce((a, s) => a + (s.participants - mx) ** 2, 0);
    const ols = (0.8 - (my - b * mx)) / b;
    const robust = calibrate(samples).participantsAtThreshold;
    assert.ok(Math.abs(robust - KNOWN_AT_08) < Math.abs(ols - KNOWN_AT_08), `robust ${robust} vs OLS ${ols}`);
  });

  it("gives the scaler's participantsPerBridge: its threshold lands on the measured point, and the policy accepts it", () => {
    const r = calibrate(samples);
    assert.strictEqual(r.participantsPerBridge, Math.floor(r.participantsAtThreshold / 0.8));
    assert.ok(r.participantsPerBridge >= 118 && r.participantsPerBridge <= 124, String(r.participantsPerBridge));
    assert.strictEqual(resolveBridgePolicy({ participantsPerBridge: r.participantsPerBridge }).participantsPerBridge, r.participantsPerBridge);
  });

  it("another threshold moves the answer along the same line", () => {
    const r = calibrate(samples, { threshold: 0.5 });
    const known = (0.5 - SYNTHETIC.intercept) / SYNTHETIC.slope;
    assert.ok(Math.abs(r.participantsAtThreshold - known) / known < 0.04, `got ${r.participantsAtThreshold}, want ${known}`);
  });

  it("warns when the threshold lies beyond the observed load (an extrapolation)", () => {
    const light = parseBridgeSamplesCsv(syntheticSamplesCsv({ ...SYNTHETIC, maxParticipants: 40 }));
    const r = calibrate(light);
    assert.ok(r.extrapolated);
    assert.ok(r.warnings.some((w) => /beyond the \d+ observed/.test(w)), r.warnings.join());
  });

  it("the chart renders as SVG with the fit in its subtitle", async function () {
    this.timeout(30_000);
    const r = calibrate(samples);
    const svg = await renderCalibrationChart(samples, r, "synthetic");
    assert.match(svg, /^<svg /);
    assert.ok(svg.includes("participants at stress 0.8"));
    assert.ok(svg.includes("JVB stress") && svg.includes("participants on the bridge"));
    assert.ok(svg.includes("outlier (excluded)"));
  });

  it("npm run calibrate writes calibration.json and calibration.svg", async function () {
    this.timeout(30_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "calib-"));
    const csv = path.join(dir, "samples.csv");
    assert.strictEqual(await main(["--synthetic", csv]), 0);
    const log = console.log;
    console.log = () => undefined;
    try {
      assert.strictEqual(await main(["--csv", csv, "--out", path.join(dir, "out")]), 0);
    } finally {
      console.log = log;
    }
    const report = JSON.parse(fs.readFileSync(path.join(dir, "out", "calibration.json"), "utf8"));
    assert.ok(Math.abs(report.participantsAtThreshold - KNOWN_AT_08) < 3);
    assert.match(report.feed.scaler, /^BridgeFleetArgs\.scalingPolicy\.participantsPerBridge = \d+$/);
    assert.ok(fs.readFileSync(path.join(dir, "out", "calibration.svg"), "utf8").startsWith("<svg"));
  });
});

describe("calibration: bad CSV input", () => {
  it("missing a required column: names it and the accepted headers", () => rejects("bridge,participants\ni-1,10\n", /^line 1: missing column\(s\) stress \(one of stress, BridgeStress\)/));
  it("a non-numeric value: names the line and the column", () => rejects("bridge,participants,stress\ni-1,10,0.1\ni-1,abc,0.2\n", /^line 3: participants must be a number from 0 to 100000, got "abc"$/));
  it("a row with the wrong number of fields", () => rejects("bridge,participants,stress\ni-1,10\n", /^line 2: 2 fields, the header has 3$/));
  it("an empty file", () => rejects("\n\n", /the CSV is empty/));
  it("too few samples", () => rejects("bridge,participants,stress\n" + Array.from({ length: 5 }, (_, i) => `i-1,${i + 1},${0.01 * (i + 1)}`).join("\n"), /need at least 10 samples/));
  it("a load that never varies", () => rejects("bridge,participants,stress\n" + Array.from({ length: 12 }, () => "i-1,40,0.3").join("\n"), /every sample has the same participant count/));
  it("stress that does not rise with participants", () => rejects("bridge,participants,stress\n" + Array.from({ length: 12 }, (_, i) => `i-1,${i + 1},${0.5 - 0.01 * i}`).join("\n"), /stress does not rise with participants/));
  it("accepts the catalogue's metric names as headers (a CloudWatch export)", () => {
    const s = parseBridgeSamplesCsv("Timestamp,InstanceId,BridgeParticipants,BridgeStress,cpu_usage_active\n2026-01-01T00:00:00Z,i-1,10,0.1,9\n");
    assert.deepStrictEqual(s, [{ timestamp: "2026-01-01T00:00:00Z", bridge: "i-1", participants: 10, stress: 0.1, cpu: 9 }]);
  });
  it("the CLI exits 1 on a bad file and writes nothing", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "calib-bad-"));
    fs.writeFileSync(path.join(dir, "bad.csv"), "bridge,participants\n");
    const err = console.error;
    let said = "";
    console.error = (m: string) => (said += m);
    try {
      assert.strictEqual(await main(["--csv", path.join(dir, "bad.csv"), "--out", path.join(dir, "out")]), 1);
    } finally {
      console.error = err;
    }
    assert.match(said, /missing column\(s\) stress/);
    assert.ok(!fs.existsSync(path.join(dir, "out")));
  });
});
