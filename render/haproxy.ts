/**
 * haproxy.cfg of one EdgeProxy host. Pure: typed input → file text; no Pulumi, no I/O.
 *
 * What the file does (docs/edge-proxy.md explains the why):
 * - Room routing (jitsi-facts.md): the room is the `room` query parameter, else the path of the room page,
 *   url-decoded and lower-cased, prefixed by the tenant for `/tenant/...` URLs. Only the signalling paths
 *   (room page, /http-bind, /xmpp-websocket, /conference-request/v1, /config.js) bind a room; everything else
 *   (static assets) is balanced without a key and binds nothing.
 * - The room key drives `balance hash` with consistent hashing and bounded load (`hash-balance-factor`), and a
 *   string stick table shared by the region's proxies through `peers`, naming the shard by server name
 *   (`srvkey name`, the stable shard id; Jitsi's template uses `addr` because its names come from service
 *   discovery), so proxies agree whatever the order of servers or the shard's current address.
 * - Shards are health checked on /about/health and asked for their state by an agent check (agents/shard-agent.ts
 *   answers "up ready", "up drain" or "maint"). A shard in drain gets no new room; its sticky rooms stay.
 * - `/colibri-ws/<bridge-ip>/...` and `/colibri-relay-ws/<bridge-ip>/...` go straight to that bridge: the JVB's
 *   websocket server id is its private IPv4 (render/jvb-conf.ts), and only addresses inside the bridge CIDRs are
 *   accepted, so the edge cannot be used to reach any other host.
 * - Abuse guard: a per-client connection-rate stick table (client address from the PROXY protocol header).
 */

export type ShardState = "ready" | "drain" | "maint";
export const SHARD_STATES: readonly ShardState[] = ["ready", "drain", "maint"];

export interface HaproxyShard {
  /** Server name in HAProxy and in logs; letters, digits, '-', '_' (e.g. `shard-1`). */
  readonly id: string;
  /**
   * IPv4 address or DNS name of the shard's web server (nginx). A name is resolved at run time through the
   * host's resolvers (the VPC's), so a shard replaced on a new address is followed without a reload.
   */
  readonly address: string;
  /** Port of the shard's web server. */
  readonly port: number;
  /** Port of the shard's agent (agents/shard-agent.ts). jitsi-facts.md: 6060. */
  readonly agentPort: number;
  /**
   * State before the first agent answer. HAProxy 2.6 starts a server UP, so a brand-new shard is rendered
   * `disabled` (administrative maintenance) when "drain" or "maint": it has no sticky room yet, so this equals a
   * drain, and the agent's "up ready" lifts it once Prosody and Jicofo are healthy (tests/daemons/haproxy.test.ts).
   * Use "ready" for shards that are already serving rooms.
   */
  readonly initialState: ShardState;
}

export interface HaproxyPeer {
  /** Peer name; the one equal to `peers.localName` is this host. */
  readonly name: string;
  readonly address: string;
  /** jitsi-facts.md: peers on TCP 1024. */
  readonly port: number;
}

export interface HaproxyTuning {
  /** Client and server inactivity timeout, seconds. Must exceed the BOSH long-poll (60 s). */
  readonly httpTimeoutSeconds: number;
  /** Idle timeout of an established websocket, seconds. */
  readonly tunnelTimeoutSeconds: number;
  readonly connectTimeoutSeconds: number;
  /** Time allowed for a client to send its request headers, seconds. */
  readonly httpRequestTimeoutSeconds: number;
  /** Health check period, milliseconds. jitsi-facts.md: 10 s. */
  readonly healthIntervalMs: number;
  /** jitsi-facts.md: fall 2 rise 3. */
  readonly healthFall: number;
  readonly healthRise: number;
  /** Agent check period, milliseconds. */
  readonly agentIntervalMs: number;
  /** jitsi-facts.md: hash-balance-factor 150 (a shard takes at most 1.5 × the mean of new rooms). */
  readonly hashBalanceFactor: number;
  /** Stick table entries. jitsi-facts.md: 200k. */
  readonly stickTableSize: number;
  /** Idle lifetime of a room's stick entry, seconds. jitsi-facts.md: 5m. */
  readonly stickExpireSeconds: number;
  /** Abuse guard: most new connections one client address may open per `connRatePeriodSeconds`. */
  readonly maxConnRatePerClient: number;
  readonly connRatePeriodSeconds: number;
  /** Old processes are stopped this long after a reload (their websockets then reconnect), seconds. */
  readonly hardStopAfterSeconds: number;
  readonly maxConnections: number;
}

