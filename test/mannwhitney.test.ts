// The Mann-Whitney canary judge, checked against values derived independently of the code:
// hand-computed rank sums, brute-force enumeration of every split (the definition of the
// exact p-value), R's documented wilcox.test outputs, and a normal tail by numeric
// integration of the density.
import { describe, expect, it } from 'vitest';
import { mannWhitney, median, normalUpperTail, uDistribution, uStatistic } from '../src/engine/mannwhitney.js';

/** U of `x` by its definition: pairs (x_i, y_j) with x_i > y_j, ties counting ½. No ranks. */
function pairU(x: readonly number[], y: readonly number[]): number {
  let u = 0;
  for (const a of x) for (const b of y) u += a > b ? 1 : a === b ? 0.5 : 0;
  return u;
}

/** Every way to choose k of the indices 0 … n-1. */
function* combinations(n: number, k: number, start = 0, chosen: number[] = []): Generator<number[]> {
  if (chosen.length === k) {
    yield chosen;
    return;
  }
  for (let i = start; i <= n - (k - chosen.length); i++) yield* combinations(n, k, i + 1, [...chosen, i]);
}

/**
 * Exact p-values by enumeration: under H0 every split of the pooled values into a canary
 * sample of size n_c and a baseline sample is equally likely.
 */
function bruteForce(baseline: number[], canary: number[]) {
  const pooled = [...baseline, ...canary];
  const observed = pairU(canary, baseline);
  let atLeast = 0;
  let atMost = 0;
  let total = 0;
  for (const idx of combinations(pooled.length, canary.length)) {
    const inCanary = new Set(idx);
    const c = idx.map((i) => pooled[i]);
    const b = pooled.filter((_, i) => !inCanary.has(i));
    const u = pairU(c, b);
    total++;
    if (u >= observed) atLeast++;
    if (u <= observed) atMost++;
  }
  const increase = atLeast / total;
  const decrease = atMost / total;
  return { u: observed, increase, decrease, either: Math.min(1, 2 * Math.min(increase, decrease)), total };
}

/** P(Z > z) = ½ - ∫₀^z φ(t) dt by Simpson's rule: independent of the code's series. */
function simpsonUpperTail(z: number): number {
  const steps = 4000;
  const h = z / steps;
  const phi = (t: number) => Math.exp(-(t * t) / 2) / Math.sqrt(2 * Math.PI);
  let s = phi(0) + phi(z);
  for (let i = 1; i < steps; i++) s += (i % 2 ? 4 : 2) * phi(i * h);
  return 0.5 - (s * h) / 3;
}

/** Deterministic distinct values (no ties) from a small LCG. */
function distinctSample(seed: number, n: number, offset: number): number[] {
  let s = seed;
  const out: number[] = [];
  while (out.length < n) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const v = offset + (s % 100000) / 100;
    if (!out.includes(v)) out.push(v);
  }
  return out;
}

