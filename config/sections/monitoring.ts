import { z } from "zod";
import { ALARM_DEFAULTS } from "../../metrics/alarms";
import { DEFAULTS } from "../defaults";
import { intRange, numRange } from "../fields";

/** CloudWatch Logs accepts only these retention values (PutRetentionPolicy API). */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

/** `jitsi:monitoring`: logs and alarm delivery. */
export const monitoringSchema = z
  .strictObject({
    logRetentionDays: z
      .number({ error: `must be one of ${LOG_RETENTION_DAYS.join(", ")}` })
      .refine((v) => (LOG_RETENTION_DAYS as readonly number[]).includes(v), {
        error: `must be one of ${LOG_RETENTION_DAYS.join(", ")} (the values CloudWatch Logs accepts)`,
      })
      .default(DEFAULTS.monitoring.logRetentionDays),
    alarmEmails: z
      .array(z.email({ error: "must be an e-mail address" }), { error: "must be a list of e-mail addresses" })
      .max(20, { error: "must list at most 20 addresses" })
      .default([]),
    /**
     * Alarm windows and thresholds (metrics/alarms.ts ALARM_DEFAULTS). The bridge stress threshold is not
     * here: alarms use the region's shard.stressThreshold, the value Jicofo itself calls overloaded.
     */
    alarms: z
      .strictObject({
        bridgeStressMinutes: intRange(1, 60).default(ALARM_DEFAULTS.bridgeStressMinutes),
        noIdleRecorderMinutes: intRange(1, 60).default(ALARM_DEFAULTS.noIdleRecorderMinutes),
        shardDownMinutes: intRange(1, 60).default(ALARM_DEFAULTS.shardDownMinutes),
        edge5xxPercent: numRange(0.1, 100).default(ALARM_DEFAULTS.edge5xxPercent),
        edge5xxMinRequests: intRange(1, 1_000_000).default(ALARM_DEFAULTS.edge5xxMinRequests),
        turnAllocationFailuresPer5Min: intRange(1, 1_000_000).default(ALARM_DEFAULTS.turnAllocationFailuresPer5Min),
        metricsMissingMinutes: intRange(2, 60).default(ALARM_DEFAULTS.metricsMissingMinutes),
        sourceFailingMinutes: intRange(1, 60).default(ALARM_DEFAULTS.sourceFailingMinutes),
      })
      .prefault({}),
  })
  .prefault({});
export type MonitoringConfig = z.output<typeof monitoringSchema>;
