/**
 * `npm run simulate -- --trace FILE [--policy NAME|all] [--faults SPEC] [--json] [--chart out.svg]`
 * Thin CLI over sim/: parses arguments, runs the simulation, prints the table (or JSON), writes the chart.
 * docs/simulator.md describes the model and every option.
 */
import * as fs from "fs";
import * as path from "path";
import { BridgePolicy, resolveBridgePolicy } from "../functions/bridge-scaler/decide";
import { ReplenishTarget, resolveReplenishTarget } from "../functions/jibri-replenisher/decide";
import { renderChart } from "../sim/chart";
import { DEFAULT_SIM_CONFIG, DRAINING_JOINS, DrainingJoins, SIM_JIBRI_WARM_POOL, SIM_WARM_POOL, SimConfig, simPolicies } from "../sim/config";
import { POLICY_NAMES, PolicyName, REFERENCE_POLICY_NAMES, simulate } from "../sim/engine";
import { parseFaults } from "../sim/faults";
import { FLASH_SNAP_SHARE, generateTrace, resampleTrace, TRACE_SHAPES, TraceShape } from "../sim/generate";
import { formatTable, toJson } from "../sim/report";
import { Conference, formatTrace, readTrace } from "../sim/trace";

const USAGE = `usage: npm run simulate -- (--trace FILE | --generate SPEC) [options]
  --trace FILE          conference trace CSV (../shared/traces/*.csv)
  --generate SPEC       synthetic trace: seed=N,days=N,regions=N|r1+r2,shape=${TRACE_SHAPES.join("|")},perDay=N,record=F,snap=F (flash: share snapped to :00/:30),webinars=F (share of 81–170 meetings)
  --resample SPEC       replay a variant of the trace instead: seed=N,volume=F,jitter=S (a bootstrap resample of its
                        meetings, volume × as many, starts moved by up to ±S seconds; defaults 1, 1, 600)
  --write-trace FILE    with --generate or --resample: also write the trace that was simulated
  --policy NAME|all     ${POLICY_NAMES.join(", ")} (comma-separated list allowed; default all);
                        also the reference ${REFERENCE_POLICY_NAMES.join(", ")} (the shipped rules fed the true future load)
  --faults SPEC         none | default | crash=R,az=N,azMinutes=M,spot=R,gaps=F,lambda=F,seed=N
                        ("default,seed=N": the default mix, another draw)
  --bridge K=V,...      override the shipped bridge policy (functions/bridge-scaler/decide.ts fields)
  --recorder K=V,...    override the shipped recorder target (functions/jibri-replenisher/decide.ts fields)
  --warm-pool N         prepared instances in the shipped stack's bridge warm pool (default ${SIM_WARM_POOL}, as
                        bridges.warmPoolSize; 0 = none, as a Spot group: launches boot cold)
  --jibri-warm-pool N   prepared recorders in the shipped stack's Jibri warm pool (default ${SIM_JIBRI_WARM_POOL}, as
                        jibri.warmPoolSize; 0 = none: launches boot cold)
  --jicofo-draining R   ${DRAINING_JOINS.join(" | ")}: where a new endpoint of a conference on a draining
                        bridge goes (default ${DEFAULT_SIM_CONFIG.drainingJoins}: Jicofo with relays, the stack's
                        setting, to an active bridge; own-conferences: to the draining bridge while below 0.8)
  --live-read on|off    the scaler reads the bridges' participants at each run (default on, as the stack: BridgeFleet
                        scalerSubnetIds); off: CloudWatch's minutes alone, a metric delay old
  --json                print one JSON object instead of the table
  --chart FILE.svg      write load vs capacity per policy as SVG`;

export class UsageError extends Error {}

interface Args {
  trace?: string;
  generate?: string;
  writeTrace?: string;
  resample?: string;
  policies: PolicyName[];
  faults?: string;
  bridge: Partial<BridgePolicy>;
  recorder: Partial<ReplenishTarget>;
  warmPool?: number;
  jibriWarmPool?: number;
  drainingJoins?: DrainingJoins;
  liveRead?: boolean;
  json: boolean;
  chart?: string;
}

function keyValues(flag: string, spec: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of spec.split(",").filter((p) => p !== "")) {
    const i = part.indexOf("=");
    if (i <= 0) throw new UsageError(`${flag}: expected key=value, got "${part}"`);
    out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}

