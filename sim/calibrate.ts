/**
 * Calibration: from a load test's per-bridge samples (participants, stress, CPU, packet rate — the monitoring
 * metrics exported as CSV), the participants one bridge holds at the stress threshold. That number becomes the
 * scaler's capacity parameter (functions/bridge-scaler/decide.ts BridgePolicy.participantsPerBridge, the
 * participants at stress 1.0 of the scaler's linear model) and the simulator's (`--bridge participantsPerBridge=N`).
 *
 * Fit: stress = intercept + slope × participants, robust (Theil–Sen: the median of pairwise slopes, then the
 * median intercept), outliers dropped by a MAD rule on the residuals and the fit repeated on the inliers. JVB's
 * stress is load ÷ threshold of one measured quantity (CPU by default, jitsi-facts.md), so it grows about linearly
 * with participants in the range a load test reaches. Pure (no I/O); tools/calibrate.ts reads and writes files.
 */

export interface BridgeSample {
  readonly timestamp?: string;
  readonly bridge: string;
  readonly participants: number;
  readonly stress: number;
  readonly cpu?: number;
  readonly packetRate?: number;
}

/** A bad CSV: the message names the line and column. */
export class CalibrationInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CalibrationInputError";
  }
}

/** Header names accepted for each column (ours, and the catalogue's metric names as a CloudWatch export uses them). */
const COLUMNS: Record<keyof BridgeSample, string[]> = {
  timestamp: ["timestamp", "time", "Timestamp"],
  bridge: ["bridge", "instanceId", "InstanceId", "instance_id"],
  participants: ["participants", "BridgeParticipants"],
  stress: ["stress", "BridgeStress"],
  cpu: ["cpu", "cpu_usage_active", "cpuPercent"],
  packetRate: ["packetRate", "packet_rate", "BridgePacketRate"],
};
const REQUIRED: (keyof BridgeSample)[] = ["bridge", "participants", "stress"];

