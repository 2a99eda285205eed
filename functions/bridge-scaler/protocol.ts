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
