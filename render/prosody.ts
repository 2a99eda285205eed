/**
 * Prosody configuration of one shard: the client VirtualHost, the auth and recorder hosts, the conference
 * MUC, the internal MUC that holds the JVB and Jibri breweries, and TURN via mod_external_services.
 * Pure. Modelled on jitsi-meet's Debian template (jitsi-meet-prosody); module names are checked against
 * the modules Debian's Prosody 0.12 and jitsi-meet's prosody-plugins ship (tests/render/prosody.test.ts).
 */
import { xmppDomains } from "../config/naming";
import { PORTS } from "../config/ports";
import { luaList, luaString } from "./lua";

export interface ProsodyTurnServer {
  /** Public host name of the TURN server. */
  readonly host: string;
  /** TURNS port of that server (TurnCluster's tlsPort). @default 5349 */
  readonly turnsPort?: number;
}

export interface ProsodyConfigInput {
  /** Public meeting domain. */
  readonly domain: string;
  /** TURN servers handed to clients with time-limited credentials (empty: STUN/TURN off). */
  readonly turnServers: readonly ProsodyTurnServer[];
  /** Credential lifetime in seconds (jitsi-facts.md: ttl 86400). */
  readonly turnCredentialTtlSeconds: number;
  /**
   * File holding `external_service_secret = "..."`, written at boot from SSM (root:prosody 0640).
   * Included, so the secret is never part of the rendered config or the user data.
   */
  readonly secretsInclude: string;
}

/** Global modules (Prosody 0.12 core): accounts, TLS, discovery, keepalives, stream resumption. */
export const GLOBAL_MODULES = ["roster", "saslauth", "tls", "disco", "ping", "smacks", "admin_shell", "uptime", "time", "version"] as const;
/** Modules of the client VirtualHost (all ship with Prosody 0.12 or jitsi-meet-prosody). */
export const CLIENT_HOST_MODULES = [
  "bosh", "websocket", "external_services", "speakerstats", "conference_duration",
  "end_conference", "muc_lobby_rooms", "muc_breakout_rooms", "av_moderation", "room_metadata",
] as const;
export const CONFERENCE_MUC_MODULES = ["muc_hide_all", "muc_meeting_id", "muc_domain_mapper", "polls", "muc_rate_limit", "muc_password_whitelist"] as const;
export const INTERNAL_MUC_MODULES = ["muc_hide_all", "ping"] as const;

export function renderProsodyConfig(input: ProsodyConfigInput): string {
  if (input.turnCredentialTtlSeconds < 60) throw new Error(`turnCredentialTtlSeconds must be at least 60 (got ${input.turnCredentialTtlSeconds})`);
  const d = xmppDomains(input.domain);
  const focusJid = `focus@${d.auth}`;
  const services = input.turnServers.flatMap((t) => [
    `  { type = "stun", host = ${luaString(t.host)}, port = ${PORTS.turn} };`,
    `  { type = "turn", host = ${luaString(t.host)}, port = ${PORTS.turn}, transport = "udp", secret = true, ttl = ${input.turnCredentialTtlSeconds}, algorithm = "turn" };`,
    `  { type = "turns", host = ${luaString(t.host)}, port = ${t.turnsPort ?? PORTS.turns}, transport = "tcp", secret = true, ttl = ${input.turnCredentialTtlSeconds}, algorithm = "turn" };`,
  ]);
  return `-- Rendered by jitsi-aws (render/prosody.ts). Do not edit on the host: changes are replaced on the next boot.
-- The whole Prosody config of a dedicated signalling host (installed as /etc/prosody/prosody.cfg.lua).
plugin_paths = { "/usr/share/jitsi-meet/prosody-plugins/" }
admins = { ${luaString(focusJid)} }
pidfile = "/run/prosody/prosody.pid"
modules_enabled = ${luaList(GLOBAL_MODULES)}
-- No federation: rooms live on one shard; bridges and recorders are clients.
modules_disabled = { "s2s"; "offline" }

-- Rooms of every sub-domain map to the base domain (muc_domain_mapper, tenants).
muc_mapper_domain_base = ${luaString(d.domain)}

-- TLS ends at the edge load balancer; HTTP (BOSH, websocket) reaches Prosody through nginx on loopback.
http_interfaces = { "127.0.0.1" }
http_ports = { ${PORTS.prosodyHttp} }
https_ports = { }
consider_bosh_secure = true
consider_websocket_secure = true
-- Bridges and recorders log in over the VPC; the security group limits who reaches port ${PORTS.xmppClient}.
c2s_ports = { ${PORTS.xmppClient} }
c2s_require_encryption = false
s2s_ports = { }

-- TURN for clients (XEP-0215), the coturn REST-API shared secret comes from ${input.secretsInclude}.
external_service_host = ${luaString(d.domain)}
external_services = {
${services.join("\n")}
}
Include ${luaString(input.secretsInclude)}

log = { info = "*syslog" }

VirtualHost ${luaString(d.domain)}
  authentication = "jitsi-anonymous"
  modules_enabled = ${luaList(CLIENT_HOST_MODULES)}
  speakerstats_component = ${luaString(d.speakerstats)}
  conference_duration_component = ${luaString(`conferenceduration.${d.domain}`)}
  end_conference_component = ${luaString(d.endConference)}
  av_moderation_component = ${luaString(d.avModeration)}
  lobby_muc = ${luaString(d.lobby)}
  breakout_rooms_muc = ${luaString(d.breakout)}
  main_muc = ${luaString(d.muc)}
  c2s_require_encryption = false

VirtualHost ${luaString(d.auth)}
  authentication = "internal_hashed"
  modules_enabled = { "limits_exception" }

VirtualHost ${luaString(d.recorder)}
  authentication = "internal_hashed"

Component ${luaString(d.muc)} "muc"
  restrict_room_creation = true
  storage = "memory"
  modules_enabled = ${luaList(CONFERENCE_MUC_MODULES)}
  admins = { ${luaString(focusJid)} }
  muc_password_whitelist = { ${luaString(focusJid)} }
  muc_room_locking = false
  muc_room_default_public_jids = true
  muc_room_cache_size = 10000

-- The JVB and Jibri breweries (jvbbrewery@, jibribrewery@) live here.
Component ${luaString(d.internalMuc)} "muc"
  storage = "memory"
  modules_enabled = ${luaList(INTERNAL_MUC_MODULES)}
  admins = { ${luaString(focusJid)}, ${luaString(`jvb@${d.auth}`)} }
  muc_room_locking = false
  muc_room_default_public_jids = true

Component ${luaString(d.focus)} "client_proxy"
  target_address = ${luaString(focusJid)}

Component ${luaString(d.speakerstats)} "speakerstats_component"
  muc_component = ${luaString(d.muc)}

Component ${luaString(`conferenceduration.${d.domain}`)} "conference_duration_component"
  muc_component = ${luaString(d.muc)}

Component ${luaString(d.endConference)} "end_conference"
  muc_component = ${luaString(d.muc)}

Component ${luaString(d.avModeration)} "av_moderation_component"
  muc_component = ${luaString(d.muc)}

Component ${luaString(d.lobby)} "muc"
  storage = "memory"
  restrict_room_creation = true
  muc_room_locking = false
  muc_room_default_public_jids = true

Component ${luaString(d.breakout)} "muc"
  storage = "memory"
  restrict_room_creation = true
  muc_room_locking = false
  muc_room_default_public_jids = true
  modules_enabled = { "muc_hide_all"; "muc_meeting_id"; "polls"; "muc_rate_limit" }
`;
}
