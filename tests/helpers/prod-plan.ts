/** The prod plan, computed once per test process and shared by every test that checks rendered files. */
import { PlanResult, PlannedFile, runPlan } from "../../tools/plan/run";

let cached: Promise<PlanResult> | undefined;

export function prodPlan(): Promise<PlanResult> {
  cached = cached ?? runPlan({ stack: "prod" });
  return cached;
}

/** Rendered files of the prod plan whose path ends with `suffix` (e.g. "jicofo.conf"). */
export async function prodFiles(suffix: string): Promise<PlannedFile[]> {
  return (await prodPlan()).files.filter((f) => f.path === suffix || f.path.endsWith(`/${suffix}`) || f.path.endsWith(suffix));
}
