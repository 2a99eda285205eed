/**
 * Builds the host agent (agents/main.ts and the commands it loads, with the AWS SDK clients they use)
 * into one JavaScript file for Node.js 18 (Debian 12's nodejs). Deterministic for the same sources.
 * A published package ships it prebuilt as dist/agents/agent.js; from source it is built on first use.
 */
import * as fs from "fs";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..");
let cached: string | undefined;

/** Path of the bundled agent, building it (once per process) when running from source. */
export function agentBundlePath(): string {
  if (cached) return cached;
  const prebuilt = path.join(__dirname, "agent.js");
  if (__filename.endsWith(".js") && fs.existsSync(prebuilt)) return (cached = prebuilt);
  const out = path.join(ROOT, "node_modules", ".cache", "jitsi-aws", "agent.js");
  buildAgentBundle(out);
  return (cached = out);
}

export function buildAgentBundle(outFile: string): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require("esbuild") as typeof import("esbuild");
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  esbuild.buildSync({
    entryPoints: [path.join(ROOT, "agents", "main.ts")],
    outfile: outFile,
    bundle: true,
    platform: "node",
    target: "node18",
    format: "cjs",
    minify: true,
    legalComments: "none",
    sourcemap: false,
    logLevel: "error",
  });
}
