/** EC2 billing (jitsi-facts.md: billed per second with a 60 s minimum). */

export const MIN_BILLED_S = 60;

/** Seconds billed for an instance that ran from launchS to endS (per second, at least 60 s). */
export function billedSeconds(launchS: number, endS: number): number {
  if (endS < launchS) throw new Error(`billedSeconds: endS (${endS}) is before launchS (${launchS})`);
  return Math.max(MIN_BILLED_S, endS - launchS);
}

/** Instance-hours for a list of [launch, end] runs. */
export function instanceHours(runs: readonly (readonly [number, number])[]): number {
  return runs.reduce((s, [a, b]) => s + billedSeconds(a, b), 0) / 3600;
}
