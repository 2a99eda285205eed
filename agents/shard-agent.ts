/**
 * shard-agent: the HAProxy agent-check responder of one shard (jitsi-facts.md: agent-check on TCP 6060 answering
 * `up|down ready|drain|maint`). HAProxy connects, reads one line and closes; the line sets the shard's state in
 * every edge proxy:
 *   - "up ready"  the shard takes new rooms;
 *   - "up drain"  no new rooms, its live (sticky) rooms stay: the operator wrote "drain", or Prosody or Jicofo
 *                 is not healthy yet (a new shard starts in drain until healthy);
 *   - "maint"     no traffic at all, not even live rooms (the operator wrote "maint").
 * The operator's wish is one word in a state file (default /var/lib/jitsi-aws/shard-state); no file = "ready".
 * Health is polled in the background so a reply never waits on Prosody or Jicofo.
 *
 * Usage: shard-agent [--listen 0.0.0.0:6060] [--state-file PATH] [--prosody-health URL] [--jicofo-health URL]
 *                    [--interval-ms 5000] [--once]
 */
import * as fs from "fs";
import * as net from "net";
import { parseListenAddress } from "./listen-address";

export type OperatorState = "ready" | "drain" | "maint";

export interface ShardHealth {
  readonly prosody: boolean;
  readonly jicofo: boolean;
}

/** What the state file says; `invalid` when it holds anything but one of the three words. */
export type StateFileReading = { readonly kind: "ok"; readonly state: OperatorState } | { readonly kind: "invalid"; readonly text: string };

/** Pure: the state file's text (null = no file) → the operator's wish. Case and surrounding blanks ignored. */
export function parseStateFile(text: string | null): StateFileReading {
  if (text === null) return { kind: "ok", state: "ready" };
  const word = text.trim().toLowerCase();
  if (word === "" || word === "ready") return { kind: "ok", state: "ready" };
  if (word === "drain" || word === "maint") return { kind: "ok", state: word };
  return { kind: "invalid", text: text.trim().slice(0, 80) };
}

/**
 * Pure: the line the agent sends to HAProxy. Fail-safe: an unreadable or invalid state file drains (live rooms
 * keep working, no new room lands on a shard whose operator intent is unknown); unhealthy drains.
 */
export function agentReply(reading: StateFileReading, health: ShardHealth): string {
  if (reading.kind === "ok" && reading.state === "maint") return "maint\n";
  if (reading.kind === "invalid") return "up drain\n";
  if (reading.state === "drain") return "up drain\n";
  if (!health.prosody || !health.jicofo) return "up drain\n";
  return "up ready\n";
}

export interface ShardAgentOptions {
  readonly host: string;
  readonly port: number;
  readonly stateFile: string;
  readonly prosodyHealthUrl: string;
  readonly jicofoHealthUrl: string;
  readonly intervalMs: number;
  readonly once: boolean;
}

export const SHARD_AGENT_DEFAULTS: ShardAgentOptions = {
  host: "0.0.0.0",
  port: 6060, // jitsi-facts.md: agent-check port 6060
  stateFile: "/var/lib/jitsi-aws/shard-state",
  // Prosody's BOSH endpoint answers a GET with 200 ("It works!") when Prosody serves HTTP; the shard's Prosody
  // has no health module (render/prosody.ts), and nginx proxies /http-bind to this same port (PORTS.prosodyHttp).
  prosodyHealthUrl: "http://127.0.0.1:5280/http-bind",
  jicofoHealthUrl: "http://127.0.0.1:8888/about/health", // jitsi-facts.md: Jicofo REST 8888, needs jicofo.health.enabled
  intervalMs: 5000,
  once: false,
};

