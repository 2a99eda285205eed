/**
 * Small readers for resource inputs as policies receive them. The same value can arrive in several
 * shapes: from the Pulumi CLI (outputs/inputs deserialized by @pulumi/policy) or from the offline plan's
 * resources.json (raw inputs as the runtime serialized them), so booleans may be "true", numbers may be
 * strings, IAM documents may be JSON strings or objects, and a secret may be the "[secret]" marker.
 */
import * as zlib from "zlib";
import { SECRET_MARKER } from "./config";

/** true for true / "true" (any case); false otherwise. */
export function isTrue(v: unknown): boolean {
  return v === true || (typeof v === "string" && v.toLowerCase() === "true");
}

/** A finite number from a number or numeric string, else undefined. */
export function num(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

/** The value as an array: undefined/null → [], a single value → [value]. */
export function list<T = unknown>(v: unknown): T[] {
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]) as T[];
}

/** A plain object (not null, not an array), or undefined. */
export function obj(v: unknown): Record<string, unknown> | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

export function isSecretMarker(v: unknown): boolean {
  return v === SECRET_MARKER;
}

/** One IAM statement, normalised: Action/Resource always arrays of strings. */
export interface IamStatement {
  sid?: string;
  effect: string;
  actions: string[];
  notActions: string[];
  resources: string[];
  notResources: string[];
  condition?: Record<string, unknown>;
  /** Principal as written ("*", {AWS: ...}, {Service: ...}); resource policies only. */
  principal?: unknown;
}

/**
 * Parses an IAM policy document (JSON string or object) into statements.
 * Throws an Error whose message says why when it is not a readable document.
 */
export function iamStatements(doc: unknown): IamStatement[] {
  if (isSecretMarker(doc)) throw new Error("the policy document is a secret and cannot be inspected");
  let parsed: unknown = doc;
  if (typeof doc === "string") {
    try {
      parsed = JSON.parse(doc);
    } catch {
      throw new Error("the policy document is not valid JSON");
    }
  }
  const d = obj(parsed);
  if (!d) throw new Error("the policy document is not an object");
  return list(d.Statement ?? d.statement).map((raw) => {
    const s = obj(raw) ?? {};
    const strings = (v: unknown) => list(v).filter((x): x is string => typeof x === "string");
    return {
      sid: typeof s.Sid === "string" ? s.Sid : undefined,
      effect: String(s.Effect ?? s.effect ?? ""),
      actions: strings(s.Action ?? s.action ?? s.actions),
      notActions: strings(s.NotAction ?? s.notActions),
      resources: strings(s.Resource ?? s.resource ?? s.resources),
      notResources: strings(s.NotResource ?? s.notResources),
      condition: obj(s.Condition ?? s.condition),
      principal: s.Principal ?? s.principal,
    };
  });
}

/** "ec2:Describe*" → /^ec2:describe.*$/i, for IAM's case-insensitive action globs. */
export function globRegex(glob: string): RegExp {
  const escaped = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${escaped}$`, "i");
}

/** Text of EC2 user data: plain text, or base64 (optionally gzip-compressed, as cloud-init accepts). */
export function decodeUserData(v: unknown): string {
  if (typeof v !== "string") return "";
  const s = v.trim();
  if (/^[A-Za-z0-9+/\r\n]+={0,2}$/.test(s) && s.length % 4 === 0 && s.length >= 8) {
    const buf = Buffer.from(s, "base64");
    if (buf[0] === 0x1f && buf[1] === 0x8b) {
      try {
        return zlib.gunzipSync(buf).toString("utf8");
      } catch {
        return v;
      }
    }
    const text = buf.toString("utf8");
    // Accept the decoding only when it reads as text; otherwise the value was plain text after all.
    if (!/[\u0000-\u0008\u000e-\u001f\ufffd]/.test(text)) return text;
  }
  return v;
}

/** Every string found anywhere inside a value (object values, array items), depth-first. */
export function allStrings(v: unknown, out: string[] = []): string[] {
  if (typeof v === "string") out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => allStrings(x, out));
  else if (obj(v)) Object.values(v as object).forEach((x) => allStrings(x, out));
  return out;
}

/** An IPv4 CIDR as [first, last] address numbers, or undefined when it is not one. */
export function ipv4Range(cidr: unknown): [number, number] | undefined {
  if (typeof cidr !== "string") return undefined;
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr.trim());
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const bits = Number(m[5]);
  if (octets.some((o) => o > 255) || bits > 32) return undefined;
  const addr = octets.reduce((a, o) => a * 256 + o, 0);
  const size = 2 ** (32 - bits);
  const first = Math.floor(addr / size) * size;
  return [first, first + size - 1];
}
