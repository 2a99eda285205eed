/**
 * The shipped agent bundle (`node agent.js …`, what recorders download) run as real processes on loopback
 * 127.0.6.0/24: jibri-finalize against s3rver, and jibri-status against a fake Jibri, a fake IMDSv2 and fake AWS
 * endpoints (AWS_ENDPOINT_URL_*), which record what the real SDK puts on the wire.
 */
import { strict as assert } from "assert";
import { ChildProcess, execFile, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { buildAgentBundle } from "../../agents/bundle";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require("s3rver");

const HOST = "127.0.6.3";
const BUCKET = "bundle-recordings";

interface Seen {
  readonly service: string;
  readonly action: string;
  readonly params: URLSearchParams;
}

describe("daemons: the bundled jibri agents as real processes", function () {
  this.timeout(120_000);
  let dir: string;
  let bundle: string;
  const servers: http.Server[] = [];
  const children: ChildProcess[] = [];
  const listen = async (h: http.RequestListener) => {
    const s = http.createServer(h);
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, HOST, r));
    return `http://${HOST}:${(s.address() as AddressInfo).port}`;
  };
  /** A fake AWS Query-protocol endpoint: records Action + params, answers an empty <ActionResponse>. */
  const fakeAws = (service: string, seen: Seen[]) =>
    listen((q, r) => {
      let body = "";
      q.on("data", (c) => (body += c));
      q.on("end", () => {
        const params = new URLSearchParams(body);
        const action = params.get("Action") ?? String(q.headers["x-amz-target"] ?? "?");
        seen.push({ service, action, params });
        if (String(q.headers["content-type"]).includes("json")) {
          r.writeHead(200, { "content-type": "application/x-amz-json-1.0" }).end("{}");
          return;
        }
        const result = action === "Publish" ? "<PublishResult><MessageId>m-1</MessageId></PublishResult>" : "";
        r.writeHead(200, { "content-type": "text/xml" }).end(`<${action}Response>${result}<ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></${action}Response>`);
      });
    });

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "jibri-bundle-"));
    bundle = path.join(dir, "agent.js");
    buildAgentBundle(bundle);
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const run = (args: string[], env: Record<string, string>) =>
    new Promise<{ code: number; out: string }>((resolve) =>
      execFile(process.execPath, [bundle, ...args], { env: { PATH: process.env.PATH, AWS_EC2_METADATA_DISABLED: "true", ...env }, timeout: 60_000 }, (err, out, errText) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: out + errText }),
      ),
    );

  it("jibri-finalize: uploads the session to S3 (s3rver), verified, and deletes it; down server → exit 1, copy kept", async () => {
    const s3dir = path.join(dir, "s3");
    fs.mkdirSync(s3dir);
    const s3 = new S3rver({ address: HOST, port: 0, silent: true, directory: s3dir, configureBuckets: [{ name: BUCKET }] });
    const { port } = (await s3.run()) as { port: number };
    try {
      const session = path.join(dir, "rec", "sessionabc");
      fs.mkdirSync(session, { recursive: true });
      fs.writeFileSync(path.join(session, "Room_2026-11-26-07-00-00.mp4"), Buffer.alloc(70_000, 7));
      fs.writeFileSync(path.join(session, "metadata.json"), JSON.stringify({ meeting_url: "https://meet.example.com/Room" }));
      const env = { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER" };
      const args = [session, "--bucket", BUCKET, "--region", "us-east-1", "--pool", "rec", "--endpoint", `http://${HOST}:${port}`, "--no-metric", "--state-dir", path.join(dir, "state"), "--attempts", "2"];
      const ok = await run(["jibri-finalize", ...args], env);
      assert.equal(ok.code, 0, ok.out);
      assert.ok(!fs.existsSync(session));
      const stored = path.join(s3dir, BUCKET, "recordings", "2026", "11", "26", "room", "sessionabc", "Room_2026-11-26-07-00-00.mp4._S3rver_object");
      assert.equal(fs.statSync(stored).size, 70_000);

      fs.mkdirSync(session, { recursive: true });
      fs.writeFileSync(path.join(session, "Room_2026-11-26-08-00-00.mp4"), Buffer.alloc(1000, 1));
      await s3.close();
      const down = await run(["jibri-finalize", ...args], env);
      assert.equal(down.code, 1, down.out);
      assert.ok(fs.existsSync(path.join(session, "Room_2026-11-26-08-00-00.mp4")), "kept after a failed upload");
    } finally {
      await s3.close().catch(() => undefined);
    }
  });

  it("jibri-status: busy → protects, tags and publishes; on termination asks Jibri to stop and completes the hook", async () => {
    const seen: Seen[] = [];
    const asg = await fakeAws("autoscaling", seen);
    const ec2 = await fakeAws("ec2", seen);
    const sns = await fakeAws("sns", seen);
    let busy = "IDLE";
    let lifecycle = "InService";
    let graceful = 0;
    const jibri = await listen((q, r) => {
      if (q.method === "POST") {
        graceful++;
        busy = "IDLE";
        r.end();
        return;
      }
      r.end(JSON.stringify({ status: { busyStatus: busy, health: { healthStatus: "HEALTHY" } } }));
    });
    const imds = await listen((q, r) => {
      if (q.url === "/latest/api/token" && q.method === "PUT") r.end("tok");
      else if (q.headers["x-aws-ec2-metadata-token"] !== "tok") r.writeHead(401).end();
      else if (q.url === "/latest/meta-data/instance-id") r.end("i-0123456789abcdef0");
      else if (q.url === "/latest/meta-data/autoscaling/target-lifecycle-state") r.end(lifecycle);
      else r.writeHead(404).end();
    });
    const child = spawn(
      process.execPath,
      [bundle, "jibri-status", "watch", "--group", "g", "--region", "us-east-1", "--pool", "rec", "--topic-arn", "arn:aws:sns:us-east-1:123456789012:t", "--hook", "term", "--launch-hook", "launch",
        "--health-url", `${jibri}/health`, "--graceful-url", `${jibri}/shutdown`, "--imds-url", imds, "--interval-ms", "500", "--state-dir", path.join(dir, "st"), "--recordings-dir", path.join(dir, "none")],
      { env: { PATH: process.env.PATH ?? "", AWS_ACCESS_KEY_ID: "AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY: "secret", AWS_ENDPOINT_URL_AUTO_SCALING: asg, AWS_ENDPOINT_URL_EC2: ec2, AWS_ENDPOINT_URL_SNS: sns }, stdio: "pipe" },
    );
    children.push(child);
    let out = "";
    child.stdout?.on("data", (d) => (out += d));
    child.stderr?.on("data", (d) => (out += d));
    const until = async (what: string, cond: () => boolean) => {
      for (let i = 0; i < 100 && !cond(); i++) await new Promise((r) => setTimeout(r, 100));
      assert.ok(cond(), `${what}; agent output:\n${out}\nseen: ${seen.map((s) => s.action).join(",")}`);
    };
    const protect = (v: string) => seen.some((s) => s.action === "SetInstanceProtection" && s.params.get("ProtectedFromScaleIn") === v);
    await until("idle reported", () => seen.some((s) => s.action === "Publish") && protect("false"));
    assert.equal(seen[0].action, "CompleteLifecycleAction", "the launching hook is released first");
    assert.equal(seen[0].params.get("LifecycleHookName"), "launch");
    busy = "BUSY";
    await until("busy reported", () => protect("true") && seen.filter((s) => s.action === "Publish").length >= 2);
    const order = seen.map((s) => s.action);
    assert.ok(order.lastIndexOf("SetInstanceProtection") < order.lastIndexOf("Publish"), "protected before the replenisher hears of it");
    const lastPublish = [...seen].reverse().find((s) => s.action === "Publish")!;
    assert.equal(JSON.parse(lastPublish.params.get("Message") ?? "{}").phase, "busy");
    assert.ok(seen.some((s) => s.action === "CreateTags" && [...s.params.values()].includes("jitsi:jibri-last-busy-at")));
    lifecycle = "Terminated";
    const code = await new Promise<number | null>((r) => child.on("exit", r));
    assert.equal(code, 0, out);
    assert.equal(graceful, 1);
    const complete = [...seen].reverse().find((s) => s.action === "CompleteLifecycleAction")!;
    assert.deepStrictEqual([complete.params.get("LifecycleHookName"), complete.params.get("LifecycleActionResult")], ["term", "CONTINUE"]);
  });
});
