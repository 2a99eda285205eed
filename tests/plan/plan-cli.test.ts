/**
 * `npm run plan` as an operator runs it: output layout, byte-identical re-runs, no secret on disk, and bad
 * config → non-zero exit, each problem named, nothing written.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { listFiles } from "../../tools/plan/output";
import { REPO_ROOT } from "../helpers/env";
import { MALFORMED } from "../config/malformed-cases";
import { tempProject } from "./fixtures";

function plan(args: string[]) {
  const r = spawnSync(process.execPath, [require.resolve("ts-node/dist/bin.js"), "--transpile-only", path.join(REPO_ROOT, "tools/plan.ts"), ...args], {
    cwd: REPO_ROOT,
    encoding: "utf8",
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("npm run plan (CLI)", function () {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "plan-cli-"));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("writes resources.json, summary.json and files/, byte-identical on a second run, with no secret", () => {
    const a = plan(["--stack", "prod", "--out", path.join(tmp, "a")]);
    const b = plan(["--stack", "prod", "--out", path.join(tmp, "b")]);
    assert.strictEqual(a.code, 0, a.err);
    assert.strictEqual(b.code, 0, b.err);
    assert.match(a.out, /plan of stack prod: \d+ resources/);
    assert.match(a.out, /in \d+\.\d+ s/);
    const fa = listFiles(path.join(tmp, "a")).map((f) => path.relative(path.join(tmp, "a"), f));
    const fb = listFiles(path.join(tmp, "b")).map((f) => path.relative(path.join(tmp, "b"), f));
    assert.deepStrictEqual(fa, fb);
    assert.ok(fa.includes("resources.json") && fa.includes("summary.json"));
    assert.ok(fa.some((f) => f.startsWith("files/us-east-1/us-east-1-s1-shard/")));
    for (const f of fa) assert.ok(fs.readFileSync(path.join(tmp, "a", f)).equals(fs.readFileSync(path.join(tmp, "b", f))), `${f} differs`);

    const resources = JSON.parse(fs.readFileSync(path.join(tmp, "a", "resources.json"), "utf8"));
    for (const r of resources) assert.deepStrictEqual(Object.keys(r).sort(), ["inputs", "name", "parent", "type", "urn"]);
    const summary = JSON.parse(fs.readFileSync(path.join(tmp, "a", "summary.json"), "utf8"));
    assert.strictEqual(summary.resourceCount, resources.length);
    assert.ok(summary.byRegion["us-east-1"] && summary.byRegion["eu-west-1"]);
    // The fake secrets of the mocks have a known shape: none may be on disk.
    for (const f of fa) assert.ok(!/MockSecret[0-9a-f]{30}/.test(fs.readFileSync(path.join(tmp, "a", f), "utf8")), `secret in ${f}`);
  });

  it("rejects bad config with exit 1, names every problem, and writes nothing", () => {
    const cases = MALFORMED.slice(0, 3);
    for (const [what, cfg, expected] of cases) {
      const dir = tempProject("bad", cfg);
      const out = path.join(tmp, `bad-${what.replace(/\W+/g, "-")}`);
      const r = plan(["--stack", "bad", "--config-dir", dir, "--out", out]);
      assert.strictEqual(r.code, 1, `${what}: ${r.out}${r.err}`);
      assert.ok(r.err.split("\n").some((l) => expected.test(l.trim())), `${what}: ${r.err}`);
      assert.match(r.err, /nothing was written/);
      assert.ok(!fs.existsSync(out), `${what}: ${out} exists`);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps an earlier plan when a later one fails", () => {
    const out = path.join(tmp, "keep");
    assert.strictEqual(plan(["--stack", "prod", "--out", out]).code, 0);
    const before = fs.readFileSync(path.join(out, "resources.json"));
    const dir = tempProject("bad", { domain: "meet.example.com", regions: [] });
    assert.strictEqual(plan(["--stack", "bad", "--config-dir", dir, "--out", out]).code, 1);
    assert.ok(fs.readFileSync(path.join(out, "resources.json")).equals(before));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("refuses an unknown stack with a clear message", () => {
    const r = plan(["--stack", "nope", "--out", path.join(tmp, "nope")]);
    assert.strictEqual(r.code, 1);
    assert.match(r.err, /Pulumi\.nope\.yaml does not exist/);
  });
});
