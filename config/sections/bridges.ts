import { z } from "zod";
import { DEFAULTS, defaultBridgeWarmPool } from "../defaults";
import { BridgePolicyError, DEFAULT_BRIDGE_POLICY, resolveBridgePolicy } from "../../functions/bridge-scaler/decide";
import { bool, instanceType, intRange } from "../fields";

/** Scaler settings the config may tune (min/max and the drain cap have their own keys above them). */
const TUNABLE = (Object.keys(DEFAULT_BRIDGE_POLICY) as (keyof typeof DEFAULT_BRIDGE_POLICY)[]).filter(
  (k) => !["minBridges", "maxBridges", "drainCapS"].includes(k),
);

/**
 * `regions[i].bridges.scaling`: overrides of the shipped scaling policy (functions/bridge-scaler/decide.ts
 * DEFAULT_BRIDGE_POLICY), e.g. `participantsPerBridge` from `npm run calibrate`. Checked by the same
 * resolveBridgePolicy the Lambda runs, so the config cannot hold a policy the scaler would refuse.
 */
export const bridgeScalingSchema = z
  .strictObject(Object.fromEntries(TUNABLE.map((k) => [k, z.number({ error: "must be a number" }).optional()])) as Record<(typeof TUNABLE)[number], z.ZodOptional<z.ZodNumber>>)
  .prefault({})
  .superRefine((s, ctx) => {
    try {
      resolveBridgePolicy(s);
    } catch (e) {
      if (!(e instanceof BridgePolicyError)) throw e;
      for (const problem of e.problems) {
        const field = problem.split(" ")[0];
        ctx.addIssue({ code: "custom", path: TUNABLE.includes(field as never) ? [field] : [], message: problem.slice(field.length + 1).replace(/, got [^,]*$/, ""), input: (s as Record<string, unknown>)[field] });
      }
    }
  });

const D = DEFAULTS.bridges;

/** `regions[i].bridges`: the region's JVB autoscaling group. */
export const bridgesSchema = z
  .strictObject({
    instanceType: instanceType().default(D.instanceType),
    /** 0 is allowed: "0 at night". */
    min: intRange(0, 1000).default(D.min),
    max: intRange(1, 1000).default(D.max),
    /** A warm pool of `warmPoolSize` prepared instances; default: yes unless `spot` (AWS allows not both). */
    warmPool: bool().optional(),
    warmPoolSize: intRange(1, 100).default(D.warmPoolSize),
    spot: bool().default(D.spot),
    /** Lifecycle-hook heartbeats may extend to 48 h; 6 h is Jitsi's own force limit (jitsi-facts.md). */
    maxDrainSeconds: intRange(60, 21600).default(D.maxDrainSeconds),
    scaling: bridgeScalingSchema,
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
  })
  .transform((b) => ({ ...b, warmPool: b.warmPool ?? defaultBridgeWarmPool(b.spot) }));
export type BridgesConfig = z.output<typeof bridgesSchema>;
