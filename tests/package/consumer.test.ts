/**
 * The published package, as a consumer gets it: `npm run build` + `npm pack`, then examples/consumer is copied to
 * a fresh directory, installs the tarball (npm --prefer-offline: the cache `npm ci` filled serves it), compiles
 * with its own tsc and plans its custom region under mocks. Also what the tarball must not carry.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..", "..");
const EXAMPLE = path.join(ROOT, "examples", "consumer");

function run(cmd: string, args: string[], cwd: string, timeoutMs: number): string {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", timeout: timeoutMs, env: { ...process.env, npm_config_update_notifier: "false" } });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(" ")} (in ${cwd}) failed: ${r.error?.message ?? `exit ${r.status}`}\n${(r.stdout ?? "").slice(-3000)}\n${(r.stderr ?? "").slice(-3000)}`);
  return r.stdout;
}

interface PackResult {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: { path: string }[];
}

describe("npm package: pack, install in a fresh project, compile, plan", function () {
  this.timeout(600_000);
  let work: string;
  let pack: PackResult;
  let tarball: string;
  let consumer: string;

  before(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "jitsi-aws-pack-"));
    run("npm", ["run", "build", "--silent"], ROOT, 300_000);
    // Scripts already ran (build above); --ignore-scripts keeps npm's JSON alone on stdout.
    const out = run("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", work], ROOT, 120_000);
    pack = (JSON.parse(out) as PackResult[])[0];
    tarball = path.join(work, pack.filename);
    console.log(`      tarball ${pack.filename}: ${(pack.size / 1024).toFixed(0)} KiB packed, ${(pack.unpackedSize / 1024).toFixed(0)} KiB unpacked, ${pack.entryCount} files`);
  });
  after(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it("ships dist/ with declarations and the prebuilt agent and Lambda bundles; no source, tests, fixtures, tools, policy pack or source maps", () => {
    const files = pack.files.map((f) => f.path);
    for (const f of ["package.json", "dist/index.js", "dist/index.d.ts", "dist/agents/agent.js", "dist/components/bridge-fleet.d.ts", "CHANGELOG.md"])
      assert.ok(files.includes(f), `tarball lacks ${f}`);
    const unwanted = files.filter(
      (f) =>
        !(f.startsWith("dist/") || ["package.json", "CHANGELOG.md", "README.md"].includes(f)) ||
        /\.map$|\.tsbuildinfo$/.test(f) ||
        (/\.ts$/.test(f) && !/\.d\.ts$/.test(f)) ||
        /^dist\/(tests|tools|policies|examples|provider)\//.test(f) ||
        /fixtures|\.test\./.test(f),
    );
    assert.deepEqual(unwanted, [], `tarball carries files it should not: ${unwanted.join(", ")}`);
    assert.ok(pack.size < 5 * 1024 * 1024, `tarball is ${pack.size} bytes`);
  });

  it("installs the tarball into a fresh copy of examples/consumer with one copy of @pulumi/pulumi", () => {
    consumer = path.join(work, "consumer");
    fs.mkdirSync(consumer);
    for (const f of fs.readdirSync(EXAMPLE)) if (!["node_modules", "bin", "package-lock.json"].includes(f)) fs.cpSync(path.join(EXAMPLE, f), path.join(consumer, f), { recursive: true });
    const pkgFile = path.join(consumer, "package.json");
    const pkg = JSON.parse(fs.readFileSync(pkgFile, "utf8")) as { dependencies: Record<string, string> };
    pkg.dependencies["jitsi-aws"] = `file:${tarball}`;
    fs.writeFileSync(pkgFile, JSON.stringify(pkg, null, 2));
    run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], consumer, 300_000);
    const installed = JSON.parse(fs.readFileSync(path.join(consumer, "node_modules", "jitsi-aws", "package.json"), "utf8")) as { version: string };
    assert.equal(installed.version, JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).version);
    assert.ok(!fs.existsSync(path.join(consumer, "node_modules", "jitsi-aws", "index.ts")), "the installed package carries TypeScript source");
    const copies = run("find", ["node_modules", "-path", "*/@pulumi/pulumi/package.json"], consumer, 60_000).trim().split("\n").filter(Boolean);
    assert.deepEqual(copies, ["node_modules/@pulumi/pulumi/package.json"], "two copies of @pulumi/pulumi break resources and mocks");
  });

  it("compiles the consumer with tsc against the package's declarations", () => {
    assert.ok(consumer, "install step did not run");
    run(process.execPath, [path.join(consumer, "node_modules", "typescript", "bin", "tsc"), "-p", "."], consumer, 180_000);
    assert.ok(fs.existsSync(path.join(consumer, "bin", "index.js")));
  });

  it("plans the consumer's custom region under mocks: one shard, edge, bridges, no TURN or recorders", () => {
    assert.ok(fs.existsSync(path.join(consumer ?? "", "bin", "plan.js")), "compile step did not run");
    const out = run(process.execPath, ["bin/plan.js"], consumer, 120_000);
    const summary = JSON.parse(out.trim().split("\n").pop() ?? "{}") as {
      resources: number;
      customResources: number;
      components: string[];
      duplicates: string[];
      lambdaArchives: Record<string, string[]>;
    };
    console.log(`      consumer plan: ${summary.resources} resources (${summary.customResources} custom), components: ${summary.components.join(", ")}`);
    const types = summary.components.map((c) => c.split(" ")[0]);
    for (const t of ["jitsi:index:AgentArtifacts", "jitsi:index:EdgeProxy", "jitsi:index:BridgeFleet", "jitsi:index:JitsiShard"]) assert.ok(types.includes(t), `no ${t} in the plan`);
    assert.equal(types.filter((t) => t === "jitsi:index:JitsiShard").length, 1);
    for (const t of ["jitsi:index:TurnCluster", "jitsi:index:JibriPool", "jitsi:index:Region"]) assert.ok(!types.includes(t), `${t} in a region that has none`);
    assert.deepEqual(summary.duplicates, []);
    assert.ok(summary.customResources > 40, `only ${summary.customResources} AWS resources`);
  });

  it("the consumer's Lambda archives carry the prebuilt handler only, not its node_modules", () => {
    const out = run(process.execPath, ["bin/plan.js"], consumer, 120_000);
    const { lambdaArchives } = JSON.parse(out.trim().split("\n").pop() ?? "{}") as { lambdaArchives: Record<string, string[]> };
    assert.ok(Object.keys(lambdaArchives).length > 0, "no Lambda in the plan");
    for (const [fn, files] of Object.entries(lambdaArchives)) {
      console.log(`      ${fn} archive: ${files.join(", ")}`);
      const extra = files.filter((f) => f !== "__index.js" && !/^node_modules\/jitsi-aws\/dist\/functions\/[\w-]+\/[\w-]+\.js$/.test(f));
      assert.deepEqual(extra, [], `${fn} archive carries more than its handler`);
    }
  });
});
