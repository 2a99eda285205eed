/** Lua literal helpers for Prosody configs. */

/** A Lua string literal; rejects control characters so a config value cannot break out of its line. */
export function luaString(v: string): string {
  if (/[\x00-\x1f]/.test(v)) throw new Error(`value ${JSON.stringify(v)} has a control character`);
  return `"${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

export function luaList(items: readonly string[]): string {
  return `{ ${items.map(luaString).join("; ")} }`;
}
