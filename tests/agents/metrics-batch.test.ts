import { CloudWatchClient, type MetricDatum, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { strict as assert } from "assert";
import { mockClient } from "aws-sdk-client-mock";
import fc from "fast-check";
import { Readable } from "stream";
import { gunzipSync } from "zlib";
import { backoffDelay, batchMetricData, envelopeBytes, estimateDatumBytes, isRetryable, PUT_LIMITS, publishMetricData, toMetricData, withRetry } from "../../agents/metrics-batch";
import { BRIDGE_METRICS, EDGE_METRICS, NAMESPACE } from "../../metrics/catalog";

/** CloudWatch's documented request limit (1 MB); PUT_LIMITS stays below it on purpose. */
const ONE_MB = 1024 * 1024;

/**
 * A real CloudWatchClient whose HTTP handler records the serialized request bodies, so batch sizes are
 * measured on the wire format the SDK actually sends, not on our own estimate.
 */
function recordingClient(): { client: CloudWatchClient; bodies: Buffer[] } {
  const bodies: Buffer[] = [];
  const client = new CloudWatchClient({
    region: "eu-west-1",
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
    maxAttempts: 1,
    requestHandler: {
      handle: async (req: { body?: unknown; headers: Record<string, string> }) => {
        // Small bodies arrive as a string-like adapter; the SDK gzips bodies over 10 KB (PutMetricData has
        // the requestCompression trait). Measure the uncompressed JSON: the stricter of the two.
        const wire = req.body instanceof Uint8Array ? Buffer.from(req.body) : Buffer.from(String(req.body), "utf8");
        assert.equal(Number(req.headers["content-length"]), wire.length, "content-length must match the body");
        bodies.push(req.headers["content-encoding"] === "gzip" ? gunzipSync(wire) : wire);
        const body = Readable.from([Buffer.from("{}")]);
        return { response: { statusCode: 200, headers: { "content-type": "application/x-amz-json-1.0" }, body } };
      },
    } as never,
  });
  return { client, bodies };
}

const T = new Date("2026-11-20T14:02:00Z");
function datum(name: string, dims: number, valueLen: number, v = 1): MetricDatum {
  return { MetricName: name, Unit: "Count", Value: v, Timestamp: T, StorageResolution: 60, Dimensions: Array.from({ length: dims }, (_, i) => ({ Name: `D${i}`, Value: "x".repeat(valueLen) })) };
}

describe("metrics batch: dimension sets", () => {
  it("publishes a bridge sample once per dimension set of its metric, values from the host context", () => {
    const data = toMetricData([{ metric: BRIDGE_METRICS.stress, value: 0.5 }], { Region: "eu-west-1", Fleet: "main", InstanceId: "i-0123456789abcdef0" }, T);
    assert.deepEqual(data.map((d) => d.Dimensions?.map((x) => `${x.Name}=${x.Value}`).join(",")), ["Region=eu-west-1,Fleet=main,InstanceId=i-0123456789abcdef0", "Region=eu-west-1,Fleet=main"]);
    assert.ok(data.every((d) => d.MetricName === "BridgeStress" && d.Unit === "None" && d.StorageResolution === 60 && d.Timestamp === T));
  });

  it("a sample's own dims (the HAProxy server's shard) are used", () => {
    const [d] = toMetricData([{ metric: EDGE_METRICS.shardUp, value: 1, dims: { Shard: "shard-a" } }], { Region: "eu-west-1", InstanceId: "i-0123456789abcdef0" }, T);
    assert.deepEqual(d.Dimensions, [{ Name: "Region", Value: "eu-west-1" }, { Name: "Shard", Value: "shard-a" }]);
  });

  it("refuses to publish a half-dimensioned series and names the missing dimension", () => {
    assert.throws(() => toMetricData([{ metric: BRIDGE_METRICS.stress, value: 0.5 }], { Region: "eu-west-1", InstanceId: "i-0123456789abcdef0" }, T), /BridgeStress needs dimension\(s\) Fleet/);
  });
});

describe("metrics batch: CloudWatch limits", () => {
  it("2500 small data -> batches of 1000, 1000, 500 in order", () => {
    const data = Array.from({ length: 2500 }, (_, i) => datum(`M${i}`, 2, 10));
    const b = batchMetricData(data);
    assert.deepEqual(b.map((x) => x.length), [1000, 1000, 500]);
    assert.deepEqual(b.flat(), data);
  });

  it("large data are split by bytes, and every real request body stays under 1 MB", async () => {
    // 30 dimensions (the API maximum) of 1024-character values (the maximum length): ~33 KB per datum.
    const data = Array.from({ length: 100 }, (_, i) => datum(`Big${i}`, 30, 1024));
    const batches = batchMetricData(data);
    assert.ok(batches.length >= 4, `expected the byte limit to split 100 big data, got ${batches.length} batch(es)`);
    assert.ok(batches.every((b) => b.length < 1000));
    const { client, bodies } = recordingClient();
    const res = await publishMetricData(client, data);
    assert.equal(res.calls, batches.length);
    assert.deepEqual(res.failed, []);
    const max = Math.max(...bodies.map((b) => b.length));
    assert.ok(max <= ONE_MB, `largest body ${max} bytes`);
    assert.ok(max > PUT_LIMITS.maxBytes * 0.8, `batches should be filled close to the limit, largest was ${max} bytes`);
    console.log(`      measured: ${bodies.length} requests, largest body ${max} bytes (limit ${ONE_MB})`);
    client.destroy();
  });

  it("a datum bigger than one request is an error naming it", () => {
    assert.throws(() => batchMetricData([datum("Huge", 1, 2_000_000)]), /metric Huge is \d+ bytes, more than one PutMetricData request may carry/);
  });

  it("property: any data set -> batches keep order, <= 1000 data, real body <= 1 MB", async () => {
    const { client, bodies } = recordingClient();
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ n: fc.integer({ min: 0, max: 30 }), len: fc.integer({ min: 1, max: 1024 }), v: fc.double({ min: -1e9, max: 1e9, noNaN: true }) }), { minLength: 0, maxLength: 1500 }), async (specs) => {
        const data = specs.map((s, i) => datum(`P${i}`, s.n, s.len, s.v));
        const batches = batchMetricData(data);
        assert.deepEqual(batches.flat(), data);
        assert.ok(batches.every((b) => b.length >= 1 && b.length <= 1000));
        bodies.length = 0;
        await publishMetricData(client, data);
        assert.equal(bodies.length, batches.length);
        bodies.forEach((b, i) => {
          assert.ok(b.length <= ONE_MB, `body of ${b.length} bytes`);
          // The estimate the batcher uses is an upper bound of what the SDK really sends.
          const estimate = envelopeBytes(NAMESPACE) + batches[i].reduce((a, d) => a + estimateDatumBytes(d), 0);
          assert.ok(b.length <= estimate, `body ${b.length} > estimate ${estimate}`);
        });
      }),
      { numRuns: 25 },
    );
    client.destroy();
  });
});

