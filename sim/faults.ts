/**
 * Fault injection (`--faults SPEC`). SPEC = comma-separated `key=value`, or `default` for a standard mix:
 * - `crash=R`   bridge crashes per instance-hour (each instance draws its own crash time)
 * - `az=N`      losses of one availability zone per region-day; each lasts `azMinutes` (default 30)
 * - `azMinutes=M`
 * - `spot=R`    Spot reclaims per instance-hour, each with a 2-minute notice (facts)
 * - `gaps=F`    share of minutes whose CloudWatch datapoints are missing (in 5-minute bursts)
 * - `lambda=F`  share of scaler invocations that fail (no decision that minute)
 * Schedules that depend only on time (AZ losses, gaps, Lambda failures) are seeded by the region name, so every
 * policy meets the same ones; crash and reclaim times are drawn per instance.
 */
import { exponential, hashString, makeRng } from "./rng";

export interface FaultSpec {
  readonly crashPerInstanceHour: number;
  readonly azLossesPerDay: number;
  readonly azLossMinutes: number;
  readonly spotReclaimsPerInstanceHour: number;
  readonly metricGapShare: number;
  readonly lambdaFailureShare: number;
  /** Draw of the fault schedules (0 = the reference draw); every policy of one run meets the same faults. */
  readonly seed?: number;
}

export const NO_FAULTS: FaultSpec = { crashPerInstanceHour: 0, azLossesPerDay: 0, azLossMinutes: 30, spotReclaimsPerInstanceHour: 0, metricGapShare: 0, lambdaFailureShare: 0 };

/** The `default` mix: a crash per ~500 instance-hours, one AZ loss a day, Spot reclaims, 2 % gaps, 2 % Lambda failures. */
export const DEFAULT_FAULTS: FaultSpec = { crashPerInstanceHour: 0.002, azLossesPerDay: 1, azLossMinutes: 30, spotReclaimsPerInstanceHour: 0.01, metricGapShare: 0.02, lambdaFailureShare: 0.02 };

const KEYS: Record<string, [keyof FaultSpec, number, number]> = {
  crash: ["crashPerInstanceHour", 0, 10],
  az: ["azLossesPerDay", 0, 24],
  azMinutes: ["azLossMinutes", 1, 1440],
  spot: ["spotReclaimsPerInstanceHour", 0, 10],
  gaps: ["metricGapShare", 0, 0.9],
  lambda: ["lambdaFailureShare", 0, 1],
  seed: ["seed", 0, 1_000_000],
};

/** Seed strings: the reference draw (seed 0) keeps the strings it always had. */
const seeded = (s: string, seed: number | undefined): string => (seed ? `${s}#${seed}` : s);

export function parseFaults(spec: string | undefined): FaultSpec {
  if (spec === undefined || spec === "" || spec === "none") return NO_FAULTS;
  if (spec === "default") return DEFAULT_FAULTS;
  // "default,seed=3": the default mix with another draw.
  const parts = spec.split(",");
  const base = parts[0] === "default" ? (parts.shift(), DEFAULT_FAULTS) : NO_FAULTS;
  const out: Record<string, number> = { ...base };
  for (const part of parts) {
    const [k, v] = part.split("=");
    const def = KEYS[k?.trim() ?? ""];
    if (!def) throw new Error(`--faults: unknown key "${k}" (allowed: ${Object.keys(KEYS).join(", ")}, or "default"/"none")`);
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < def[1] || n > def[2] || (k === "seed" && !Number.isInteger(n))) throw new Error(`--faults: ${k} must be a ${k === "seed" ? "whole " : ""}number from ${def[1]} to ${def[2]}, got "${v}"`);
    out[def[0]] = n;
  }
  return out as unknown as FaultSpec;
}

export function hasFaults(f: FaultSpec): boolean {
  return f.crashPerInstanceHour > 0 || f.azLossesPerDay > 0 || f.spotReclaimsPerInstanceHour > 0 || f.metricGapShare > 0 || f.lambdaFailureShare > 0;
}

/** Time-only fault schedule of one region. */
export interface FaultSchedule {
  /** [az, from, to) outages, one AZ at a time. */
  readonly azLosses: readonly { readonly az: number; readonly fromS: number; readonly toS: number }[];
  /** Is the minute starting at t missing from CloudWatch? */
  metricGap(minuteStartS: number): boolean;
  /** Does the scaler invocation at t fail? */
  lambdaFails(tickS: number): boolean;
}

export function faultSchedule(spec: FaultSpec, region: string, endS: number, azCount: number): FaultSchedule {
  const rng = makeRng(hashString(seeded(`faults/${region}`, spec.seed)));
  const azLosses: { az: number; fromS: number; toS: number }[] = [];
  const len = spec.azLossMinutes * 60;
  let t = 0;
  for (;;) {
    t += exponential(rng, spec.azLossesPerDay / 86400);
    if (!(t < endS)) break;
    azLosses.push({ az: Math.floor(rng() * azCount), fromS: Math.floor(t), toS: Math.floor(t) + len });
    t += len; // one AZ at a time
  }
  // A burst of 5 minutes starts at a 5-minute block with probability = gap share.
  const gapSeed = hashString(seeded(`gaps/${region}`, spec.seed));
  const lambdaSeed = hashString(seeded(`lambda/${region}`, spec.seed));
  return {
    azLosses,
    metricGap: (m) => spec.metricGapShare > 0 && makeRng(gapSeed ^ Math.floor(m / 300))() < spec.metricGapShare,
    lambdaFails: (s) => spec.lambdaFailureShare > 0 && makeRng(lambdaSeed ^ Math.floor(s / 60))() < spec.lambdaFailureShare,
  };
}

/** Per-instance fault times (crash, Spot reclaim notice) drawn from the instance's own seed. */
export function instanceFaultTimes(spec: FaultSpec, instanceSeed: string, launchS: number): { crashS: number; reclaimNoticeS: number } {
  const rng = makeRng(hashString(seeded(`inst/${instanceSeed}`, spec.seed)));
  return {
    crashS: launchS + exponential(rng, spec.crashPerInstanceHour / 3600),
    reclaimNoticeS: launchS + exponential(rng, spec.spotReclaimsPerInstanceHour / 3600),
  };
}
