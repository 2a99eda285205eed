/**
 * What the recorders' status agent (agents/jibri-status.ts) and the replenisher (handler.ts) exchange: the
 * instance tags the agent writes and the replenisher reads, and the SNS message of a phase change.
 * Plain constants and types only, so both sides (an EC2 host bundle and a Lambda closure) can import it.
 */
import type { RecorderPhase } from "./decide";

/** Instance tags written by the agent on every phase change. Values: phase name, Unix seconds. */
export const JIBRI_TAGS = {
  phase: "jitsi:jibri-phase",
  phaseSince: "jitsi:jibri-phase-since",
  lastBusyAt: "jitsi:jibri-last-busy-at",
} as const;

/** `source` of every status message; the replenisher ignores other messages on the topic. */
export const STATUS_EVENT_SOURCE = "jitsi-aws.jibri-status";

/** The SNS message body of one phase change. */
export interface StatusMessage {
  readonly source: typeof STATUS_EVENT_SOURCE;
  readonly instanceId: string;
  readonly group: string;
  readonly pool: string;
  readonly region: string;
  readonly phase: RecorderPhase;
  /** Unix seconds. */
  readonly since: number;
}

const PHASES: readonly RecorderPhase[] = ["booting", "warm", "idle", "busy", "uploading", "unhealthy", "leaving"];

/** True for a phase name the agent may write (tags are strings anyone with CreateTags could set). */
export function isRecorderPhase(v: unknown): v is RecorderPhase {
  return typeof v === "string" && (PHASES as readonly string[]).includes(v);
}

/** Parses an SNS message body; undefined when it is not a well-formed status message. */
export function parseStatusMessage(body: string): StatusMessage | undefined {
  try {
    const m = JSON.parse(body) as Partial<StatusMessage>;
    if (m.source !== STATUS_EVENT_SOURCE || typeof m.instanceId !== "string" || !isRecorderPhase(m.phase) || typeof m.since !== "number") return undefined;
    return m as StatusMessage;
  } catch {
    return undefined;
  }
}
