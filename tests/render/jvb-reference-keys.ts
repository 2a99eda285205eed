/**
 * Key paths of HOCON files, to prove that the rendered jvb.conf only uses keys jitsi-videobridge knows.
 * (tests/helpers/hocon-keys.ts is a text scanner shared by other renderers; this one parses both sides with
 * @pushcorn/hocon-parser and descends into arrays of objects, which jvb.conf's ice4j static-mappings need.)
 *
 * Upstream reference.conf files document some keys only as commented-out examples (`#region = "us-west-1"`,
 * `#tls = true`, the fields of `static-mappings` entries). `commentedKeyPaths` finds those with a small
 * line scanner that follows the real blocks (`key {`, `key = [`) around each commented `key = value` line.
 */
import * as fs from "fs";
// The package has no type declarations; its default export is `parse(opts) → Promise<object>`.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const parseHocon: (opts: { text?: string; strict?: boolean }) => Promise<unknown> = require("@pushcorn/hocon-parser");

export async function parseHoconObject(text: string): Promise<Record<string, unknown>> {
  const r = await parseHocon({ text, strict: true });
  if (r === null || typeof r !== "object" || Array.isArray(r)) throw new Error("HOCON text did not parse to an object");
  return r as Record<string, unknown>;
}

/**
 * Dotted key paths of the leaves of a parsed tree. Arrays are leaves, except arrays of objects, whose entries'
 * fields are listed under the array's path (no index), e.g. `ice4j.harvest.mapping.static-mappings.name`.
 */
export function leafPaths(tree: unknown, prefix = ""): string[] {
  if (tree === null || typeof tree !== "object") return [prefix];
  if (Array.isArray(tree)) {
    const objs = tree.filter((x) => x !== null && typeof x === "object" && !Array.isArray(x));
    if (objs.length === 0) return [prefix];
    return [prefix, ...objs.flatMap((o) => leafPaths(o, prefix))];
  }
  const entries = Object.entries(tree as Record<string, unknown>);
  if (entries.length === 0) return [prefix];
  return entries.flatMap(([k, v]) => leafPaths(v, prefix ? `${prefix}.${k}` : k));
}

/** Every prefix of every path ("a.b.c" → "a", "a.b", "a.b.c"). */
export function withPrefixes(paths: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const p of paths) {
    const parts = p.split(".");
    for (let i = 1; i <= parts.length; i++) out.add(parts.slice(0, i).join("."));
  }
  return out;
}

const OPEN_BLOCK = /^([A-Za-z0-9_."-]+)\s*(?:[=:]\s*)?([{[])\s*$/;
const COMMENTED_KEY = /^(?:#|\/\/)\s*([A-Za-z0-9_-]+)\s*[=:]\s*\S/;

/** Key paths that appear only as commented-out `key = value` examples, placed in their enclosing block. */
export function commentedKeyPaths(text: string): string[] {
  const stack: string[][] = [];
  const found: string[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    const c = COMMENTED_KEY.exec(line);
    if (c) {
      found.push([...stack.flat(), c[1]].join("."));
      continue;
    }
    if (line.startsWith("#") || line.startsWith("//")) continue;
    const open = OPEN_BLOCK.exec(line);
    if (open) {
      stack.push(open[1].replace(/"/g, "").split("."));
      continue;
    }
    if (/^[}\]]/.test(line)) stack.pop();
  }
  return found;
}

/** All key paths (with prefixes) a set of reference files defines or documents in comments. */
export async function referenceKeySet(files: { path: string; appendTo?: string }[]): Promise<Set<string>> {
  const paths: string[] = [];
  for (const f of files) {
    const text = fs.readFileSync(f.path, "utf8");
    // application.conf refers to keys of reference.conf (`${videobridge.redact-remote-addresses}`): parse together.
    const base = f.appendTo ? fs.readFileSync(f.appendTo, "utf8") + "\n" : "";
    paths.push(...leafPaths(await parseHoconObject(base + text)), ...commentedKeyPaths(text));
  }
  return withPrefixes(paths);
}

/**
 * Paths of `rendered` not known to the reference. `mapEntries` lists maps whose entry names are free
 * (e.g. `videobridge.apis.xmpp-client.configs`) with the field names upstream code reads in each entry.
 */
export function unknownPaths(rendered: string[], known: Set<string>, mapEntries: Record<string, readonly string[]> = {}): string[] {
  return rendered.filter((p) => {
    if (known.has(p)) return false;
    for (const [map, fields] of Object.entries(mapEntries)) {
      if (!p.startsWith(map + ".")) continue;
      const rest = p.slice(map.length + 1).split(".");
      return !(rest.length === 2 && fields.includes(rest[1]));
    }
    return true;
  });
}