/** Parses the CSV (comma separated, one header line, no quoted commas). Throws CalibrationInputError. */
export function parseBridgeSamplesCsv(text: string): BridgeSample[] {
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  const headerAt = lines.findIndex((l) => l !== "" && !l.startsWith("#"));
  if (headerAt < 0) throw new CalibrationInputError("the CSV is empty: expected a header line with bridge,participants,stress");
  const header = lines[headerAt].split(",").map((h) => h.trim());
  const index = {} as Record<keyof BridgeSample, number>;
  for (const [key, names] of Object.entries(COLUMNS) as [keyof BridgeSample, string[]][]) index[key] = header.findIndex((h) => names.includes(h));
  const missing = REQUIRED.filter((k) => index[k] < 0);
  if (missing.length > 0)
    throw new CalibrationInputError(`line ${headerAt + 1}: missing column(s) ${missing.map((k) => `${k} (one of ${COLUMNS[k].join(", ")})`).join("; ")}; got ${header.join(",")}`);
  const out: BridgeSample[] = [];
  for (let i = headerAt + 1; i < lines.length; i++) {
    const line = lines[i];
    if (line === "" || line.startsWith("#")) continue;
    const cells = line.split(",").map((c) => c.trim());
    if (cells.length !== header.length) throw new CalibrationInputError(`line ${i + 1}: ${cells.length} fields, the header has ${header.length}`);
    const num = (key: keyof BridgeSample, min: number, max: number, optional: boolean): number | undefined => {
      if (index[key] < 0) return undefined;
      const raw = cells[index[key]];
      if (raw === "" && optional) return undefined;
      const v = Number(raw);
      if (raw === "" || !Number.isFinite(v) || v < min || v > max) throw new CalibrationInputError(`line ${i + 1}: ${header[index[key]]} must be a number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
      return v;
    };
    const bridge = cells[index.bridge];
    if (!bridge) throw new CalibrationInputError(`line ${i + 1}: ${header[index.bridge]} is empty`);
    out.push({
      ...(index.timestamp >= 0 ? { timestamp: cells[index.timestamp] } : {}),
      bridge,
      participants: num("participants", 0, 100000, false)!,
      stress: num("stress", 0, 100, false)!,
      ...(index.cpu >= 0 && cells[index.cpu] !== "" ? { cpu: num("cpu", 0, 100, true) } : {}),
      ...(index.packetRate >= 0 && cells[index.packetRate] !== "" ? { packetRate: num("packetRate", 0, 1e9, true) } : {}),
    });
  }
  return out;
}

export interface LineFit {
  readonly slope: number;
  readonly intercept: number;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Theil–Sen line. Above 1500 points the pairs are taken over a deterministic stride subsample (O(n²) otherwise). */
export function theilSen(points: readonly { x: number; y: number }[]): LineFit {
  const stride = Math.max(1, Math.ceil(points.length / 1500));
  const p = points.filter((_, i) => i % stride === 0);
  const slopes: number[] = [];
  for (let i = 0; i < p.length; i++) for (let j = i + 1; j < p.length; j++) if (p[j].x !== p[i].x) slopes.push((p[j].y - p[i].y) / (p[j].x - p[i].x));
  if (slopes.length === 0) throw new CalibrationInputError("cannot fit: every sample has the same participant count (the load test must vary the load)");
  const slope = median(slopes);
  const intercept = median(points.map((q) => q.y - slope * q.x));
  return { slope, intercept };
}

export interface CalibrationOptions {
  /** Stress at which a bridge counts as full (jitsi-facts.md: Jicofo's stress threshold 0.8). @default 0.8 */
  readonly threshold?: number;
  /** Residuals beyond this many robust standard deviations (1.4826 × MAD) are outliers. @default 3.5 */
  readonly outlierZ?: number;
  /** Samples with fewer participants say nothing about load (idle noise). @default 1 */
  readonly minParticipants?: number;
}

export interface CalibrationResult {
  readonly threshold: number;
  readonly fit: LineFit;
  /** Participants one bridge holds at `threshold` stress (the load test's answer). */
  readonly participantsAtThreshold: number;
  /**
   * The scaler's BridgePolicy.participantsPerBridge: the scaler sizes with participants ÷ participantsPerBridge
   * as stress, so this is chosen to put its threshold at the measured point: participantsAtThreshold ÷ threshold.
   */
  readonly participantsPerBridge: number;
  readonly r2: number;
  readonly samples: number;
  readonly inliers: number;
  readonly outliers: BridgeSample[];
  /** Per bridge: its own Theil–Sen slope (a bridge far from the pooled slope was unlike the others). */
  readonly bridges: { bridge: string; samples: number; slope: number | null; maxParticipants: number; maxStress: number }[];
  /** Highest participants observed on one bridge: a threshold far beyond it is an extrapolation. */
  readonly maxObservedParticipants: number;
  readonly extrapolated: boolean;
  readonly warnings: string[];
}

export function calibrate(samples: readonly BridgeSample[], opts: CalibrationOptions = {}): CalibrationResult {
  const threshold = opts.threshold ?? 0.8;
  const outlierZ = opts.outlierZ ?? 3.5;
  const minParticipants = opts.minParticipants ?? 1;
  if (!(threshold > 0 && threshold <= 2)) throw new CalibrationInputError(`threshold must be a number above 0 and at most 2, got ${threshold}`);
  if (!(outlierZ >= 1)) throw new CalibrationInputError(`outlierZ must be at least 1, got ${outlierZ}`);
  const used = samples.filter((s) => s.participants >= minParticipants);
  if (used.length < 10) throw new CalibrationInputError(`need at least 10 samples with participants >= ${minParticipants}, got ${used.length}`);
  const pts = used.map((s) => ({ x: s.participants, y: s.stress, s }));
  const first = theilSen(pts);
  const resid = pts.map((p) => p.y - (first.intercept + first.slope * p.x));
  const mad = median(resid.map((r) => Math.abs(r - median(resid))));
  // A perfect line has MAD 0: then only exact misfits are outliers.
  const sigma = Math.max(1.4826 * mad, 1e-9);
  const inl = pts.filter((_, i) => Math.abs(resid[i]) <= outlierZ * sigma);
  const out = pts.filter((_, i) => Math.abs(resid[i]) > outlierZ * sigma).map((p) => p.s);
  const fit = theilSen(inl);
  if (!(fit.slope > 0)) throw new CalibrationInputError(`stress does not rise with participants (slope ${fit.slope.toExponential(2)}): not a load test of these bridges`);
  const meanY = inl.reduce((a, p) => a + p.y, 0) / inl.length;
  const ssTot = inl.reduce((a, p) => a + (p.y - meanY) ** 2, 0);
  const ssRes = inl.reduce((a, p) => a + (p.y - (fit.intercept + fit.slope * p.x)) ** 2, 0);
  const r2 = ssTot === 0 ? 1 : 1 - ssRes / ssTot;
  const participantsAtThreshold = (threshold - fit.intercept) / fit.slope;
  if (!(participantsAtThreshold > 0)) throw new CalibrationInputError(`the fit puts stress ${threshold} at ${participantsAtThreshold.toFixed(1)} participants: the bridges were already above the threshold idle`);
  const byBridge = new Map<string, BridgeSample[]>();
  for (const s of used) byBridge.set(s.bridge, [...(byBridge.get(s.bridge) ?? []), s]);
  const bridges = [...byBridge.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([bridge, ss]) => {
      let slope: number | null = null;
      try {
        slope = theilSen(ss.map((s) => ({ x: s.participants, y: s.stress }))).slope;
      } catch {
        slope = null;
      }
      return { bridge, samples: ss.length, slope, maxParticipants: Math.max(...ss.map((s) => s.participants)), maxStress: Math.max(...ss.map((s) => s.stress)) };
    });
  const maxObservedParticipants = Math.max(...used.map((s) => s.participants));
  const extrapolated = participantsAtThreshold > maxObservedParticipants * 1.2;
  const warnings: string[] = [];
  if (extrapolated) warnings.push(`the threshold lies at ${participantsAtThreshold.toFixed(0)} participants, beyond the ${maxObservedParticipants} observed: load the bridges harder to measure it`);
  if (r2 < 0.8) warnings.push(`weak fit (r² ${r2.toFixed(2)}): stress is not well explained by participants alone (conference sizes, senders?)`);
  for (const b of bridges)
    if (b.slope !== null && (b.slope > fit.slope * 1.5 || b.slope < fit.slope / 1.5)) warnings.push(`bridge ${b.bridge}: slope ${b.slope.toExponential(2)} differs from the pooled ${fit.slope.toExponential(2)} by more than 1.5x (another instance type or a noisy neighbour?)`);
  return {
    threshold,
    fit,
    participantsAtThreshold,
    participantsPerBridge: Math.floor(participantsAtThreshold / threshold),
    r2,
    samples: used.length,
    inliers: inl.length,
    outliers: out,
    bridges,
    maxObservedParticipants,
    extrapolated,
    warnings,
  };
}

/** Vega-Lite spec of the fit: samples (inliers/outliers), the fitted line, the threshold and the capacity. */
export function calibrationChartSpec(samples: readonly BridgeSample[], r: CalibrationResult, title: string): Record<string, unknown> {
  const outliers = new Set(r.outliers);
  const xMax = Math.max(r.maxObservedParticipants, r.participantsAtThreshold) * 1.1;
  const points = samples.map((s) => ({ participants: s.participants, stress: s.stress, bridge: s.bridge, kind: outliers.has(s) ? "outlier (excluded)" : "sample" }));
  const line = [0, xMax].map((x) => ({ participants: x, stress: r.fit.intercept + r.fit.slope * x }));
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: title, subtitle: `stress = ${r.fit.intercept.toFixed(3)} + ${r.fit.slope.toExponential(3)} × participants (r² ${r.r2.toFixed(3)}); ${r.participantsAtThreshold.toFixed(1)} participants at stress ${r.threshold}` },
    width: 640,
    height: 400,
    layer: [
      {
        data: { values: points },
        mark: { type: "point", filled: true, opacity: 0.6 },
        encoding: {
          x: { field: "participants", type: "quantitative", title: "participants on the bridge" },
          y: { field: "stress", type: "quantitative", title: "JVB stress" },
          color: { field: "kind", type: "nominal", title: null, scale: { domain: ["sample", "outlier (excluded)"], range: ["#4c78a8", "#e45756"] } },
        },
      },
      { data: { values: line }, mark: { type: "line", color: "#000" }, encoding: { x: { field: "participants", type: "quantitative" }, y: { field: "stress", type: "quantitative" } } },
      { data: { values: [{ stress: r.threshold }] }, mark: { type: "rule", strokeDash: [6, 4], color: "#f58518" }, encoding: { y: { field: "stress", type: "quantitative" } } },
      { data: { values: [{ participants: r.participantsAtThreshold }] }, mark: { type: "rule", strokeDash: [2, 2], color: "#54a24b" }, encoding: { x: { field: "participants", type: "quantitative" } } },
    ],
  };
}

// eslint-disable-next-line @typescript-eslint/no-implied-eval
const importEsm = new Function("specifier", "return import(specifier)") as (specifier: string) => Promise<any>;

/** Renders the fit chart to SVG headless (vega View.toSVG, renderer none). */
export async function renderCalibrationChart(samples: readonly BridgeSample[], r: CalibrationResult, title: string): Promise<string> {
  const vega = await importEsm("vega");
  const vl = await importEsm("vega-lite");
  const compiled = vl.compile(calibrationChartSpec(samples, r, title) as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  return view.toSVG();
}

/** A synthetic load test with a known answer: stress = intercept + slope × participants + noise, plus outliers. */
export function syntheticSamplesCsv(o: { seed: number; bridges: number; samplesPerBridge: number; slope: number; intercept: number; noise: number; outlierRate: number; maxParticipants: number }): string {
  let state = o.seed >>> 0 || 1;
  const rand = () => {
    // xorshift32: deterministic, so the test's known answer is stable.
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 4294967296;
  };
  const rows = ["timestamp,bridge,participants,stress,cpu,packetRate"];
  const t0 = Date.UTC(2026, 0, 1);
  for (let b = 0; b < o.bridges; b++)
    for (let k = 0; k < o.samplesPerBridge; k++) {
      // Participants ramp up over the run, as a load test adds conferences.
      const participants = Math.round((o.maxParticipants * (k + 1)) / o.samplesPerBridge * (0.9 + 0.2 * rand()));
      let stress = o.intercept + o.slope * participants + (rand() * 2 - 1) * o.noise;
      if (rand() < o.outlierRate) stress += 0.3 + rand() * 0.5; // GC pause / noisy neighbour spikes
      stress = Math.max(0, stress);
      const cpu = Math.min(100, stress * 90);
      const packetRate = Math.round(participants * 520 * (0.95 + 0.1 * rand()));
      rows.push([new Date(t0 + k * 60_000).toISOString(), `i-bridge${b}`, participants, stress.toFixed(4), cpu.toFixed(1), packetRate].join(","));
    }
  return rows.join("\n") + "\n";
}
