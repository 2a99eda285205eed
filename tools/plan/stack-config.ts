/**
 * Reads a stack's config the way the Pulumi CLI would: project defaults from Pulumi.yaml, then
 * Pulumi.<stack>.yaml. Returns the flat `namespace:key` map the runtime holds (structured values as JSON).
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";

export interface StackFiles {
  readonly project: string;
  /** `namespace:key` → value as the Pulumi runtime stores it (strings; objects and lists JSON-encoded). */
  readonly config: Record<string, string>;
}

function encode(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

export function readStackFiles(root: string, stack: string): StackFiles {
  const projectFile = path.join(root, "Pulumi.yaml");
  const stackFile = path.join(root, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(stackFile)) throw new Error(`no stack config: ${stackFile} does not exist`);
  const project = (parse(fs.readFileSync(projectFile, "utf8")) ?? {}) as { name?: string; config?: Record<string, unknown> };
  const stackDoc = (parse(fs.readFileSync(stackFile, "utf8")) ?? {}) as { config?: Record<string, unknown> };
  const config: Record<string, string> = {};
  const projectName = project.name ?? "project";
  const qualify = (k: string) => (k.includes(":") ? k : `${projectName}:${k}`);
  for (const [k, v] of Object.entries(project.config ?? {})) {
    // Project-level entries are `{ type?, description?, default?, value? }` or a plain value.
    const entry = v as { default?: unknown; value?: unknown } | unknown;
    const value =
      entry !== null && typeof entry === "object" && !Array.isArray(entry) && ("default" in entry || "value" in entry)
        ? ((entry as { value?: unknown }).value ?? (entry as { default?: unknown }).default)
        : entry;
    if (value !== undefined) config[qualify(k)] = encode(value);
  }
  for (const [k, v] of Object.entries(stackDoc.config ?? {})) {
    if (v !== null && typeof v === "object" && "secure" in (v as object))
      throw new Error(`${stackFile}: ${k} is a secure value, which cannot be decrypted without the Pulumi CLI; keep secrets out of the example stacks`);
    config[qualify(k)] = encode(v);
  }
  return { project: projectName, config };
}
