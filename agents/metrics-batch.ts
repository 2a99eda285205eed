/**
 * From catalogue samples to PutMetricData calls: dimension sets, batching inside CloudWatch's limits, and a
 * retry with capped exponential backoff and full jitter. The AWS client is passed in (tests use a mock).
 */
import { type CloudWatchClient, type MetricDatum, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { NAMESPACE } from "../metrics/catalog";
import type { Sample } from "./metrics-sources";

/** jitsi-facts.md / AWS docs: PutMetricData takes at most 1000 metrics and 1 MB per request. */
export const PUT_LIMITS = { maxData: 1000, maxBytes: 1_000_000 } as const;

/**
 * Expands samples into one datum per dimension set of their metric. `context` holds the host's dimension
 * values (Region, InstanceId, Fleet, ...); a sample's own dims (e.g. Shard of an HAProxy server) win.
 * A dimension set whose values are not all known is an error: publishing it half-filled would create a
 * series no dashboard or scaler reads.
 */
export function toMetricData(samples: readonly Sample[], context: Readonly<Record<string, string>>, timestamp: Date): MetricDatum[] {
  const out: MetricDatum[] = [];
  for (const s of samples) {
    const values = { ...context, ...s.dims };
    for (const set of s.metric.dimensions) {
      const missing = set.filter((d) => !values[d]);
      if (missing.length > 0) throw new Error(`metric ${s.metric.name} needs dimension(s) ${missing.join(", ")}; pass them on the command line`);
      out.push({
        MetricName: s.metric.name,
        Unit: s.metric.unit,
        Value: s.value,
        Timestamp: timestamp,
        // Standard resolution: one value per minute is all the scalers and alarms use (60 s periods).
        StorageResolution: 60,
        Dimensions: set.map((d) => ({ Name: d, Value: values[d] })),
      });
    }
  }
  return out;
}

/**
 * Upper bound of the bytes one datum adds to a request. The client sends AWS JSON 1.0; this counts the
 * datum's JSON with the timestamp as an ISO string (longer than the epoch number sent) plus separators.
 */
export function estimateDatumBytes(d: MetricDatum): number {
  return Buffer.byteLength(JSON.stringify({ ...d, Timestamp: d.Timestamp?.toISOString() })) + 16;
}

/** Bytes of the request envelope around MetricData (namespace, keys, braces), generously rounded up. */
export function envelopeBytes(namespace: string): number {
  return Buffer.byteLength(JSON.stringify({ Namespace: namespace, MetricData: [] })) + 256;
}

/**
 * Splits data into batches of at most `limits.maxData` data and `limits.maxBytes` estimated bytes, keeping
 * the order. A single datum larger than the byte limit cannot be sent at all and is an error.
 */
export function batchMetricData(data: readonly MetricDatum[], namespace: string = NAMESPACE, limits: { maxData: number; maxBytes: number } = PUT_LIMITS): MetricDatum[][] {
  const batches: MetricDatum[][] = [];
  const base = envelopeBytes(namespace);
  let cur: MetricDatum[] = [];
  let bytes = base;
  for (const d of data) {
    const size = estimateDatumBytes(d);
    if (base + size > limits.maxBytes) throw new Error(`metric ${d.MetricName} is ${size} bytes, more than one PutMetricData request may carry (${limits.maxBytes})`);
    if (cur.length >= limits.maxData || bytes + size > limits.maxBytes) {
      batches.push(cur);
      cur = [];
      bytes = base;
    }
    cur.push(d);
    bytes += size;
  }
  if (cur.length > 0) batches.push(cur);
  return batches;
}

export interface RetryOptions {
  /** Attempts in total, the first included. @default 5 */
  readonly attempts?: number;
  /** @default 200 */
  readonly baseDelayMs?: number;
  /** @default 10000 */
  readonly maxDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Returns [0, 1); injected so tests can pin the jitter. */
  readonly random?: () => number;
}

const RETRYABLE_NAMES = new Set(["ThrottlingException", "Throttling", "ThrottledException", "RequestLimitExceeded", "TooManyRequestsException", "ServiceUnavailable", "InternalFailure", "InternalServiceError", "InternalServiceFault", "TimeoutError", "RequestTimeout"]);
const RETRYABLE_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EPIPE", "EAI_AGAIN", "ENOTFOUND"]);

/** Throttling, server errors and network errors are worth another try; a 4xx about our input is not. */
export function isRetryable(e: unknown): boolean {
  const err = e as { name?: string; code?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  if (!err || typeof err !== "object") return false;
  if (err.$retryable) return true;
  if (err.name && RETRYABLE_NAMES.has(err.name)) return true;
  if (err.code && RETRYABLE_CODES.has(err.code)) return true;
  const status = err.$metadata?.httpStatusCode;
  return status !== undefined && (status >= 500 || status === 429);
}

/** Full-jitter backoff: a random delay in [0, min(max, base * 2^attempt)). */
export function backoffDelay(attempt: number, opts: RetryOptions = {}): number {
  const cap = Math.min(opts.maxDelayMs ?? 10_000, (opts.baseDelayMs ?? 200) * 2 ** attempt);
  return Math.floor(cap * (opts.random ?? Math.random)());
}

export async function withRetry<T>(fn: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const attempts = opts.attempts ?? 5;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (attempt + 1 >= attempts || !isRetryable(e)) throw e;
      await sleep(backoffDelay(attempt, opts));
    }
  }
}

export interface PublishResult {
  readonly calls: number;
  readonly data: number;
  /** Batches that failed after all retries, with the reason; the other batches still went out. */
  readonly failed: { readonly data: number; readonly error: string }[];
}

/** Sends every batch (each with its own retries); one failed batch does not stop the others. */
export async function publishMetricData(client: CloudWatchClient, data: readonly MetricDatum[], opts: RetryOptions & { namespace?: string } = {}): Promise<PublishResult> {
  const namespace = opts.namespace ?? NAMESPACE;
  let calls = 0;
  const failed: { data: number; error: string }[] = [];
  for (const batch of batchMetricData(data, namespace)) {
    try {
      await withRetry(() => {
        calls += 1;
        return client.send(new PutMetricDataCommand({ Namespace: namespace, MetricData: batch }));
      }, opts);
    } catch (e) {
      failed.push({ data: batch.length, error: `${(e as Error).name}: ${(e as Error).message}` });
    }
  }
  return { calls, data: data.length, failed };
}
