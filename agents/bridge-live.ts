/**
 * bridge-live: the bridge's answer to the bridge scaler's live read (functions/bridge-scaler/protocol.ts).
 * `GET /live` → 200 `{"participants": N, "conferences": M}`, read fresh from JVB's own `/colibri/stats` at each
 * request (loopback, PORTS.jvbRest).
 *
 * Why: CloudWatch shows a minute's participants only a metric delay (~60 s) later; the scaler reads every bridge
 * directly at each run, so a crowd arriving is seen a minute sooner. When JVB cannot be read (unreachable, timed
 * out, non-200, a body without the counts) the answer is 503 with `{"error": "..."}`, never a made-up 0: the
 * scaler then falls back to CloudWatch, whereas a 0 would make it drain a busy bridge.
 *
 * Read-only, and nothing else of JVB's REST API is exposed: JVB's private REST (stats, drain, graceful shutdown)
 * stays on loopback; only this path answers here, and the bridge security group lets only the scaler's security
 * group reach this port (PORTS.bridgeLive).
 *
 * Usage: bridge-live [--listen 0.0.0.0:9091] [--jvb-url http://127.0.0.1:8080/colibri/stats] [--timeout-ms 2000]
 */
import * as http from "http";
import type * as net from "net";
import { PORTS } from "../config/ports";
import { parseListenAddress } from "./listen-address";
import { LIVE_PATH, type LiveReading, liveReplyBody } from "../functions/bridge-scaler/protocol";

/** Largest count the scaler accepts (parseLiveReply); anything above is a broken reading, not a crowd. */
const MAX_COUNT = 100_000;

/**
 * Pure: a parsed /colibri/stats body → the live reading, or undefined unless both counts are finite numbers from 0
 * to 100000 (rounded to whole numbers). Participants are `endpoints` when JVB sends it (`participants` is deprecated
 * upstream in its favour), else `participants`: the same figure agents/publish-metrics sends to CloudWatch, so the
 * live read and the scaler's CloudWatch fallback count the same thing.
 */
export function liveFromColibri(stats: unknown): LiveReading | undefined {
  if (typeof stats !== "object" || stats === null || Array.isArray(stats)) return undefined;
  const s = stats as Record<string, unknown>;
  const count = (v: unknown): number | undefined =>
    typeof v === "number" && Number.isFinite(v) && v >= 0 && Math.round(v) <= MAX_COUNT ? Math.round(v) : undefined;
  const participants = count(s.endpoints !== undefined && s.endpoints !== null ? s.endpoints : s.participants);
  const conferences = count(s.conferences);
  return participants === undefined || conferences === undefined ? undefined : { participants, conferences };
}

/** One HTTP response, fully decided. */
export interface LiveResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** What one read of JVB's stats gave. */
export type JvbRead = { readonly kind: "ok"; readonly reading: LiveReading } | { readonly kind: "error"; readonly error: string };

const HEADERS = { "Content-Type": "application/json", "Cache-Control": "no-store" } as const;

function respond(status: number, body: string, extra: Record<string, string> = {}): LiveResponse {
  return { status, headers: { ...HEADERS, ...extra, "Content-Length": String(Buffer.byteLength(body)) }, body };
}

/** Pure: a one-line JSON error body (the message flattened to one line, at most 200 characters). */
export function errorResponse(status: number, error: string, extra: Record<string, string> = {}): LiveResponse {
  return respond(status, JSON.stringify({ error: error.replace(/\s+/g, " ").trim().slice(0, 200) }), extra);
}

/**
 * Pure request router: `{kind: "read"}` when the request asks for the live reading (GET or HEAD on LIVE_PATH, any
 * query string ignored), otherwise the finished response: 404 for any other path, 405 for another method on it.
 */
export function routeRequest(method: string | undefined, url: string | undefined): { readonly kind: "read" } | { readonly kind: "reply"; readonly response: LiveResponse } {
  let pathname: string;
  try {
    pathname = new URL(url ?? "/", "http://bridge-live.invalid").pathname;
  } catch {
    return { kind: "reply", response: errorResponse(404, "not found") };
  }
  if (pathname !== LIVE_PATH) return { kind: "reply", response: errorResponse(404, `not found (only GET ${LIVE_PATH})`) };
  if (method !== "GET" && method !== "HEAD") return { kind: "reply", response: errorResponse(405, `method not allowed (only GET ${LIVE_PATH})`, { Allow: "GET, HEAD" }) };
  return { kind: "read" };
}

/** Pure: a JVB read → the reply: 200 with the reading, 503 with the error (never a 0 in its place). */
export function liveResponse(read: JvbRead): LiveResponse {
  return read.kind === "ok" ? respond(200, liveReplyBody(read.reading)) : errorResponse(503, read.error);
}

