/**
 * jibri-finalize: Jibri's finalize script, run ON a recorder after each recording.
 *
 *   jibri-finalize <session-dir> --bucket B --region R --pool P [--prefix recordings/] [--state-dir D] ...
 *   jibri-finalize sweep <recordings-dir> --bucket B ...     (leftovers of a failed run; timer + before shutdown)
 *
 * Jibri runs the finalize script with `<recordings-dir>/<session>` (the mp4 and metadata.json; jitsi-facts.md)
 * and waits for it (FileRecordingJibriService.finalize blocks by design), so the recorder stays unavailable and
 * protected from scale-in until the upload is done. For each file: upload (single PUT, or multipart above the
 * part size so memory stays bounded) with Content-MD5 (S3 rejects a corrupted body), check the returned ETag
 * against the local MD5 (the bucket uses SSE-S3, whose ETags are the MD5 of the data; per part for multipart),
 * then HeadObject: the stored size must equal the local size. Every file is retried with capped exponential
 * backoff. The local copy is deleted only when every file of the session is verified; otherwise it stays,
 * the `JibriUploadFailures` metric is published and the exit code is 1 (a later `sweep` retries it).
 *
 * Key layout (predictable, date first for lifecycle rules and listing):
 *   <prefix><yyyy>/<mm>/<dd>/<room>/<session>/<file>
 * date = the recording start in the mp4 name Jibri writes (`<room>_<yyyy-MM-dd-HH-mm-ss>.mp4`), else the clock.
 *
 * While it runs, a marker `<state-dir>/uploading/<session>` tells the status agent the recorder is uploading.
 */
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { JIBRI_METRICS } from "../metrics/catalog";
import { publishMetricData, toMetricData } from "./metrics-batch";
import { imdsInstanceId } from "./metrics-io";

// ---------------------------------------------------------------------------------------------------------------
// Pure: key layout

const SESSION_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** A room name safe as one S3 key segment: lower-case [a-z0-9._-], at most 100 chars; "unknown-room" if empty. */
export function roomSegment(raw: string | undefined): string {
  const s = (raw ?? "")
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[-.]+|[-.]+$/g, "")
    .slice(0, 100);
  return s === "" ? "unknown-room" : s;
}

/** The room of a session: last path segment of metadata.json's meeting_url, else the mp4 name before its timestamp. */
export function roomOf(metadata: unknown, fileNames: readonly string[]): string {
  const url = (metadata as { meeting_url?: unknown } | undefined)?.meeting_url;
  if (typeof url === "string") {
    try {
      const seg = new URL(url).pathname.split("/").filter(Boolean).pop();
      if (seg) return roomSegment(decodeURIComponent(seg));
    } catch {
      /* not a URL: fall through to the file name */
    }
  }
  const mp4 = fileNames.find((f) => /_\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}\.mp4$/.test(f));
  return roomSegment(mp4?.replace(/_\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}\.mp4$/, ""));
}

/** The recording's start (UTC) from Jibri's mp4 name, else `fallback`. */
export function recordingDate(fileNames: readonly string[], fallback: Date): Date {
  for (const f of fileNames) {
    const m = /_(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})\.mp4$/.exec(f);
    if (m) {
      const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
      if (!Number.isNaN(d.getTime())) return d;
    }
  }
  return fallback;
}

/** `<prefix><yyyy>/<mm>/<dd>/<room>/<session>/` */
export function sessionKeyPrefix(prefix: string, date: Date, room: string, session: string): string {
  const p2 = (n: number) => String(n).padStart(2, "0");
  return `${prefix}${date.getUTCFullYear()}/${p2(date.getUTCMonth() + 1)}/${p2(date.getUTCDate())}/${room}/${session}/`;
}

// ---------------------------------------------------------------------------------------------------------------
// Core: verified upload of one session directory

export interface FinalizeDeps {
  readonly s3: S3Client;
  readonly bucket: string;
  /** Key prefix, "" or ending in "/". */
  readonly prefix: string;
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  readonly log: (event: string, fields?: Record<string, unknown>) => void;
  /** Tries per file, the first included. */
  readonly attempts: number;
  /** First retry delay; doubled per retry up to maxDelayMs. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Files above this size go multipart, in parts of this size (S3: >= 5 MiB except the last part). */
  readonly partSizeBytes: number;
  /** Where the `uploading/<session>` marker is written (undefined: no marker). */
  readonly stateDir?: string;
}

