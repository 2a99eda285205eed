import { z } from "zod";
import { DEFAULTS } from "../defaults";
import { bool, instanceType, intRange } from "../fields";

const D = DEFAULTS.bridges;

/** `regions[i].bridges`: the region's JVB autoscaling group. */
export const bridgesSchema = z
  .strictObject({
    instanceType: instanceType().default(D.instanceType),
    /** 0 is allowed: "0 at night". */
    min: intRange(0, 1000).default(D.min),
    max: intRange(1, 1000).default(D.max),
    warmPool: bool().default(D.warmPool),
    spot: bool().default(D.spot),
    /** Lifecycle-hook heartbeats may extend to 48 h; 6 h is Jitsi's own force limit (jitsi-facts.md). */
    maxDrainSeconds: intRange(60, 21600).default(D.maxDrainSeconds),
  })
  .prefault({})
  .superRefine((b, ctx) => {
    if (b.min > b.max) ctx.addIssue({ code: "custom", path: ["min"], message: `must be at most bridges.max (${b.max})`, input: b.min });
    if (b.warmPool && b.spot)
      ctx.addIssue({
        code: "custom",
        path: ["warmPool"],
        message: "cannot be combined with spot: AWS warm pools do not support mixed-instances (Spot) groups; set warmPool or spot to false",
        input: b.warmPool,
      });
  });
export type BridgesConfig = z.output<typeof bridgesSchema>;
