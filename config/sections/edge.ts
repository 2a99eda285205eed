import { z } from "zod";
import { DEFAULTS } from "../defaults";
import { instanceType, intRange } from "../fields";

const D = DEFAULTS.edge;

/**
 * Edge-only defaults (this section's own; render/haproxy.ts HAPROXY_TUNING_DEFAULTS holds the same numbers with
 * their sources: jitsi-facts.md hash-balance-factor 150 and stick expire 5m).
 */
const EDGE_DEFAULTS = {
  hashBalanceFactor: 150,
  stickExpireSeconds: 300,
  connectionsPer10sPerClient: 60,
} as const;

/** `regions[i].edge`: the region's HAProxy tier. */
export const edgeSchema = z
  .strictObject({
    instances: intRange(2, 10).default(D.instances),
    instanceType: instanceType().default(D.instanceType),
    /** Bounded load: a shard takes at most this % of the mean load before new rooms go elsewhere (> 100). */
    hashBalanceFactor: intRange(101, 1000).default(EDGE_DEFAULTS.hashBalanceFactor),
    /** Idle lifetime of a room's entry in the shared stick table. */
    stickExpireSeconds: intRange(60, 86400).default(EDGE_DEFAULTS.stickExpireSeconds),
    /** Abuse guard: new connections one client address may open per 10 s (a join opens about 5). */
    connectionsPer10sPerClient: intRange(10, 100000).default(EDGE_DEFAULTS.connectionsPer10sPerClient),
  })
  .prefault({});
export type EdgeConfig = z.output<typeof edgeSchema>;