export interface HaproxyConfigInput {
  /** Where clients arrive (from the NLB). */
  readonly listen: {
    readonly address: string;
    readonly port: number;
    /** The NLB target group sends PROXY protocol v2, carrying the client address. */
    readonly acceptProxy: boolean;
  };
  /** Port answering the load balancer's health check (`/haproxy-health`); same PROXY setting as `listen`. */
  readonly healthPort: number;
  /** HTTP Host header of the shard health checks. */
  readonly healthCheckHost: string;
  readonly shards: readonly HaproxyShard[];
  readonly peers: {
    /** `peers` section name. */
    readonly section: string;
    /** This host's peer name (`localpeer`). */
    readonly localName: string;
    /** All peers of the region including this host. */
    readonly members: readonly HaproxyPeer[];
  };
  /** Bridges reached by `/colibri-ws/<ip>/`: the CIDRs their private addresses are in, and the websocket port. */
  readonly bridges: { readonly cidrs: readonly string[]; readonly websocketPort: number };
  /**
   * Where the host saves `show servers state` before a reload (systemd ExecReload), so shards keep their
   * ready/drain/maint state across it; a shard missing from the file (a new one) starts as `initialState`.
   * @default none (no state file)
   */
  readonly serverStateFile?: string;
  /** Runtime API (stats socket) path; admin level, mode 600. */
  readonly runtimeSocket: string;
  /** `log` target: "stdout", "stderr", a unix socket path such as /dev/log, or host:port (UDP syslog). */
  readonly logTarget: string;
  /** Syslog facility. */
  readonly logFacility: string;
  readonly tuning: HaproxyTuning;
}

/** Production tuning; sources in the field comments. */
export const HAPROXY_TUNING_DEFAULTS: HaproxyTuning = {
  httpTimeoutSeconds: 90, // BOSH holds a request up to 60 s (wait=60), plus margin
  tunnelTimeoutSeconds: 3600, // xmpp-websocket and colibri-ws idle; clients ping far more often
  connectTimeoutSeconds: 5,
  httpRequestTimeoutSeconds: 10,
  healthIntervalMs: 10_000, // jitsi-facts.md: inter 10s fall 2 rise 3
  healthFall: 2,
  healthRise: 3,
  agentIntervalMs: 5_000,
  hashBalanceFactor: 150, // jitsi-facts.md
  stickTableSize: 200_000, // jitsi-facts.md: size 200k
  stickExpireSeconds: 300, // jitsi-facts.md: expire 5m; BOSH polls and new joins refresh it
  maxConnRatePerClient: 60,
  connRatePeriodSeconds: 10,
  hardStopAfterSeconds: 3600,
  maxConnections: 50_000,
};

/**
 * Weight of every shard. Consistent hashing places points on the ring in proportion to the weight; with weight 1
 * four shards took 870-1086 of 4,000 rooms (13 % off the mean), with 100 they took 970-1051 (5 %)
 * (tests/daemons/haproxy.test.ts, test 2). The agent may still scale it as a percentage.
 */
export const SHARD_WEIGHT = 100;

/** The signalling endpoints that carry the room in `?room=` (optionally under a tenant). */
export const SIGNALLING_ENDPOINTS = ["http-bind", "xmpp-websocket", "conference-request/v1", "config.js"] as const;
/** First path segments that are never a room or tenant (static assets and bridge websockets). */
export const RESERVED_SEGMENTS = [
  "libs", "css", "images", "static", "sounds", "fonts", "lang", "about", "colibri-ws", "colibri-relay-ws",
  "http-bind", "xmpp-websocket", "conference-request", "config.js", "interface_config.js", "external_api.js",
  "favicon.ico", "manifest.json", "robots.txt", "haproxy-health",
] as const;

