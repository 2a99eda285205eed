/**
 * Binary search over an ascending array: the index of the first element whose key is greater than `x`. Used by the
 * Jibri replenisher's decision and the simulator.
 */
export function upperBound<T>(xs: readonly T[], x: number, key: (v: T) => number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (key(xs[mid]) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