export interface UploadedFile {
  readonly file: string;
  readonly key: string;
  readonly bytes: number;
  readonly tries: number;
}
export type SessionResult =
  | { readonly ok: true; readonly session: string; readonly files: readonly UploadedFile[] }
  | { readonly ok: false; readonly session: string; readonly error: string; readonly uploaded: readonly UploadedFile[] };

function md5(buf: Buffer): Buffer {
  return createHash("md5").update(buf).digest();
}

function etagMatches(etag: string | undefined, digest: Buffer, what: string): void {
  const got = (etag ?? "").replace(/"/g, "");
  if (got !== digest.toString("hex")) throw new Error(`${what}: stored ETag ${got || "(none)"} differs from the local MD5 ${digest.toString("hex")}`);
}

function contentType(file: string): string {
  if (file.endsWith(".mp4")) return "video/mp4";
  if (file.endsWith(".json")) return "application/json";
  return "application/octet-stream";
}

async function readChunk(fd: fs.promises.FileHandle, offset: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await fd.read(buf, 0, length, offset);
  if (bytesRead !== length) throw new Error(`short read at ${offset}: ${bytesRead} of ${length} bytes (file changed?)`);
  return buf;
}

/** One try: upload `file` to `key` and verify it. Throws on any failure (the caller retries). */
async function putVerified(deps: FinalizeDeps, file: string, key: string, size: number): Promise<void> {
  const { s3, bucket } = deps;
  const fd = await fs.promises.open(file, "r");
  try {
    if (size <= deps.partSizeBytes) {
      const body = await readChunk(fd, 0, size);
      const digest = md5(body);
      const res = await s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: size, ContentMD5: digest.toString("base64"), ContentType: contentType(file) }),
      );
      etagMatches(res.ETag, digest, key);
    } else {
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: contentType(file) }));
      if (!UploadId) throw new Error(`${key}: CreateMultipartUpload returned no UploadId`);
      try {
        const parts: { ETag: string; PartNumber: number }[] = [];
        for (let offset = 0, n = 1; offset < size; offset += deps.partSizeBytes, n++) {
          const body = await readChunk(fd, offset, Math.min(deps.partSizeBytes, size - offset));
          const digest = md5(body);
          const res = await s3.send(
            new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: n, Body: body, ContentLength: body.length, ContentMD5: digest.toString("base64") }),
          );
          etagMatches(res.ETag, digest, `${key} part ${n}`);
          parts.push({ ETag: res.ETag as string, PartNumber: n });
        }
        await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }));
      } catch (e) {
        // Best effort: an abandoned upload's parts cost storage until the bucket's abort rule removes them.
        await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId })).catch(() => undefined);
        throw e;
      }
    }
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    if (head.ContentLength !== size) throw new Error(`${key}: stored size ${head.ContentLength} differs from the local size ${size}`);
  } finally {
    await fd.close();
  }
}

/**
 * Uploads every file of `sessionDir` (metadata.json last: its presence marks a complete recording), verifies
 * each, and deletes the directory only when all are verified. Never throws for an upload failure: returns it.
 */
export async function finalizeSession(deps: FinalizeDeps, sessionDir: string): Promise<SessionResult> {
  const session = path.basename(sessionDir);
  if (!SESSION_ID.test(session)) return { ok: false, session, error: `session directory name '${session}' is not a Jibri session id`, uploaded: [] };
  const marker = deps.stateDir ? path.join(deps.stateDir, "uploading", session) : undefined;
  if (marker) {
    await fs.promises.mkdir(path.dirname(marker), { recursive: true });
    await fs.promises.writeFile(marker, String(process.pid));
  }
  const uploaded: UploadedFile[] = [];
  try {
    const names = (await fs.promises.readdir(sessionDir, { withFileTypes: true })).filter((d) => d.isFile()).map((d) => d.name);
    if (names.length === 0) return { ok: false, session, error: `${sessionDir} holds no file`, uploaded };
    names.sort((a, b) => Number(a === "metadata.json") - Number(b === "metadata.json") || a.localeCompare(b));
    let metadata: unknown;
    if (names.includes("metadata.json")) {
      try {
        metadata = JSON.parse(await fs.promises.readFile(path.join(sessionDir, "metadata.json"), "utf8"));
      } catch {
        deps.log("jibri-finalize-bad-metadata", { session });
      }
    }
    const keyPrefix = sessionKeyPrefix(deps.prefix, recordingDate(names, deps.now()), roomOf(metadata, names), session);
    for (const name of names) {
      const file = path.join(sessionDir, name);
      const key = keyPrefix + name;
      const size = (await fs.promises.stat(file)).size;
      let lastError = "";
      let done = false;
      for (let tri = 1; tri <= deps.attempts && !done; tri++) {
        try {
          await putVerified(deps, file, key, size);
          uploaded.push({ file: name, key, bytes: size, tries: tri });
          done = true;
        } catch (e) {
          lastError = `${(e as Error).name}: ${(e as Error).message}`;
          deps.log("jibri-finalize-retry", { session, key, try: tri, error: lastError });
          if (tri < deps.attempts) await deps.sleep(Math.min(deps.maxDelayMs, deps.baseDelayMs * 2 ** (tri - 1)));
        }
      }
      if (!done) return { ok: false, session, error: `${key} not uploaded after ${deps.attempts} tries: ${lastError}`, uploaded };
    }
    // Every file is in S3 and verified: only now the local copy goes.
    await fs.promises.rm(sessionDir, { recursive: true, force: true });
    deps.log("jibri-finalize-done", { session, files: uploaded.map((u) => u.key) });
    return { ok: true, session, files: uploaded };
  } finally {
    if (marker) await fs.promises.rm(marker, { force: true });
  }
}

