/**
 * `npm run build` (and `npm pack` through prepack): compiles the package root (index.ts and what it imports)
 * to dist/ with declaration files, and ships what is otherwise built with esbuild (a dev dependency) on first
 * use: the host agent as dist/agents/agent.js (agents/bundle.ts) and each Lambda bundle as
 * dist/functions/<fn>/<fn>.js (functions/<fn>/bundle.ts); each looks there first when running from compiled
 * JavaScript. Tests, tools, the simulator and the policy pack are not reachable from index.ts: never emitted.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { buildAgentBundle } from "../../agents/bundle";

const ROOT = path.resolve(__dirname, "..", "..");
const DIST = path.join(ROOT, "dist");

/** Every functions/<fn>/bundle.ts, with its one exported build…Bundle(outFile). */
export function lambdaBundles(): { name: string; build: (outFile: string) => void }[] {
  const dir = path.join(ROOT, "functions");
  return fs
    .readdirSync(dir)
    .filter((fn) => fs.existsSync(path.join(dir, fn, "bundle.ts")))
    .sort()
    .map((fn) => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(path.join(dir, fn, "bundle")) as Record<string, unknown>;
      const builders = Object.entries(mod).filter(([k, v]) => /^build\w*Bundle$/.test(k) && typeof v === "function");
      if (builders.length !== 1)
        throw new Error(`build: functions/${fn}/bundle.ts must export one build…Bundle(outFile), found ${builders.map(([k]) => k).join(", ") || "none"}`);
      return { name: fn, build: builders[0][1] as (outFile: string) => void };
    });
}

export function buildPackage(): void {
  fs.rmSync(DIST, { recursive: true, force: true });
  const tsc = require.resolve("typescript/bin/tsc", { paths: [ROOT] });
  const r = spawnSync(process.execPath, [tsc, "-p", path.join(ROOT, "tsconfig.build.json")], { cwd: ROOT, stdio: "inherit" });
  if (r.status !== 0) throw new Error(`tsc -p tsconfig.build.json failed (exit ${r.status ?? r.signal})`);
  buildAgentBundle(path.join(DIST, "agents", "agent.js"));
  const lambdas = lambdaBundles();
  for (const fn of lambdas) fn.build(path.join(DIST, "functions", fn.name, `${fn.name}.js`));
  // functions/*/index.ts read `../../package.json` (the package's production dependencies, which their Lambda
  // archives exclude); from dist/functions/<fn>/ that path is dist/package.json. This copy carries only what
  // they read; it has no main/exports, so it changes nothing in how Node resolves the package.
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as Record<string, unknown>;
  const slim = { name: pkg.name, version: pkg.version, private: true, dependencies: pkg.dependencies };
  fs.writeFileSync(path.join(DIST, "package.json"), `${JSON.stringify(slim, null, 2)}\n`);
  const expected = ["index.js", "index.d.ts", "agents/agent.js", ...lambdas.map((fn) => `functions/${fn.name}/${fn.name}.js`)];
  for (const f of expected) if (!fs.existsSync(path.join(DIST, f))) throw new Error(`build: dist/${f} is missing`);
}

if (require.main === module) {
  try {
    const t0 = Date.now();
    buildPackage();
    console.log(`built dist/ in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  } catch (e) {
    console.error((e as Error).message);
    process.exit(1);
  }
}