export function numbers<T extends object>(flag: string, spec: string, defaults: T): Partial<T> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(keyValues(flag, spec))) {
    if (!(k in defaults)) throw new UsageError(`${flag}: unknown field "${k}" (allowed: ${Object.keys(defaults).join(", ")})`);
    const n = Number(v);
    if (v === "" || !Number.isFinite(n)) throw new UsageError(`${flag}: ${k} must be a number, got "${v}"`);
    out[k] = n;
  }
  return out as Partial<T>;
}

/** `--jicofo-draining R`: one of {@link DRAINING_JOINS}. */
export function drainingJoins(flag: string, v: string): DrainingJoins {
  if (!(DRAINING_JOINS as readonly string[]).includes(v)) throw new UsageError(`${flag} must be one of ${DRAINING_JOINS.join(", ")}, got "${v}"`);
  return v as DrainingJoins;
}

/** `--live-read on|off`. */
export function liveRead(flag: string, v: string): boolean {
  if (v !== "on" && v !== "off") throw new UsageError(`${flag} must be on or off, got "${v}"`);
  return v === "on";
}

/** The simulator's model with the CLI's choices applied. */
export function simConfig(d: DrainingJoins | undefined, live?: boolean): SimConfig {
  return { ...DEFAULT_SIM_CONFIG, ...(d === undefined ? {} : { drainingJoins: d }), ...(live === undefined ? {} : { liveRead: live }) };
}

/** `--warm-pool N` / `--jibri-warm-pool N`: a warm pool's size, 0 (none) to 100 as the stack config allows. */
export function warmPoolSize(flag: string, v: string): number {
  const n = Number(v);
  if (v.trim() === "" || !Number.isInteger(n) || n < 0 || n > 100) throw new UsageError(`${flag} must be a whole number from 0 (no warm pool) to 100, got "${v}"`);
  return n;
}

export function parseArgs(argv: readonly string[]): Args {
  const a: Args = { policies: [...POLICY_NAMES], bridge: {}, recorder: {}, json: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case "--trace": a.trace = value(); break;
      case "--generate": a.generate = value(); break;
      case "--write-trace": a.writeTrace = value(); break;
      case "--resample": a.resample = value(); break;
      case "--faults": a.faults = value(); break;
      case "--json": a.json = true; break;
      case "--chart": a.chart = value(); break;
      case "--bridge": a.bridge = numbers(flag, value(), resolveBridgePolicy()); break;
      case "--recorder": a.recorder = numbers(flag, value(), resolveReplenishTarget()); break;
      case "--warm-pool": a.warmPool = warmPoolSize(flag, value()); break;
      case "--jibri-warm-pool": a.jibriWarmPool = warmPoolSize(flag, value()); break;
      case "--jicofo-draining": a.drainingJoins = drainingJoins(flag, value()); break;
      case "--live-read": a.liveRead = liveRead(flag, value()); break;
      case "--policy": {
        const v = value();
        const names = v === "all" ? [...POLICY_NAMES] : v.split(",");
        const known: readonly string[] = [...POLICY_NAMES, ...REFERENCE_POLICY_NAMES];
        for (const n of names)
          if (!known.includes(n)) throw new UsageError(`--policy: unknown policy "${n}" (allowed: ${known.join(", ")}, all)`);
        a.policies = names as PolicyName[];
        break;
      }
      default:
        throw new UsageError(`unknown option "${flag}"`);
    }
  }
  if ((a.trace === undefined) === (a.generate === undefined)) throw new UsageError("give exactly one of --trace FILE or --generate SPEC");
  if (a.writeTrace && !a.generate && !a.resample) throw new UsageError("--write-trace needs --generate or --resample");
  if (a.chart && !a.chart.endsWith(".svg")) throw new UsageError(`--chart: the file name must end in .svg, got "${a.chart}"`);
  return a;
}

/** The key=value pairs of a --generate / --resample SPEC, refusing keys the option does not know. */
function specValues(flag: string, spec: string, allowed: readonly string[]): Record<string, string> {
  const kv = keyValues(flag, spec);
  for (const k of Object.keys(kv)) if (!allowed.includes(k)) throw new UsageError(`${flag}: unknown key "${k}" (allowed: ${allowed.join(", ")})`);
  return kv;
}

/** A variant of `confs` from a --resample SPEC. */
export function resampleFromSpec(confs: readonly Conference[], spec: string): Conference[] {
  const kv = specValues("--resample", spec, ["seed", "volume", "jitter"]);
  const num = (k: string, d: number): number => {
    const n = kv[k] === undefined ? d : Number(kv[k]);
    if (kv[k] === "" || !Number.isFinite(n)) throw new UsageError(`--resample: ${k} must be a number, got "${kv[k]}"`);
    return n;
  };
  try {
    return resampleTrace(confs, { seed: num("seed", 1), volume: num("volume", 1), jitterS: num("jitter", 600) });
  } catch (e) {
    throw new UsageError(`--resample: ${(e as Error).message}`);
  }
}

