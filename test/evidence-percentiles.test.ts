// Evidence: exact nearest-rank percentiles and the parsing of a log's cells.
import { describe, expect, it } from 'vitest';
import { parseNumber, parseTimestamp } from '../src/evidence/harvest.js';
import { errorRate, nearestRank, percentiles, percentilesInPlace, selectInPlace } from '../src/evidence/percentiles.js';
import { T, reference } from './support/evidence-files.js';

describe('nearest-rank percentiles', () => {
  it('ranks by ceil(p/100 · n), without floating-point surprises', () => {
    expect([50, 90, 95, 99, 100].map((p) => nearestRank(p, 1))).toEqual([1, 1, 1, 1, 1]);
    expect([50, 51, 90, 99].map((p) => nearestRank(p, 2))).toEqual([1, 2, 2, 2]);
    expect([10, 50, 90, 95, 99].map((p) => nearestRank(p, 10))).toEqual([1, 5, 9, 10, 10]);
    expect([50, 90, 95, 99].map((p) => nearestRank(p, 100))).toEqual([50, 90, 95, 99]);
    // 0.29 · 100 is 28.999999999999996 in floating point and 0.57 · 100 is 56.99999999999999.
    expect(nearestRank(29, 100)).toBe(29);
    expect(nearestRank(57, 100)).toBe(57);
    expect(nearestRank(99.9, 1000)).toBe(999);
    expect(nearestRank(99.9, 1001)).toBe(1000); // 999.999 → 1000
    expect(nearestRank(0, 7)).toBe(1);
    expect(nearestRank(50, 0)).toBe(0);
    expect(() => nearestRank(101, 10)).toThrow(RangeError);
  });

  it('gives hand-computed values for n = 1, 2, 10, 100 and ties', () => {
    const P = [50, 90, 95, 99];
    expect(percentiles([42], P)).toEqual([42, 42, 42, 42]);
    expect(percentiles([20, 10], P)).toEqual([10, 20, 20, 20]);
    // 1..10 shuffled: ranks 5, 9, 10, 10.
    expect(percentiles([7, 3, 10, 1, 9, 2, 8, 5, 4, 6], P)).toEqual([5, 9, 10, 10]);
    // 100..1: ranks 50, 90, 95, 99 are the values themselves.
    expect(percentiles(Array.from({ length: 100 }, (_, i) => 100 - i), P)).toEqual([50, 90, 95, 99]);
    // Ties: [5,5,5,5,100]: p50 rank 3 → 5; p90 rank ceil(4.5) = 5 → 100.
    expect(percentiles([5, 100, 5, 5, 5], P)).toEqual([5, 100, 100, 100]);
    expect(percentiles([2, 1, 2, 3, 2], [50, 60, 61, 80, 81])).toEqual([2, 2, 2, 2, 3]);
    // Numeric order, not string order (a plain JS sort would put 100 before 9).
    expect(percentiles([9, 100, 10], [50, 100])).toEqual([10, 100]);
    expect(percentiles([1.5, 0.25, 0.5, 2.75], [25, 50, 75])).toEqual([0.25, 0.5, 1.5]);
    expect(percentiles([], P)).toEqual([null, null, null, null]);
  });

  it('error rate is errors / samples, null without samples', () => {
    expect(errorRate(3, 200)).toBe(0.015);
    expect(errorRate(0, 5)).toBe(0);
    expect(errorRate(0, 0)).toBeNull();
  });

  it('selection in place agrees with a full sort on every shape of input', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const shapes: Record<string, (n: number) => number[]> = {
      random: (n) => Array.from({ length: n }, () => rand() * 1000),
      'few distinct': (n) => Array.from({ length: n }, () => Math.floor(rand() * 5)),
      'all equal': (n) => Array.from({ length: n }, () => 3),
      ascending: (n) => Array.from({ length: n }, (_, i) => i),
      descending: (n) => Array.from({ length: n }, (_, i) => n - i),
      'organ pipe': (n) => Array.from({ length: n }, (_, i) => Math.min(i, n - i)),
    };
    const ps = [0, 1, 25, 50, 90, 95, 99, 99.9, 100];
    for (const [shape, make] of Object.entries(shapes)) {
      for (const n of [1, 2, 3, 31, 32, 33, 100, 1000, 5003]) {
        const values = make(n);
        const got = percentilesInPlace(Float64Array.from(values), n, ps);
        expect(got, `${shape} n=${n}`).toEqual(ps.map((p) => reference(values, p)));
      }
    }
    // The selection invariant itself, at many k, for random sizes and value ranges.
    for (let round = 0; round < 400; round++) {
      const n = 33 + Math.floor(rand() * 400);
      const spread = [3, 50, 1e6][round % 3];
      const a = Float64Array.from({ length: n }, () => Math.floor(rand() * spread));
      const sorted = Float64Array.from(a).sort();
      const k = Math.floor(rand() * n);
      selectInPlace(a, 0, n - 1, k);
      expect(a[k], `round ${round}`).toBe(sorted[k]);
      let ok = true;
      for (let i = 0; i < n; i++) if ((i < k && a[i] > a[k]) || (i > k && a[i] < a[k])) ok = false;
      expect(ok, `round ${round}`).toBe(true);
    }
  });
});

describe('cell parsing', () => {
  it('reads numbers exactly as Number does, and rejects blanks', () => {
    for (const s of ['0', '200', '47.6', '0.1', '0.3', '123456789012345', '12.', '.5', '1e3', ' 12 ', '007', '3.14159265358979'])
      expect(parseNumber(s), s).toBe(Number(s));
    for (const s of ['', '  ', 'abc', '1.2.3', '12ms', '.', 'NaN']) expect(parseNumber(s), s).toBeNaN();
  });

  it('reads ISO 8601 with or without zone (UTC), and epoch milliseconds', () => {
    expect(parseTimestamp('2026-11-23T10:00:00Z')).toBe(T);
    expect(parseTimestamp('2026-11-23T10:00:00.5Z')).toBe(T + 500);
    expect(parseTimestamp('2026-11-23T10:00:00.123456Z')).toBe(T + 123);
    expect(parseTimestamp('2026-11-23T11:30:00+01:30')).toBe(T);
    expect(parseTimestamp('2026-11-23T05:00:00-0500')).toBe(T);
    expect(parseTimestamp('2026-11-23T10:00:00')).toBe(T);
    expect(parseTimestamp('2026-11-23 10:00')).toBe(T);
    expect(parseTimestamp('2026-11-23')).toBe(Date.UTC(2026, 10, 23));
    expect(parseTimestamp('2024-02-29T00:00:00Z')).toBe(Date.UTC(2024, 1, 29));
    expect(parseTimestamp(String(T))).toBe(T);
    for (const s of ['', 'yesterday', '2026-02-29T00:00:00Z', '2026-13-01T00:00:00Z', '2026-11-23T24:00:00Z', '2026-11-23T10:00:00+1:00', '23/11/2026'])
      expect(parseTimestamp(s), s).toBeNull();
  });
});
