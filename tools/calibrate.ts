/**
 * npm run calibrate -- --csv FILE [--threshold 0.8] [--out DIR] [--json]
 * Reads a load test's per-bridge samples (CSV: bridge,participants,stress[,timestamp,cpu,packetRate]; the
 * catalogue's metric names BridgeParticipants/BridgeStress/InstanceId are accepted as headers), fits stress vs
 * participants robustly (sim/calibrate.ts) and prints the scaler's capacity parameter. With --out, writes
 * calibration.json and calibration.svg (the fit) there. Bad input: exit 1 with the line and column named.
 * `--synthetic FILE` writes the synthetic CSV the tests use (known slope 0.008, intercept 0.02).
 * `--export-fleet NAME --region R --start ISO --end ISO --write FILE` exports the samples from CloudWatch
 * (tools/calibrate/export.ts; needs AWS credentials that may ListMetrics and GetMetricData).
 */
import * as fs from "fs";
import * as path from "path";
import { calibrate, CalibrationInputError, parseBridgeSamplesCsv, renderCalibrationChart, syntheticSamplesCsv } from "../sim/calibrate";

export const SYNTHETIC = { seed: 42, bridges: 4, samplesPerBridge: 60, slope: 0.008, intercept: 0.02, noise: 0.03, outlierRate: 0.05, maxParticipants: 110 } as const;

const USAGE =
  "usage: npm run calibrate -- --csv FILE [--threshold 0.8] [--out DIR] [--json] | --synthetic FILE\n" +
  "       npm run calibrate -- --export-fleet NAME --region R --start ISO --end ISO --write FILE";

export async function main(argv: string[]): Promise<number> {
  let csv: string | undefined;
  let out: string | undefined;
  let threshold: number | undefined;
  let json = false;
  const exp: Record<string, string | undefined> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (["--export-fleet", "--region", "--start", "--end", "--write"].includes(a)) exp[a.slice(2)] = argv[++i];
    else if (a === "--csv") csv = argv[++i];
    else if (a === "--out") out = argv[++i];
    else if (a === "--threshold") threshold = Number(argv[++i]);
    else if (a === "--json") json = true;
    else if (a === "--synthetic") {
      fs.writeFileSync(argv[++i], syntheticSamplesCsv(SYNTHETIC));
      return 0;
    } else {
      console.error(`unknown argument ${a}\n${USAGE}`);
      return 2;
    }
  }
  if (exp["export-fleet"]) {
    const start = new Date(exp.start ?? "");
    const end = new Date(exp.end ?? "");
    if (!exp.region || !exp.write || !Number.isFinite(start.getTime()) || !Number.isFinite(end.getTime()) || end <= start) {
      console.error(`--export-fleet needs --region, --write and a valid --start before --end\n${USAGE}`);
      return 2;
    }
    const { exportSamplesCsv } = await import("./calibrate/export");
    const { CloudWatchClient } = await import("@aws-sdk/client-cloudwatch");
    fs.writeFileSync(exp.write, await exportSamplesCsv(new CloudWatchClient({ region: exp.region }), { region: exp.region, fleet: exp["export-fleet"], start, end }));
    console.log(`written ${exp.write}`);
    return 0;
  }
  if (!csv) {
    console.error(`--csv is required\n${USAGE}`);
    return 2;
  }
  try {
    const samples = parseBridgeSamplesCsv(fs.readFileSync(csv, "utf8"));
    const r = calibrate(samples, { threshold });
    const report = {
      participantsAtThreshold: +r.participantsAtThreshold.toFixed(1),
      threshold: r.threshold,
      participantsPerBridge: r.participantsPerBridge,
      fit: { slope: r.fit.slope, intercept: r.fit.intercept, r2: +r.r2.toFixed(4) },
      samples: r.samples,
      outliers: r.outliers.length,
      bridges: r.bridges,
      maxObservedParticipants: r.maxObservedParticipants,
      warnings: r.warnings,
      feed: {
        scaler: `BridgeFleetArgs.scalingPolicy.participantsPerBridge = ${r.participantsPerBridge}`,
        simulator: `npm run simulate -- --trace FILE --bridge participantsPerBridge=${r.participantsPerBridge}`,
      },
    };
    if (out) {
      fs.mkdirSync(out, { recursive: true });
      fs.writeFileSync(path.join(out, "calibration.json"), JSON.stringify(report, null, 2) + "\n");
      fs.writeFileSync(path.join(out, "calibration.svg"), await renderCalibrationChart(samples, r, `Bridge calibration: ${path.basename(csv)}`));
    }
    if (json) console.log(JSON.stringify(report, null, 2));
    else {
      console.log(`${r.samples} samples on ${r.bridges.length} bridges, ${r.outliers.length} outliers excluded`);
      console.log(`fit: stress = ${r.fit.intercept.toFixed(4)} + ${r.fit.slope.toFixed(6)} x participants (r² ${r.r2.toFixed(3)})`);
      console.log(`a bridge holds ${r.participantsAtThreshold.toFixed(1)} participants at stress ${r.threshold}`);
      console.log(`scaler capacity: participantsPerBridge = ${r.participantsPerBridge}  (${report.feed.scaler})`);
      console.log(`simulator:       ${report.feed.simulator}`);
      for (const w of r.warnings) console.log(`warning: ${w}`);
      if (out) console.log(`written: ${path.join(out, "calibration.json")}, ${path.join(out, "calibration.svg")}`);
    }
    return 0;
  } catch (e) {
    if (e instanceof CalibrationInputError || (e as NodeJS.ErrnoException).code === "ENOENT") {
      console.error(`calibrate: ${(e as Error).message}`);
      return 1;
    }
    throw e;
  }
}

if (require.main === module) void main(process.argv.slice(2)).then((code) => process.exit(code));
