// Baseline-versus-canary judge in the manner of Kayenta's Mann-Whitney classifier: is the
// canary's metric distribution shifted the bad way, significantly and by enough to matter?
// Pure: numbers in, a verdict out.
//
// The statistic and p-value follow R's wilcox.test(canary, baseline, correct = TRUE):
//  - u is U of the canary: the pairs (canary c, baseline b) with c > b, ties counting ½;
//    equal to the canary's rank sum minus n_c(n_c+1)/2 with average ranks for ties.
//  - exact p-value when there are no ties and both samples have fewer than 50 values (the
//    distribution of U by dynamic programming over counts);
//  - otherwise the normal approximation with tie correction of the variance and a ½
//    continuity correction towards the mean.
//  - one-sided for 'increase' (canary larger is worse) and 'decrease', two-sided for
//    'either' (twice the smaller tail, at most 1).
export type MannWhitneyDirection = 'increase' | 'decrease' | 'either';

export interface MannWhitneyOptions {
  /** 0..1, default 0.95: FAIL needs p < 1 - confidence. */
  confidence?: number;
  /** Which change is bad; default 'increase' (latency, error rate). */
  direction?: MannWhitneyDirection;
  /**
   * Smallest relative change of the medians (canary / baseline - 1) that counts as a
   * difference, default 0: a significant shift of less than this is still a PASS.
   */
  effectSize?: number;
  /** Fewer values than this in either sample is NODATA; default 3. */
  minSamples?: number;
}

export interface MannWhitneyResult {
  verdict: 'PASS' | 'FAIL' | 'NODATA';
  /** U of the canary (NaN when NODATA); U of the baseline is n_b·n_c - u. */
  u: number;
  /** Normal-approximation statistic (tie- and continuity-corrected), reported in every case. */
  z: number;
  pValue: number;
  /** How pValue was computed. */
  method: 'exact' | 'normal' | 'none';
  baselineMedian: number;
  canaryMedian: number;
  /** (canary median - baseline median) / |baseline median|. */
  effect: number;
  reason: string;
}

/** Below this size (both samples) and without ties the exact distribution is used, as in R. */
const EXACT_BELOW = 50;

