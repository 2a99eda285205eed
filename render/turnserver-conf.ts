/**
 * coturn's /etc/turnserver.conf for a TURN host, WITHOUT the shared secret. Pure: typed input -> file text.
 *
 * The secret: this text ends with a comment where the boot script (render/turn-boot.ts) appends
 * `static-auth-secret=<value read from SSM>` while writing the final file root:turnserver 0640. coturn reads a
 * single config file (-c) and has no include directive, and a --static-auth-secret command-line flag would be
 * visible to every local user in /proc/<pid>/cmdline, so appending to a root-only file is the safe option.
 * The same value is Prosody's `external_service_secret` (render/turn-credential.ts documents the credential).
 *
 * Source of the settings: jitsi-facts.md (TURN: use-auth-secret, 3478 udp/tcp, 5349 tls, no-tcp-relay,
 * denied-peer-ip for private ranges) and `turnserver -h` of coturn 4.6.1 for every key's spelling.
 */
import { isIP } from "net";

/** The key the boot script appends; never rendered here. */
export const TURN_SECRET_KEY = "static-auth-secret";

/** Where the boot script puts the TLS certificate chain and key (certbot deploy hook copies them there). */
export const TURN_TLS_PATHS = {
  certFile: "/etc/turnserver/tls/fullchain.pem",
  keyFile: "/etc/turnserver/tls/privkey.pem",
} as const;

/**
 * Peers coturn must never relay to (IPv4 and IPv6), as `denied-peer-ip` ranges. Without them a TURN client
 * could use the server as a proxy into the VPC, to the instance-metadata service (169.254.169.254 / fd00:ec2::254)
 * or to loopback services. Ranges: RFC 6890 special-purpose registries. Loopback is also refused by coturn itself
 * unless `allow-loopback-peers` is set; it is listed anyway so the rule does not depend on that default.
 */
export const DENIED_PEER_RANGES: readonly { readonly range: string; readonly why: string }[] = [
  { range: "0.0.0.0-0.255.255.255", why: "this network (RFC 6890)" },
  { range: "10.0.0.0-10.255.255.255", why: "private (RFC 1918): the VPC" },
  { range: "100.64.0.0-100.127.255.255", why: "carrier-grade NAT (RFC 6598)" },
  { range: "127.0.0.0-127.255.255.255", why: "loopback: local services" },
  { range: "169.254.0.0-169.254.255.255", why: "link-local: EC2 instance metadata 169.254.169.254, Amazon DNS 169.254.169.253" },
  { range: "172.16.0.0-172.31.255.255", why: "private (RFC 1918)" },
  { range: "192.0.0.0-192.0.0.255", why: "IETF protocol assignments" },
  { range: "192.0.2.0-192.0.2.255", why: "documentation (TEST-NET-1)" },
  { range: "192.88.99.0-192.88.99.255", why: "6to4 relay anycast" },
  { range: "192.168.0.0-192.168.255.255", why: "private (RFC 1918)" },
  { range: "198.18.0.0-198.19.255.255", why: "benchmarking" },
  { range: "198.51.100.0-198.51.100.255", why: "documentation (TEST-NET-2)" },
  { range: "203.0.113.0-203.0.113.255", why: "documentation (TEST-NET-3)" },
  { range: "224.0.0.0-255.255.255.255", why: "multicast and reserved (also no-multicast-peers)" },
  { range: "::-::1", why: "IPv6 unspecified and loopback" },
  { range: "::ffff:0.0.0.0-::ffff:255.255.255.255", why: "IPv4-mapped IPv6: would bypass the IPv4 rules" },
  { range: "64:ff9b::-64:ff9b::ffff:ffff", why: "NAT64 (RFC 6052): would reach IPv4 private space" },
  { range: "fc00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", why: "unique local (includes EC2 metadata fd00:ec2::254)" },
  { range: "fe80::-febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", why: "IPv6 link-local" },
];

const LOOPBACK_RANGES = new Set(["127.0.0.0-127.255.255.255", "::-::1"]);

