import { z } from "zod";
import { DEFAULTS } from "../defaults";
import { bool, instanceType, intRange } from "../fields";

const D = DEFAULTS.jibri;

/** `regions[i].jibri`: the region's recorder pool. */
export const jibriSchema = z
  .strictObject({
    instanceType: instanceType().default(D.instanceType),
    /** Idle recorders kept ready; at least 1, or the first recording of the day fails to start. */
    idleTarget: intRange(1, 100).default(D.idleTarget),
    max: intRange(1, 500).default(D.max),
    warmPool: bool().default(D.warmPool),
  })
  .prefault({})
  .superRefine((j, ctx) => {
    if (j.idleTarget > j.max)
      ctx.addIssue({ code: "custom", path: ["idleTarget"], message: `must be at most jibri.max (${j.max})`, input: j.idleTarget });
  });
export type JibriConfig = z.output<typeof jibriSchema>;

/** `jitsi:recordings`: the recordings buckets of every region. */
export const recordingsSchema = z
  .strictObject({
    transitionToIaDays: intRange(30, 3650).default(DEFAULTS.recordings.transitionToIaDays),
    expireDays: intRange(1, 36500).default(DEFAULTS.recordings.expireDays),
  })
  .prefault({})
  .superRefine((r, ctx) => {
    if (r.expireDays <= r.transitionToIaDays)
      ctx.addIssue({ code: "custom", path: ["expireDays"], message: `must be greater than transitionToIaDays (${r.transitionToIaDays})`, input: r.expireDays });
  });
export type RecordingsConfig = z.output<typeof recordingsSchema>;