/** Pure: argv → options, or an error message naming the flag. */
export function parseShardAgentArgs(argv: readonly string[]): ShardAgentOptions | string {
  const o: { -readonly [K in keyof ShardAgentOptions]: ShardAgentOptions[K] } = { ...SHARD_AGENT_DEFAULTS };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === "--once") {
      o.once = true;
      continue;
    }
    const value = argv[i + 1];
    if (value === undefined) return `${flag}: needs a value`;
    i++;
    switch (flag) {
      case "--listen": {
        const a = parseListenAddress(value, 6060);
        if (typeof a === "string") return a;
        o.host = a.host;
        o.port = a.port;
        break;
      }
      case "--state-file":
        if (!value.startsWith("/")) return `--state-file: must be an absolute path, got "${value}"`;
        o.stateFile = value;
        break;
      case "--prosody-health":
      case "--jicofo-health":
        if (!/^http:\/\/[^\s/]+(\/\S*)?$/.test(value)) return `${flag}: must be an http:// URL, got "${value}"`;
        if (flag === "--prosody-health") o.prosodyHealthUrl = value;
        else o.jicofoHealthUrl = value;
        break;
      case "--interval-ms": {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 100 || n > 600_000) return `--interval-ms: must be a whole number from 100 to 600000, got "${value}"`;
        o.intervalMs = n;
        break;
      }
      default:
        return `unknown flag "${flag}" (allowed: --listen, --state-file, --prosody-health, --jicofo-health, --interval-ms, --once)`;
    }
  }
  return o;
}

/** GET url; true on a 2xx within the timeout. */
export async function probe(url: string, timeoutMs: number): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

function readStateFile(path: string): StateFileReading {
  try {
    return parseStateFile(fs.readFileSync(path, "utf8"));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return parseStateFile(null);
    return { kind: "invalid", text: `unreadable: ${(e as Error).message}` };
  }
}

export interface RunningShardAgent {
  readonly address: net.AddressInfo;
  /** Current reply (what the next HAProxy connection will read). */
  reply(): string;
  close(): Promise<void>;
}

/** Starts the responder: polls health every intervalMs, answers each connection with agentReply(). */
export async function startShardAgent(opts: ShardAgentOptions, log: (line: string) => void = () => undefined): Promise<RunningShardAgent> {
  let health: ShardHealth = { prosody: false, jicofo: false }; // drain until the first poll says healthy
  let last = "";
  const current = () => {
    const r = agentReply(readStateFile(opts.stateFile), health);
    if (r !== last) log(`shard-agent: now answering "${r.trim()}"`);
    last = r;
    return r;
  };
  const poll = async () => {
    const timeout = Math.min(2000, opts.intervalMs);
    const [prosody, jicofo] = await Promise.all([probe(opts.prosodyHealthUrl, timeout), probe(opts.jicofoHealthUrl, timeout)]);
    health = { prosody, jicofo };
    current();
  };
  await poll();
  let polling = false;
  const timer = setInterval(() => {
    if (polling) return;
    polling = true;
    void poll().finally(() => (polling = false));
  }, opts.intervalMs);
  const server = net.createServer((sock) => {
    sock.on("error", () => undefined);
    sock.end(current());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    address: server.address() as net.AddressInfo,
    reply: current,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(timer);
        server.close(() => resolve());
      }),
  };
}

export async function main(argv: string[]): Promise<number> {
  const opts = parseShardAgentArgs(argv);
  if (typeof opts === "string") {
    console.error(`shard-agent: ${opts}`);
    return 2;
  }
  if (opts.once) {
    const t = Math.min(2000, opts.intervalMs);
    const [prosody, jicofo] = await Promise.all([probe(opts.prosodyHealthUrl, t), probe(opts.jicofoHealthUrl, t)]);
    process.stdout.write(agentReply(readStateFile(opts.stateFile), { prosody, jicofo }));
    return 0;
  }
  const agent = await startShardAgent(opts, (l) => console.log(l));
  console.log(`shard-agent: listening on ${agent.address.address}:${agent.address.port}`);
  await new Promise<void>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  await agent.close();
  return 0;
}