export interface TurnserverConfInput {
  /** TURN realm; Jitsi uses its XMPP domain (e.g. meet.example.org). */
  readonly realm: string;
  /** STUN/TURN over UDP and TCP. @default 3478 (jitsi-facts.md) */
  readonly listeningPort?: number;
  /** TURNS (TLS over TCP). 443 passes restrictive firewalls; meet.jit.si uses 443. @default 5349 (jitsi-facts.md) */
  readonly tlsListeningPort?: number;
  /** Addresses coturn listens on. @default [] (every interface) */
  readonly listeningIps?: readonly string[];
  /** Addresses relay sockets are opened on (the host's private address on EC2). @default [] (coturn picks) */
  readonly relayIps?: readonly string[];
  /** 1:1 NAT mapping (Elastic IP / private IP) announced in XOR-RELAYED-ADDRESS. @default none */
  readonly externalIp?: { readonly publicIp: string; readonly privateIp: string };
  /** Relay port range (UDP, opened to the world by the security group). @default 49152-65535 (RFC 5766) */
  readonly minRelayPort?: number;
  /** @default 65535 */
  readonly maxRelayPort?: number;
  /** PEM certificate chain for TURNS. @default TURN_TLS_PATHS.certFile */
  readonly certFile?: string;
  /** PEM private key for TURNS. @default TURN_TLS_PATHS.keyFile */
  readonly keyFile?: string;
  /**
   * Concurrent allocations per TURN username. Prosody's username is `<expiry>`, shared by every client that got
   * its credential in the same second, so this caps a one-second batch: ~4 allocations per client (JVB and P2P
   * connections, UDP and TLS) x 6 joins/s (above the 92-in-31-s flash crowd of jitsi-facts.md). @default 24
   */
  readonly userQuota?: number;
  /** Concurrent allocations on this host (0 = unlimited). @default 2000 */
  readonly totalQuota?: number;
  /** Bytes per second per session and direction (0 = unlimited). @default 0 */
  readonly maxBps?: number;
  /** Refuse TCP relay allocations (RFC 6062); browsers relay media over UDP. @default true (jitsi-facts.md) */
  readonly noTcpRelay?: boolean;
  /** More `denied-peer-ip` entries (an address or `first-last`). @default [] */
  readonly extraDeniedPeerIps?: readonly string[];
  /**
   * ONLY for tests on loopback: renders `allow-loopback-peers` and drops the loopback ranges from the deny list,
   * so a peer on 127.0.7.x can be reached. TurnCluster never sets it. @default false
   */
  readonly allowLoopbackPeers?: boolean;
  /** Log file (the CloudWatch agent tails it, render/cloudwatch-agent.ts). @default /var/log/turnserver/turnserver.log */
  readonly logFile?: string;
  /** pid file; "" = none (the Debian systemd unit passes --pidfile= too). @default "" */
  readonly pidFile?: string;
}

export const TURNSERVER_DEFAULTS = {
  listeningPort: 3478,
  tlsListeningPort: 5349,
  minRelayPort: 49152,
  maxRelayPort: 65535,
  userQuota: 24,
  totalQuota: 2000,
  maxBps: 0,
  noTcpRelay: true,
  logFile: "/var/log/turnserver/turnserver.log",
  pidFile: "",
} as const;

type Resolved = Required<Omit<TurnserverConfInput, "externalIp">> & Pick<TurnserverConfInput, "externalIp">;

/** Fills defaults and reports every bad field at once (each named), so nothing is rendered from bad input. */
export function resolveTurnserverConfInput(input: TurnserverConfInput): Resolved {
  const D = TURNSERVER_DEFAULTS;
  const r: Resolved = {
    realm: input.realm,
    listeningPort: input.listeningPort ?? D.listeningPort,
    tlsListeningPort: input.tlsListeningPort ?? D.tlsListeningPort,
    listeningIps: input.listeningIps ?? [],
    relayIps: input.relayIps ?? [],
    externalIp: input.externalIp,
    minRelayPort: input.minRelayPort ?? D.minRelayPort,
    maxRelayPort: input.maxRelayPort ?? D.maxRelayPort,
    certFile: input.certFile ?? TURN_TLS_PATHS.certFile,
    keyFile: input.keyFile ?? TURN_TLS_PATHS.keyFile,
    userQuota: input.userQuota ?? D.userQuota,
    totalQuota: input.totalQuota ?? D.totalQuota,
    maxBps: input.maxBps ?? D.maxBps,
    noTcpRelay: input.noTcpRelay ?? D.noTcpRelay,
    extraDeniedPeerIps: input.extraDeniedPeerIps ?? [],
    allowLoopbackPeers: input.allowLoopbackPeers ?? false,
    logFile: input.logFile ?? D.logFile,
    pidFile: input.pidFile ?? D.pidFile,
  };
  const errors: string[] = [];
  const port = (field: keyof Resolved, v: number, min = 1) => {
    if (!Number.isInteger(v) || v < min || v > 65535) errors.push(`${field} must be a whole number in ${min}..65535, got ${v}`);
  };
  if (typeof r.realm !== "string" || !/^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(r.realm))
    errors.push(`realm must be a DNS name (letters, digits, dashes, dots), got '${r.realm}'`);
  port("listeningPort", r.listeningPort);
  port("tlsListeningPort", r.tlsListeningPort);
  port("minRelayPort", r.minRelayPort, 1024);
  port("maxRelayPort", r.maxRelayPort, 1024);
  if (r.listeningPort === r.tlsListeningPort) errors.push(`tlsListeningPort must differ from listeningPort (${r.listeningPort})`);
  if (r.minRelayPort >= r.maxRelayPort) errors.push(`minRelayPort (${r.minRelayPort}) must be below maxRelayPort (${r.maxRelayPort})`);
  for (const [f, p] of [["listeningPort", r.listeningPort], ["tlsListeningPort", r.tlsListeningPort]] as const)
    if (p >= r.minRelayPort && p <= r.maxRelayPort) errors.push(`${f} ${p} must lie outside the relay range ${r.minRelayPort}-${r.maxRelayPort}`);
  r.listeningIps.forEach((ip, i) => isIP(ip) || errors.push(`listeningIps[${i}] must be an IP address, got '${ip}'`));
  r.relayIps.forEach((ip, i) => isIP(ip) || errors.push(`relayIps[${i}] must be an IP address, got '${ip}'`));
  if (r.externalIp) {
    if (isIP(r.externalIp.publicIp) !== 4) errors.push(`externalIp.publicIp must be an IPv4 address, got '${r.externalIp.publicIp}'`);
    if (isIP(r.externalIp.privateIp) !== 4) errors.push(`externalIp.privateIp must be an IPv4 address, got '${r.externalIp.privateIp}'`);
  }
  r.extraDeniedPeerIps.forEach((e, i) => {
    const parts = e.split("-");
    if (parts.length > 2 || !parts.every((p) => isIP(p) !== 0) || (parts.length === 2 && isIP(parts[0]) !== isIP(parts[1])))
      errors.push(`extraDeniedPeerIps[${i}] must be an IP address or 'first-last' of one family, got '${e}'`);
  });
  for (const [f, v] of [["userQuota", r.userQuota], ["totalQuota", r.totalQuota], ["maxBps", r.maxBps]] as const)
    if (!Number.isInteger(v) || v < 0) errors.push(`${f} must be a whole number >= 0, got ${v}`);
  for (const [f, v] of [["certFile", r.certFile], ["keyFile", r.keyFile], ["logFile", r.logFile]] as const)
    if (typeof v !== "string" || !/^\/[A-Za-z0-9._/-]+$/.test(v)) errors.push(`${f} must be an absolute path without spaces, got '${v}'`);
  if (r.pidFile !== "" && !/^\/[A-Za-z0-9._/-]+$/.test(r.pidFile)) errors.push(`pidFile must be "" or an absolute path without spaces, got '${r.pidFile}'`);
  if (errors.length > 0) throw new Error(`invalid turnserver.conf input:\n  - ${errors.join("\n  - ")}`);
  return r;
}

