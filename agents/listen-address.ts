/** The `--listen ADDRESS:PORT` option of the agents that answer on a port (shard-agent, bridge-live). */

/** Pure: `0.0.0.0:6060` or `[::1]:6060` → host and port, or the error naming `--listen` (`examplePort` shows the form). */
export function parseListenAddress(value: string, examplePort: number): { host: string; port: number } | string {
  const m = /^([0-9.]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(value);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) return `--listen: must be address:port such as 0.0.0.0:${examplePort}, got "${value}"`;
  return { host: m[1].replace(/^\[|\]$/g, ""), port: Number(m[2]) };
}
