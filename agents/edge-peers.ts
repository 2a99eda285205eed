/**
 * edge-peers: keeps an edge proxy's `peers` section equal to the running proxies of its group.
 *
 * The proxies are one auto-scaling group, so their addresses are known only at run time. Every proxy runs this
 * agent: it lists the group's running instances (EC2 DescribeInstances on the group's tag), names each peer after
 * its private address (`edge-10-0-1-5`, the same name on every proxy), renders haproxy.cfg with the SAME
 * renderHaproxyConfig the plan and the tests use (input from /etc/jitsi-aws/haproxy-input.json), checks it with
 * `haproxy -c` and reloads HAProxy only when the text changed. The reload hands the stick table to the new
 * process (local peer) and the new peer learns everything from the others, so no room is forgotten.
 *
 * Usage: edge-peers --region R [--input PATH] [--config PATH] [--interval-ms 30000] [--once]
 */
import { execFile } from "child_process";
import * as fs from "fs";
import { promisify } from "util";
import { HaproxyConfigInput, HaproxyPeer, renderHaproxyConfig } from "../render/haproxy";

const run = promisify(execFile);

/** What the EdgeProxy writes to the host: the renderer input without the peers, and how to find them. */
export interface EdgeHostInput {
  readonly haproxy: Omit<HaproxyConfigInput, "peers">;
  /** `peers` section name and port (jitsi-facts.md: peers on TCP 1024). */
  readonly peers: { readonly section: string; readonly port: number };
  /** Tag every instance of the group carries (set by the launch template). */
  readonly groupTag: { readonly key: string; readonly value: string };
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Pure: the peer name of a proxy, from its private IPv4 (identical on every proxy). */
export function peerName(ip: string): string {
  if (!IPV4.test(ip)) throw new Error(`peer address must be an IPv4 address, got '${ip}'`);
  return `edge-${ip.replace(/\./g, "-")}`;
}

/** Pure: the peers section for this host; itself always included, members sorted, duplicates dropped. */
export function peersOf(selfIp: string, memberIps: readonly string[], section: string, port: number): HaproxyConfigInput["peers"] {
  const ips = [...new Set([selfIp, ...memberIps])].sort();
  const members: HaproxyPeer[] = ips.map((ip) => ({ name: peerName(ip), address: ip, port }));
  return { section, localName: peerName(selfIp), members };
}

/**
 * Pure: the peers of the bootstrap haproxy.cfg in user data, valid before the host knows its address: this
 * host alone on loopback. The first sync replaces it; the table then comes from the other proxies.
 */
export function bootstrapPeers(section: string, port: number): HaproxyConfigInput["peers"] {
  return { section, localName: "bootstrap", members: [{ name: "bootstrap", address: "127.0.0.1", port }] };
}

/** Pure: the full haproxy.cfg of this host. */
export function renderHostConfig(input: EdgeHostInput, selfIp: string, memberIps: readonly string[]): string {
  return renderHaproxyConfig({ ...input.haproxy, peers: peersOf(selfIp, memberIps, input.peers.section, input.peers.port) });
}

/** Everything syncPeers touches, injected so tests run it without AWS, IMDS or systemd. */
export interface SyncDeps {
  selfIp(): Promise<string>;
  memberIps(): Promise<string[]>;
  readConfig(): string | null;
  /** Throws when the real validator rejects the text. */
  check(text: string): Promise<void>;
  install(text: string): void;
  reload(): Promise<void>;
}

export type SyncResult = { readonly outcome: "unchanged" | "reloaded"; readonly peers: number };

/** One pass: render; if different, check, install and reload. A failed check leaves the running config alone. */
export async function syncPeers(input: EdgeHostInput, deps: SyncDeps): Promise<SyncResult> {
  const [self, members] = await Promise.all([deps.selfIp(), deps.memberIps()]);
  const text = renderHostConfig(input, self, members);
  const peers = peersOf(self, members, input.peers.section, input.peers.port).members.length;
  if (deps.readConfig() === text) return { outcome: "unchanged", peers };
  await deps.check(text);
  deps.install(text);
  await deps.reload();
  return { outcome: "reloaded", peers };
}

export interface EdgePeersOptions {
  readonly region: string;
  readonly input: string;
  readonly config: string;
  readonly intervalMs: number;
  readonly once: boolean;
}

/** Pure: argv → options, or an error naming the flag. */
export function parseEdgePeersArgs(argv: readonly string[]): EdgePeersOptions | string {
  const o = { region: "", input: "/etc/jitsi-aws/haproxy-input.json", config: "/etc/haproxy/haproxy.cfg", intervalMs: 30_000, once: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === "--once") {
      o.once = true;
      continue;
    }
    const v = argv[++i];
    if (v === undefined) return `${flag}: needs a value`;
    if (flag === "--region") {
      if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(v)) return `--region: must be an AWS region name such as us-east-1, got "${v}"`;
      o.region = v;
    } else if (flag === "--input" || flag === "--config") {
      if (!v.startsWith("/")) return `${flag}: must be an absolute path, got "${v}"`;
      if (flag === "--input") o.input = v;
      else o.config = v;
    } else if (flag === "--interval-ms") {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1000 || n > 3_600_000) return `--interval-ms: must be a whole number from 1000 to 3600000, got "${v}"`;
      o.intervalMs = n;
    } else return `unknown flag "${flag}" (allowed: --region, --input, --config, --interval-ms, --once)`;
  }
  if (!o.region) return "--region: is required";
  return o;
}