/**
 * Session directories left in `recordingsDir` by failed runs, oldest first. A session is skipped while a file in
 * it changed in the last `minAgeMs` (Jibri is still recording into it) or a finalize run holds its marker.
 */
export async function leftoverSessions(recordingsDir: string, nowMs: number, minAgeMs: number, stateDir?: string): Promise<string[]> {
  const entries = await fs.promises.readdir(recordingsDir, { withFileTypes: true }).catch(() => []);
  const out: { p: string; t: number }[] = [];
  for (const d of entries) {
    if (!d.isDirectory() || !SESSION_ID.test(d.name)) continue;
    if (stateDir && fs.existsSync(path.join(stateDir, "uploading", d.name))) continue;
    const dir = path.join(recordingsDir, d.name);
    const files = await fs.promises.readdir(dir).catch(() => [] as string[]);
    const newest = Math.max((await fs.promises.stat(dir)).mtimeMs, ...(await Promise.all(files.map(async (f) => (await fs.promises.stat(path.join(dir, f))).mtimeMs))));
    if (nowMs - newest < minAgeMs) continue;
    out.push({ p: dir, t: newest });
  }
  return out.sort((a, b) => a.t - b.t).map((d) => d.p);
}

// ---------------------------------------------------------------------------------------------------------------
// Command line

export interface FinalizeOptions {
  readonly mode: "session" | "sweep";
  readonly dir: string;
  readonly bucket: string;
  readonly region: string;
  readonly pool: string;
  readonly prefix: string;
  readonly stateDir: string;
  readonly attempts: number;
  readonly partSizeMiB: number;
  /** sweep: skip sessions with a file changed this recently (still being recorded). */
  readonly minAgeSeconds: number;
  /** S3 endpoint override (tests, S3-compatible stores); path-style addressing when set. */
  readonly endpoint?: string;
  /** Skip the failure metric (tests, or hosts without CloudWatch access). */
  readonly noMetric: boolean;
  readonly instanceId?: string;
}

const USAGE = "usage: jibri-finalize [sweep] <dir> --bucket B --region R --pool P [--prefix recordings/] [--state-dir /run/jitsi-aws] [--attempts 6] [--part-size-mib 64] [--min-age-s 600 (sweep)] [--endpoint URL] [--instance-id ID] [--no-metric]";

