/**
 * Turns the raw inputs the engine received (Pulumi's wire format) into plain JSON for resources.json:
 * secrets become "[secret]", resource references their URN, unknowns "[unknown]", assets and archives a
 * summary with their byte size (what the plan reports for Lambda archives).
 */
import * as fs from "fs";
import * as path from "path";
import { createHash } from "crypto";

const SIG = "4dabf18193072939515e22adb298388d";
const SECRET = "1b47061264138c4ac30d75fd1eb44270";
const ASSET = "c44067f5952c0a294b673a41bacd8c17";
const ARCHIVE = "0def7320c3a5731c473e5ecbe6d01bc7";
const RESOURCE = "5cf8f73096256a8f31e491e813e4eb8e";
const OUTPUT = "d0e6a833031e9bbcd3f4e8bde6ca49a4";
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export const SECRET_MASK = "[secret]";

/** Bytes and a content hash of an asset or archive (files read from disk; directories walked). */
export interface ArchiveSummary {
  readonly kind: "asset" | "archive";
  readonly bytes: number;
  readonly files: number;
  readonly sha256: string;
}

function walk(p: string, out: { bytes: number; files: number; hash: ReturnType<typeof createHash> }) {
  const st = fs.statSync(p);
  if (st.isDirectory()) {
    for (const e of fs.readdirSync(p).sort()) walk(path.join(p, e), out);
  } else {
    out.bytes += st.size;
    out.files += 1;
    out.hash.update(p.replace(/^.*node_modules\//, "node_modules/"));
    out.hash.update(String(st.size));
  }
}

function summarize(v: Record<string, unknown>, kind: "asset" | "archive"): ArchiveSummary {
  const acc = { bytes: 0, files: 0, hash: createHash("sha256") };
  const visit = (x: Record<string, unknown>) => {
    if (typeof x.text === "string") {
      acc.bytes += Buffer.byteLength(x.text);
      acc.files += 1;
      acc.hash.update(x.text);
    } else if (typeof x.path === "string") {
      walk(x.path, acc);
    } else if (x.assets && typeof x.assets === "object") {
      for (const k of Object.keys(x.assets as object).sort()) {
        acc.hash.update(k);
        visit((x.assets as Record<string, Record<string, unknown>>)[k]);
      }
    }
  };
  visit(v);
  return { kind, bytes: acc.bytes, files: acc.files, sha256: acc.hash.digest("hex") };
}

export function plainInputs(v: unknown): unknown {
  if (v === UNKNOWN) return "[unknown]";
  if (Array.isArray(v)) return v.map(plainInputs);
  if (v === null || typeof v !== "object") return v;
  const o = v as Record<string, unknown>;
  switch (o[SIG]) {
    case SECRET:
      return SECRET_MASK;
    case ASSET:
      return { "[asset]": summarize(o, "asset") };
    case ARCHIVE:
      return { "[archive]": summarize(o, "archive") };
    case RESOURCE:
      return o.urn;
    case OUTPUT:
      return o.secret ? SECRET_MASK : "value" in o ? plainInputs(o.value) : "[unknown]";
  }
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o).sort()) out[k] = plainInputs(o[k]);
  return out;
}
