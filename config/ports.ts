/**
 * Ports every component agrees on. Source: jitsi-facts.md (Jitsi's defaults) unless noted.
 */
export const PORTS = {
  /** nginx on a shard: plain HTTP inside the VPC; TLS ends at the edge load balancer. */
  shardHttp: 80,
  /** HAProxy agent-check responder on each shard (jitsi-facts.md: agent-check port 6060). */
  shardAgent: 6060,
  /** Prosody client-to-server: bridges and recorders log in here. */
  xmppClient: 5222,
  /** Prosody BOSH/websocket HTTP, loopback only behind nginx. */
  prosodyHttp: 5280,
  /** Jicofo REST (health, stats), loopback only. */
  jicofoRest: 8888,
  /** JVB media (UDP), open to the world; relays share it. */
  jvbMedia: 10000,
  /** JVB REST/colibri (stats, graceful shutdown), loopback only. */
  jvbRest: 8080,
  /** JVB public HTTP server for colibri websockets (`/colibri-ws/`, `/colibri-relay-ws/`). */
  jvbPublicHttp: 9090,
  /** The bridge's live-read responder (agents/bridge-live.ts): its participants now, for the scaler only. */
  bridgeLive: 9091,
  /** HAProxy stick-table peers (jitsi-facts.md: peers on TCP 1024). */
  haproxyPeers: 1024,
  /** HAProxy listens for the load balancer here. */
  haproxyFrontend: 80,
  /** HAProxy answers the load balancer's health check here (/haproxy-health; EdgeProxy). */
  haproxyHealth: 8404,
  /** STUN/TURN (udp+tcp) and TURNS (tls). */
  turn: 3478,
  turns: 5349,
  /** Jibri health API (jitsi-facts.md: :2222/jibri/api/v1.0/health). */
  jibriHttp: 2222,
} as const;
