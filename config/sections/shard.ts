import { z } from "zod";
import { DEFAULTS } from "../defaults";
import { bool, instanceType, intRange, numRange } from "../fields";

const D = DEFAULTS.shard;

/** `regions[i].shard`: sizing and Jicofo tuning of each shard's signalling node. */
export const shardSchema = z
  .strictObject({
    instanceType: instanceType().default(D.instanceType),
    rootVolumeGiB: intRange(8, 1024).default(D.rootVolumeGiB),
    stressThreshold: numRange(0.1, 1).default(D.stressThreshold),
    maxBridgeParticipants: intRange(2, 1000).default(D.maxBridgeParticipants),
    p2p: bool().default(D.p2p),
  })
  .prefault({});
export type ShardConfig = z.output<typeof shardSchema>;