export function parseFinalizeArgs(argv: readonly string[]): FinalizeOptions {
  const args = [...argv];
  const mode = args[0] === "sweep" ? "sweep" : "session";
  if (mode === "sweep") args.shift();
  const flags: Record<string, string> = {};
  const positional: string[] = [];
  let noMetric = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--no-metric") noMetric = true;
    else if (a.startsWith("--")) {
      const v = args[++i];
      if (v === undefined) throw new Error(`${a} needs a value\n${USAGE}`);
      flags[a.slice(2)] = v;
    } else positional.push(a);
  }
  const known = ["bucket", "region", "pool", "prefix", "state-dir", "attempts", "part-size-mib", "min-age-s", "endpoint", "instance-id"];
  for (const k of Object.keys(flags)) if (!known.includes(k)) throw new Error(`unknown option --${k}\n${USAGE}`);
  if (positional.length !== 1 || !positional[0].startsWith("/")) throw new Error(`expected one absolute directory, got ${JSON.stringify(positional)}\n${USAGE}`);
  for (const k of ["bucket", "region", "pool"]) if (!flags[k]) throw new Error(`--${k} is required\n${USAGE}`);
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(flags.bucket)) throw new Error(`--bucket must be an S3 bucket name, got '${flags.bucket}'`);
  const prefix = flags.prefix ?? "recordings/";
  if (prefix !== "" && !/^[A-Za-z0-9._/-]*\/$/.test(prefix)) throw new Error(`--prefix must be empty or end with '/', got '${prefix}'`);
  const attempts = Number(flags.attempts ?? 6);
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > 20) throw new Error(`--attempts must be a whole number from 1 to 20, got '${flags.attempts}'`);
  const partSizeMiB = Number(flags["part-size-mib"] ?? 64);
  // S3: parts of 5 MiB to 5 GiB; at most 10,000 parts (64 MiB parts: objects up to 625 GiB).
  if (!Number.isInteger(partSizeMiB) || partSizeMiB < 5 || partSizeMiB > 5120) throw new Error(`--part-size-mib must be a whole number from 5 to 5120, got '${flags["part-size-mib"]}'`);
  const minAgeSeconds = Number(flags["min-age-s"] ?? 600);
  if (!Number.isInteger(minAgeSeconds) || minAgeSeconds < 0) throw new Error(`--min-age-s must be a whole number >= 0, got '${flags["min-age-s"]}'`);
  return {
    mode,
    dir: positional[0],
    minAgeSeconds,
    bucket: flags.bucket,
    region: flags.region,
    pool: flags.pool,
    prefix,
    stateDir: flags["state-dir"] ?? "/run/jitsi-aws",
    attempts,
    partSizeMiB,
    endpoint: flags.endpoint,
    noMetric,
    instanceId: flags["instance-id"],
  };
}

/** The S3 client the agent uses: our own Content-MD5 + ETag check, so no SDK-added CRC checksums. */
export function finalizeS3Client(region: string, endpoint?: string): S3Client {
  return new S3Client({
    region,
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    // Retries are ours (per file, with the verification inside the loop).
    maxAttempts: 1,
  });
}

const jsonLog = (event: string, fields: Record<string, unknown> = {}): void => console.log(JSON.stringify({ event, ...fields }));

/** Event-driven metric: one upload failure (the periodic gauges belong to agents/publish-metrics). */
export async function reportUploadFailure(cw: CloudWatchClient, dims: { Region: string; Pool: string; InstanceId: string }, at: Date): Promise<void> {
  const data = toMetricData([{ metric: JIBRI_METRICS.uploadFailures, value: 1 }], dims, at);
  const res = await publishMetricData(cw, data, { attempts: 3 });
  if (res.failed.length > 0) jsonLog("jibri-finalize-metric-failed", { error: res.failed[0].error });
}

export async function main(argv: string[], deps: { s3?: S3Client; cloudwatch?: CloudWatchClient; sleep?: (ms: number) => Promise<void> } = {}): Promise<number> {
  let opts: FinalizeOptions;
  try {
    opts = parseFinalizeArgs(argv);
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  const core: FinalizeDeps = {
    s3: deps.s3 ?? finalizeS3Client(opts.region, opts.endpoint),
    bucket: opts.bucket,
    prefix: opts.prefix,
    now: () => new Date(),
    sleep: deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
    log: jsonLog,
    attempts: opts.attempts,
    baseDelayMs: 2_000,
    maxDelayMs: 60_000,
    partSizeBytes: opts.partSizeMiB * 1024 * 1024,
    stateDir: opts.stateDir,
  };
  const sessions = opts.mode === "sweep" ? await leftoverSessions(opts.dir, Date.now(), opts.minAgeSeconds * 1000, opts.stateDir) : [opts.dir];
  let failures = 0;
  for (const dir of sessions) {
    const res = await finalizeSession(core, dir);
    if (res.ok) continue;
    failures++;
    jsonLog("jibri-finalize-failed", { session: res.session, error: res.error, kept: dir });
    if (!opts.noMetric) {
      try {
        const instanceId = opts.instanceId ?? (await imdsInstanceId(2_000));
        await reportUploadFailure(deps.cloudwatch ?? new CloudWatchClient({ region: opts.region }), { Region: opts.region, Pool: opts.pool, InstanceId: instanceId }, new Date());
      } catch (e) {
        jsonLog("jibri-finalize-metric-failed", { error: (e as Error).message });
      }
    }
  }
  return failures === 0 ? 0 : 1;
}
