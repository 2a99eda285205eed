/**
 * The offline runner as a user calls it (`npm run policy -- --resources FILE`): exit status, the violation
 * lines with URNs, the closing summary line, and clear errors on bad input.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ALL_POLICIES } from "../../policies/all";
import { checkPackConfig } from "../../policies/evaluate";
import { parsePortSpec } from "../../policies/security";
import { REPO_ROOT } from "../helpers/env";
import * as drain from "./fixtures/drain-lifecycle-hook";
import * as imds from "./fixtures/imdsv2-required";

function runner(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "tools/policy.ts", ...args], {
    cwd: REPO_ROOT,
    encoding: "utf8",
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("tools/policy.ts (offline runner)", () => {
  let dir: string;
  const write = (name: string, data: unknown) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, typeof data === "string" ? data : JSON.stringify(data));
    return file;
  };

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-runner-"));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("exits 1 on a mandatory violation, prints its policy and URN, and closes with the summary line", () => {
    const file = write("bad.json", [...imds.negative, ...drain.negative]);
    const r = runner(["--resources", file]);
    assert.strictEqual(r.status, 1, r.stdout + r.stderr);
    const lines = r.stdout.trimEnd().split("\n");
    assert.strictEqual(lines[lines.length - 1], `${ALL_POLICIES.length} policies, ${imds.negative.length + drain.negative.length} resources, 2 mandatory violations`);
    assert.ok(r.stdout.includes(`mandatory imdsv2-required\n  ${imds.negative[0].urn}\n`), r.stdout);
    const hookGroup = drain.negative.find((x) => x.type === "aws:autoscaling/group:Group")!;
    assert.ok(r.stdout.includes(`mandatory drain-lifecycle-hook\n  ${hookGroup.urn}\n`), r.stdout);
  });

  it("exits 0 on clean resources", () => {
    const r = runner(["--resources", write("good.json", imds.positive)]);
    assert.strictEqual(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`\\n${ALL_POLICIES.length} policies, 1 resources, 0 mandatory violations\\n$`));
  });

  it("a config file that makes the policy advisory turns the same input into exit 0", () => {
    const config = write("advisory.json", { "imdsv2-required": "advisory" });
    const r = runner(["--resources", write("bad2.json", imds.negative), "--config", config]);
    assert.strictEqual(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^advisory  imdsv2-required$/m);
    assert.match(r.stdout, /1 advisory violation\(s\)/);
  });

  it("names the bad field of a malformed resources.json and exits 2", () => {
    const file = write("malformed.json", [{ urn: "urn:x", type: "aws:s3/bucket:Bucket", name: "b", parent: 7, inputs: {} }]);
    const r = runner(["--resources", file]);
    assert.strictEqual(r.status, 2);
    assert.match(r.stderr, /malformed\.json\[0\]\.parent must be a URN string or null/);
  });

  it("--stack with a stack that has no config: exit 2 naming the missing file, nothing evaluated", () => {
    const r = runner(["--stack", "no-such-stack"]);
    assert.strictEqual(r.status, 2);
    assert.match(r.stderr, /Pulumi\.no-such-stack\.yaml does not exist/);
    assert.doesNotMatch(r.stdout, /policies, .* resources/);
  });

  it("rejects unknown arguments and both/neither of --resources and --stack", () => {
    assert.match(runner(["--resource", "x"]).stderr, /unknown argument --resource/);
    const both = runner(["--resources", "x", "--stack", "prod"]);
    assert.strictEqual(both.status, 2);
    assert.match(both.stderr, /give exactly one of --resources or --stack/);
  });

  it("every shipped policy config (policies/config/*.json) names real policies, valid levels and ports", () => {
    const cfgDir = path.join(REPO_ROOT, "policies", "config");
    const files = fs.readdirSync(cfgDir).filter((f) => f.endsWith(".json"));
    assert.ok(files.length > 0);
    for (const f of files) {
      const cfg = checkPackConfig(JSON.parse(fs.readFileSync(path.join(cfgDir, f), "utf8")), ALL_POLICIES.map((p) => p.name));
      const sg = cfg["sg-world-ingress"];
      if (typeof sg === "object") for (const spec of (sg.allowedWorldIngress as string[]) ?? []) parsePortSpec(spec);
    }
    assert.throws(() => parsePortSpec("443"), /allowedWorldIngress entry "443" must look like "443\/tcp"/);
  });
});
