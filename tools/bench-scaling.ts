/**
 * `npm run bench:scaling -- [--set NAME,...|all] [--bridge K=V,...] [--recorder K=V,...] [--limit N] [--rows] [--json]`
 *
 * Issue #9's targets over sets of traces the policies were not tuned on (docs/simulator.md "Measured"): each trace
 * is simulated with the shipped policies and Jitsi's baselines, sim/targets.ts says which targets failed, and a line
 * per set counts them. Every trace is a `npm run simulate` argument list (printed with --rows), so any one of them can
 * be replayed, charted and studied on its own. Sets that read ../shared/traces are skipped when it is absent.
 */
import * as fs from "fs";
import * as path from "path";
import { resolveBridgePolicy } from "../functions/bridge-scaler/decide";
import { resolveReplenishTarget } from "../functions/jibri-replenisher/decide";
import { DRAINING_JOINS, DrainingJoins, simPolicies } from "../sim/config";
import { simulate } from "../sim/engine";
import { NO_FAULTS } from "../sim/faults";
import { TRACE_SHAPES } from "../sim/generate";
import { MAX_ORACLE_RATIO, TargetProblem, targetProblems } from "../sim/targets";
import { Conference, readTrace } from "../sim/trace";
import { drainingJoins, generateFromSpec, liveRead, numbers, resampleFromSpec, simConfig, UsageError, warmPoolSize } from "./simulate";

const SHARED = path.resolve(__dirname, "../../shared/traces");
const SHARED_TRACES = ["weekday", "top-of-hour", "recording-heavy"];

/** One trace of a set: the `npm run simulate` arguments that rebuild it. */
export interface BenchTrace {
  readonly args: readonly string[];
  readonly load: () => Conference[];
}

export interface BenchSet {
  readonly name: string;
  readonly about: string;
  /** Recorder targets are not counted (a set built for the bridges). */
  readonly bridgesOnly: boolean;
  readonly needsShared: boolean;
  readonly traces: () => BenchTrace[];
}

const generated = (spec: string): BenchTrace => ({ args: ["--generate", spec], load: () => generateFromSpec(spec) });
const sharedFile = (t: string): string => path.join(SHARED, `${t}.csv`);
/** How a row names a shared trace: relative to where the command runs, so it can be pasted into npm run simulate. */
const shown = (file: string): string => path.relative(process.cwd(), file);
const VOLUMES = [0.8, 0.9, 1.0, 1.1, 1.2, 0.85, 1.05, 1.15];

/** Each shared trace resampled with 16 seeds from `firstSeed`, volumes 0.8–1.2, starts moved by up to ±600 s. */
function resampledShared(firstSeed: number): BenchTrace[] {
  return SHARED_TRACES.flatMap((t) => Array.from({ length: 16 }, (_, k) => {
    const spec = `seed=${firstSeed + k},volume=${VOLUMES[k % 8]},jitter=600`;
    return { args: ["--trace", shown(sharedFile(t)), "--resample", spec], load: () => resampleFromSpec(readTrace(sharedFile(t)), spec) };
  }));
}

export const BENCH_SETS: readonly BenchSet[] = [
  {
    name: "shared", about: "../shared/traces", bridgesOnly: false, needsShared: true,
    traces: () => SHARED_TRACES.map((t) => ({ args: ["--trace", shown(sharedFile(t))], load: () => readTrace(sharedFile(t)) })),
  },
  {
    name: "day", about: "1 day, 1 region, like the shared traces: 4 shapes × 2000–5000 meetings × 3 seeds, 15 or 33 % recorded",
    bridgesOnly: false, needsShared: false,
    traces: () => [2000, 3000, 4000, 5000].flatMap((perDay) => TRACE_SHAPES.flatMap((shape) => [0, 1, 2].map((s) =>
      generated(`seed=${500 + s * 17 + perDay},days=1,regions=1,shape=${shape},perDay=${perDay},record=${s % 2 ? 0.33 : 0.15}`)))),
  },
  {
    name: "mixed", about: "1–2 days, 1–2 regions, 1500–6000 meetings a region-day, 4 shapes (bridges only)",
    bridgesOnly: true, needsShared: false,
    traces: () => Array.from({ length: 32 }, (_, i) => {
      const days = i % 3 === 0 ? 1 : 2;
      const regions = i % 5 === 0 ? 2 : 1;
      return generated(`seed=${100 + i},days=${days},regions=${regions},shape=${TRACE_SHAPES[i % 4]},perDay=${[1500, 2500, 4000, 6000][Math.floor(i / 4) % 4]},record=0.15`);
    }),
  },
  {
    name: "week", about: "7 days, 2500 / 4500 meetings a weekday, weekends at 30 % (bridges only)", bridgesOnly: true, needsShared: false,
    traces: () => Array.from({ length: 8 }, (_, i) => generated(`seed=${300 + i},days=7,regions=1,shape=${TRACE_SHAPES[Math.floor(i / 2) % 4]},perDay=${[2500, 4500][i % 2]},record=0.15`)),
  },
  {
    name: "resampled", about: "the shared traces resampled: seeds 1–16, volume 0.8–1.2, jitter 600 s (bridges only)",
    bridgesOnly: true, needsShared: true,
    traces: () => resampledShared(1),
  },
  // Validation: the same kinds of trace with fresh seeds, added after the sets above had been looked at while tuning
  // (their counts flatter the policy). Tune on the sets above, then check here (a change that helps only there is
  // noise); the defaults chosen since (undrainStress, the recorders' floor, the learned headroom) were checked here too,
  // the last also on 288 traces outside the bench (docs/simulator.md).
  {
    name: "validation-day", about: "validation, 1 day, 1 region: 4 shapes × 1500–5000 meetings × 3 fresh seeds, 15 or 33 % recorded",
    bridgesOnly: false, needsShared: false,
    traces: () => Array.from({ length: 48 }, (_, i) =>
      generated(`seed=${7000 + i},days=1,regions=1,shape=${TRACE_SHAPES[i % 4]},perDay=${[1500, 2500, 3500, 5000][Math.floor(i / 4) % 4]},record=${i % 3 === 1 ? 0.33 : 0.15}`)),
  },
  {
    name: "validation-resampled", about: "validation, the shared traces resampled with fresh seeds 17–32, volume 0.8–1.2, jitter 600 s (bridges only)",
    bridgesOnly: true, needsShared: true,
    traces: () => resampledShared(17),
  },
];

