/**
 * Parses the `jitsi:*` stack config once. Every problem is reported together, each as
 * `jitsi:<key path>: <what is allowed> (got <value>)`, before anything is created.
 */
import { z } from "zod";
import { CONFIG_KEYS, configSchema, JitsiConfig } from "./schema";

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid stack config:\n  ${problems.join("\n  ")}`);
    this.name = "ConfigError";
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = "jitsi:";
  path.forEach((p, i) => {
    if (typeof p === "number") out += `[${p}]`;
    else out += i === 0 ? String(p) : `.${String(p)}`;
  });
  return out;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const p of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[p as string];
  }
  return v;
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s.length > 60 ? s.slice(0, 57) + "..." : s;
}

function describe(issue: z.core.$ZodIssue, raw: unknown): string {
  const at = formatPath(issue.path);
  if (issue.code === "unrecognized_keys") {
    const keys = issue.keys.map((k) => `'${k}'`).join(", ");
    const shape = valueAt(raw, issue.path);
    const where = issue.path.length === 0 ? "jitsi" : at;
    void shape;
    return `${where}: unknown key ${keys} (a typo?)`;
  }
  const got = valueAt(raw, issue.path);
  const gotText = got === undefined ? "nothing" : show(got);
  const message = issue.message === "Invalid input: expected nonoptional, received undefined" || /received undefined/.test(issue.message)
    ? "is required"
    : issue.message;
  return `${at}: ${message} (got ${gotText})`;
}

/**
 * Validates the values of the `jitsi` namespace (keys without the `jitsi:` prefix, values already
 * JSON-decoded). Throws ConfigError listing every problem.
 */
export function parseConfig(values: Record<string, unknown>): JitsiConfig {
  const problems: string[] = [];
  for (const k of Object.keys(values))
    if (!CONFIG_KEYS.includes(k)) problems.push(`jitsi:${k}: unknown key (allowed: ${CONFIG_KEYS.join(", ")})`);
  const known = Object.fromEntries(Object.entries(values).filter(([k]) => CONFIG_KEYS.includes(k)));
  const result = configSchema.safeParse(known);
  if (!result.success) for (const issue of result.error.issues) problems.push(describe(issue, known));
  if (problems.length > 0) throw new ConfigError(problems);
  return (result as { data: JitsiConfig }).data;
}

/**
 * Reads the config the Pulumi runtime holds (from `pulumi up`, or from the plan tool's setAllConfig):
 * every `jitsi:*` key, JSON-decoding structured values the way Pulumi stores them.
 */
export function configFromRuntime(all: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(all)) {
    if (!key.startsWith("jitsi:")) continue;
    const name = key.slice("jitsi:".length);
    out[name] = decodeValue(value);
  }
  return out;
}

function decodeValue(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value; // a plain string value
  }
}
