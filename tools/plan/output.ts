/**
 * Writes a plan to disk: resources.json, summary.json and files/<region>/<component>/..., all
 * deterministic (sorted keys, no timestamps) so two runs are byte-identical.
 */
import * as fs from "fs";
import * as path from "path";
import { PlanResult, PlannedResource } from "./run";

export interface PlanSummary {
  readonly stack: string;
  readonly resourceCount: number;
  readonly byType: Record<string, number>;
  readonly byRegion: Record<string, Record<string, number>>;
  readonly lambdaArchives: Record<string, { bytes: number; files: number }>;
  readonly files: number;
}

/** The region a resource belongs to: the Region component it sits under, or "global". */
function regionOf(r: PlannedResource, byUrn: Map<string, PlannedResource>): string {
  let cur: PlannedResource | undefined = r;
  while (cur) {
    if (cur.type === "jitsi:index:Region") return cur.name;
    cur = cur.parent ? byUrn.get(cur.parent) : undefined;
  }
  return "global";
}

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
}

export function summarize(plan: PlanResult): PlanSummary {
  const byUrn = new Map(plan.resources.map((r) => [r.urn, r]));
  const byType: Record<string, number> = {};
  const byRegion: Record<string, Record<string, number>> = {};
  const lambdaArchives: Record<string, { bytes: number; files: number }> = {};
  for (const r of plan.resources) {
    byType[r.type] = (byType[r.type] ?? 0) + 1;
    const reg = regionOf(r, byUrn);
    byRegion[reg] = byRegion[reg] ?? {};
    byRegion[reg][r.type] = (byRegion[reg][r.type] ?? 0) + 1;
    if (r.type === "aws:lambda/function:Function") {
      const code = (r.inputs as { code?: { "[archive]"?: { bytes: number; files: number } } }).code?.["[archive]"];
      if (code) lambdaArchives[r.name] = { bytes: code.bytes, files: code.files };
    }
  }
  return {
    stack: plan.stack,
    resourceCount: plan.resources.length,
    byType: sortKeys(byType),
    byRegion: sortKeys(Object.fromEntries(Object.entries(byRegion).map(([k, v]) => [k, sortKeys(v)]))),
    lambdaArchives: sortKeys(lambdaArchives),
    files: plan.files.length,
  };
}

/** Writes the plan into `outDir` (created or replaced whole: a failed plan never leaves a partial one). */
export function writePlan(plan: PlanResult, outDir: string): PlanSummary {
  const summary = summarize(plan);
  const tmp = `${outDir.replace(/\/+$/, "")}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  fs.writeFileSync(path.join(tmp, "resources.json"), JSON.stringify(plan.resources, null, 2) + "\n");
  fs.writeFileSync(path.join(tmp, "summary.json"), JSON.stringify(summary, null, 2) + "\n");
  for (const f of plan.files) {
    const p = path.join(tmp, "files", f.region, f.component, f.path);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, f.content);
  }
  // A fake secret in any written byte is a leak: refuse to publish the plan.
  for (const file of listFiles(tmp)) {
    const text = fs.readFileSync(file, "utf8");
    const leaked = plan.secretValues.find((s) => text.includes(s));
    if (leaked) {
      fs.rmSync(tmp, { recursive: true, force: true });
      throw new Error(`a secret value leaked into ${path.relative(tmp, file)}`);
    }
  }
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(path.resolve(outDir)), { recursive: true });
  fs.renameSync(tmp, outDir);
  return summary;
}

export function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p));
    else out.push(p);
  }
  return out;
}