export class HaproxyConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid HaproxyConfigInput: ${problems.join("; ")}`);
    this.name = "HaproxyConfigError";
  }
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const FACILITIES = ["kern", "user", "daemon", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"];

function isPort(n: unknown): boolean {
  return Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 65535;
}

function isCidr(s: string): boolean {
  const m = /^(.+)\/(\d{1,2})$/.exec(s);
  return m !== null && IPV4.test(m[1]) && Number(m[2]) <= 32;
}

/** Every problem of the input at once, each naming its field; empty when the input is valid. */
export function validateHaproxyConfigInput(input: HaproxyConfigInput): string[] {
  const p: string[] = [];
  const ipv4 = (field: string, v: string) => {
    if (typeof v !== "string" || !IPV4.test(v)) p.push(`${field}: must be an IPv4 address, got ${JSON.stringify(v)}`);
  };
  const addr = (field: string, v: string) => {
    if (typeof v !== "string" || !(IPV4.test(v) || HOSTNAME.test(v))) p.push(`${field}: must be an IPv4 address or a DNS name, got ${JSON.stringify(v)}`);
  };
  const port = (field: string, v: number) => {
    if (!isPort(v)) p.push(`${field}: must be a TCP port 1-65535, got ${JSON.stringify(v)}`);
  };
  ipv4("listen.address", input.listen.address);
  port("listen.port", input.listen.port);
  port("healthPort", input.healthPort);
  if (input.healthPort === input.listen.port) p.push(`healthPort: must differ from listen.port (${input.listen.port})`);
  if (!HOSTNAME.test(input.healthCheckHost)) p.push(`healthCheckHost: must be a DNS name, got ${JSON.stringify(input.healthCheckHost)}`);

  if (!Array.isArray(input.shards) || input.shards.length === 0) p.push("shards: must list at least one shard");
  const ids = new Set<string>();
  const endpoints = new Set<string>();
  (input.shards ?? []).forEach((s, i) => {
    const f = `shards[${i}]`;
    if (!NAME.test(s.id)) p.push(`${f}.id: must be 1-63 letters, digits, '-' or '_', got ${JSON.stringify(s.id)}`);
    else if (ids.has(s.id)) p.push(`${f}.id: duplicate shard id "${s.id}"`);
    ids.add(s.id);
    addr(`${f}.address`, s.address);
    port(`${f}.port`, s.port);
    port(`${f}.agentPort`, s.agentPort);
    const ep = `${s.address}:${s.port}`;
    if (endpoints.has(ep)) p.push(`${f}.address: ${ep} is used by another shard`);
    endpoints.add(ep);
    if (!SHARD_STATES.includes(s.initialState)) p.push(`${f}.initialState: must be one of ${SHARD_STATES.join(", ")}, got ${JSON.stringify(s.initialState)}`);
  });

  if (!NAME.test(input.peers.section)) p.push(`peers.section: must be 1-63 letters, digits, '-' or '_', got ${JSON.stringify(input.peers.section)}`);
  if (!NAME.test(input.peers.localName)) p.push(`peers.localName: must be 1-63 letters, digits, '-' or '_', got ${JSON.stringify(input.peers.localName)}`);
  const peerNames = new Set<string>();
  (input.peers.members ?? []).forEach((m, i) => {
    if (!NAME.test(m.name)) p.push(`peers.members[${i}].name: must be 1-63 letters, digits, '-' or '_', got ${JSON.stringify(m.name)}`);
    else if (peerNames.has(m.name)) p.push(`peers.members[${i}].name: duplicate peer "${m.name}"`);
    peerNames.add(m.name);
    // Peers are resolved once at start: an address, so a peer not booted yet cannot stop this one.
    ipv4(`peers.members[${i}].address`, m.address);
    port(`peers.members[${i}].port`, m.port);
  });
  if (!peerNames.has(input.peers.localName))
    p.push(`peers.members: must include the local peer "${input.peers.localName}" (HAProxy needs it to hand its table to a reloaded process)`);

  if (!Array.isArray(input.bridges.cidrs) || input.bridges.cidrs.length === 0) p.push("bridges.cidrs: must list at least one CIDR");
  (input.bridges.cidrs ?? []).forEach((c, i) => {
    if (!isCidr(c)) p.push(`bridges.cidrs[${i}]: must be an IPv4 CIDR such as 10.0.0.0/16, got ${JSON.stringify(c)}`);
  });
  port("bridges.websocketPort", input.bridges.websocketPort);

  if (input.serverStateFile !== undefined && !/^\/[A-Za-z0-9._/-]+$/.test(input.serverStateFile))
    p.push(`serverStateFile: must be an absolute path, got ${JSON.stringify(input.serverStateFile)}`);
  if (!/^\/[A-Za-z0-9._/-]+$/.test(input.runtimeSocket)) p.push(`runtimeSocket: must be an absolute path, got ${JSON.stringify(input.runtimeSocket)}`);
  const lt = input.logTarget;
  const hostPort = /^(.+):(\d+)$/.exec(lt ?? "");
  const logOk = lt === "stdout" || lt === "stderr" || /^\/[A-Za-z0-9._/-]+$/.test(lt ?? "") || (hostPort !== null && IPV4.test(hostPort[1]) && isPort(Number(hostPort[2])));
  if (!logOk) p.push(`logTarget: must be "stdout", "stderr", an absolute unix socket path or ipv4:port, got ${JSON.stringify(lt)}`);
  if (!FACILITIES.includes(input.logFacility)) p.push(`logFacility: must be one of ${FACILITIES.join(", ")}, got ${JSON.stringify(input.logFacility)}`);

  const t = input.tuning;
  const int = (field: keyof HaproxyTuning, min: number, max: number) => {
    const v = t[field];
    if (!Number.isInteger(v) || v < min || v > max) p.push(`tuning.${field}: must be a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`);
  };
  int("httpTimeoutSeconds", 65, 3600); // above the 60 s BOSH hold, or long-polls are cut
  int("tunnelTimeoutSeconds", 60, 86_400);
  int("connectTimeoutSeconds", 1, 60);
  int("httpRequestTimeoutSeconds", 1, 120);
  int("healthIntervalMs", 100, 600_000);
  int("healthFall", 1, 100);
  int("healthRise", 1, 100);
  int("agentIntervalMs", 100, 600_000);
  int("hashBalanceFactor", 101, 10_000); // HAProxy: 0 disables, values must exceed 100
  int("stickTableSize", 1000, 10_000_000);
  int("stickExpireSeconds", 10, 7 * 86_400);
  int("maxConnRatePerClient", 1, 1_000_000);
  int("connRatePeriodSeconds", 1, 3600);
  int("hardStopAfterSeconds", 1, 86_400);
  int("maxConnections", 100, 1_000_000);
  return p;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The rendered file. Throws HaproxyConfigError listing every bad field. */
export function renderHaproxyConfig(input: HaproxyConfigInput): string {
  const problems = validateHaproxyConfigInput(input);
  if (problems.length > 0) throw new HaproxyConfigError(problems);
  const t = input.tuning;
  const proxy = input.listen.acceptProxy ? " accept-proxy" : "";
  const sig = SIGNALLING_ENDPOINTS.map(escapeRegex).join("|");
  const reserved = RESERVED_SEGMENTS.map(escapeRegex).join("|");
  const log = input.logTarget === "stdout" || input.logTarget === "stderr" ? `${input.logTarget} format raw` : input.logTarget;

  const servers = input.shards.map((s) => {
    const start = s.initialState === "ready" ? "" : " disabled";
    // A name may not resolve yet (a shard still booting): start without an address rather than fail.
    const dns = IPV4.test(s.address) ? "" : " resolvers vpc init-addr last,libc,none resolve-prefer ipv4";
    return `    server ${s.id} ${s.address}:${s.port} agent-port ${s.agentPort}${dns}${start}`;
  });
  const resolvers = input.shards.some((s) => !IPV4.test(s.address))
    ? ["resolvers vpc", "    parse-resolv-conf", "    hold valid 10s", "    hold obsolete 60s", ""]
    : [];
  const state = input.serverStateFile;

  return [
    "# haproxy.cfg rendered by jitsi-aws render/haproxy.ts. Do not edit on the host: the EdgeProxy re-renders it.",
    "global",
    `    log ${log} ${input.logFacility}`,
    `    stats socket ${input.runtimeSocket} mode 600 level admin expose-fd listeners`,
    `    localpeer ${input.peers.localName}`,
    `    maxconn ${t.maxConnections}`,
    // A reload keeps old websockets on the old process until they close, at most this long.
    `    hard-stop-after ${t.hardStopAfterSeconds}s`,
    ...(state ? [`    server-state-file ${state}`] : []),
    "",
    "defaults",
    "    mode http",
    "    log global",
    "    option dontlognull",
    ...(state ? ["    load-server-state-from-file global"] : []),
    // One access-log line per request: client, shard chosen, room key, status, timings.
    '    log-format "%ci:%cp [%tr] %ft %b/%s room=%[var(txn.room)] %ST %B %Tq/%Tw/%Tc/%Tr/%Ta %ts %{+Q}r"',
    `    timeout connect ${t.connectTimeoutSeconds}s`,
    `    timeout client ${t.httpTimeoutSeconds}s`,
    `    timeout server ${t.httpTimeoutSeconds}s`,
    `    timeout http-request ${t.httpRequestTimeoutSeconds}s`,
    "    timeout http-keep-alive 10s",
    `    timeout tunnel ${t.tunnelTimeoutSeconds}s`,
    "    timeout client-fin 30s",
    "    timeout queue 10s",
    // A refused connection to a dead shard is retried once on another one instead of failing the join.
    "    retries 2",
    "    option redispatch 1",
    "",
    ...resolvers,
    `peers ${input.peers.section}`,
    ...input.peers.members.map((m) => `    peer ${m.name} ${m.address}:${m.port}`),
    "",
    "# Abuse guard: new connections per client address (the PROXY header's source), not shared between proxies.",
    "backend st_client_rate",
    `    stick-table type ip size 1m expire ${Math.max(60, t.connRatePeriodSeconds * 2)}s store conn_rate(${t.connRatePeriodSeconds}s)`,
    "",
    "frontend fe_lb_health",
    `    bind ${input.listen.address}:${input.healthPort}${proxy}`,
    "    monitor-uri /haproxy-health",
    // Without any shard up this proxy is useless; the NLB then fails open over all proxies anyway.
    "    monitor fail if { nbsrv(be_shards) lt 1 }",
    "",
    "frontend fe_edge",
    `    bind ${input.listen.address}:${input.listen.port}${proxy}`,
    "    tcp-request session track-sc0 src table st_client_rate",
    `    tcp-request session reject if { sc_conn_rate(0) gt ${t.maxConnRatePerClient} }`,
    "    http-request del-header X-Jitsi-Room",
    "",
    "    # Bridge websockets: /colibri-ws/<bridge private IPv4>/... straight to that bridge, only inside the bridge CIDRs.",
    "    acl colibri path_reg ^/colibri-(relay-)?ws/",
    "    http-request set-var(txn.bridge) path,field(3,/) if colibri",
    `    acl bridge_ok var(txn.bridge) -m ip ${input.bridges.cidrs.join(" ")}`,
    "    http-request deny deny_status 403 if colibri !bridge_ok",
    "    http-request set-dst var(txn.bridge) if colibri",
    "",
    "    # Room key: '/' [tenant '/'] room, url-decoded and lower-cased (jitsi-facts.md).",
    `    acl sig_root path_reg -i ^/(${sig})$`,
    `    acl sig_tenant path_reg -i ^/[^/]+/(${sig})$`,
    "    acl has_room url_param(room) -m len gt 0",
    `    acl reserved path_reg -i ^/(${reserved})(/|$)`,
    "    acl room_page path_reg ^/([^/.]+/)?[^/.]+$",
    "    http-request set-var(txn.rq) url_param(room),url_dec(1),lower if has_room",
    "    http-request set-var(txn.tenant) path,field(2,/),url_dec,lower if sig_tenant has_room",
    '    http-request set-var-fmt(txn.room) "/%[var(txn.rq)]" if sig_root has_room',
    '    http-request set-var-fmt(txn.room) "/%[var(txn.tenant)]/%[var(txn.rq)]" if sig_tenant has_room',
    "    http-request set-var(txn.room) path,url_dec,lower if room_page !reserved !sig_root !sig_tenant",
    "    http-request set-header X-Jitsi-Room %[var(txn.room)] if { var(txn.room) -m found }",
    "    use_backend be_bridges if colibri",
    "    default_backend be_shards",
    "",
    "backend be_shards",
    // Consistent hashing of the room key: adding a shard moves only the keys it takes; bounded load caps any
    // shard at hash-balance-factor % of the mean. No key (static assets) falls back to round robin.
    "    balance hash var(txn.room)",
    "    hash-type consistent sdbm avalanche",
    `    hash-balance-factor ${t.hashBalanceFactor}`,
    `    stick-table type string len 200 size ${t.stickTableSize} expire ${t.stickExpireSeconds}s srvkey name peers ${input.peers.section}`,
    "    stick on var(txn.room) if { var(txn.room) -m found }",
    "    option httpchk",
    `    http-check send meth GET uri /about/health ver HTTP/1.1 hdr Host ${input.healthCheckHost}`,
    "    http-check expect status 200",
    `    default-server weight ${SHARD_WEIGHT} check inter ${t.healthIntervalMs}ms fall ${t.healthFall} rise ${t.healthRise} agent-check agent-inter ${t.agentIntervalMs}ms observe layer4 error-limit 3 on-error mark-down`,
    ...servers,
    "",
    "backend be_bridges",
    // 0.0.0.0: connect to the destination set by set-dst (the bridge named in the path), on the websocket port.
    "    option http-server-close",
    `    server bridge 0.0.0.0:${input.bridges.websocketPort}`,
    "",
  ].join("\n");
}
