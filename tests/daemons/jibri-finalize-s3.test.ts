/**
 * agents/jibri-finalize against a real S3-compatible server (s3rver) on loopback: the real S3 client, real HTTP,
 * real failures (server down, a corrupted body in transit), nothing mocked but the CloudWatch failure metric.
 * Loopback block of this helper: 127.0.6.0/24, OS-assigned ports.
 */
import { strict as assert } from "assert";
import { CloudWatchClient, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { createHash, randomBytes } from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { FinalizeDeps, finalizeS3Client, finalizeSession, main } from "../../agents/jibri-finalize";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require("s3rver");

const S3_HOST = "127.0.6.1";
const PROXY_HOST = "127.0.6.2";
const BUCKET = "jitsi-recordings-test";
const SESSION = "fxzqkmnbvwruqjcp";
const MP4 = "MyRoom_2026-11-26-06-10-00.mp4";

interface Server {
  close(): Promise<void>;
}
let tmp: string;
let s3dir: string;
let server: Server | undefined;
let port = 0;

async function startS3(p = 0): Promise<number> {
  const s = new S3rver({ address: S3_HOST, port: p, silent: true, directory: s3dir, configureBuckets: [{ name: BUCKET }] });
  const addr = (await s.run()) as { port: number };
  server = s as Server;
  return addr.port;
}
async function stopS3(): Promise<void> {
  if (server) await server.close();
  server = undefined;
}

function client(endpointPort: number, host = S3_HOST): S3Client {
  const c = finalizeS3Client("us-east-1", `http://${host}:${endpointPort}`);
  // s3rver's fixed credentials; set explicitly so the test never reads a real AWS profile.
  c.config.credentials = async () => ({ accessKeyId: "S3RVER", secretAccessKey: "S3RVER" });
  return c;
}

function makeSession(mp4Bytes: number): { dir: string; mp4: Buffer; meta: string } {
  const dir = path.join(tmp, "recordings", SESSION);
  fs.mkdirSync(dir, { recursive: true });
  const mp4 = randomBytes(mp4Bytes);
  fs.writeFileSync(path.join(dir, MP4), mp4);
  const meta = JSON.stringify({ meeting_url: "https://meet.example.com/MyRoom", participants: [] });
  fs.writeFileSync(path.join(dir, "metadata.json"), meta);
  return { dir, mp4, meta };
}

function deps(s3: S3Client, o: Partial<FinalizeDeps> = {}): FinalizeDeps {
  return {
    s3,
    bucket: BUCKET,
    prefix: "recordings/",
    now: () => new Date("2026-11-26T07:00:00Z"),
    sleep: async () => undefined,
    log: () => undefined,
    attempts: 4,
    baseDelayMs: 1,
    maxDelayMs: 5,
    partSizeBytes: 5 * 1024 * 1024,
    stateDir: path.join(tmp, "state"),
    ...o,
  };
}

async function stored(s3: S3Client, key: string): Promise<Buffer> {
  const res = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from(await res.Body!.transformToByteArray());
}
const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");
const KEY_PREFIX = `recordings/2026/11/26/myroom/${SESSION}/`;

/** An HTTP proxy in front of s3rver that can corrupt one request body and watches the session directory. */
function proxy(target: () => number, sessionDir: string) {
  const seen: { method: string; url: string; sessionDirExists: boolean }[] = [];
  let corruptNextPut = false;
  const srv = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      let body = Buffer.concat(chunks);
      seen.push({ method: req.method ?? "", url: req.url ?? "", sessionDirExists: fs.existsSync(sessionDir) });
      if (corruptNextPut && req.method === "PUT" && body.length > 0) {
        corruptNextPut = false;
        body = Buffer.from(body);
        body[Math.floor(body.length / 2)] ^= 0xff; // one flipped byte in transit
      }
      const up = http.request({ host: S3_HOST, port: target(), method: req.method, path: req.url, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on("error", () => {
        res.writeHead(502);
        res.end();
      });
      up.end(body);
    });
  });
  return {
    seen,
    corruptOnce: () => (corruptNextPut = true),
    listen: () => new Promise<number>((r) => srv.listen(0, PROXY_HOST, () => r((srv.address() as { port: number }).port))),
    close: () => new Promise<void>((r) => srv.close(() => r())),
  };
}

