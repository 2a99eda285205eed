/**
 * jvb.conf (HOCON) for one bridge of a BridgeFleet. Pure: typed input → file text; no Pulumi, no I/O.
 *
 * The file goes into EC2 user data, which is stored in plain text (pulumi-notes.md), so it holds NO secret and
 * nothing that differs between two bridges of the fleet. Those values are HOCON substitutions that Typesafe
 * config resolves from the process environment when jitsi-videobridge starts (`${NAME}` falls back to an
 * environment variable when the config has no such key). The boot script (render/jvb-boot.ts) writes them into
 * an EnvironmentFile read by the jitsi-videobridge2 systemd unit:
 *   - the XMPP password of each shard, read from SSM (SecureString) at boot;
 *   - the instance id (MUC nickname and relay id), the private and public IPv4 (ICE mapping, websocket
 *     server id), read from instance metadata with an IMDSv2 token.
 * A missing variable makes the bridge refuse to start (required substitution) instead of joining with a blank.
 *
 * Every key written here exists in the upstream reference.conf of jvb / ice4j (tests/render/jvb-conf.test.ts
 * proves it), except the fields of map entries the upstream code reads by name (MucClientConfiguration).
 */

/** Environment variables the boot script must export for jvb.conf to resolve (see render/jvb-boot.ts). */
export const JVB_ENV = {
  /** EC2 instance id: MUC nickname in every brewery and the bridge's relay id (unique per bridge). */
  instanceId: "JVB_INSTANCE_ID",
  /** Private IPv4 of the primary interface: the ICE host candidate and the colibri-ws server id. */
  localIpv4: "JVB_LOCAL_IPV4",
  /** Public IPv4 (instance metadata `public-ipv4`): the address clients send media to. */
  publicIpv4: "JVB_PUBLIC_IPV4",
  /** "true" when the scaler tagged this bridge as a reserve while it booted (jvb-drain initial-drain): start drained. */
  initialDrain: "JVB_INITIAL_DRAIN",
} as const;

