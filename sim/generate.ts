/**
 * Synthetic trace generator for "traces you have not seen": seeded, multi-day, multi-region, several shapes.
 * Shapes (per region, in the region's local time; region i is offset by `regionOffsetsH[i]` hours from t = 0):
 * - `office`:  working-day hump (ramp 07–09, lunch dip, decline after 17) and a small evening bump;
 * - `flash`:   the office hump with a share of meetings snapped to the first 90 s of :00 and :30 (flash crowds;
 *              `flashSnapShare`, default 0.2 as measured in ../shared/traces/top-of-hour.csv: 23.6 % of its 08–18 h
 *              meetings start in those 90 s against 5 % by chance);
 * - `evening`: a consumer pattern, quiet mornings and a 19–22 peak;
 * - `flat`:    round-the-clock load with a mild daily wave (a global customer).
 * Days differ by a random volume factor (±20 %); days 6 and 7 of each week run at 30 % (weekend).
 * Meetings: ~35 % two-party, the rest 3..80 with a long tail (the shared traces' largest meeting has 80); with
 * `webinarShare` > 0, that share are webinars of 81–170 that need several bridges (a stress test: one arriving on a
 * fleet of two bridges overloads one for its whole length); durations cluster at 30 and 60 minutes with a tail to
 * 3 h; `recordShare` of them recorded.
 */
import { exponential, hashString, makeRng } from "./rng";
import { Conference } from "./trace";

export type TraceShape = "office" | "flash" | "evening" | "flat";
export const TRACE_SHAPES: readonly TraceShape[] = ["office", "flash", "evening", "flat"];

export interface GenerateOptions {
  readonly seed: number;
  readonly days: number;
  readonly regions: readonly string[];
  /** Hour offset of each region's local midnight from t = 0 (same length as regions; default 0, −5, +8, …). */
  readonly regionOffsetsH?: readonly number[];
  /** Meetings per region on a full weekday. */
  readonly conferencesPerDay: number;
  readonly shape: TraceShape;
  /** Share of meetings recorded (0..1). */
  readonly recordShare: number;
  /** `flash` only: share of meetings snapped to :00/:30 (0..1; default {@link FLASH_SNAP_SHARE}). */
  readonly flashSnapShare?: number;
  /** Share of meetings that are webinars of 81–170 participants (0..1; default 0, as in the shared traces). */
  readonly webinarShare?: number;
}

/** Share of meetings a `flash` trace snaps to the half hour: measured in top-of-hour.csv (see the header). */
export const FLASH_SNAP_SHARE = 0.2;

/** Relative arrival rate at local hour h (0..24) for a shape; the peak is about 1. */
export function arrivalRate(shape: TraceShape, h: number): number {
  const bump = (centre: number, width: number): number => Math.exp(-(((h - centre) / width) ** 2));
  switch (shape) {
    case "office":
    case "flash":
      return 0.02 + bump(10.5, 1.8) + 0.85 * bump(14.5, 1.8) - 0.25 * bump(12.5, 0.6) + 0.25 * bump(20, 1.2);
    case "evening":
      return 0.02 + 0.2 * bump(8, 1.5) + 0.35 * bump(13, 2) + bump(20.5, 1.5);
    case "flat":
      return 0.55 + 0.3 * Math.sin(((h - 9) / 24) * 2 * Math.PI);
  }
}

function pick<T>(rng: () => number, items: readonly (readonly [number, T])[]): T {
  const total = items.reduce((s, [w]) => s + w, 0);
  let x = rng() * total;
  for (const [w, v] of items) if ((x -= w) < 0) return v;
  return items[items.length - 1][1];
}

function participants(rng: () => number, webinarShare: number): number {
  const u = rng();
  if (u < 0.35) return 2;
  if (u < 0.37) return 1;
  if (u < 1 - webinarShare) return Math.min(80, 3 + Math.floor(-Math.log(1 - rng()) * 7));
  return 81 + Math.floor(rng() * 90); // webinar: spills over bridges
}

function durationS(rng: () => number): number {
  const kind = pick(rng, [[0.4, "30"], [0.3, "60"], [0.3, "tail"]] as const);
  if (kind === "30") return Math.round(1500 + rng() * 600);
  if (kind === "60") return Math.round(3200 + rng() * 800);
  return Math.round(Math.min(10800, 300 + -Math.log(1 - rng()) * 2400));
}

