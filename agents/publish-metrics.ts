/**
 * `publish-metrics`: polls the Jitsi daemons of this host once a minute and puts their numbers into
 * CloudWatch (namespace and names from metrics/catalog.ts). One program for every role; each role names
 * the sources it has:
 *
 *   publish-metrics --region eu-west-1 --sources jvb --fleet main            (bridge)
 *   publish-metrics --region eu-west-1 --sources jicofo --shard shard-a      (signalling node)
 *   publish-metrics --region eu-west-1 --sources jibri --pool rec            (recorder)
 *   publish-metrics --region eu-west-1 --sources haproxy,coturn              (edge / TURN)
 *
 * A source that is down does not stop the others: its samples are missing for that cycle and
 * MetricsSourceErrors{Source} = 1 is published instead (0 when it answered), so the failure is visible.
 */
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import * as fs from "fs";
import { PUBLISHER_METRICS } from "../metrics/catalog";
import { publishMetricData, type PublishResult, toMetricData } from "./metrics-batch";
import { coturnPs, haproxyShowStat, httpGet, imdsInstanceId, parseSocketAddress, type SocketAddress } from "./metrics-io";
import {
  type HaproxyCounters,
  type JicofoCounters,
  haproxySamples,
  parseColibriStats,
  parseCoturnPs,
  parseHaproxyCsv,
  parseJibriHealth,
  parseJicofoStats,
  type Sample,
  SOURCES,
  type SourceName,
} from "./metrics-sources";

/** Defaults: the daemons' own local ports (jitsi-facts.md: JVB REST 8080, Jicofo 8888, Jibri 2222; coturn CLI 5766). */
export const PUBLISHER_DEFAULTS = {
  jvbUrl: "http://127.0.0.1:8080/colibri/stats",
  jicofoUrl: "http://127.0.0.1:8888/stats",
  jibriUrl: "http://127.0.0.1:2222/jibri/api/v1.0/health",
  coturnCli: "127.0.0.1:5766",
  haproxyStats: "/run/haproxy/admin.sock",
  intervalSec: 60,
  timeoutMs: 5000,
} as const;

export interface PublisherOptions {
  readonly region: string;
  readonly instanceId?: string;
  readonly sources: readonly SourceName[];
  readonly fleet?: string;
  readonly pool?: string;
  readonly shard?: string;
  readonly jvbUrl: string;
  readonly jicofoUrl: string;
  readonly jibriUrl: string;
  readonly coturnCli: SocketAddress;
  readonly coturnPassword?: string;
  readonly haproxyStats: SocketAddress;
  readonly haproxyBackend?: string;
  readonly intervalSec: number;
  readonly timeoutMs: number;
  readonly once: boolean;
  readonly retryBaseMs: number;
}

/** Which dimension each source needs besides Region and InstanceId. */
const NEEDS: Record<SourceName, "fleet" | "pool" | "shard" | null> = { jvb: "fleet", jibri: "pool", jicofo: "shard", coturn: null, haproxy: null };

const USAGE = "usage: publish-metrics --region R --sources jvb,jicofo,jibri,coturn,haproxy [--fleet F] [--pool P] [--shard S] [--instance-id i-...] [--once] [--interval 60] [--timeout-ms 5000] [--jvb-url U] [--jicofo-url U] [--jibri-url U] [--coturn-cli host:port] [--coturn-cli-password-file F] [--haproxy-stats host:port|/path] [--haproxy-backend B]";