describe('Mann-Whitney U: hand-computed cases', () => {
  it('baseline [1,2,3] vs canary [4,5,6]: U 9 (baseline 0), exact one-sided p = 1/C(6,3) = 0.05', () => {
    // Pooled ranks: 1 2 3 | 4 5 6. Rank sums: baseline 1+2+3 = 6, canary 4+5+6 = 15.
    // U_canary = 15 - 3·4/2 = 9, U_baseline = 6 - 3·4/2 = 0; 9 + 0 = 3·3.
    // Only 1 of the C(6,3) = 20 splits puts all three largest values in the canary: p = 1/20.
    const r = mannWhitney([1, 2, 3], [4, 5, 6], { confidence: 0.9 });
    expect(uStatistic([1, 2, 3], [4, 5, 6])).toEqual({ u: 9, rankSum: 15, tieTerm: 0 });
    expect(r.u).toBe(9);
    expect(r.method).toBe('exact');
    expect(r.pValue).toBeCloseTo(0.05, 15);
    expect(r.baselineMedian).toBe(2);
    expect(r.canaryMedian).toBe(5);
    expect(r.effect).toBe(1.5); // 5 / 2 - 1
    expect(r.verdict).toBe('FAIL');
    expect(r.reason).toBe('canary higher than baseline: median 5 vs 2 (+150%), p 0.05 < 0.1, U 9 (exact)');
    // Other directions: P(U ≤ 9) = 1; two-sided 2 · min(1/20, 1) = 0.1.
    expect(mannWhitney([1, 2, 3], [4, 5, 6], { direction: 'decrease' }).pValue).toBeCloseTo(1, 15);
    expect(mannWhitney([1, 2, 3], [4, 5, 6], { direction: 'either' }).pValue).toBeCloseTo(0.1, 15);
  });

  it('at the default 95% confidence p = 0.05 is not below 0.05: 3 against 3 can never FAIL', () => {
    const r = mannWhitney([1, 2, 3], [4, 5, 6]);
    expect(r.pValue).toBeCloseTo(0.05, 15);
    expect(r.verdict).toBe('PASS');
    expect(r.reason).toBe('canary not significantly higher than baseline: p 0.05 ≥ 0.05, median 5 vs 2 (+150%), U 9 (exact)');
  });

  it('canary [1,2,3] below baseline [4,5,6]: U 0, a decrease with p 0.05', () => {
    // Canary ranks 1+2+3 = 6 → U_canary = 6 - 6 = 0.
    const inc = mannWhitney([4, 5, 6], [1, 2, 3], { confidence: 0.9 });
    expect(inc.u).toBe(0);
    expect(inc.pValue).toBeCloseTo(1, 15); // P(U ≥ 0)
    expect(inc.verdict).toBe('PASS');
    const dec = mannWhitney([4, 5, 6], [1, 2, 3], { confidence: 0.9, direction: 'decrease' });
    expect(dec.pValue).toBeCloseTo(0.05, 15);
    expect(dec.effect).toBe(-0.6); // 2 / 5 - 1
    expect(dec.verdict).toBe('FAIL');
    // Two-sided p = 0.1 is not below 0.1.
    expect(mannWhitney([4, 5, 6], [1, 2, 3], { confidence: 0.9, direction: 'either' }).verdict).toBe('PASS');
  });

  it('interleaved [1,3,5] vs [2,4,6]: U 6, P(U ≥ 6) = 7/20', () => {
    // Canary ranks 2+4+6 = 12 → U = 12 - 6 = 6 (pairs: 2>1; 4>1,3; 6>1,3,5 → 1+2+3 = 6).
    // Counts of U = 0 … 9 over the 20 splits are 1 1 2 3 3 3 3 2 1 1 (the Gaussian binomial
    // [6 choose 3]_q), so P(U ≥ 6) = (3+2+1+1)/20 = 7/20 and P(U ≤ 6) = 16/20.
    const r = mannWhitney([1, 3, 5], [2, 4, 6], { direction: 'increase' });
    expect(r.u).toBe(6);
    expect(r.pValue).toBeCloseTo(7 / 20, 15);
    expect(mannWhitney([1, 3, 5], [2, 4, 6], { direction: 'decrease' }).pValue).toBeCloseTo(16 / 20, 15);
    expect(mannWhitney([1, 3, 5], [2, 4, 6], { direction: 'either' }).pValue).toBeCloseTo(14 / 20, 15);
  });

  it('the distribution of U matches hand-counted Gaussian binomial coefficients', () => {
    // [4 choose 2]_q = 1 + q + 2q² + q³ + q⁴ (6 splits); [6 choose 3]_q as above (20 splits).
    expect(uDistribution(2, 2)).toEqual([1, 1, 2, 1, 1]);
    expect(uDistribution(3, 3)).toEqual([1, 1, 2, 3, 3, 3, 3, 2, 1, 1]);
    // [5 choose 2]_q = 1 + q + 2q² + 2q³ + 2q⁴ + q⁵ + q⁶ (10 splits), either way round.
    expect(uDistribution(2, 3)).toEqual([1, 1, 2, 2, 2, 1, 1]);
    expect(uDistribution(3, 2)).toEqual([1, 1, 2, 2, 2, 1, 1]);
    expect(uDistribution(1, 4)).toEqual([1, 1, 1, 1, 1]);
  });

  it('ties take average ranks and the tie-corrected normal approximation', () => {
    // baseline [1,2,2,3], canary [2,3,3,4]. Pooled: 1(b) 2(b) 2(b) 2(c) 3(b) 3(c) 3(c) 4(c).
    // Ranks: 1 → 1; the three 2s share (2+3+4)/3 = 3; the three 3s share (5+6+7)/3 = 6; 4 → 8.
    // Canary rank sum 3+6+6+8 = 23 → U = 23 - 4·5/2 = 13 (pairs: 2 beats 1, ties two 2s → 2;
    // each 3 beats 1,2,2 and ties 3 → 3.5, twice → 7; 4 beats all → 4; 2+7+4 = 13).
    // Mean n_b·n_c/2 = 8. Ties: Σ(t³ - t) = 24 + 24 = 48, N = 8.
    // Var = (16/12)·(9 - 48/56) = 76/7. z = (13 - 8 - ½)/√(76/7) ≈ 1.3657, p = P(Z > z).
    expect(uStatistic([1, 2, 2, 3], [2, 3, 3, 4])).toEqual({ u: 13, rankSum: 23, tieTerm: 48 });
    expect(pairU([2, 3, 3, 4], [1, 2, 2, 3])).toBe(13);
    const r = mannWhitney([1, 2, 2, 3], [2, 3, 3, 4]);
    const z = 4.5 / Math.sqrt(76 / 7);
    expect(r.method).toBe('normal');
    expect(r.u).toBe(13);
    expect(r.z).toBeCloseTo(z, 12);
    expect(r.pValue).toBeCloseTo(simpsonUpperTail(z), 10);
    expect(r.pValue).toBeCloseTo(0.0860, 4);
    expect(r.verdict).toBe('PASS');
    // Two-sided: continuity correction towards the mean, twice the upper tail.
    expect(mannWhitney([1, 2, 2, 3], [2, 3, 3, 4], { direction: 'either' }).pValue).toBeCloseTo(2 * simpsonUpperTail(z), 10);
    // Decrease: correction -½ → z = (5 + ½)/σ, p = P(Z < z).
    const zDown = 5.5 / Math.sqrt(76 / 7);
    expect(mannWhitney([1, 2, 2, 3], [2, 3, 3, 4], { direction: 'decrease' }).pValue).toBeCloseTo(1 - simpsonUpperTail(zDown), 10);
  });

  it('all values equal: no evidence either way', () => {
    const r = mannWhitney([5, 5, 5], [5, 5, 5, 5]);
    expect(r).toMatchObject({ u: 6, z: 0, pValue: 1, method: 'normal', effect: 0, verdict: 'PASS' });
    expect(mannWhitney([5, 5, 5], [5, 5, 5, 5], { direction: 'either' }).pValue).toBe(1);
  });
});

