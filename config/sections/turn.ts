import { z } from "zod";
import { DEFAULTS } from "../defaults";
import { bool, instanceType, intRange } from "../fields";

const D = DEFAULTS.turn;

/** `regions[i].turn`: the region's coturn hosts. */
export const regionTurnSchema = z
  .strictObject({
    instances: intRange(1, 10).default(D.instances),
    instanceType: instanceType().default(D.instanceType),
  })
  .prefault({});
export type RegionTurnConfig = z.output<typeof regionTurnSchema>;

/** `jitsi:turn`: TURN settings shared by every region. */
export const turnSchema = z
  .strictObject({
    enabled: bool().default(D.enabled),
    noTcpRelay: bool().default(D.noTcpRelay),
    /** coturn/Prosody credential lifetime; 1 min to 7 days. */
    credentialTtlSeconds: intRange(60, 604800).default(D.credentialTtlSeconds),
  })
  .prefault({});
export type TurnConfig = z.output<typeof turnSchema>;