describe("agents/jibri-finalize against s3rver on loopback (daemon)", function () {
  this.timeout(60_000);

  beforeEach(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "jibri-finalize-"));
    s3dir = path.join(tmp, "s3");
    fs.mkdirSync(s3dir);
    port = await startS3();
  });
  afterEach(async () => {
    await stopS3();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("uploads mp4 + metadata.json under <prefix>/yyyy/mm/dd/room/session/, byte for byte, then deletes the local copy", async () => {
    const { dir, mp4, meta } = makeSession(300_000);
    const s3 = client(port);
    const res = await finalizeSession(deps(s3), dir);
    assert.ok(res.ok, JSON.stringify(res));
    assert.deepStrictEqual(res.files.map((f) => f.key), [KEY_PREFIX + MP4, KEY_PREFIX + "metadata.json"], "mp4 first, metadata.json last");
    assert.equal(sha(await stored(s3, KEY_PREFIX + MP4)), sha(mp4));
    assert.equal((await stored(s3, KEY_PREFIX + "metadata.json")).toString(), meta);
    assert.ok(!fs.existsSync(dir), "local copy deleted after the verified upload");
    assert.deepStrictEqual(fs.readdirSync(path.join(tmp, "state", "uploading")), [], "uploading marker removed");
  });

  it("uploads a large recording in parts (multipart) and the stored object equals the local file", async () => {
    const { dir, mp4 } = makeSession(11 * 1024 * 1024 + 123); // 3 parts of 5 MiB
    const s3 = client(port);
    const res = await finalizeSession(deps(s3), dir);
    assert.ok(res.ok, JSON.stringify(res));
    const got = await stored(s3, KEY_PREFIX + MP4);
    assert.equal(got.length, mp4.length);
    assert.equal(sha(got), sha(mp4));
  });

  it("retries after the server was down, then succeeds once it is back (real ECONNREFUSED)", async () => {
    const { dir, mp4 } = makeSession(200_000);
    await stopS3(); // the port is known and now refuses connections
    let sleeps = 0;
    const s3 = client(port);
    const res = await finalizeSession(
      deps(s3, {
        sleep: async () => {
          sleeps++;
          if (sleeps === 2) await startS3(port); // back after two failed tries
        },
      }),
      dir,
    );
    assert.ok(res.ok, JSON.stringify(res));
    assert.equal(res.files[0].tries, 3);
    assert.equal(sha(await stored(s3, KEY_PREFIX + MP4)), sha(mp4));
    assert.ok(!fs.existsSync(dir));
  });

  it("detects a body corrupted in transit (ETag ≠ local MD5), retries, stores the right bytes; never deletes before success", async () => {
    const { dir, mp4 } = makeSession(250_000);
    const p = proxy(() => port, dir);
    const proxyPort = await p.listen();
    try {
      p.corruptOnce();
      const log: string[] = [];
      const res = await finalizeSession(deps(client(proxyPort, PROXY_HOST), { log: (e) => log.push(e) }), dir);
      assert.ok(res.ok, JSON.stringify(res));
      assert.equal(res.files[0].tries, 2, "the corrupted first try is detected and retried");
      assert.ok(log.includes("jibri-finalize-retry"));
      assert.equal(sha(await stored(client(port), KEY_PREFIX + MP4)), sha(mp4));
      assert.ok(p.seen.length >= 5, `saw ${p.seen.length} requests`);
      assert.ok(p.seen.every((s) => s.sessionDirExists), "the local copy existed during every S3 request");
      assert.ok(!fs.existsSync(dir), "deleted after the last verification");
    } finally {
      await p.close();
    }
  });

  it("when every try fails: keeps the local copy intact, exits 1 and publishes JibriUploadFailures", async () => {
    const { dir, mp4 } = makeSession(100_000);
    await stopS3();
    const cw = mockClient(CloudWatchClient);
    try {
      const code = await main(
        [dir, "--bucket", BUCKET, "--region", "us-east-1", "--pool", "rec", "--attempts", "2", "--endpoint", `http://${S3_HOST}:${port}`, "--instance-id", "i-0123456789abcdef0", "--state-dir", path.join(tmp, "state")],
        { s3: client(port), cloudwatch: new CloudWatchClient({ region: "us-east-1" }), sleep: async () => undefined },
      );
      assert.equal(code, 1);
      assert.equal(sha(fs.readFileSync(path.join(dir, MP4))), sha(mp4), "the recording is still on disk, unchanged");
      const puts = cw.commandCalls(PutMetricDataCommand);
      assert.equal(puts.length, 1);
      const data = puts[0].args[0].input.MetricData ?? [];
      assert.ok(data.length >= 1 && data.every((d) => d.MetricName === "JibriUploadFailures" && d.Value === 1));
      assert.deepStrictEqual(data[0].Dimensions, [{ Name: "Region", Value: "us-east-1" }, { Name: "Pool", Value: "rec" }, { Name: "InstanceId", Value: "i-0123456789abcdef0" }]);
    } finally {
      cw.restore();
    }
  });

  it("sweep uploads sessions a failed run left behind", async () => {
    const { dir, mp4 } = makeSession(50_000);
    const s3 = client(port);
    const sweep = (minAge: string) =>
      main(["sweep", path.dirname(dir), "--bucket", BUCKET, "--region", "us-east-1", "--pool", "rec", "--endpoint", `http://${S3_HOST}:${port}`, "--no-metric", "--state-dir", path.join(tmp, "state"), "--min-age-s", minAge], { s3 });
    // Just written: could still be recording, so the sweep leaves it alone.
    assert.equal(await sweep("600"), 0);
    assert.ok(fs.existsSync(dir), "a session changed in the last 10 min is not swept");
    const code = await sweep("0");
    assert.equal(code, 0);
    const list = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: "recordings/" }));
    assert.deepStrictEqual((list.Contents ?? []).map((o) => o.Key).sort(), [KEY_PREFIX + MP4, KEY_PREFIX + "metadata.json"].sort());
    assert.equal(sha(await stored(s3, KEY_PREFIX + MP4)), sha(mp4));
    assert.ok(!fs.existsSync(dir));
  });
});