/** GET JVB's stats once, within timeoutMs (connection and body). Never throws. */
export async function readJvb(url: string, timeoutMs: number): Promise<JvbRead> {
  const error = (e: string): JvbRead => ({ kind: "error", error: e });
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: "application/json" }, redirect: "error" });
    const text = await res.text();
    if (res.status !== 200) return error(`jvb stats answered HTTP ${res.status}`);
    let stats: unknown;
    try {
      stats = JSON.parse(text);
    } catch {
      return error("jvb stats are not JSON");
    }
    const reading = liveFromColibri(stats);
    return reading ? { kind: "ok", reading } : error("jvb stats lack valid participants and conferences");
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    if (err.name === "TimeoutError" || err.name === "AbortError") return error(`jvb stats did not answer within ${timeoutMs} ms`);
    return error(`jvb stats unreachable (${err.cause?.code ?? err.cause?.message ?? err.message})`);
  }
}

export interface BridgeLiveOptions {
  readonly host: string;
  readonly port: number;
  readonly jvbUrl: string;
  readonly timeoutMs: number;
}

export const BRIDGE_LIVE_DEFAULTS: BridgeLiveOptions = {
  host: "0.0.0.0",
  port: PORTS.bridgeLive,
  jvbUrl: `http://127.0.0.1:${PORTS.jvbRest}/colibri/stats`,
  timeoutMs: 2000,
};

/** Pure: argv → options, or an error message naming the flag and what it allows. */
export function parseBridgeLiveArgs(argv: readonly string[]): BridgeLiveOptions | string {
  const o: { -readonly [K in keyof BridgeLiveOptions]: BridgeLiveOptions[K] } = { ...BRIDGE_LIVE_DEFAULTS };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag !== "--listen" && flag !== "--jvb-url" && flag !== "--timeout-ms") return `unknown flag "${flag}" (allowed: --listen, --jvb-url, --timeout-ms)`;
    const value = argv[i + 1];
    if (value === undefined) return `${flag}: needs a value`;
    i++;
    switch (flag) {
      case "--listen": {
        const a = parseListenAddress(value, PORTS.bridgeLive);
        if (typeof a === "string") return a;
        o.host = a.host;
        o.port = a.port;
        break;
      }
      case "--jvb-url":
        if (!/^http:\/\/[^\s/]+(\/\S*)?$/.test(value)) return `--jvb-url: must be an http:// URL, got "${value}"`;
        o.jvbUrl = value;
        break;
      case "--timeout-ms": {
        const n = /^\d+$/.test(value) ? Number(value) : NaN;
        if (!Number.isInteger(n) || n < 100 || n > 10_000) return `--timeout-ms: must be a whole number from 100 to 10000, got "${value}"`;
        o.timeoutMs = n;
        break;
      }
    }
  }
  return o;
}

export interface RunningBridgeLive {
  readonly address: net.AddressInfo;
  close(): Promise<void>;
}

/** Starts the responder. Logs only when JVB's stats become unreadable or readable again (not every request). */
export async function startBridgeLive(opts: BridgeLiveOptions, log: (line: string) => void = () => undefined): Promise<RunningBridgeLive> {
  let lastError: string | undefined;
  const send = (res: http.ServerResponse, r: LiveResponse) => {
    res.writeHead(r.status, r.headers);
    res.end(r.body); // Node sends no body to a HEAD request
  };
  const server = http.createServer((req, res) => {
    req.on("error", () => undefined);
    res.on("error", () => undefined);
    const route = routeRequest(req.method, req.url);
    if (route.kind === "reply") {
      send(res, route.response);
      return;
    }
    void readJvb(opts.jvbUrl, opts.timeoutMs).then((read) => {
      if (read.kind === "error" && read.error !== lastError) log(`bridge-live: answering 503: ${read.error}`);
      if (read.kind === "ok" && lastError !== undefined) log("bridge-live: jvb stats readable again");
      lastError = read.kind === "error" ? read.error : undefined;
      if (!res.destroyed) send(res, liveResponse(read));
    });
  });
  // A client that never finishes its request does not hold a socket for long.
  server.headersTimeout = 5000;
  server.requestTimeout = opts.timeoutMs + 5000;
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    address: server.address() as net.AddressInfo,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export async function main(argv: string[]): Promise<number> {
  const opts = parseBridgeLiveArgs(argv);
  if (typeof opts === "string") {
    console.error(`bridge-live: ${opts}`);
    return 2;
  }
  const agent = await startBridgeLive(opts, (l) => console.log(l));
  console.log(`bridge-live: listening on ${agent.address.address}:${agent.address.port}, reading ${opts.jvbUrl}`);
  await new Promise<void>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  await agent.close();
  return 0;
}
