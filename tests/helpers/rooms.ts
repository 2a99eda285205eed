/**
 * Random Jitsi room names for the edge-proxy tests, and the different ways clients spell the same room in a URL:
 * mixed case, optional tenant, percent-encoding (with spare escapes of plain letters, upper- or lower-case hex),
 * '+' for a space in query strings. Seeded, so a failure can be replayed.
 */

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Room {
  /** Tenant as the user typed it, or undefined. */
  readonly tenant?: string;
  readonly name: string;
}

const CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";
const EXTRA = [" ", "é", "ü", "ß", "'", "ø"];
const RESERVED = /^(libs|css|images|static|sounds|fonts|lang|about|colibri|http-bind|xmpp-websocket|conference-request|config|interface_config|external_api|favicon|manifest|robots|haproxy-health)/i;

function word(rnd: () => number, min: number, max: number, extras: boolean): string {
  for (let attempt = 0; attempt < 100; attempt++) {
    const len = min + Math.floor(rnd() * (max - min + 1));
    let s = "";
    for (let i = 0; i < len; i++) s += extras && i > 0 && i < len - 1 && rnd() < 0.08 ? EXTRA[Math.floor(rnd() * EXTRA.length)] : CHARS[Math.floor(rnd() * CHARS.length)];
    if (!RESERVED.test(s)) return s;
  }
  throw new Error("could not draw a room name");
}

/** `count` distinct rooms (distinct after normalisation); about 30 % with a tenant. */
export function randomRooms(rnd: () => number, count: number, prefix = ""): Room[] {
  const seen = new Set<string>();
  const out: Room[] = [];
  for (let i = 0; out.length < count && i < count * 10; i++) {
    const tenant = rnd() < 0.3 ? word(rnd, 3, 10, false) : undefined;
    const room: Room = { tenant, name: prefix + word(rnd, 4, 24, true) };
    const key = roomKey(room);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(room);
  }
  return out;
}

/** ASCII-only lower case, as HAProxy's `lower` converter does. */
export function asciiLower(s: string): string {
  return s.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** The stick key the edge must compute: "/" [tenant "/"] room, decoded and lower-cased. */
export function roomKey(r: Room): string {
  return "/" + (r.tenant ? asciiLower(r.tenant) + "/" : "") + asciiLower(r.name);
}

function flipCase(rnd: () => number, s: string): string {
  return s.replace(/[A-Za-z]/g, (c) => (rnd() < 0.5 ? c.toUpperCase() : c.toLowerCase()));
}

/** Percent-encodes s, then escapes some plain letters too, with random hex case; '+' for spaces when in a query. */
function encode(rnd: () => number, s: string, query: boolean): string {
  let out = "";
  for (const ch of s) {
    if (ch === " " && query && rnd() < 0.5) out += "+";
    else if (/[A-Za-z0-9]/.test(ch) && rnd() < 0.15) {
      const hex = ch.charCodeAt(0).toString(16);
      out += "%" + (rnd() < 0.5 ? hex.toUpperCase() : hex);
    } else out += encodeURIComponent(ch).replace(/'/g, "%27");
  }
  return out;
}

export type Endpoint = "page" | "http-bind" | "xmpp-websocket" | "conference-request";

/** The request path a client would send for `room` on `endpoint`, spelled randomly but meaning the same room. */
export function roomPath(rnd: () => number, r: Room, endpoint: Endpoint): string {
  const tenant = r.tenant ? "/" + encode(rnd, flipCase(rnd, r.tenant), false) : "";
  const name = flipCase(rnd, r.name);
  switch (endpoint) {
    case "page":
      return `${tenant}/${encode(rnd, name, false)}`;
    case "http-bind":
      return `${tenant}/http-bind?room=${encode(rnd, name, true)}`;
    case "xmpp-websocket":
      return `${tenant}/xmpp-websocket?room=${encode(rnd, name, true)}`;
    case "conference-request":
      return `${tenant}/conference-request/v1?room=${encode(rnd, name, true)}`;
  }
}