export function mannWhitney(baseline: readonly number[], canary: readonly number[], opts: MannWhitneyOptions = {}): MannWhitneyResult {
  const confidence = opts.confidence ?? 0.95;
  const direction = opts.direction ?? 'increase';
  const effectSize = opts.effectSize ?? 0;
  const minSamples = opts.minSamples ?? 3;
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be between 0 and 1, not ${confidence}`);
  if (!(effectSize >= 0)) throw new RangeError(`effectSize must be 0 or more, not ${effectSize}`);
  // Readings that are not numbers (a gap in the metric) are not samples.
  const b = baseline.filter(Number.isFinite);
  const c = canary.filter(Number.isFinite);
  const baselineMedian = median(b);
  const canaryMedian = median(c);
  const need = Math.max(1, minSamples);
  if (b.length < need || c.length < need) {
    const which = b.length < need ? `baseline has ${b.length}` : `canary has ${c.length}`;
    return {
      verdict: 'NODATA',
      u: NaN,
      z: NaN,
      pValue: NaN,
      method: 'none',
      baselineMedian,
      canaryMedian,
      effect: relativeChange(baselineMedian, canaryMedian),
      reason: `${which} value${which.endsWith(' 1') ? '' : 's'}, at least ${need} needed in each`,
    };
  }

  const { u, tieTerm } = uStatistic(b, c);
  const nb = b.length;
  const nc = c.length;
  const z = zScore(u, nb, nc, tieTerm, direction);
  let pValue: number;
  let method: 'exact' | 'normal';
  if (!(nullVariance(nb, nc, tieTerm) > 0)) {
    // Every value equal: nothing tells the samples apart.
    method = 'normal';
    pValue = 1;
  } else if (tieTerm === 0 && nb < EXACT_BELOW && nc < EXACT_BELOW) {
    method = 'exact';
    pValue = exactPValue(u, nc, nb, direction);
  } else {
    method = 'normal';
    pValue = direction === 'increase' ? normalUpperTail(z) : direction === 'decrease' ? normalUpperTail(-z) : Math.min(1, 2 * normalUpperTail(Math.abs(z)));
  }

  const effect = relativeChange(baselineMedian, canaryMedian);
  const alpha = significanceLevel(confidence);
  const significant = pValue < alpha;
  const large = direction === 'increase' ? effect > effectSize : direction === 'decrease' ? effect < -effectSize : Math.abs(effect) > effectSize;
  const uText = `U ${fmt(u)} (${method === 'exact' ? 'exact' : 'normal approximation'})`;
  const change = `median ${fmt(canaryMedian)} vs ${fmt(baselineMedian)} (${fmtEffect(effect)})`;
  const word = direction === 'increase' ? 'higher' : direction === 'decrease' ? 'lower' : 'different';
  let verdict: 'PASS' | 'FAIL';
  let reason: string;
  if (!significant) {
    verdict = 'PASS';
    reason = `canary not significantly ${word} than baseline: p ${fmtP(pValue)} ≥ ${fmt(alpha)}, ${change}, ${uText}`;
  } else if (!large) {
    verdict = 'PASS';
    reason = `canary ${word} than baseline but within the allowed change of ${fmtEffect(effectSize, false)}: ${change}, p ${fmtP(pValue)}, ${uText}`;
  } else {
    verdict = 'FAIL';
    reason = `canary ${word} than baseline: ${change}, p ${fmtP(pValue)} < ${fmt(alpha)}, ${uText}`;
  }
  return { verdict, u, z, pValue, method, baselineMedian, canaryMedian, effect, reason };
}

/** FAIL needs p below this: 1 - confidence, where 1 - 0.95 means 0.05 (not 0.050000000000000044). */
export function significanceLevel(confidence: number): number {
  return Number((1 - confidence).toPrecision(12));
}

/**
 * U of the canary from average ranks over the pooled samples, and Σ(t³ - t) over groups of
 * tied values (0 when there are no ties).
 */
export function uStatistic(baseline: readonly number[], canary: readonly number[]): { u: number; rankSum: number; tieTerm: number } {
  const pooled = [...baseline.map((v) => ({ v, canary: false })), ...canary.map((v) => ({ v, canary: true }))].sort((x, y) => x.v - y.v);
  let rankSum = 0;
  let tieTerm = 0;
  for (let i = 0; i < pooled.length; ) {
    let j = i;
    while (j < pooled.length && pooled[j].v === pooled[i].v) j++;
    const t = j - i;
    const rank = (i + 1 + j) / 2; // average of ranks i+1 … j
    for (let k = i; k < j; k++) if (pooled[k].canary) rankSum += rank;
    tieTerm += t * t * t - t;
    i = j;
  }
  const nc = canary.length;
  return { u: rankSum - (nc * (nc + 1)) / 2, rankSum, tieTerm };
}

/** Variance of U under H0, reduced for ties: n_b·n_c/12 · (N + 1 - Σ(t³ - t) / (N(N - 1))). */
function nullVariance(nb: number, nc: number, tieTerm: number): number {
  const n = nb + nc;
  return ((nb * nc) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
}

function zScore(u: number, nb: number, nc: number, tieTerm: number, direction: MannWhitneyDirection): number {
  const mean = (nb * nc) / 2;
  const variance = nullVariance(nb, nc, tieTerm);
  if (!(variance > 0)) return 0; // every value equal: no evidence either way
  const d = u - mean;
  const correction = direction === 'increase' ? 0.5 : direction === 'decrease' ? -0.5 : Math.sign(d) * 0.5;
  return (d - correction) / Math.sqrt(variance);
}

/**
 * Counts of U = 0 … m·n for samples of sizes m (the one U counts for) and n, over all
 * C(m+n, m) equally likely orderings without ties. The largest value is either in the
 * first sample (it beats all n others: shift by n) or in the second (adds nothing):
 * f(m, n)[u] = f(m-1, n)[u-n] + f(m, n-1)[u].
 */
export function uDistribution(m: number, n: number): number[] {
  // rows[i] = f(i, j) for the current j, i = 0 … m.
  let rows: number[][] = Array.from({ length: m + 1 }, () => [1]);
  for (let j = 1; j <= n; j++) {
    const next: number[][] = [[1]];
    for (let i = 1; i <= m; i++) {
      const f = new Array<number>(i * j + 1).fill(0);
      const left = next[i - 1]; // f(i-1, j)
      const down = rows[i]; // f(i, j-1)
      for (let u = 0; u < f.length; u++) f[u] = (u >= j ? left[u - j] ?? 0 : 0) + (down[u] ?? 0);
      next.push(f);
    }
    rows = next;
  }
  return rows[m];
}

function exactPValue(u: number, nc: number, nb: number, direction: MannWhitneyDirection): number {
  const counts = uDistribution(nc, nb);
  const total = counts.reduce((a, x) => a + x, 0);
  let upper = 0; // P(U >= u)
  let lower = 0; // P(U <= u)
  for (let k = 0; k < counts.length; k++) {
    if (k >= u) upper += counts[k];
    if (k <= u) lower += counts[k];
  }
  upper /= total;
  lower /= total;
  if (direction === 'increase') return upper;
  if (direction === 'decrease') return lower;
  return Math.min(1, 2 * Math.min(upper, lower));
}

/**
 * P(Z > z) for a standard normal Z, to near double precision: the series
 * Φ(z) = ½ + φ(z)·Σ z^(2k+1)/(1·3·…·(2k+1)) in the middle, and the continued fraction
 * φ(z) / (z + 1/(z + 2/(z + 3/(z + …)))) in the tails, where subtracting from ½ would lose
 * the digits that matter for small p-values.
 */
export function normalUpperTail(z: number): number {
  if (Number.isNaN(z)) return NaN;
  const density = Math.exp(-(z * z) / 2) / Math.sqrt(2 * Math.PI);
  if (Math.abs(z) < 3) {
    let term = z;
    let sum = z;
    for (let k = 1; Math.abs(term) > 1e-17 * Math.abs(sum); k++) {
      term *= (z * z) / (2 * k + 1);
      sum += term;
    }
    return 0.5 - density * sum;
  }
  const x = Math.abs(z);
  let f = x;
  for (let k = 200; k >= 1; k--) f = x + k / f;
  const tail = density / f;
  return z > 0 ? tail : 1 - tail;
}

/** Φ(z) = P(Z ≤ z). */
export function normalCdf(z: number): number {
  return normalUpperTail(-z);
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((x, y) => x - y);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** (canary - baseline) / |baseline|; ±Infinity from a zero baseline, 0 when both are 0. */
function relativeChange(baseline: number, canary: number): number {
  if (Number.isNaN(baseline) || Number.isNaN(canary)) return NaN;
  if (baseline === 0) return canary === 0 ? 0 : Math.sign(canary) * Infinity;
  return (canary - baseline) / Math.abs(baseline);
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(4)));
}

function fmtP(p: number): string {
  return p >= 0.001 ? String(Number(p.toPrecision(3))) : p.toExponential(2);
}

function fmtEffect(e: number, signed = true): string {
  if (!Number.isFinite(e)) return e > 0 ? '+∞' : '-∞';
  const pct = `${Number((e * 100).toPrecision(3))}%`;
  return signed && e >= 0 ? `+${pct}` : pct;
}

/** The judge's number formats, for reasons written elsewhere (a canary window's). */
export { fmt as formatJudgeNumber, fmtP as formatPValue, fmtEffect as formatEffect };
