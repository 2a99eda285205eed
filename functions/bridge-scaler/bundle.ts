/**
 * The scaler's code as one CommonJS file (handler.ts with decide.ts, protocol.ts and the metric catalogue;
 * the AWS SDK left out: the Node.js 22 runtime ships it), for the Lambda archive.
 *
 * Why not only the closure the CallbackFunction serializes: Pulumi's closure serializer copies captured values
 * property by property, so module-level `Set`/`Map` instances (decide.ts keeps its lifecycle-state sets in
 * `Set`s) arrive in the archive as empty objects and the handler throws at run time. The callback in index.ts
 * therefore only `require`s this bundle, which esbuild builds from the same sources the tests run; the
 * archive test (tests/components/bridge-fleet.test.ts) runs the shipped archive against a mocked SDK.
 *
 * A published package ships it prebuilt (dist/functions/bridge-scaler/bridge-scaler.js); from source it is built
 * on first use into node_modules/.cache (ignored by git). Deterministic for the same sources.
 */
import * as fs from "fs";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..", "..");
let cached: string | undefined;

/** Absolute path of the bundled handler, building it (once per process) when running from source. */
export function bridgeScalerBundlePath(): string {
  if (cached) return cached;
  const prebuilt = path.join(__dirname, "bridge-scaler.js");
  if (__filename.endsWith(".js") && fs.existsSync(prebuilt)) return (cached = prebuilt);
  const out = path.join(ROOT, "node_modules", ".cache", "jitsi-aws", "lambda", "bridge-scaler.js");
  buildBridgeScalerBundle(out);
  return (cached = out);
}

export function buildBridgeScalerBundle(outFile: string): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require("esbuild") as typeof import("esbuild");
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  const result = esbuild.buildSync({
    write: false,
    entryPoints: [path.join(ROOT, "functions", "bridge-scaler", "handler.ts")],
    outfile: outFile,
    bundle: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    // Provided by the Lambda Node.js 22 runtime (AWS SDK for JavaScript v3).
    external: ["@aws-sdk/*"],
    minify: true,
    legalComments: "none",
    sourcemap: false,
    logLevel: "error",
  });
  // Written to a private file and renamed: several processes (plan, tests) may build at once, and a reader must
  // never see a half-written bundle.
  const tmp = `${outFile}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, result.outputFiles[0].contents);
  fs.renameSync(tmp, outFile);
}

/**
 * The bundle's path relative to the working directory (where `pulumi up` runs): CallbackFunction archives an
 * extra include path under that same relative path, and the callback requires it from there.
 */
export function bridgeScalerBundleIncludePath(cwd: string = process.cwd()): string {
  const rel = path.relative(cwd, bridgeScalerBundlePath()).split(path.sep).join("/");
  if (rel.startsWith("..") || path.isAbsolute(rel))
    throw new Error(`the bridge scaler bundle (${bridgeScalerBundlePath()}) must be inside the working directory ${cwd}; run pulumi from the project folder`);
  return rel;
}