/** One set's counts. */
export interface SetSummary {
  readonly set: string;
  readonly traces: number;
  /** Every counted target holds. */
  readonly allTargets: number;
  readonly costWithin: number;
  /** Overload ≤ 0.1 % and ≤ both baselines', nothing cut. */
  readonly overloadWithin: number;
  /** 0 failed recording starts and recorders cheaper than static (null when the set does not count recorders). */
  readonly recordersWithin: number | null;
  readonly meanOracleRatio: number;
  readonly worstOracleRatio: number;
  readonly movedConferencesPct: number;
  readonly rows: readonly { readonly args: string; readonly oracleRatio: number; readonly overloadedPct: number; readonly failedRecordingStarts: number; readonly problems: readonly TargetProblem[] }[];
}

export interface BenchOptions {
  readonly bridge?: Parameters<typeof resolveBridgePolicy>[0];
  readonly recorder?: Parameters<typeof resolveReplenishTarget>[0];
  readonly limit?: number;
  /** The shipped stack's bridge warm pool (SimOptions.warmPool). */
  readonly warmPool?: number;
  /** The shipped stack's Jibri warm pool (SimOptions.jibriWarmPool). */
  readonly jibriWarmPool?: number;
  /** Jicofo's rule for endpoints of conferences on draining bridges (SimConfig.drainingJoins). */
  readonly drainingJoins?: DrainingJoins;
  /** The scaler's live read of the bridges (SimConfig.liveRead). */
  readonly liveRead?: boolean;
}

export function runSet(set: BenchSet, opts: BenchOptions = {}): SetSummary {
  const { bridgePolicy, replenishTarget, jibriWarmPool } = simPolicies(opts.bridge, opts.recorder, opts.jibriWarmPool);
  const traces = set.traces().slice(0, opts.limit ?? Infinity);
  // A row names the pools and the Jicofo rule it was measured with, so it replays as printed.
  const replayArgs = [
    ...(opts.warmPool === undefined ? [] : ["--warm-pool", String(opts.warmPool)]),
    ...(opts.jibriWarmPool === undefined ? [] : ["--jibri-warm-pool", String(opts.jibriWarmPool)]),
    ...(opts.drainingJoins === undefined ? [] : ["--jicofo-draining", opts.drainingJoins]),
    ...(opts.liveRead === undefined ? [] : ["--live-read", opts.liveRead ? "on" : "off"]),
  ];
  const cfg = simConfig(opts.drainingJoins, opts.liveRead);
  const rows: SetSummary["rows"][number][] = [];
  let moved = 0;
  let conferences = 0;
  for (const t of traces) {
    const confs = t.load();
    const r = simulate(confs, { cfg, bridgePolicy, replenishTarget, faults: NO_FAULTS, policies: ["default", "static-peak", "jitsi-autoscaler", "jitsi-aws-template"], warmPool: opts.warmPool, jibriWarmPool });
    const d = r.policies[0];
    moved += d.movedConferences;
    conferences += confs.length;
    rows.push({ args: [...t.args, ...replayArgs].join(" "), oracleRatio: d.oracleRatio, overloadedPct: d.overloadedPct, failedRecordingStarts: d.failedRecordingStarts, problems: targetProblems(r, set.bridgesOnly) });
  }
  const within = (kind?: TargetProblem["kind"]): number => rows.filter((r) => !r.problems.some((p) => kind === undefined || p.kind === kind)).length;
  const ratios = rows.map((r) => r.oracleRatio);
  return {
    set: set.name,
    traces: rows.length,
    allTargets: within(),
    costWithin: within("cost"),
    overloadWithin: within("overload"),
    recordersWithin: set.bridgesOnly ? null : within("recorders"),
    meanOracleRatio: ratios.reduce((s, x) => s + x, 0) / Math.max(1, ratios.length),
    worstOracleRatio: Math.max(0, ...ratios),
    movedConferencesPct: conferences > 0 ? (100 * moved) / conferences : 0,
    rows,
  };
}