/** Parses the command line; every error names the flag and what it accepts. */
export function parseArgs(argv: readonly string[]): PublisherOptions {
  const flags = new Map<string, string>();
  let once = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--once") {
      once = true;
      continue;
    }
    if (!a.startsWith("--") || i + 1 >= argv.length) throw new Error(`unexpected argument '${a}'\n${USAGE}`);
    flags.set(a.slice(2), argv[++i]);
  }
  const known = new Set(["region", "sources", "fleet", "pool", "shard", "instance-id", "interval", "timeout-ms", "jvb-url", "jicofo-url", "jibri-url", "coturn-cli", "coturn-cli-password-file", "haproxy-stats", "haproxy-backend", "retry-base-ms"]);
  for (const k of flags.keys()) if (!known.has(k)) throw new Error(`unknown flag --${k}\n${USAGE}`);
  const region = flags.get("region");
  if (!region || !/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) throw new Error(`--region must be an AWS region name such as eu-west-1, got '${region ?? ""}'`);
  const sources = (flags.get("sources") ?? "").split(",").filter((s) => s !== "");
  if (sources.length === 0) throw new Error(`--sources must list one or more of ${SOURCES.join(", ")}`);
  for (const s of sources) if (!(SOURCES as readonly string[]).includes(s)) throw new Error(`--sources: '${s}' is not one of ${SOURCES.join(", ")}`);
  const valid = sources as SourceName[];
  for (const s of valid) {
    const need = NEEDS[s];
    if (need && !flags.get(need)) throw new Error(`--${need} is required with source ${s} (its metrics carry that dimension)`);
  }
  const int = (k: string, def: number, min: number, max: number) => {
    const v = flags.get(k);
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${k} must be an integer from ${min} to ${max}, got '${v}'`);
    return n;
  };
  const instanceId = flags.get("instance-id");
  if (instanceId !== undefined && !/^i-[0-9a-f]{8,17}$/.test(instanceId)) throw new Error(`--instance-id must look like i-0123456789abcdef0, got '${instanceId}'`);
  const pwFile = flags.get("coturn-cli-password-file");
  let coturnPassword: string | undefined;
  if (pwFile !== undefined) {
    try {
      coturnPassword = fs.readFileSync(pwFile, "utf8").trim();
    } catch (e) {
      throw new Error(`--coturn-cli-password-file: cannot read '${pwFile}' (${(e as Error).message})`);
    }
  }
  return {
    region,
    instanceId,
    sources: valid,
    fleet: flags.get("fleet"),
    pool: flags.get("pool"),
    shard: flags.get("shard"),
    jvbUrl: flags.get("jvb-url") ?? PUBLISHER_DEFAULTS.jvbUrl,
    jicofoUrl: flags.get("jicofo-url") ?? PUBLISHER_DEFAULTS.jicofoUrl,
    jibriUrl: flags.get("jibri-url") ?? PUBLISHER_DEFAULTS.jibriUrl,
    coturnCli: parseSocketAddress("--coturn-cli", flags.get("coturn-cli") ?? PUBLISHER_DEFAULTS.coturnCli),
    coturnPassword,
    haproxyStats: parseSocketAddress("--haproxy-stats", flags.get("haproxy-stats") ?? PUBLISHER_DEFAULTS.haproxyStats),
    haproxyBackend: flags.get("haproxy-backend"),
    // CloudWatch standard resolution is 60 s; polling faster would only overwrite the same minute.
    intervalSec: int("interval", PUBLISHER_DEFAULTS.intervalSec, 60, 3600),
    timeoutMs: int("timeout-ms", PUBLISHER_DEFAULTS.timeoutMs, 100, 30_000),
    once,
    retryBaseMs: int("retry-base-ms", 200, 1, 10_000),
  };
}

/** State carried between cycles (cumulative counters, to publish per-minute deltas). */
export interface PublisherState {
  haproxy?: HaproxyCounters;
  jicofo?: JicofoCounters;
}

async function pollSource(src: SourceName, o: PublisherOptions, state: PublisherState): Promise<Sample[]> {
  switch (src) {
    case "jvb":
      return parseColibriStats(await httpGet(o.jvbUrl, o.timeoutMs));
    case "jicofo": {
      const { samples, counters } = parseJicofoStats(await httpGet(o.jicofoUrl, o.timeoutMs), state.jicofo);
      state.jicofo = counters;
      return samples;
    }
    case "jibri":
      return parseJibriHealth(await httpGet(o.jibriUrl, o.timeoutMs));
    case "coturn":
      return parseCoturnPs(await coturnPs(o.coturnCli, o.coturnPassword, o.timeoutMs));
    case "haproxy": {
      const { samples, counters } = haproxySamples(parseHaproxyCsv(await haproxyShowStat(o.haproxyStats, o.timeoutMs)), state.haproxy, o.haproxyBackend);
      state.haproxy = counters;
      return samples;
    }
  }
}

export interface CycleResult {
  readonly samples: Sample[];
  readonly errors: { readonly source: SourceName; readonly message: string }[];
}

/** Polls every source concurrently; a failure becomes MetricsSourceErrors=1 for that source only. */
export async function collect(o: PublisherOptions, state: PublisherState): Promise<CycleResult> {
  const settled = await Promise.allSettled(o.sources.map((s) => pollSource(s, o, state)));
  const samples: Sample[] = [];
  const errors: { source: SourceName; message: string }[] = [];
  settled.forEach((r, i) => {
    const source = o.sources[i];
    if (r.status === "fulfilled") samples.push(...r.value);
    else errors.push({ source, message: (r.reason as Error).message });
    samples.push({ metric: PUBLISHER_METRICS.sourceErrors, value: r.status === "fulfilled" ? 0 : 1, dims: { Source: source } });
  });
  return { samples, errors };
}

/** Start of the interval `nowMs` falls in: every host stamps a cycle with the same minute. */
export function cycleTimestamp(nowMs: number, intervalSec: number): Date {
  const p = intervalSec * 1000;
  return new Date(Math.floor(nowMs / p) * p);
}

/** Milliseconds until the next cycle: a few seconds past the next interval boundary, after JVB's 5 s stats refresh. */
export function delayToNextCycle(nowMs: number, intervalSec: number, offsetMs = 7000): number {
  const p = intervalSec * 1000;
  const next = Math.floor(nowMs / p) * p + p + offsetMs;
  return next - nowMs > p ? next - nowMs - p : next - nowMs;
}

export async function runCycle(client: CloudWatchClient, o: PublisherOptions & { instanceId: string }, state: PublisherState, nowMs: number): Promise<{ cycle: CycleResult; publish: PublishResult }> {
  const cycle = await collect(o, state);
  const context: Record<string, string> = { Region: o.region, InstanceId: o.instanceId };
  if (o.fleet) context.Fleet = o.fleet;
  if (o.pool) context.Pool = o.pool;
  if (o.shard) context.Shard = o.shard;
  const data = toMetricData(cycle.samples, context, cycleTimestamp(nowMs, o.intervalSec));
  const publish = await publishMetricData(client, data, { baseDelayMs: o.retryBaseMs });
  return { cycle, publish };
}

/** Exit codes: 0 published, 1 CloudWatch refused or unreachable (after retries), 2 bad command line. */
export async function main(argv: string[]): Promise<number> {
  let o: PublisherOptions;
  try {
    o = parseArgs(argv);
  } catch (e) {
    console.error(`publish-metrics: ${(e as Error).message}`);
    return 2;
  }
  let instanceId = o.instanceId;
  if (!instanceId) {
    try {
      instanceId = await imdsInstanceId(o.timeoutMs);
    } catch (e) {
      console.error(`publish-metrics: no --instance-id and IMDSv2 did not answer: ${(e as Error).message}`);
      return 2;
    }
  }
  // Retries are ours (tested, jittered); the SDK's own would multiply them.
  const client = new CloudWatchClient({ region: o.region, maxAttempts: 1 });
  const state: PublisherState = {};
  let stop = false;
  const onSignal = () => {
    stop = true;
  };
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
  try {
    for (;;) {
      let failed = true;
      try {
        const { cycle, publish } = await runCycle(client, { ...o, instanceId }, state, Date.now());
        for (const e of cycle.errors) console.error(`publish-metrics: source ${e.source} failed: ${e.message}`);
        for (const f of publish.failed) console.error(`publish-metrics: ${f.data} data not published: ${f.error}`);
        failed = publish.failed.length > 0;
      } catch (e) {
        // Never expected (sources and batches fail softly); a long-running publisher logs it and tries next minute.
        console.error(`publish-metrics: cycle failed: ${(e as Error).message}`);
      }
      if (o.once) return failed ? 1 : 0;
      const wait = delayToNextCycle(Date.now(), o.intervalSec);
      for (let waited = 0; waited < wait && !stop; waited += 1000) await new Promise((r) => setTimeout(r, Math.min(1000, wait - waited)));
      if (stop) return 0;
    }
  } finally {
    process.removeListener("SIGTERM", onSignal);
    process.removeListener("SIGINT", onSignal);
    client.destroy();
  }
}