/** Name of the environment variable holding the XMPP password of one shard ("JVB_XMPP_PASSWORD_SHARD_A"). */
export function shardPasswordEnvVar(shardId: string): string {
  return `JVB_XMPP_PASSWORD_${shardId.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}

/** One shard whose JVB brewery the bridge joins (its Prosody and Jicofo). */
export interface JvbShardConnection {
  /** Map key under `videobridge.apis.xmpp-client.configs`; lower-case letters, digits, dashes. */
  readonly id: string;
  /** Address the bridge connects to (the shard's Prosody, c2s port 5222). */
  readonly hostname: string;
  /** XMPP domain the bridge account lives in, e.g. `auth.meet.example.com`. */
  readonly domain: string;
  /** Bridge account name on that domain, e.g. `jvb`. */
  readonly username: string;
  /** Full JID of the shard's bridge brewery MUC, e.g. `jvbbrewery@internal.auth.meet.example.com`. */
  readonly breweryMucJid: string;
  /** Region of the shard when it is in a peer region (the bridge joins it for relays). */
  readonly peerRegion?: string;
  /** Skip TLS certificate checks on this connection (only for a Prosody with a self-signed certificate). @default false */
  readonly disableCertificateVerification?: boolean;
}

export interface JvbConfInput {
  /** AWS region of the fleet; the relay region Jicofo compares with a client's region. */
  readonly region: string;
  /** Shards of the bridge's own region. At least one. */
  readonly localShards: readonly JvbShardConnection[];
  /** Shards of peer regions (relay mesh); may be empty. */
  readonly peerShards: readonly JvbShardConnection[];
  /** Whether relays (the successor of Octo) are enabled. */
  readonly relayEnabled: boolean;
  /** Public host[:port] advertised in colibri-ws URLs, e.g. `meet.example.com:443`. */
  readonly websocketDomain: string;
  /** Port of the bridge's public HTTP server (colibri-ws, colibri-relay-ws) that the shards' nginx proxies to. */
  readonly websocketPort: number;
  /** jitsi-facts.md: media on UDP 10000 (relays share it). */
  readonly mediaPort: number;
  /** The bridge leaves graceful shutdown by itself after this long; the fleet's maxDrainSeconds. */
  readonly gracefulShutdownMaxSeconds: number;
  /**
   * In graceful shutdown, at this many participants or fewer the bridge goes SHUTTING_DOWN and Jicofo moves them to
   * another bridge (the scaler's consolidateMaxParticipants; 0 = wait for the last one).
   */
  readonly gracefulShutdownMinParticipants: number;
  /** How stress is measured (jitsi-facts.md: cpu-usage is the default since 2024). */
  readonly loadMeasurement: "cpu-usage" | "packet-rate";
}

/** A HOCON substitution of an environment variable (`${NAME}`), rendered unquoted. */
export class EnvRef {
  constructor(readonly name: string) {}
}

export type HoconValue = string | number | boolean | EnvRef | readonly HoconValue[] | { readonly [k: string]: HoconValue };

const SHARD_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
const HOST = /^[A-Za-z0-9.-]{1,253}(:\d{1,5})?$/;

/** Checks the input; every problem is reported together, each naming its field. */
export function validateJvbConfInput(input: JvbConfInput): void {
  const errors: string[] = [];
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(input.region)) errors.push(`region: must be an AWS region name, got "${input.region}"`);
  if (input.localShards.length === 0) errors.push("localShards: must list at least one shard of the region");
  const seen = new Set<string>();
  const all = [...input.localShards.map((s) => ["localShards", s] as const), ...input.peerShards.map((s) => ["peerShards", s] as const)];
  all.forEach(([field, s]) => {
    if (!SHARD_ID.test(s.id)) errors.push(`${field}[${s.id}].id: must be lower-case letters, digits and dashes`);
    if (seen.has(s.id)) errors.push(`${field}[${s.id}].id: appears twice (ids are map keys and must be unique)`);
    seen.add(s.id);
    if (!HOST.test(s.hostname)) errors.push(`${field}[${s.id}].hostname: must be a host name or IPv4 address`);
    if (!HOST.test(s.domain)) errors.push(`${field}[${s.id}].domain: must be an XMPP domain name`);
    if (!/^[a-z0-9._-]+$/i.test(s.username)) errors.push(`${field}[${s.id}].username: must be a plain XMPP local part`);
    if (!/^[^@\s]+@[A-Za-z0-9.-]+$/.test(s.breweryMucJid)) errors.push(`${field}[${s.id}].breweryMucJid: must be a bare MUC JID room@service`);
  });
  if (!HOST.test(input.websocketDomain)) errors.push(`websocketDomain: must be host[:port], got "${input.websocketDomain}"`);
  for (const [field, port] of [["websocketPort", input.websocketPort], ["mediaPort", input.mediaPort]] as const)
    if (!Number.isInteger(port) || port < 1024 || port > 65535) errors.push(`${field}: must be an integer from 1024 to 65535, got ${port}`);
  if (!Number.isInteger(input.gracefulShutdownMaxSeconds) || input.gracefulShutdownMaxSeconds < 60)
    errors.push(`gracefulShutdownMaxSeconds: must be an integer >= 60, got ${input.gracefulShutdownMaxSeconds}`);
  if (!Number.isInteger(input.gracefulShutdownMinParticipants) || input.gracefulShutdownMinParticipants < 0)
    errors.push(`gracefulShutdownMinParticipants: must be an integer >= 0, got ${input.gracefulShutdownMinParticipants}`);
  if (errors.length > 0) throw new Error(`invalid jvb.conf input:\n  ${errors.join("\n  ")}`);
}

function mucClient(s: JvbShardConnection): HoconValue {
  return {
    hostname: s.hostname,
    domain: s.domain,
    username: s.username,
    // The secret stays out of user data: resolved from the environment file written at boot from SSM.
    password: new EnvRef(shardPasswordEnvVar(s.id)),
    muc_jids: s.breweryMucJid,
    // One nickname per bridge in every brewery: the instance id is unique and stable for the instance's life.
    muc_nickname: new EnvRef(JVB_ENV.instanceId),
    disable_certificate_verification: s.disableCertificateVerification ?? false,
  };
}

/** The jvb.conf tree (exported for tests and for documentation tools). */
export function jvbConfTree(input: JvbConfInput): { readonly [k: string]: HoconValue } {
  validateJvbConfInput(input);
  const configs: Record<string, HoconValue> = {};
  for (const s of [...input.localShards, ...input.peerShards]) configs[s.id] = mucClient(s);
  return {
    videobridge: {
      apis: {
        "xmpp-client": { configs },
        // COLIBRI REST API: needed by /colibri/shutdown (graceful shutdown) and /colibri/stats (drain, metrics).
        rest: { enabled: true },
      },
      // shutdown: graceful shutdown on termination; drain: drain mode while the scaler drains the bridge (reversible).
      rest: { shutdown: { enabled: true }, drain: { enabled: true } },
      // A reserve (tagged by the scaler while it booted) starts drained; the drain agent then mirrors the tag.
      "initial-drain-mode": new EnvRef(JVB_ENV.initialDrain),
      "http-servers": {
        // The private server (REST, health, stats) answers on loopback only; the drain and metrics agents run on the host.
        private: { host: "127.0.0.1" },
        // The public server carries colibri-ws and colibri-relay-ws, proxied by the shards' nginx (jitsi-facts.md).
        public: { port: input.websocketPort },
      },
      websockets: {
        enabled: true,
        // The shards' nginx routes /colibri-ws/<server-id>/ to <server-id>:<port>, so the id is the private address.
        "server-id": new EnvRef(JVB_ENV.localIpv4),
        domains: [input.websocketDomain],
        tls: true,
      },
      relay: {
        enabled: input.relayEnabled,
        region: input.region,
        "relay-id": new EnvRef(JVB_ENV.instanceId),
      },
      ice: { udp: { port: input.mediaPort } },
      shutdown: {
        "graceful-shutdown-max-duration": `${input.gracefulShutdownMaxSeconds} seconds`,
        // A bridge the scaler terminates with this few participants left hands them to Jicofo (SHUTTING_DOWN), which
        // re-invites them on another bridge, instead of holding a whole bridge for one long meeting.
        "graceful-shutdown-min-participants": input.gracefulShutdownMinParticipants,
      },
      "load-management": { "load-measurements": { "load-measurement": input.loadMeasurement } },
      // Jicofo selects bridges from the stats in presence (stress, region, drain); reference default, kept explicit.
      stats: { interval: "5 seconds" },
    },
    ice4j: {
      harvest: {
        mapping: {
          // ice4j's AWS harvester reads instance metadata without an IMDSv2 token (AwsCandidateHarvester.java), so
          // it fails on instances with httpTokens=required. The boot script reads both addresses with a token and
          // this static mapping advertises the public one.
          aws: { enabled: false },
          "static-mappings": [
            { "local-address": new EnvRef(JVB_ENV.localIpv4), "public-address": new EnvRef(JVB_ENV.publicIpv4), name: "ec2-public-ipv4" },
          ],
        },
      },
    },
  };
}

const BARE_KEY = /^[A-Za-z0-9_-]+$/;

function key(k: string): string {
  return BARE_KEY.test(k) ? k : JSON.stringify(k);
}

function isObject(v: HoconValue): v is { readonly [k: string]: HoconValue } {
  return typeof v === "object" && !(v instanceof EnvRef) && !Array.isArray(v);
}

/** Renders a value as HOCON; strings are JSON-quoted (valid HOCON), substitutions are left bare. */
export function renderHocon(v: HoconValue, indent = ""): string {
  if (v instanceof EnvRef) return `\${${v.name}}`;
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  const inner = indent + "  ";
  if (Array.isArray(v)) return `[${v.map((x) => renderHocon(x, inner)).join(", ")}]`;
  const o = v as { readonly [k: string]: HoconValue };
  const lines = Object.keys(o).map((k) => {
    const val = o[k];
    return isObject(val) ? `${inner}${key(k)} ${renderHocon(val, inner)}` : `${inner}${key(k)} = ${renderHocon(val, inner)}`;
  });
  return `{\n${lines.join("\n")}\n${indent}}`;
}

/** The jvb.conf text. Top-level blocks are written without outer braces, as the Debian package's file is. */
export function renderJvbConf(input: JvbConfInput): string {
  const tree = jvbConfTree(input);
  const header = [
    "# jvb.conf rendered by jitsi-aws (render/jvb-conf.ts). Do not edit on the host.",
    `# \${${JVB_ENV.instanceId}}, \${${JVB_ENV.localIpv4}}, \${${JVB_ENV.publicIpv4}} and the JVB_XMPP_PASSWORD_* values`,
    "# come from the environment file the boot script writes (instance metadata, SSM).",
  ];
  const body = Object.keys(tree).map((k) => `${key(k)} ${renderHocon(tree[k])}`);
  return `${header.join("\n")}\n${body.join("\n")}\n`;
}
