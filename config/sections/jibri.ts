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
    warmPoolSize: intRange(1, 100).default(D.warmPoolSize),
    rootVolumeGiB: intRange(20, 1000).default(D.rootVolumeGiB),
    /** Sessions are stopped after this many minutes (Jibri usage-timeout); 0 = no limit. */
    usageTimeoutMinutes: intRange(0, 1440).default(D.usageTimeoutMinutes),
    resolution: z.enum(["1280x720", "1920x1080"], { error: 'must be "1280x720" or "1920x1080"' }).default(D.resolution),
    /**
     * Regexes of the RTMP URLs recorders may stream to. Empty (the default) = live streaming refused; e.g.
     * ["^rtmps?://([a-z0-9-]+\\.)*youtube\\.com/.*"] to allow YouTube.
     */
    rtmpAllowList: z
      .array(
        z.string({ error: "must be a regular expression" }).refine(validRegex, { error: "must be a valid regular expression" }),
        { error: "must be a list of regular expressions" },
      )
      .max(20, { error: "must list at most 20 patterns" })
      .default([]),
    /**
     * Seconds from a launch to an idle recorder, which the replenisher covers with idle recorders.
     * @default 180 with warmPool, else 600
     */
    leadTimeSeconds: intRange(30, 1800).optional(),
  })
  .prefault({})
  .superRefine((j, ctx) => {
    if (j.idleTarget > j.max)
      ctx.addIssue({ code: "custom", path: ["idleTarget"], message: `must be at most jibri.max (${j.max})`, input: j.idleTarget });
  });

function validRegex(v: string): boolean {
  try {
    new RegExp(v);
    return true;
  } catch {
    return false;
  }
}
export type JibriConfig = z.output<typeof jibriSchema>;

/** `jitsi:recordings`: the recordings buckets of every region. */
export const recordingsSchema = z
  .strictObject({
    transitionToIaDays: intRange(30, 3650).default(DEFAULTS.recordings.transitionToIaDays),
    expireDays: intRange(1, 36500).default(DEFAULTS.recordings.expireDays),
    /**
     * Optional cross-region replication: ARN of a versioned bucket (in another region) receiving a copy of every
     * recording. @default none
     */
    replicationDestinationBucketArn: z
      .string({ error: "must be an S3 bucket ARN such as arn:aws:s3:::my-recordings-replica" })
      .regex(/^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: "must be an S3 bucket ARN such as arn:aws:s3:::my-recordings-replica" })
      .optional(),
  })
  .prefault({})
  .superRefine((r, ctx) => {
    if (r.expireDays <= r.transitionToIaDays)
      ctx.addIssue({ code: "custom", path: ["expireDays"], message: `must be greater than transitionToIaDays (${r.transitionToIaDays})`, input: r.expireDays });
  });
export type RecordingsConfig = z.output<typeof recordingsSchema>;
