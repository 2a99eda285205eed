/**
 * What the bridge scaler (handler.ts) and the bridge's drain agent (agents/jvb-drain.ts) exchange: one instance
 * tag. The scaler writes it when it puts a bridge in drain mode (value: Unix seconds) and deletes it to undrain;
 * the agent mirrors it into JVB's drain mode (POST /colibri/drain/enable|disable), so Jicofo sends the bridge no
 * new conferences while its conferences finish, and counts the drain's age against maxDrainSeconds when the
 * instance is finally terminated. Plain constants only, so the host bundle and the Lambda both import it.
 */

/** Instance tag of a draining bridge. Value: Unix seconds when the drain began. */
export const DRAIN_TAG = "jitsi:drain-started";

/** Parses the tag value; undefined unless it is a plausible Unix time in seconds. */
export function parseDrainTag(v: string | undefined): number | undefined {
  if (v === undefined || !/^\d{9,11}$/.test(v)) return undefined;
  return Number(v);
}

/**
 * The live read: the scaler asks each bridge for its participants at run time (GET {@link LIVE_PATH} on
 * config/ports.ts PORTS.bridgeLive, answered by agents/bridge-live.ts from JVB's own /colibri/stats) instead of
 * waiting a metric delay for CloudWatch. Body: `{"participants": N, "conferences": M}`.
 */
export const LIVE_PATH = "/live";

/** What one bridge answers. */
export interface LiveReading {
  readonly participants: number;
  readonly conferences: number;
}

/** The body the bridge sends. */
export function liveReplyBody(r: LiveReading): string {
  return JSON.stringify({ participants: r.participants, conferences: r.conferences });
}

/** Parses a bridge's answer; undefined unless both counts are whole numbers from 0 to 100000. */
export function parseLiveReply(body: string): LiveReading | undefined {
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof v !== "object" || v === null) return undefined;
  const { participants, conferences } = v as Record<string, unknown>;
  const ok = (n: unknown): n is number => typeof n === "number" && Number.isInteger(n) && n >= 0 && n <= 100000;
  return ok(participants) && ok(conferences) ? { participants, conferences } : undefined;
}
