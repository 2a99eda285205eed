/**
 * Checks that every key a rendered Jitsi HOCON file sets exists in the service's upstream reference.conf
 * (the copies in ../shared/reference/jitsi-upstream/). The rendered file is parsed by a real HOCON parser
 * (@pushcorn/hocon-parser, strict mode), so a syntax error fails too. The reference files are scanned
 * for keys including the commented-out examples ("#local-region = ...", "# brewery-jid = ..."), which
 * upstream uses to document settings without a default.
 */
import * as fs from "fs";
import * as path from "path";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const parseHocon: (opts: { text: string; strict?: boolean }) => Promise<unknown> = require("@pushcorn/hocon-parser");

/** Parses HOCON text; `env` values are visible to `${?VAR}` substitutions during the parse only. */
export async function parseHoconText(text: string, env: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(env)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  try {
    return (await parseHocon({ text, strict: true })) as Record<string, unknown>;
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** Every key path of a parsed object ("a", "a.b", ...); array elements are not descended. */
export function keyPaths(obj: unknown, prefix = ""): string[] {
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
    const p = prefix ? `${prefix}.${k}` : k;
    out.push(p);
    out.push(...keyPaths(v, p));
  }
  return out;
}

const KEY = String.raw`("[^"]+"|[A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_\-]+)*)`;

/** Key paths a reference.conf defines or documents in a commented-out example. */
export function referenceKeyPaths(text: string): Set<string> {
  const keys = new Set<string>();
  const stack: string[][] = [];
  let current: string[] = [];
  let arrayDepth = 0;
  for (let raw of text.split("\n")) {
    // Turn a commented-out setting ("# key = v", "//key {") into a setting; leave prose comments alone.
    const commented = new RegExp(String.raw`^\s*(#|//)\s*${KEY}\s*(=|:|\{)`).exec(raw);
    if (commented) raw = raw.replace(/^\s*(#|\/\/)\s*/, "");
    const line = raw.replace(/\s(#|\/\/).*$/, "").replace(/^\s*(#|\/\/).*$/, "").trim();
    if (!line && arrayDepth === 0) continue;
    if (arrayDepth > 0) {
      // Inside an array value (possibly a commented-out example): count brackets, comment markers aside.
      const body = raw.replace(/^\s*(#|\/\/)\s*/, "");
      arrayDepth += (body.match(/\[/g) ?? []).length - (body.match(/]/g) ?? []).length;
      continue;
    }
    if (line.startsWith("}")) {
      current = stack.pop() ?? [];
      continue;
    }
    const m = new RegExp(String.raw`^${KEY}\s*(=|:)?\s*(.*)$`).exec(line);
    if (!m) continue;
    const segs = m[1].startsWith('"') ? [m[1].slice(1, -1)] : m[1].split(".");
    const full = [...current, ...segs];
    for (let i = 1; i <= full.length; i++) keys.add(full.slice(0, i).join("."));
    const rest = m[3] ?? "";
    const opensObject = (m[2] === undefined && rest.startsWith("{")) || rest.startsWith("{");
    if (opensObject && !/}\s*,?$/.test(rest)) {
      stack.push(current);
      current = full;
    } else if (rest.startsWith("[") && !rest.includes("]")) {
      arrayDepth = 1;
    }
  }
  return keys;
}

/** Reads and merges the key paths of the named files in ../shared/reference/jitsi-upstream/. */
export function upstreamKeys(upstreamDir: string, files: string[]): Set<string> {
  const all = new Set<string>();
  for (const f of files) for (const k of referenceKeyPaths(fs.readFileSync(path.join(upstreamDir, f), "utf8"))) all.add(k);
  return all;
}

/**
 * Keys of `rendered` missing from `reference`. `openMaps` are paths whose children are names the user
 * chooses (e.g. "videobridge.apis.xmpp-client.configs"): their entries' own fields are checked against
 * `mapEntryKeys[openMap]` when given, else accepted.
 */
export function unknownKeys(
  rendered: string[],
  reference: Set<string>,
  openMaps: Record<string, Set<string> | null> = {},
): string[] {
  const bad: string[] = [];
  for (const k of rendered) {
    if (reference.has(k)) continue;
    const map = Object.keys(openMaps).find((m) => k.startsWith(m + "."));
    if (map) {
      const rest = k.slice(map.length + 1).split(".");
      const allowed = openMaps[map];
      if (rest.length === 1 || allowed === null || allowed.has(rest.slice(1).join("."))) continue;
    }
    bad.push(k);
  }
  return bad;
}

/** Stand-in values for every `${VAR}` / `${?VAR}` environment substitution a rendered file uses. */
export function standInEnv(text: string): Record<string, string> {
  return Object.fromEntries([...text.matchAll(/\$\{\??([A-Z][A-Z0-9_]*)\}/g)].map((m) => [m[1], "stand-in"]));
}