/** IMDSv2: a session token, then the private IPv4. */
async function imdsLocalIpv4(): Promise<string> {
  const base = "http://169.254.169.254/latest";
  const token = await (await fetch(`${base}/api/token`, { method: "PUT", headers: { "X-aws-ec2-metadata-token-ttl-seconds": "60" }, signal: AbortSignal.timeout(2000) })).text();
  const res = await fetch(`${base}/meta-data/local-ipv4`, { headers: { "X-aws-ec2-metadata-token": token }, signal: AbortSignal.timeout(2000) });
  if (!res.ok) throw new Error(`IMDS local-ipv4: HTTP ${res.status}`);
  return (await res.text()).trim();
}

function hostDeps(o: EdgePeersOptions, input: EdgeHostInput): SyncDeps {
  const tmp = `${o.config}.edge-peers.tmp`;
  return {
    selfIp: imdsLocalIpv4,
    memberIps: async () => {
      const { EC2Client, DescribeInstancesCommand } = await import("@aws-sdk/client-ec2");
      const ec2 = new EC2Client({ region: o.region });
      const ips: string[] = [];
      let NextToken: string | undefined;
      for (let page = 0; page < 20; page++) {
        const r = await ec2.send(
          new DescribeInstancesCommand({
            Filters: [
              { Name: `tag:${input.groupTag.key}`, Values: [input.groupTag.value] },
              // Pending too: a newcomer is listed from its launch, minutes before its HAProxy starts and asks
              // the others for the table (which they grant only to a peer they list).
              { Name: "instance-state-name", Values: ["pending", "running"] },
            ],
            NextToken,
          }),
        );
        for (const res of r.Reservations ?? []) for (const i of res.Instances ?? []) if (i.PrivateIpAddress) ips.push(i.PrivateIpAddress);
        NextToken = r.NextToken;
        if (!NextToken) break;
      }
      return ips;
    },
    readConfig: () => {
      try {
        return fs.readFileSync(o.config, "utf8");
      } catch {
        return null;
      }
    },
    check: async (text) => {
      fs.writeFileSync(tmp, text, { mode: 0o644 });
      await run("haproxy", ["-c", "-q", "-f", tmp]);
    },
    install: () => fs.renameSync(tmp, o.config),
    // Reload (the unit's ExecReload waits for the peers' resync and saves the servers' state), or the first start.
    reload: async () => {
      await run("systemctl", ["reload-or-restart", "haproxy"]);
    },
  };
}

export async function main(argv: string[]): Promise<number> {
  const o = parseEdgePeersArgs(argv);
  if (typeof o === "string") {
    console.error(`edge-peers: ${o}`);
    return 2;
  }
  const input = JSON.parse(fs.readFileSync(o.input, "utf8")) as EdgeHostInput;
  const deps = hostDeps(o, input);
  const pass = async (): Promise<boolean> => {
    try {
      const r = await syncPeers(input, deps);
      if (r.outcome === "reloaded") console.log(`edge-peers: ${r.peers} peers, haproxy reloaded`);
      return true;
    } catch (e) {
      console.error(`edge-peers: ${(e as Error).message}`);
      return false;
    }
  };
  if (o.once) return (await pass()) ? 0 : 1;
  let stop = false;
  const stopped = new Promise<void>((resolve) => {
    const onSignal = () => {
      stop = true;
      resolve();
    };
    process.once("SIGTERM", onSignal);
    process.once("SIGINT", onSignal);
  });
  while (!stop) {
    await pass();
    await Promise.race([stopped, new Promise((r) => setTimeout(r, o.intervalMs))]);
  }
  return 0;
}
