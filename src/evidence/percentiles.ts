// Exact nearest-rank percentiles over request latencies. Pure: no I/O, no clock.
// Nearest rank: the smallest sample with at least p% of the samples at or below it,
// i.e. rank = ceil(p/100 · n) (1-based) in the sorted samples. Never interpolated, so every
// reported value is a latency that was actually observed, and `sort -n` can confirm it.

/** The percentiles every evidence document reports. */
export const REPORTED_PERCENTILES = [50, 90, 95, 99] as const;

/**
 * 1-based nearest rank of percentile `p` (0..100) among `n` samples. Computed in integers
 * (p scaled by 10^6) because floating point gets e.g. ceil(0.29 · 100) wrong (29.000…04 → 30).
 */
export function nearestRank(p: number, n: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be 0–100, not ${p}`);
  if (n <= 0) return 0;
  const scaled = BigInt(Math.round(p * 1e6)) * BigInt(n);
  const rank = Number((scaled + 99_999_999n) / 100_000_000n);
  return Math.min(n, Math.max(1, rank)); // p = 0 is the minimum by convention
}

/** Percentile `p` of the first `n` values of an ascending array; null when there are none. */
export function percentileOfSorted(sorted: Float64Array, p: number, n = sorted.length): number | null {
  return n > 0 ? sorted[nearestRank(p, n) - 1] : null;
}

/** Sorts in place, numerically (a typed array's sort is numeric and native). */
export function sortSamples(values: Float64Array): Float64Array {
  return values.sort();
}

/** Percentiles of any list of numbers (copied, then sorted); nulls when it is empty. */
export function percentiles(values: ArrayLike<number>, ps: readonly number[]): (number | null)[] {
  const sorted = sortSamples(Float64Array.from(values));
  return ps.map((p) => percentileOfSorted(sorted, p));
}

export function errorRate(errors: number, samples: number): number | null {
  return samples > 0 ? errors / samples : null;
}

/**
 * Rearranges a[lo..hi] so that a[k] holds the value a full sort would put there, with nothing
 * greater before it and nothing smaller after it (quickselect, Hoare partition, median of
 * three). Exact; falls back to a native sort of the range for small or unlucky ranges, so the
 * worst case stays n log n.
 */
export function selectInPlace(a: Float64Array, lo: number, hi: number, k: number): void {
  let rounds = 2 * Math.ceil(Math.log2(hi - lo + 2)) + 8;
  while (hi > lo) {
    if (hi - lo < 32 || --rounds < 0) {
      a.subarray(lo, hi + 1).sort();
      return;
    }
    const mid = (lo + hi) >>> 1;
    if (a[mid] < a[lo]) swap(a, mid, lo);
    if (a[hi] < a[lo]) swap(a, hi, lo);
    if (a[hi] < a[mid]) swap(a, hi, mid);
    const pivot = a[mid];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) swap(a, i++, j--);
    }
    // Now a[lo..j] ≤ pivot ≤ a[i..hi], and everything strictly between j and i equals pivot.
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

/**
 * Percentiles of the first n values, reordering them in place. Selects the ranks in
 * ascending order, each within the part above the previous one, which is much less work
 * than a sort (about 4n comparisons instead of n log n).
 */
export function percentilesInPlace(values: Float64Array, n: number, ps: readonly number[]): (number | null)[] {
  if (n === 0) return ps.map(() => null);
  const order = ps.map((p, i) => ({ rank: nearestRank(p, n) - 1, i })).sort((a, b) => a.rank - b.rank);
  const out: (number | null)[] = new Array(ps.length);
  let lo = 0;
  for (const { rank, i } of order) {
    if (rank >= lo) {
      selectInPlace(values, lo, n - 1, rank);
      lo = rank + 1;
    }
    out[i] = values[rank];
  }
  return out;
}

