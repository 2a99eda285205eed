import { z } from "zod";
import { TURNSERVER_DEFAULTS } from "../../render/turnserver-conf";
import { DEFAULTS } from "../defaults";
import { bool, instanceType, intRange } from "../fields";

const D = DEFAULTS.turn;

/** `regions[i].turn`: the region's coturn hosts (each with its own Elastic IP). */
export const regionTurnSchema = z
  .strictObject({
    instances: intRange(1, 10).default(D.instances),
    instanceType: instanceType().default(D.instanceType),
  })
  .prefault({});
export type RegionTurnConfig = z.output<typeof regionTurnSchema>;

/** `jitsi:turn`: TURN settings shared by every region. coturn defaults: render/turnserver-conf.ts TURNSERVER_DEFAULTS. */
export const turnSchema = z
  .strictObject({
    enabled: bool().default(D.enabled),
    noTcpRelay: bool().default(D.noTcpRelay),
    /** coturn/Prosody credential lifetime; 1 min to 7 days. */
    credentialTtlSeconds: intRange(60, 604800).default(D.credentialTtlSeconds),
    /** TURNS (TLS) port: 5349 (the standard) or 443 (passes firewalls that only allow HTTPS; meet.jit.si does). */
    tlsPort: z.union([z.literal(5349), z.literal(443)], { error: "must be 5349 or 443" }).default(TURNSERVER_DEFAULTS.tlsListeningPort),
    /** UDP relay ports, open to the world on TURN hosts (peers send media there). RFC 5766: 49152-65535. */
    relayPortMin: intRange(1024, 65535).default(TURNSERVER_DEFAULTS.minRelayPort),
    relayPortMax: intRange(1024, 65535).default(TURNSERVER_DEFAULTS.maxRelayPort),
    /** Concurrent allocations per credential username (a one-second batch of Prosody credentials). */
    userQuota: intRange(0, 100000).default(TURNSERVER_DEFAULTS.userQuota),
    /** Concurrent allocations per TURN host; 0 = unlimited. */
    totalQuota: intRange(0, 1000000).default(TURNSERVER_DEFAULTS.totalQuota),
    /** Bytes per second per session and direction; 0 = unlimited. */
    maxBpsPerSession: intRange(0, 125000000).default(TURNSERVER_DEFAULTS.maxBps),
    /** Let's Encrypt account e-mail (expiry notices) for the TURNS certificates; unset = no e-mail. */
    acmeEmail: z.email({ error: "must be an e-mail address" }).optional(),
  })
  .prefault({})
  .superRefine((t, ctx) => {
    if (t.relayPortMin >= t.relayPortMax)
      ctx.addIssue({ code: "custom", path: ["relayPortMax"], message: `must be above relayPortMin (${t.relayPortMin})`, input: t.relayPortMax });
    for (const p of [3478, t.tlsPort])
      if (p >= t.relayPortMin && p <= t.relayPortMax)
        ctx.addIssue({ code: "custom", path: ["relayPortMin"], message: `the relay range must not contain the listening port ${p}`, input: t.relayPortMin });
  });
export type TurnConfig = z.output<typeof turnSchema>;
