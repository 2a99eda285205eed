/** HOCON literal helpers for the Jitsi services' .conf files. */

/** A quoted HOCON string. */
export function hoconString(v: string): string {
  if (/[\x00-\x1f]/.test(v)) throw new Error(`value ${JSON.stringify(v)} has a control character`);
  return JSON.stringify(v);
}

/** `${?NAME}`: filled from the service's environment at start (secrets written at boot, never rendered). */
export function hoconEnv(name: string): string {
  if (!/^[A-Z][A-Z0-9_]*$/.test(name)) throw new Error(`environment variable name ${name} must be UPPER_SNAKE_CASE`);
  return `\${?${name}}`;
}