/** Renders turnserver.conf (coturn 4.6 syntax: `key=value` or a bare flag per line). */
export function renderTurnserverConf(input: TurnserverConfInput): string {
  const r = resolveTurnserverConfInput(input);
  const denied = DENIED_PEER_RANGES.filter((d) => !(r.allowLoopbackPeers && LOOPBACK_RANGES.has(d.range)));
  const lines = [
    "# turnserver.conf rendered by jitsi-aws (render/turnserver-conf.ts); see docs/turn.md.",
    "",
    "# Listeners: STUN/TURN on udp+tcp, TURNS on tls. No DTLS: browsers reach TURN over UDP, TCP or TLS only.",
    `listening-port=${r.listeningPort}`,
    `tls-listening-port=${r.tlsListeningPort}`,
    ...r.listeningIps.map((ip) => `listening-ip=${ip}`),
    ...r.relayIps.map((ip) => `relay-ip=${ip}`),
    ...(r.externalIp ? [`external-ip=${r.externalIp.publicIp}/${r.externalIp.privateIp}`] : []),
    `min-port=${r.minRelayPort}`,
    `max-port=${r.maxRelayPort}`,
    "no-dtls",
    "no-tlsv1",
    "no-tlsv1_1",
    `cert=${r.certFile}`,
    `pkey=${r.keyFile}`,
    "",
    "# Authentication: TURN REST API (time-limited HMAC credentials from Prosody's mod_external_services).",
    `realm=${r.realm}`,
    "fingerprint",
    "use-auth-secret",
    "stale-nonce=600",
    "",
    "# Quotas (0 = unlimited).",
    `user-quota=${r.userQuota}`,
    `total-quota=${r.totalQuota}`,
    ...(r.maxBps > 0 ? [`max-bps=${r.maxBps}`] : []),
    "",
    "# Hardening: no admin CLI, no multicast or private peers, small STUN answers (less amplification).",
    "no-cli",
    "no-multicast-peers",
    ...(r.allowLoopbackPeers ? ["# TEST ONLY (loopback daemon test): loopback peers allowed, loopback ranges not denied.", "allow-loopback-peers"] : []),
    ...(r.noTcpRelay ? ["no-tcp-relay"] : []),
    "no-rfc5780",
    "no-stun-backward-compatibility",
    "response-origin-only-with-rfc5780",
    "no-software-attribute",
    ...denied.map((d) => `denied-peer-ip=${d.range}`),
    ...r.extraDeniedPeerIps.map((e) => `denied-peer-ip=${e}`),
    "",
    "# Logging: one file the CloudWatch agent tails; allocation lines need verbose.",
    `log-file=${r.logFile}`,
    "simple-log",
    "no-stdout-log",
    "verbose",
    ...(r.pidFile ? [`pidfile=${r.pidFile}`] : []),
    "",
    `# ${TURN_SECRET_KEY} is appended below at boot from SSM (render/turn-boot.ts); it is never in this text.`,
  ];
  return lines.join("\n") + "\n";
}
