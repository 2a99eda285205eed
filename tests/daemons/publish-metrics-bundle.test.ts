/**
 * The shipped agent end to end: `node agent.js publish-metrics --once` (the esbuild bundle hosts download),
 * polling fixture sources on loopback and sending PutMetricData over HTTP to a fake CloudWatch endpoint
 * (AWS_ENDPOINT_URL_CLOUDWATCH), which checks what the real SDK puts on the wire. Loopback 127.0.8.3.
 */
import { strict as assert } from "assert";
import { execFile } from "child_process";
import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { gunzipSync } from "zlib";
import { buildAgentBundle } from "../../agents/bundle";

const HOST = "127.0.8.3";
const FIX = path.join(__dirname, "..", "fixtures", "metrics");

describe("daemons: the bundled agent's publish-metrics against a fake CloudWatch endpoint", function () {
  this.timeout(120_000);
  let dir: string;
  let bundle: string;
  const servers: http.Server[] = [];
  const listen = async (h: http.RequestListener) => {
    const s = http.createServer(h);
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, HOST, r));
    return `http://${HOST}:${(s.address() as AddressInfo).port}`;
  };

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "pm-bundle-"));
    bundle = path.join(dir, "agent.js");
    buildAgentBundle(bundle);
  });
  after(async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("publishes the bridge's stats and a source error for a dead Jicofo, in one JSON request to CloudWatch", async () => {
    const jvb = await listen((_q, r) => r.end(fs.readFileSync(path.join(FIX, "colibri-stats.json"))));
    const requests: { target: string; body: { Namespace: string; MetricData: { MetricName: string; Value: number; Dimensions: { Name: string; Value: string }[] }[] } }[] = [];
    const cw = await listen((q, r) => {
      const chunks: Buffer[] = [];
      q.on("data", (c) => chunks.push(c));
      q.on("end", () => {
        const raw = Buffer.concat(chunks);
        const text = (q.headers["content-encoding"] === "gzip" ? gunzipSync(raw) : raw).toString("utf8");
        requests.push({ target: String(q.headers["x-amz-target"]), body: JSON.parse(text) });
        r.writeHead(200, { "content-type": "application/x-amz-json-1.0" }).end("{}");
      });
    });
    const { code, stderr } = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [bundle, "publish-metrics", "--region", "eu-west-1", "--sources", "jvb,jicofo", "--fleet", "main", "--shard", "s1", "--instance-id", "i-0123456789abcdef0", "--once", "--jvb-url", `${jvb}/colibri/stats`, "--jicofo-url", `http://${HOST}:9/stats`, "--timeout-ms", "2000"],
        { env: { PATH: process.env.PATH, AWS_ENDPOINT_URL_CLOUDWATCH: cw, AWS_ACCESS_KEY_ID: "AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY: "secret", AWS_EC2_METADATA_DISABLED: "true" }, timeout: 60_000 },
        (err, _out, errText) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr: errText }),
      );
    });
    assert.equal(code, 0, stderr);
    assert.match(stderr, /source jicofo failed/);
    assert.equal(requests.length, 1);
    assert.match(requests[0].target, /PutMetricData$/);
    assert.equal(requests[0].body.Namespace, "JitsiAws");
    const lines = requests[0].body.MetricData.map((d) => `${d.MetricName}{${d.Dimensions.map((x) => `${x.Name}=${x.Value}`).join(",")}}=${d.Value}`);
    assert.ok(lines.includes("BridgeStress{Region=eu-west-1,Fleet=main}=0.6123"), lines.join("\n"));
    assert.ok(lines.includes("MetricsSourceErrors{Region=eu-west-1,Source=jicofo}=1"), lines.join("\n"));
    assert.ok(lines.includes("MetricsSourceErrors{Region=eu-west-1,Source=jvb}=0"), lines.join("\n"));
  });
});