export function generateTrace(o: GenerateOptions): Conference[] {
  if (!Number.isInteger(o.days) || o.days < 1 || o.days > 60) throw new Error(`days must be a whole number from 1 to 60, got ${o.days}`);
  if (o.regions.length === 0) throw new Error("regions must list at least one region");
  if (!(o.conferencesPerDay > 0)) throw new Error(`conferencesPerDay must be > 0, got ${o.conferencesPerDay}`);
  if (!TRACE_SHAPES.includes(o.shape)) throw new Error(`shape must be one of ${TRACE_SHAPES.join(", ")}, got ${o.shape}`);
  const snap = o.flashSnapShare ?? FLASH_SNAP_SHARE;
  if (!(snap >= 0 && snap <= 1)) throw new Error(`snap must be a share from 0 to 1, got ${snap}`);
  const webinars = o.webinarShare ?? 0;
  if (!(webinars >= 0 && webinars <= 0.5)) throw new Error(`webinars must be a share from 0 to 0.5, got ${webinars}`);
  const offsets = o.regionOffsetsH ?? o.regions.map((_, i) => [0, -5, 8, 3, -8][i % 5]);
  const out: Conference[] = [];
  let n = 0;
  o.regions.forEach((region, ri) => {
    const rng = makeRng(hashString(`${o.seed}/${region}/${o.shape}`));
    // Mean rate over the day, so conferencesPerDay is honoured on a full day.
    let mean = 0;
    for (let m = 0; m < 1440; m++) mean += arrivalRate(o.shape, m / 60) / 1440;
    for (let day = 0; day < o.days; day++) {
      const weekend = day % 7 >= 5;
      const volume = (weekend ? 0.3 : 1) * (0.8 + 0.4 * rng());
      const perMinute = (o.conferencesPerDay * volume) / (1440 * mean);
      for (let m = 0; m < 1440; m++) {
        const local = ((m / 60 - offsets[ri]) % 24 + 24) % 24;
        const rate = perMinute * arrivalRate(o.shape, local);
        // Poisson arrivals within the minute.
        let t = exponential(rng, rate);
        while (t < 1) {
          let start = day * 86400 + m * 60 + Math.floor(t * 60);
          if (o.shape === "flash" && rng() < snap) start = Math.round(start / 1800) * 1800 + Math.floor(rng() * 90);
          const duration = durationS(rng);
          const recorded = rng() < o.recordShare;
          const recStart = recorded ? Math.floor(rng() * 0.2 * duration) : 0;
          const recDuration = recorded ? Math.max(60, Math.floor((duration - recStart) * (0.5 + 0.5 * rng()))) : 0;
          out.push({
            id: `g${++n}`, region, startS: Math.max(0, start), durationS: duration, participants: participants(rng, webinars),
            recordStartS: recStart, recordDurationS: recDuration,
          });
          t += exponential(rng, rate);
        }
      }
    }
  });
  return out.sort((a, b) => a.startS - b.startS || a.id.localeCompare(b.id));
}

export interface ResampleOptions {
  readonly seed: number;
  /** Meetings in the result as a share of the input's (1 = as many). */
  readonly volume: number;
  /** Each start moves by a uniform offset in ±jitterS seconds (0 keeps the input's starts). */
  readonly jitterS: number;
}

/**
 * A trace like `confs` that the policies have not seen: a bootstrap resample of its meetings (drawn with replacement,
 * `volume` × as many), each start moved by up to ±`jitterS`. The shape of the day, the sizes, lengths and recordings
 * are the input's; which meetings come together is new. A meeting drawn twice shows up twice, so small jitters make
 * the crowds burstier than the input's.
 */
export function resampleTrace(confs: readonly Conference[], o: ResampleOptions): Conference[] {
  if (confs.length === 0) throw new Error("the trace has no conferences to resample");
  if (!Number.isInteger(o.seed) || o.seed < 0) throw new Error(`seed must be a whole number >= 0, got ${o.seed}`);
  if (!(o.volume > 0 && o.volume <= 10)) throw new Error(`volume must be a share from 0 to 10, got ${o.volume}`);
  if (!(o.jitterS >= 0 && o.jitterS <= 86_400)) throw new Error(`jitter must be seconds from 0 to 86400, got ${o.jitterS}`);
  const rng = makeRng(hashString(`resample/${o.seed}`));
  const n = Math.max(1, Math.round(confs.length * o.volume));
  const out: Conference[] = [];
  for (let i = 0; i < n; i++) {
    const c = confs[Math.floor(rng() * confs.length)];
    const jitter = Math.round((rng() * 2 - 1) * o.jitterS);
    out.push({ ...c, id: `${c.id}~${i + 1}`, startS: Math.max(0, c.startS + jitter) });
  }
  return out.sort((a, b) => a.startS - b.startS || a.id.localeCompare(b.id));
}