describe('Mann-Whitney U: exact p-values against brute-force enumeration', () => {
  const cases: [string, number[], number[]][] = [
    ['2 vs 4', [10.5, 13], [11, 12.5, 14, 9]],
    ['5 vs 5', distinctSample(7, 5, 100), distinctSample(11, 5, 120)],
    ['4 vs 9', distinctSample(3, 4, 100), distinctSample(5, 9, 140)],
    ['8 vs 6', distinctSample(13, 8, 100), distinctSample(17, 6, 100)],
    ['7 vs 7 shifted', distinctSample(19, 7, 100), distinctSample(23, 7, 500)],
    ['10 vs 8', distinctSample(29, 10, 100), distinctSample(31, 8, 300)],
  ];
  it.each(cases)('%s', (_name, baseline, canary) => {
    const expected = bruteForce(baseline, canary);
    for (const direction of ['increase', 'decrease', 'either'] as const) {
      const r = mannWhitney(baseline, canary, { direction, minSamples: 2 });
      expect(r.method).toBe('exact');
      expect(r.u).toBe(expected.u);
      expect(r.pValue).toBeCloseTo(expected[direction], 12);
    }
  });
});

describe("Mann-Whitney U: R's documented wilcox.test results", () => {
  it('Hollander & Wolfe (1973) p. 69, ?wilcox.test: W = 35, p-value = 0.1272 (exact, greater)', () => {
    // R: x <- c(0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46)
    //    y <- c(1.15, 0.88, 0.90, 0.74, 1.21)
    //    wilcox.test(x, y, alternative = "g")   # W = 35, p-value = 0.1272
    // x is the canary (is it larger?), y the baseline. Enumeration: 382 of the C(15,5) = 3003
    // splits have U ≥ 35, p = 382/3003 = 0.12721 (R prints 4 digits).
    const term = [0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
    const early = [1.15, 0.88, 0.9, 0.74, 1.21];
    const r = mannWhitney(early, term, { direction: 'increase' });
    expect(r.u).toBe(35);
    expect(r.method).toBe('exact');
    expect(r.pValue).toBeCloseTo(382 / 3003, 12);
    expect(r.pValue).toBeGreaterThanOrEqual(0.12715);
    expect(r.pValue).toBeLessThan(0.12725);
    expect(bruteForce(early, term)).toMatchObject({ u: 35, total: 3003 });
    expect(bruteForce(early, term).increase).toBeCloseTo(382 / 3003, 15);
    expect(r.verdict).toBe('PASS');
  });

  it('airquality Ozone, May vs August (?wilcox.test): W = 127.5, p-value = 0.0001208 (ties, continuity correction, two-sided)', () => {
    // R: wilcox.test(Ozone ~ Month, data = airquality, subset = Month %in% c(5, 8))
    //    W = 127.5, p-value = 0.0001208   (normal approximation: the data have ties)
    // The non-missing Ozone readings of May (month 5) and August (month 8), 26 each:
    const may = [41, 36, 12, 18, 28, 23, 19, 8, 7, 16, 11, 14, 18, 14, 34, 6, 30, 11, 1, 11, 4, 32, 23, 45, 115, 37];
    const august = [39, 9, 16, 78, 35, 66, 122, 89, 110, 44, 28, 65, 22, 59, 23, 31, 44, 21, 9, 45, 168, 73, 76, 118, 84, 85];
    expect(pairU(may, august)).toBe(127.5);
    // x = May is R's first sample, so May plays the canary here.
    const r = mannWhitney(august, may, { direction: 'either' });
    expect(r.u).toBe(127.5);
    expect(r.method).toBe('normal');
    expect(r.pValue).toBeGreaterThanOrEqual(0.00012075);
    expect(r.pValue).toBeLessThan(0.00012085);
    expect(r.pValue).toBeCloseTo(2 * simpsonUpperTail(Math.abs(r.z)), 10);
    expect(r.verdict).toBe('FAIL');
    expect(r.canaryMedian).toBe(18); // May, sorted: 13th and 14th values are 18 and 18
    expect(r.baselineMedian).toBe(52); // August, sorted: 13th and 14th values are 45 and 59
  });
});

describe('Mann-Whitney U: large samples, effect size, no data', () => {
  it('uses the normal approximation from 50 values on (R: exact only when both n < 50)', () => {
    const baseline = distinctSample(41, 60, 100);
    const canary = distinctSample(43, 55, 180.005); // half a step off: no ties with the baseline
    const r = mannWhitney(baseline, canary);
    expect(r.method).toBe('normal');
    expect(r.u).toBe(pairU(canary, baseline));
    const sd = Math.sqrt((60 * 55 * (60 + 55 + 1)) / 12);
    const z = (r.u - (60 * 55) / 2 - 0.5) / sd;
    expect(r.z).toBeCloseTo(z, 12);
    expect(r.pValue).toBeCloseTo(simpsonUpperTail(z), 10);
    expect(mannWhitney(baseline.slice(0, 49), canary.slice(0, 49)).method).toBe('exact');
  });

  it('the exact and normal p-values agree roughly at 40 vs 40, so the switch is not a jump', () => {
    const baseline = distinctSample(47, 40, 100);
    const canary = distinctSample(53, 40, 160.005);
    const exact = mannWhitney(baseline, canary);
    const n = 40 * 40;
    const z = (exact.u - n / 2 - 0.5) / Math.sqrt((n * 81) / 12);
    expect(exact.method).toBe('exact');
    expect(Math.abs(exact.pValue - simpsonUpperTail(z))).toBeLessThan(0.005);
  });

  it('a significant but small change passes when below effectSize', () => {
    const baseline = [100, 101, 102, 103, 104, 105, 106, 107, 108, 109];
    const canary = baseline.map((v) => v + 20);
    const strict = mannWhitney(baseline, canary);
    expect(strict.verdict).toBe('FAIL');
    expect(strict.pValue).toBeCloseTo(1 / 184756, 15); // all ten canary values on top: 1 of C(20,10)
    expect(strict.effect).toBeCloseTo(20 / 104.5, 12);
    const lenient = mannWhitney(baseline, canary, { effectSize: 0.25 });
    expect(lenient.verdict).toBe('PASS');
    expect(lenient.reason).toBe('canary higher than baseline but within the allowed change of 25%: median 124.5 vs 104.5 (+19.1%), p 5.41e-6, U 100 (exact)');
    expect(mannWhitney(baseline, canary, { effectSize: 0.15 }).verdict).toBe('FAIL');
  });

  it('only the tested direction fails: an improvement is a PASS for increase', () => {
    const baseline = [200, 210, 220, 230, 240, 250];
    const canary = [100, 110, 120, 130, 140, 150];
    expect(mannWhitney(baseline, canary).verdict).toBe('PASS');
    expect(mannWhitney(baseline, canary, { direction: 'decrease' }).verdict).toBe('FAIL');
    expect(mannWhitney(baseline, canary, { direction: 'either' }).verdict).toBe('FAIL');
  });

  it('is NODATA with an empty sample or fewer than minSamples values', () => {
    expect(mannWhitney([], [1, 2, 3])).toMatchObject({ verdict: 'NODATA', method: 'none', reason: 'baseline has 0 values, at least 3 needed in each' });
    expect(mannWhitney([1, 2, 3], [4, 5])).toMatchObject({ verdict: 'NODATA', reason: 'canary has 2 values, at least 3 needed in each' });
    expect(mannWhitney([1, 2, 3], [4])).toMatchObject({ verdict: 'NODATA', reason: 'canary has 1 value, at least 3 needed in each' });
    expect(mannWhitney([1, 2, 3, 4, 5], [6, 7, 8, 9, 10], { minSamples: 6 }).verdict).toBe('NODATA');
    expect(mannWhitney([1, 2], [3, 4], { minSamples: 2 }).verdict).toBe('PASS');
    // Gaps in a metric are not samples.
    expect(mannWhitney([1, NaN, 2], [3, 4, Infinity]).verdict).toBe('NODATA');
  });

  it('refuses nonsense options', () => {
    expect(() => mannWhitney([1, 2, 3], [4, 5, 6], { confidence: 95 })).toThrow('confidence must be between 0 and 1, not 95');
    expect(() => mannWhitney([1, 2, 3], [4, 5, 6], { effectSize: -0.1 })).toThrow(RangeError);
  });

  it('median of odd and even samples', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});

describe('normal tail', () => {
  it('matches known values of P(Z > z) and the Simpson integral', () => {
    // Standard table values: Φ(1.96) = 0.9750021048517795, Φ(1) = 0.8413447460685429.
    expect(normalUpperTail(0)).toBe(0.5);
    expect(normalUpperTail(1.96)).toBeCloseTo(0.0249978951482204, 15);
    expect(normalUpperTail(-1)).toBeCloseTo(0.8413447460685429, 14);
    expect(normalUpperTail(3) / 0.0013498980316301).toBeCloseTo(1, 12);
    expect(normalUpperTail(5) / 2.866515718791939e-7).toBeCloseTo(1, 10);
    for (const z of [0.3, 1.5, 2.5, 2.999, 3.001, 3.8, 4.5]) expect(normalUpperTail(z) / simpsonUpperTail(z)).toBeCloseTo(1, 8);
  });
});