describe("metrics batch: retry with backoff", () => {
  const throttled = () => Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException", $metadata: { httpStatusCode: 400 } });
  const invalid = () => Object.assign(new Error("bad value"), { name: "InvalidParameterValueException", $metadata: { httpStatusCode: 400 } });

  it("classifies throttling, 5xx and network errors as retryable; input errors as not", () => {
    assert.ok(isRetryable(throttled()));
    assert.ok(isRetryable({ name: "X", $metadata: { httpStatusCode: 503 } }));
    assert.ok(isRetryable(Object.assign(new Error("reset"), { code: "ECONNRESET" })));
    assert.ok(!isRetryable(invalid()));
  });

  it("backoff is capped exponential with full jitter", () => {
    const at = (a: number) => backoffDelay(a, { baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.999 });
    assert.deepEqual([0, 1, 2, 3, 4, 5].map(at), [99, 199, 399, 799, 999, 999]);
    assert.equal(backoffDelay(3, { random: () => 0 }), 0);
  });

  it("throttled twice then accepted: three calls, two growing sleeps, data published", async () => {
    const cw = mockClient(CloudWatchClient);
    cw.on(PutMetricDataCommand).rejectsOnce(throttled()).rejectsOnce(throttled()).resolves({});
    const sleeps: number[] = [];
    const client = new CloudWatchClient({ region: "eu-west-1" });
    const res = await publishMetricData(client, [datum("A", 1, 5)], { sleep: async (ms) => void sleeps.push(ms), random: () => 0.5, baseDelayMs: 100 });
    assert.equal(res.calls, 3);
    assert.deepEqual(res.failed, []);
    assert.deepEqual(sleeps, [50, 100]);
    assert.equal(cw.commandCalls(PutMetricDataCommand).length, 3);
    assert.equal(cw.commandCalls(PutMetricDataCommand)[2].args[0].input.Namespace, NAMESPACE);
    cw.restore();
  });

  it("an input error is not retried; after the last attempt the batch is reported failed and the next batch still goes", async () => {
    const cw = mockClient(CloudWatchClient);
    cw.on(PutMetricDataCommand).rejectsOnce(invalid()).resolves({});
    const data = Array.from({ length: 1500 }, (_, i) => datum(`M${i}`, 1, 5));
    const res = await publishMetricData(new CloudWatchClient({ region: "eu-west-1" }), data, { sleep: async () => undefined });
    assert.equal(res.calls, 2);
    assert.equal(res.failed.length, 1);
    assert.match(res.failed[0].error, /InvalidParameterValueException/);
    assert.equal(res.failed[0].data, 1000);
    cw.restore();
  });

  it("gives up after the configured attempts", async () => {
    let calls = 0;
    await assert.rejects(
      withRetry(async () => {
        calls += 1;
        throw throttled();
      }, { attempts: 4, sleep: async () => undefined }),
      /Rate exceeded/,
    );
    assert.equal(calls, 4);
  });
});