const USAGE = `usage: npm run bench:scaling -- [--set ${BENCH_SETS.map((s) => s.name).join("|")}|all (comma-separated)] [options]
  --bridge K=V,...      override the shipped bridge policy (as npm run simulate)
  --recorder K=V,...    override the shipped recorder target
  --warm-pool N         the shipped stack's bridge warm pool (as npm run simulate; 0 = none)
  --jibri-warm-pool N   the shipped stack's Jibri warm pool (as npm run simulate; 0 = none)
  --jicofo-draining R   ${DRAINING_JOINS.join(" | ")} (as npm run simulate)
  --live-read on|off    the scaler's live read of the bridges (as npm run simulate; default on)
  --limit N             only the first N traces of each set
  --rows                print every trace: its npm run simulate arguments and the targets it misses
  --json                print one JSON object`;

export function main(argv: readonly string[]): number {
  let sets = [...BENCH_SETS];
  const opts: { -readonly [K in keyof BenchOptions]: BenchOptions[K] } = {};
  let rowsWanted = false;
  let json = false;
  try {
    for (let i = 0; i < argv.length; i++) {
      const flag = argv[i];
      const value = (): string => {
        const v = argv[++i];
        if (v === undefined) throw new UsageError(`${flag} needs a value`);
        return v;
      };
      if (flag === "--set") {
        const v = value();
        if (v !== "all") {
          const names = v.split(",");
          const unknown = names.filter((n) => !BENCH_SETS.some((s) => s.name === n));
          if (unknown.length > 0) throw new UsageError(`--set: unknown set "${unknown[0]}" (allowed: ${BENCH_SETS.map((s) => s.name).join(", ")}, all)`);
          sets = BENCH_SETS.filter((s) => names.includes(s.name));
        }
      } else if (flag === "--bridge") opts.bridge = numbers(flag, value(), resolveBridgePolicy());
      else if (flag === "--recorder") opts.recorder = numbers(flag, value(), resolveReplenishTarget());
      else if (flag === "--warm-pool") opts.warmPool = warmPoolSize(flag, value());
      else if (flag === "--jibri-warm-pool") opts.jibriWarmPool = warmPoolSize(flag, value());
      else if (flag === "--jicofo-draining") opts.drainingJoins = drainingJoins(flag, value());
      else if (flag === "--live-read") opts.liveRead = liveRead(flag, value());
      else if (flag === "--limit") {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 1) throw new UsageError(`--limit must be a whole number >= 1, got "${argv[i]}"`);
        opts.limit = n;
      } else if (flag === "--rows") rowsWanted = true;
      else if (flag === "--json") json = true;
      else if (flag === "--help" || flag === "-h") {
        process.stdout.write(USAGE + "\n");
        return 0;
      } else throw new UsageError(`unknown option "${flag}"`);
    }
    // Validates the overrides before anything runs.
    simPolicies(opts.bridge, opts.recorder);
  } catch (e) {
    process.stderr.write(`bench:scaling: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const summaries: SetSummary[] = [];
  for (const set of sets) {
    if (set.needsShared && !fs.existsSync(SHARED)) {
      process.stderr.write(`set ${set.name}: skipped, ${SHARED} is absent (a clone without ../shared)\n`);
      continue;
    }
    const started = Date.now();
    const s = runSet(set, opts);
    summaries.push(s);
    if (json) continue;
    const rec = s.recordersWithin === null ? "not counted" : `${s.recordersWithin}`;
    process.stdout.write(
      `${set.name} (${set.about}): all targets ${s.allTargets} of ${s.traces}; cost ≤ ${MAX_ORACLE_RATIO.toFixed(2)} × oracle ${s.costWithin}; ` +
        `overload within baselines ${s.overloadWithin}; recorders ${rec}; ÷ oracle mean ${s.meanOracleRatio.toFixed(3)} worst ${s.worstOracleRatio.toFixed(3)}; ` +
        `moved ${s.movedConferencesPct.toFixed(2)} % of conferences (${((Date.now() - started) / 1000).toFixed(1)} s)\n`,
    );
    if (rowsWanted)
      for (const r of s.rows)
        process.stdout.write(`  ${r.args}: ${r.oracleRatio.toFixed(3)} × oracle, overload ${r.overloadedPct.toFixed(3)} %${r.problems.length ? ` — ${r.problems.map((p) => p.text).join("; ")}` : ""}\n`);
  }
  if (json) process.stdout.write(JSON.stringify({ sets: summaries.map((s) => (rowsWanted ? s : { ...s, rows: undefined })) }) + "\n");
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