/** Builds a trace from a --generate SPEC. */
export function generateFromSpec(spec: string): Conference[] {
  const kv = specValues("--generate", spec, ["seed", "days", "regions", "shape", "perDay", "record", "snap", "webinars"]);
  const num = (k: string, d: number): number => {
    const n = kv[k] === undefined ? d : Number(kv[k]);
    if (!Number.isFinite(n)) throw new UsageError(`--generate: ${k} must be a number, got "${kv[k]}"`);
    return n;
  };
  const allRegions = ["us-east-1", "eu-west-1", "ap-southeast-1", "us-west-2", "sa-east-1"];
  const r = kv.regions ?? "1";
  const regions = /^\d+$/.test(r) ? allRegions.slice(0, Math.max(1, Math.min(allRegions.length, Number(r)))) : r.split("+");
  const shape = (kv.shape ?? "office") as TraceShape;
  if (!TRACE_SHAPES.includes(shape)) throw new UsageError(`--generate: shape must be one of ${TRACE_SHAPES.join(", ")}, got "${shape}"`);
  try {
    return generateTrace({ seed: num("seed", 1), days: num("days", 1), regions, shape, conferencesPerDay: num("perDay", 4000), recordShare: num("record", 0.1), flashSnapShare: num("snap", FLASH_SNAP_SHARE), webinarShare: num("webinars", 0) });
  } catch (e) {
    throw new UsageError(`--generate: ${(e as Error).message}`);
  }
}

function progressBar(enabled: boolean): (done: number) => void {
  const started = Date.now();
  return (done) => {
    if (!enabled || Date.now() - started < 1000) return;
    const width = 30;
    const filled = Math.round(done * width);
    process.stderr.write(`\r[${"#".repeat(filled)}${".".repeat(width - filled)}] ${(done * 100).toFixed(0)}%${done >= 1 ? "\n" : ""}`);
  };
}

export async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  let args: Args;
  let confs: Conference[];
  let bridgePolicy: BridgePolicy;
  let replenishTarget: ReplenishTarget;
  let jibriWarmPool: number;
  let faults;
  try {
    args = parseArgs(argv);
    confs = args.trace ? readTrace(args.trace) : generateFromSpec(args.generate!);
    if (confs.length === 0) throw new UsageError("the trace has no conferences");
    if (args.resample) confs = resampleFromSpec(confs, args.resample);
    ({ bridgePolicy, replenishTarget, jibriWarmPool } = simPolicies(args.bridge, args.recorder, args.jibriWarmPool));
    faults = parseFaults(args.faults);
  } catch (e) {
    const msg = (e as Error).message;
    process.stderr.write(`${msg ? `simulate: ${msg}\n` : ""}${USAGE}\n`);
    return 2;
  }
  if (args.writeTrace) fs.writeFileSync(args.writeTrace, formatTrace(confs));
  const started = Date.now();
  const result = simulate(confs, {
    cfg: simConfig(args.drainingJoins, args.liveRead), bridgePolicy, replenishTarget, faults, policies: args.policies, warmPool: args.warmPool, jibriWarmPool,
    onProgress: progressBar(process.stderr.isTTY === true),
  });
  const seconds = (Date.now() - started) / 1000;
  const name = `${args.trace ? path.basename(args.trace) : `generated(${args.generate})`}${args.resample ? ` resampled(${args.resample})` : ""}`;
  if (args.json) process.stdout.write(JSON.stringify(toJson(name, result)) + "\n");
  else {
    process.stdout.write(`${name}: ${result.conferences} conferences, ${result.regions.length} region(s) (${result.regions.join(", ")}), ${(result.endS / 86400).toFixed(2)} days, faults: ${args.faults ?? "none"}\n`);
    process.stdout.write(formatTable(result) + "\n");
  }
  process.stderr.write(`simulated ${result.conferences} conferences × ${args.policies.length} policies in ${seconds.toFixed(1)} s\n`);
  if (args.chart) {
    const svg = await renderChart(`${name}: load vs capacity${args.faults ? ` (faults: ${args.faults})` : ""}`, result, DEFAULT_SIM_CONFIG.participantsPerBridge * DEFAULT_SIM_CONFIG.jicofoStressThreshold);
    fs.writeFileSync(args.chart, svg);
    process.stderr.write(`chart written to ${args.chart}\n`);
  }
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`simulate: ${(e as Error).stack ?? e}\n`);
      process.exit(1);
    },
  );
}
