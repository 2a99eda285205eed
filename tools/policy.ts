/**
 * npm run policy -- --resources FILE [--config FILE]
 * npm run policy -- --stack NAME [--out DIR] [--config FILE]
 *
 * Evaluates the CrossGuard pack (policies/all.ts) offline over a plan's resources.json, with the same
 * validate functions `pulumi preview --policy-pack policies` calls. --stack runs the plan first. Prints
 * every violation with its resource URN and ends with "N policies, M resources, K mandatory violations";
 * exits 1 when K > 0, 2 on bad usage or input.
 */
import * as fs from "fs";
import * as path from "path";
import { ALL_POLICIES } from "../policies/all";
import { checkPackConfig, evaluate, Evaluation, PackConfig, parseResources, PlanResource } from "../policies/evaluate";

const USAGE = "usage: npm run policy -- (--resources FILE | --stack NAME [--out DIR]) [--config FILE]";

interface Args {
  resources?: string;
  stack?: string;
  out?: string;
  config?: string;
}

export function parseArgs(argv: string[]): Args {
  const args: Args = {};
  const keys: Record<string, keyof Args> = { "--resources": "resources", "--stack": "stack", "--out": "out", "--config": "config" };
  for (let i = 0; i < argv.length; i++) {
    const key = keys[argv[i]];
    if (!key) throw new Error(`unknown argument ${argv[i]}; ${USAGE}`);
    const value = argv[++i];
    if (value === undefined || value.startsWith("--")) throw new Error(`${argv[i - 1]} needs a value; ${USAGE}`);
    args[key] = value;
  }
  if (!args.resources === !args.stack) throw new Error(`give exactly one of --resources or --stack; ${USAGE}`);
  if (args.out && !args.stack) throw new Error(`--out only applies with --stack; ${USAGE}`);
  return args;
}

/** Runs the offline plan (tools/plan/run.ts) for a stack; writes it too when --out is given. */
async function planStack(stack: string, out: string | undefined): Promise<PlanResource[]> {
  const { runPlan } = await import("./plan/run");
  const plan = await runPlan({ stack });
  if (out) {
    const { writePlan } = await import("./plan/output");
    writePlan(plan, path.resolve(out));
  }
  console.log(`planned stack ${stack}: ${plan.resources.length} resources in ${plan.seconds.toFixed(2)} s`);
  // Through JSON, exactly as resources.json would carry them.
  return parseResources(JSON.stringify(plan.resources), `plan of stack ${stack}`);
}

/** The report text: one block per violation, mandatory first, then the closing summary line. */
export function formatReport(e: Evaluation, elapsedMs: number): string {
  const order = { mandatory: 0, remediate: 1, advisory: 2, disabled: 3 };
  const lines = [...e.violations]
    .sort((a, b) => order[a.level] - order[b.level] || a.policy.localeCompare(b.policy) || (a.urn ?? "").localeCompare(b.urn ?? ""))
    .map((v) => `${v.level.padEnd(9)} ${v.policy}\n  ${v.urn ?? "(stack)"}\n  ${v.message}`);
  const advisory = e.violations.filter((v) => v.level === "advisory").length;
  lines.push(`evaluated in ${elapsedMs.toFixed(0)} ms; ${advisory} advisory violation(s)`);
  lines.push(`${e.policies} policies, ${e.resources} resources, ${e.mandatory} mandatory violations`);
  return lines.join("\n");
}

export async function main(argv: string[]): Promise<number> {
  let args: Args;
  let resources: PlanResource[];
  let config: PackConfig | undefined;
  try {
    args = parseArgs(argv);
    resources = args.resources
      ? parseResources(fs.readFileSync(args.resources, "utf8"), args.resources)
      : await planStack(args.stack as string, args.out);
    if (args.config)
      config = checkPackConfig(JSON.parse(fs.readFileSync(args.config, "utf8")), ALL_POLICIES.map((p) => p.name));
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    return 2;
  }
  const started = process.hrtime.bigint();
  const result = await evaluate(ALL_POLICIES, resources, { config, packLevel: "advisory", secretsMasked: true });
  const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
  console.log(formatReport(result, elapsed));
  return result.mandatory > 0 ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e) => {
      console.error(e);
      process.exitCode = 2;
    },
  );
}
