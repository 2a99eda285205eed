/**
 * npm run plan -- --stack <name> [--out DIR]
 * Runs the program for Pulumi.<name>.yaml under mocks and writes resources.json, summary.json and every
 * rendered file. Invalid config: exit 1 with each problem named, nothing written.
 */
import * as path from "path";
import { ConfigError } from "../config/parse";
import { writePlan } from "./plan/output";
import { runPlan } from "./plan/run";

function usage(msg: string): never {
  console.error(`${msg}\nusage: npm run plan -- --stack <name> [--out DIR] [--config-dir DIR (where Pulumi.yaml and Pulumi.<name>.yaml are; default .)]`);
  process.exit(2);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let stack: string | undefined;
  let out: string | undefined;
  let root: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--stack") stack = argv[++i];
    else if (argv[i] === "--out") out = argv[++i];
    else if (argv[i] === "--config-dir") root = argv[++i];
    else usage(`unknown argument ${argv[i]}`);
  }
  if (!stack) usage("--stack is required");
  const outDir = path.resolve(out ?? path.join(".plan", stack));
  try {
    const plan = await runPlan({ stack, root: path.resolve(root ?? ".") });
    const summary = writePlan(plan, outDir);
    console.log(`plan of stack ${stack}: ${summary.resourceCount} resources, ${summary.files} rendered files`);
    for (const [region, types] of Object.entries(summary.byRegion))
      console.log(`  ${region}: ${Object.values(types).reduce((a, b) => a + b, 0)} resources`);
    for (const [fn, a] of Object.entries(summary.lambdaArchives)) console.log(`  lambda ${fn}: ${(a.bytes / 1024).toFixed(1)} KiB in ${a.files} files`);
    // Cost hook: a component may publish a rendered file named cost.json ({what, expectedUsd, worstCaseUsd}).
    for (const f of plan.files.filter((x) => x.path === "cost.json")) {
      const c = JSON.parse(f.content) as { what?: string; expectedUsd?: number; worstCaseUsd?: number };
      console.log(`  cost ${f.region}/${f.component}: ~$${c.expectedUsd} expected, $${c.worstCaseUsd} worst case (${c.what ?? ""})`);
    }
    console.log(`written to ${outDir} in ${plan.seconds.toFixed(2)} s`);
    process.exit(0);
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      console.error("nothing was written");
      process.exit(1);
    }
    console.error(`plan failed: ${(e as Error).stack ?? e}`);
    process.exit(1);
  }
}

void main();
