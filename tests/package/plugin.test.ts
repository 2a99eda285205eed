/**
 * The plugin entry the Pulumi engine starts for other languages (PulumiPlugin.yaml main: provider/host.ts):
 * started as the engine would (no engine address here), it must print its gRPC port, listen on loopback only,
 * and answer GetSchema with the committed schema.json, which `pulumi package add` generates SDKs from.
 */
import { strict as assert } from "assert";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";

const ROOT = path.resolve(__dirname, "..", "..");

describe("component provider plugin (provider/host.ts) over gRPC", function () {
  this.timeout(240_000);
  let child: ChildProcess | undefined;
  let port = 0;
  let stderr = "";

  before(async () => {
    child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "provider/host.ts"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    port = await new Promise<number>((resolve, reject) => {
      let out = "";
      const t = setTimeout(() => reject(new Error(`no port printed within 120 s; stderr: ${stderr}`)), 120_000);
      child?.stdout?.on("data", (d: Buffer) => {
        out += d.toString();
        const m = /^(\d+)\s*$/m.exec(out);
        if (m) {
          clearTimeout(t);
          resolve(Number(m[1]));
        }
      });
      child?.on("exit", (code) => {
        clearTimeout(t);
        reject(new Error(`provider exited (${code}) before printing its port: ${stderr}`));
      });
    });
  });
  after(() => {
    if (child && child.exitCode === null) child.kill("SIGTERM");
  });

  it("PulumiPlugin.yaml declares a nodejs plugin whose main exists", () => {
    const manifest = parse(fs.readFileSync(path.join(ROOT, "PulumiPlugin.yaml"), "utf8")) as { runtime: string; main: string };
    assert.equal(manifest.runtime, "nodejs");
    assert.ok(fs.existsSync(path.join(ROOT, manifest.main)), `${manifest.main} does not exist`);
  });

  it("prints its port and listens on loopback", () => {
    assert.ok(port > 0 && port < 65536);
  });

  it("answers GetSchema with the committed schema.json", async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const grpc = require("@grpc/grpc-js") as typeof import("@grpc/grpc-js");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const services = require("@pulumi/pulumi/proto/provider_grpc_pb");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const messages = require("@pulumi/pulumi/proto/provider_pb");
    const client = new services.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      const schema = await new Promise<string>((resolve, reject) =>
        client.getSchema(new messages.GetSchemaRequest(), (err: Error | null, resp: { getSchema(): string }) => (err ? reject(err) : resolve(resp.getSchema()))),
      );
      const committed = JSON.parse(fs.readFileSync(path.join(ROOT, "schema.json"), "utf8"));
      assert.deepEqual(JSON.parse(schema), committed, "the plugin serves a schema other than schema.json: run `npm run schema`");
    } finally {
      client.close();
    }
  });
});
