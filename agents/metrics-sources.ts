/**
 * Pure parsers for the local sources agents/publish-metrics polls: each turns one response body into catalogue
 * samples. No I/O here; the bodies' real shapes are kept in tests/fixtures/metrics (see SOURCES.md there).
 */
import { BRIDGE_METRICS, EDGE_METRICS, JIBRI_METRICS, type MetricDef, SHARD_METRICS, TURN_METRICS } from "../metrics/catalog";

/** One value of one catalogue metric; `dims` holds the dimension values of the most specific set. */
export interface Sample {
  readonly metric: MetricDef;
  readonly value: number;
  /** Dimension values this sample adds on top of the host's (e.g. Shard for a per-shard HAProxy row). */
  readonly dims?: Readonly<Record<string, string>>;
}

/** The local sources, one per role. */
export const SOURCES = ["jvb", "jicofo", "jibri", "coturn", "haproxy"] as const;
export type SourceName = (typeof SOURCES)[number];

/** Thrown when a body is not what the source documents; the message names the source and the field. */
export class SourceFormatError extends Error {}

function parseJsonObject(source: string, body: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch (e) {
    throw new SourceFormatError(`${source}: response is not JSON (${(e as Error).message})`);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new SourceFormatError(`${source}: response is not a JSON object`);
  return v as Record<string, unknown>;
}

function num(source: string, obj: Record<string, unknown>, key: string, required: boolean): number | undefined {
  const v = obj[key];
  if (v === undefined || v === null) {
    if (required) throw new SourceFormatError(`${source}: field '${key}' is missing`);
    return undefined;
  }
  if (typeof v !== "number" || !Number.isFinite(v)) throw new SourceFormatError(`${source}: field '${key}' must be a number, got ${JSON.stringify(v)}`);
  return v;
}

/** Boolean stats arrive as JSON booleans from the REST API and as "true"/"false" strings over XMPP. */
function flag(v: unknown): boolean {
  return v === true || v === "true";
}

function optional(out: Sample[], metric: MetricDef, value: number | undefined): void {
  if (value !== undefined) out.push({ metric, value });
}

/**
 * JVB `GET /colibri/stats` (VideobridgeStatisticsShim). stress_level, conferences and participants are
 * required: without them the bridge scaler would be blind, so a body lacking them is an error, not zeros.
 */
export function parseColibriStats(body: string): Sample[] {
  const s = parseJsonObject("jvb", body);
  const out: Sample[] = [
    { metric: BRIDGE_METRICS.stress, value: num("jvb", s, "stress_level", true) as number },
    { metric: BRIDGE_METRICS.conferences, value: num("jvb", s, "conferences", true) as number },
    // "participants" is deprecated upstream in favour of "endpoints" (doc/statistics.md); accept either.
    { metric: BRIDGE_METRICS.participants, value: (num("jvb", s, "endpoints", false) ?? num("jvb", s, "participants", true)) as number },
    { metric: BRIDGE_METRICS.draining, value: flag(s.graceful_shutdown) || flag(s.drain) ? 1 : 0 },
  ];
  optional(out, BRIDGE_METRICS.bitrateDownload, num("jvb", s, "bit_rate_download", false));
  optional(out, BRIDGE_METRICS.bitrateUpload, num("jvb", s, "bit_rate_upload", false));
  optional(out, BRIDGE_METRICS.packetRateDownload, num("jvb", s, "packet_rate_download", false));
  optional(out, BRIDGE_METRICS.packetRateUpload, num("jvb", s, "packet_rate_upload", false));
  optional(out, BRIDGE_METRICS.relayEndpoints, num("jvb", s, "octo_endpoints", false));
  optional(out, BRIDGE_METRICS.relayConferences, num("jvb", s, "octo_conferences", false));
  return out;
}

function child(source: string, obj: Record<string, unknown>, key: string): Record<string, unknown> {
  const v = obj[key];
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new SourceFormatError(`${source}: field '${key}' must be an object`);
  return v as Record<string, unknown>;
}

/** Jicofo's cumulative counters, kept between polls: recorder failures (recording + live streaming), meetings created. */
export interface JicofoCounters {
  readonly recordingFailures?: number;
  readonly conferencesCreated?: number;
}

/**
 * Jicofo `GET /stats` (JicofoServices.getStats). Recording start failures (`jibri.total_recording_failures`,
 * `total_live_streaming_failures`) and meetings created (`total_conferences_created`, FocusManager.stats) are
 * cumulative upstream; published as the delta since `prev`.
 */
export function parseJicofoStats(body: string, prev?: JicofoCounters): { samples: Sample[]; counters: JicofoCounters } {
  const s = parseJsonObject("jicofo", body);
  const selector = child("jicofo", s, "bridge_selector");
  const out: Sample[] = [
    { metric: SHARD_METRICS.conferences, value: num("jicofo", s, "conferences", true) as number },
    { metric: SHARD_METRICS.participants, value: num("jicofo", s, "participants", true) as number },
    { metric: SHARD_METRICS.bridges, value: num("jicofo.bridge_selector", selector, "bridge_count", true) as number },
    { metric: SHARD_METRICS.bridgesOperational, value: num("jicofo.bridge_selector", selector, "operational_bridge_count", true) as number },
  ];
  // Optional: an older Jicofo without it simply publishes no meeting starts (the replenisher then does without them).
  const conferencesCreated = num("jicofo", s, "total_conferences_created", false);
  const created = conferencesCreated === undefined ? undefined : counterDelta(prev?.conferencesCreated, conferencesCreated);
  if (created !== undefined) out.push({ metric: SHARD_METRICS.conferencesCreated, value: created });
  // jibri_detector is only present when Jicofo has a JibriBrewery configured.
  if (s.jibri_detector !== undefined) {
    const d = child("jicofo", s, "jibri_detector");
    const count = num("jicofo.jibri_detector", d, "count", true) as number;
    const available = num("jicofo.jibri_detector", d, "available", true) as number;
    out.push({ metric: SHARD_METRICS.recordersAvailable, value: available }, { metric: SHARD_METRICS.recordersBusy, value: Math.max(0, count - available) });
  }
  // "healthy" exists only with jicofo.health.enabled; absent is unknown, not unhealthy.
  if (s.healthy !== undefined) out.push({ metric: SHARD_METRICS.healthy, value: flag(s.healthy) ? 1 : 0 });
  let recordingFailures: number | undefined;
  if (s.jibri !== undefined) {
    const j = child("jicofo", s, "jibri");
    recordingFailures = (num("jicofo.jibri", j, "total_recording_failures", true) as number) + (num("jicofo.jibri", j, "total_live_streaming_failures", true) as number);
    const d = counterDelta(prev?.recordingFailures, recordingFailures);
    if (d !== undefined) out.push({ metric: JIBRI_METRICS.recordingStartFailures, value: d });
  }
  return { samples: out, counters: { recordingFailures, conferencesCreated } };
}

/** Jibri `GET /jibri/api/v1.0/health` (JibriHealth). EXPIRED counts as neither idle nor busy. */
export function parseJibriHealth(body: string): Sample[] {
  const h = parseJsonObject("jibri", body);
  const status = child("jibri", h, "status");
  const busy = status.busyStatus;
  if (busy !== "IDLE" && busy !== "BUSY" && busy !== "EXPIRED")
    throw new SourceFormatError(`jibri: field 'status.busyStatus' must be IDLE, BUSY or EXPIRED, got ${JSON.stringify(busy)}`);
  const health = child("jibri.status", status, "health").healthStatus;
  if (health !== "HEALTHY" && health !== "UNHEALTHY")
    throw new SourceFormatError(`jibri: field 'status.health.healthStatus' must be HEALTHY or UNHEALTHY, got ${JSON.stringify(health)}`);
  const healthy = health === "HEALTHY";
  return [
    // An unhealthy idle Jibri cannot take a recording, so it is not counted as idle (the scaler counts these).
    { metric: JIBRI_METRICS.idle, value: busy === "IDLE" && healthy ? 1 : 0 },
    { metric: JIBRI_METRICS.busy, value: busy === "BUSY" ? 1 : 0 },
    { metric: JIBRI_METRICS.healthy, value: healthy ? 1 : 0 },
  ];
}

/**
 * coturn telnet CLI output of `ps` (turn_admin_server.c print_sessions): ends with "  Total sessions: N".
 * Each coturn session owns one allocation, so N is the number of active allocations.
 */
export function parseCoturnPs(text: string): Sample[] {
  const m = /^\s*Total sessions(?: for [^:]*)?: (\d+)\s*$/m.exec(text);
  if (!m) throw new SourceFormatError("coturn: CLI output of 'ps' has no 'Total sessions: N' line");
  return [{ metric: TURN_METRICS.allocations, value: Number(m[1]) }];
}

/** One row of HAProxy's `show stat` CSV, by column name. */
export type HaproxyRow = Readonly<Record<string, string>>;

export function parseHaproxyCsv(text: string): HaproxyRow[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  const header = lines[0];
  if (!header || !header.startsWith("# ")) throw new SourceFormatError("haproxy: 'show stat' output has no '# pxname,svname,...' header");
  const cols = header.slice(2).split(",");
  for (const c of ["pxname", "svname", "scur", "status", "hrsp_5xx", "req_tot"])
    if (!cols.includes(c)) throw new SourceFormatError(`haproxy: 'show stat' header lacks column '${c}'`);
  return lines.slice(1).map((l) => {
    const cells = l.split(",");
    return Object.fromEntries(cols.map((c, i) => [c, cells[i] ?? ""]));
  });
}

/** Cumulative HAProxy counters kept between polls to publish per-minute deltas. */
export interface HaproxyCounters {
  readonly http5xx: number;
  readonly requests: number;
}

/** A counter that went down means HAProxy restarted (counters reset): the delta is the new value. */
export function counterDelta(prev: number | undefined, cur: number): number | undefined {
  if (prev === undefined) return undefined;
  return cur >= prev ? cur - prev : cur;
}

/**
 * HAProxy `show stat`. Frontend rows give sessions and response counters; server rows of `backend` (all
 * backends when unset) are the shards. Status: UP, "UP 1/3" (going down), DRAIN (agent says drain), NOLB
 * count as up; DOWN and "DOWN 1/2" (going up) as down. MAINT (a deliberate stop) and "no check" (a server
 * HAProxy does not health-check, such as the edge's websocket placeholder for bridges) count as neither.
 */
export function haproxySamples(rows: readonly HaproxyRow[], prev: HaproxyCounters | undefined, backend?: string): { samples: Sample[]; counters: HaproxyCounters } {
  const int = (r: HaproxyRow, c: string) => (r[c] === "" || r[c] === undefined ? 0 : Number(r[c]));
  const fronts = rows.filter((r) => r.svname === "FRONTEND");
  if (fronts.length === 0) throw new SourceFormatError("haproxy: 'show stat' lists no FRONTEND row");
  const counters = { http5xx: fronts.reduce((a, r) => a + int(r, "hrsp_5xx"), 0), requests: fronts.reduce((a, r) => a + int(r, "req_tot"), 0) };
  const samples: Sample[] = [{ metric: EDGE_METRICS.sessions, value: fronts.reduce((a, r) => a + int(r, "scur"), 0) }];
  const d5 = counterDelta(prev?.http5xx, counters.http5xx);
  const dr = counterDelta(prev?.requests, counters.requests);
  if (d5 !== undefined) samples.push({ metric: EDGE_METRICS.http5xx, value: d5 });
  if (dr !== undefined) samples.push({ metric: EDGE_METRICS.requests, value: dr });
  const servers = rows.filter((r) => r.svname !== "FRONTEND" && r.svname !== "BACKEND" && (backend === undefined || r.pxname === backend));
  let down = 0;
  for (const r of servers) {
    const st = r.status ?? "";
    const up = /^(UP|DRAIN|NOLB)/.test(st);
    if (!up && !/^DOWN/.test(st)) continue;
    if (!up) down += 1;
    samples.push({ metric: EDGE_METRICS.shardUp, value: up ? 1 : 0, dims: { Shard: r.svname } });
  }
  samples.push({ metric: EDGE_METRICS.shardsDown, value: down });
  return { samples, counters };
}
