/**
 * The pack entry as the Pulumi CLI runs it: policies/index.ts is started in its own process (it serves
 * gRPC on a loopback port, as under `pulumi preview --policy-pack policies`), and this test speaks the
 * analyzer protocol to it — GetAnalyzerInfo, Analyze (one resource), AnalyzeStack — with fixtures. So the
 * pack loads, every policy is registered with its level, and the SDK's own server reaches the same
 * verdicts as the offline runner.
 */
import * as assert from "assert";
import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as analyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import * as analyzerRpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import { ALL_POLICIES } from "../../policies/all";
import type { PlanResource } from "../../policies/evaluate";
import { REPO_ROOT } from "../helpers/env";
import * as drain from "./fixtures/drain-lifecycle-hook";
import * as imds from "./fixtures/imdsv2-required";

type Client = InstanceType<typeof analyzerRpc.AnalyzerClient>;

function call<Req, Res>(fn: (req: Req, cb: (err: grpc.ServiceError | null, res: Res) => void) => void, req: Req): Promise<Res> {
  return new Promise((resolve, reject) => fn(req, (err, res) => (err ? reject(err) : resolve(res))));
}

function options(r: PlanResource): analyzerPb.AnalyzerResourceOptions {
  const o = new analyzerPb.AnalyzerResourceOptions();
  if (r.parent) o.setParent(r.parent);
  return o;
}

describe("policies/index.ts served over the analyzer protocol", function () {
  this.timeout(60_000);
  let child: ChildProcess | undefined;
  let client: Client;

  before(async () => {
    child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "index.ts"], {
      cwd: path.join(REPO_ROOT, "policies"),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr?.on("data", (d) => (stderr += d));
    // The SDK prints the port it bound on 127.0.0.1 as the first line of stdout.
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no port within 30 s; stderr: ${stderr}`)), 30_000);
      let out = "";
      child?.stdout?.on("data", (d) => {
        out += d;
        const m = /^(\d+)\s*$/m.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child?.on("exit", (code) => reject(new Error(`pack exited with ${code}: ${stderr}`)));
    });
    client = new analyzerRpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });

  after(() => {
    client?.close();
    if (child && child.exitCode === null) child.kill("SIGTERM");
  });

  it("registers every policy of policies/all.ts with its enforcement level", async () => {
    const info = await call<Empty, analyzerPb.AnalyzerInfo>(client.getAnalyzerInfo.bind(client) as never, new Empty());
    assert.strictEqual(info.getName(), "jitsi-aws");
    assert.strictEqual(info.getVersion(), "0.1.0");
    const served = info.getPoliciesList().map((p) => p.getName());
    assert.deepStrictEqual(served, ALL_POLICIES.map((p) => p.name));
    // EnforcementLevel.MANDATORY = 1 in pulumirpc.
    assert.ok(info.getPoliciesList().every((p) => p.getEnforcementlevel() === analyzerPb.EnforcementLevel.MANDATORY));
  });

  it("Analyze: the IMDSv1 launch template gets exactly the imdsv2-required diagnostic", async () => {
    const r = imds.negative[0];
    const req = new analyzerPb.AnalyzeRequest();
    req.setType(r.type);
    req.setUrn(r.urn);
    req.setName(r.name);
    req.setProperties(Struct.fromJavaScript(r.inputs as never));
    req.setOptions(options(r));
    const res = await call<analyzerPb.AnalyzeRequest, analyzerPb.AnalyzeResponse>(client.analyze.bind(client) as never, req);
    // The SDK prefixes the policy's description to the message.
    const d = res.getDiagnosticsList().map((x) => `${x.getPolicyname()} ${x.getEnforcementlevel()} ${x.getMessage().split("\n").pop()}`);
    assert.deepStrictEqual(d, [`imdsv2-required ${analyzerPb.EnforcementLevel.MANDATORY} metadataOptions.httpTokens is "optional"; it must be "required" (IMDSv2 only).`]);
  });

  it("AnalyzeStack: the short lifecycle hook gets exactly the drain-lifecycle-hook diagnostic on its group", async () => {
    const req = new analyzerPb.AnalyzeStackRequest();
    for (const r of drain.negative) {
      const a = new analyzerPb.AnalyzerResource();
      a.setType(r.type);
      a.setUrn(r.urn);
      a.setName(r.name);
      a.setProperties(Struct.fromJavaScript(r.inputs as never));
      a.setOptions(options(r));
      if (r.parent) a.setParent(r.parent);
      req.addResources(a);
    }
    const res = await call<analyzerPb.AnalyzeStackRequest, analyzerPb.AnalyzeResponse>(client.analyzeStack.bind(client) as never, req);
    const group = drain.negative.find((x) => x.type === "aws:autoscaling/group:Group")!;
    const d = res.getDiagnosticsList().map((x) => `${x.getPolicyname()} ${x.getUrn()}`);
    assert.deepStrictEqual(d, [`drain-lifecycle-hook ${group.urn}`]);
  });
});
