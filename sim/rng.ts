/** Seeded randomness, so every run of the simulator on the same input gives the same numbers. */

/** 32-bit FNV-1a hash of a string: a stable seed from a name (conference id, region, fault kind). */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: a small, fast PRNG with a 32-bit state; returns floats in [0, 1). */
export function makeRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An exponential waiting time with the given rate (events per second); Infinity for rate 0. */
export function exponential(rng: () => number, ratePerS: number): number {
  if (ratePerS <= 0) return Infinity;
  return -Math.log(1 - rng()) / ratePerS;
}
