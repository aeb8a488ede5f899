// Compare metrics in the pure canary engine: each window brings baseline and canary samples,
// the Mann-Whitney judge runs inside evaluateWindow. The p-values are exact ones that can be
// checked by hand: with no ties and n_b = n_c = 10, each of the C(20,10) = 184756 orderings
// of the pooled values is equally likely under H0, so fully separated samples give the
// one-sided p = 1/184756 (only one ordering is as extreme).
import { describe, expect, it } from 'vitest';
import {
  applyWindow, evaluateWindow, initialCanary, startCanary,
  type CanaryCompareSpec, type CanaryConfig, type MetricReading,
} from '../src/engine/canary.js';
import { parseCondition } from '../src/engine/conditions.js';

const ORDERINGS_10_10 = 184_756; // C(20, 10)
const compare: CanaryCompareSpec = { direction: 'increase', confidence: 0.95, effectSize: 0, minSamples: 3 };
const cfg = (spec: Partial<CanaryCompareSpec> = {}): CanaryConfig => ({
  intervalMs: 1000,
  steps: [{ name: '10%', windows: 5 }],
  metrics: [
    { name: 'latency', compare: { ...compare, ...spec } },
    { name: 'error_rate', success: parseCondition('<= 0.01')! },
  ],
  rules: { consecutiveSuccesses: 3, failureLimit: 0, consecutiveErrorLimit: 2, inconclusiveLimit: 1 },
  decisionDeadlineMs: 60_000,
  defaultDecision: 'abort',
  promoteAction: 'promote',
  abortAction: 'abort',
});

/** 10 distinct values from `from`, `step` apart. */
const spread = (from: number, step = 2, n = 10) => Array.from({ length: n }, (_, i) => from + i * step);
const samples = (baseline: number[], canary: number[]): MetricReading => ({ ok: true, samples: { baseline, canary } });
const healthyErrors: MetricReading = { ok: true, value: 0.001 };
const window = (readings: MetricReading, spec: Partial<CanaryCompareSpec> = {}) =>
  evaluateWindow(cfg(spec), '10%', 1, 0, 1000, { latency: readings, error_rate: healthyErrors });

// Medians 120 and 180: baseline 111, 113, …, 129; canary 171, 173, …, 189.
const BASELINE = spread(111);
const SLOWER = spread(171);

describe('compare metrics: window verdicts', () => {
  it('FAIL when the canary is significantly and materially slower, with medians, effect and p in the reason', () => {
    const w = window(samples(BASELINE, SLOWER));
    expect(w.verdict).toBe('FAIL');
    expect(w.burst).toBe(false);
    expect(w.reasons).toEqual(['latency: canary median 180 vs baseline 120 (+50%), p=5.41e-6 < 0.05']);
    expect(w.values.latency).toBeCloseTo(1 / ORDERINGS_10_10, 15);
    expect(w.values['latency.effect']).toBeCloseTo(0.5, 12);
    expect(w.values.error_rate).toBe(0.001);
  });

  it('PASS when the canary is no worse: fully faster (p = 1) and interleaved (p = 68301/184756)', () => {
    // Every canary value below every baseline value: U = 0, and P(U >= 0) = 1.
    const faster = window(samples(BASELINE, spread(51)));
    expect(faster).toMatchObject({ verdict: 'PASS', reasons: [], values: { latency: 1 } });
    // Baseline 100, 102, …, 118 and canary 101, 103, …, 119: U = 1 + 2 + … + 10 = 55, and
    // 68301 of the 184756 orderings have U >= 55 (counted by the recursion
    // f(m, n, u) = f(m-1, n, u-n) + f(m, n-1, u), independently of the code).
    const interleaved = window(samples(spread(100), spread(101)));
    expect(interleaved.verdict).toBe('PASS');
    expect(interleaved.values.latency).toBeCloseTo(68_301 / ORDERINGS_10_10, 12);
  });

  it('a significant change smaller than effectSize passes', () => {
    // Fully separated (p = 1/184756) but the medians differ by 1%: under the 10% that matters.
    const w = window(samples(spread(1000, 1), spread(1010, 1)), { effectSize: 0.1 });
    expect(w.verdict).toBe('PASS');
    expect(w.values.latency).toBeCloseTo(1 / ORDERINGS_10_10, 15);
    expect(w.values['latency.effect']).toBeCloseTo(10 / 1004.5, 12);
  });

  it('direction decides which change is bad; either is two-sided', () => {
    const lower = samples(SLOWER, BASELINE); // the canary's values are the lower ones
    expect(window(lower).verdict).toBe('PASS');
    const w = window(lower, { direction: 'decrease' });
    expect(w.verdict).toBe('FAIL');
    expect(w.reasons[0]).toBe('latency: canary median 120 vs baseline 180 (-33.3%), p=5.41e-6 < 0.05');
    const either = window(samples(BASELINE, SLOWER), { direction: 'either' });
    expect(either.verdict).toBe('FAIL');
    expect(either.values.latency).toBeCloseTo(2 / ORDERINGS_10_10, 15);
  });

  it('p must be below 1 - confidence: full separation of 3 and 3 samples is p = 1/20, not enough at 0.95', () => {
    // C(6,3) = 20 orderings: p = 0.05, which is not < 0.05 (1 - 0.95 in floating point is
    // 0.050000000000000044, so this also checks that the level is taken as the operator wrote it).
    const three = window(samples([10, 11, 12], [20, 21, 22]));
    expect(three.verdict).toBe('PASS');
    expect(three.values.latency).toBeCloseTo(1 / 20, 15);
    // C(8,4) = 70 orderings: p = 1/70 ≈ 0.0143 fails; at confidence 0.99 it passes again.
    const four = samples([10, 11, 12, 13], [20, 21, 22, 23]);
    expect(window(four)).toMatchObject({ verdict: 'FAIL', reasons: ['latency: canary median 21.5 vs baseline 11.5 (+87%), p=0.0143 < 0.05'] });
    expect(window(four, { confidence: 0.99 }).verdict).toBe('PASS');
  });

  it('too few samples is inconclusive (no data), saying which side and how many', () => {
    const w = window(samples(BASELINE, [180, 190]), { minSamples: 10 });
    expect(w).toMatchObject({ verdict: 'INCONCLUSIVE', reasons: ['latency: no data: 2 canary samples < 10'], values: { latency: null } });
    const both = window(samples([], [180]), { minSamples: 3 });
    expect(both.reasons).toEqual(['latency: no data: 0 baseline samples and 1 canary sample < 3']);
    // Gaps (NaN) are not samples.
    expect(window(samples(BASELINE, [180, NaN, 190]), { minSamples: 3 }).reasons).toEqual(['latency: no data: 2 canary samples < 3']);
  });

  it('a provider error on either side is an ERROR, counted apart from failures', () => {
    const down: MetricReading = { ok: false, reason: 'canary: file /var/log/canary.csv does not exist' };
    const w = window(down);
    expect(w).toMatchObject({ verdict: 'ERROR', values: { latency: null } });
    expect(w.reasons).toEqual(['latency: provider error — canary: file /var/log/canary.csv does not exist']);
    // A failing compare metric outweighs an error elsewhere in the window, as for any metric.
    const mixed = evaluateWindow(cfg(), '10%', 1, 0, 1000, { latency: samples(BASELINE, SLOWER), error_rate: { ok: false, reason: 'timeout' } });
    expect(mixed.verdict).toBe('FAIL');
  });

  it('a reading of the wrong shape is a provider error, not a verdict', () => {
    expect(window({ ok: true, value: 120 })).toMatchObject({ verdict: 'ERROR', reasons: [expect.stringMatching(/got one value, expected baseline and canary samples/)] });
    const w = evaluateWindow(cfg(), '10%', 1, 0, 1000, { latency: samples(BASELINE, BASELINE), error_rate: samples([1], [1]) });
    expect(w).toMatchObject({ verdict: 'ERROR', values: { error_rate: null } });
  });
});

describe('compare metrics: rules', () => {
  it('a failing comparison aborts at once with failureLimit 0; errors and no-data do not', () => {
    const c = cfg({ minSamples: 10 });
    let s = startCanary(c, initialCanary()).state;
    const step = (latency: MetricReading, at: number) => {
      const w = evaluateWindow(c, '10%', s.windowsInStep + 1, at - 1000, at, { latency, error_rate: healthyErrors });
      const t = applyWindow(c, s, w, at);
      s = t.state;
      return t.decisions;
    };
    expect(step({ ok: false, reason: 'baseline: connection refused' }, 1000)).toEqual([]);
    expect(step(samples(BASELINE, BASELINE.map((v) => v + 1)), 2000)).toEqual([]); // interleaved, p ≈ 0.37: passes
    expect(s).toMatchObject({ status: 'running', failures: 0, consecutivePasses: 1 });
    const decisions = step(samples(BASELINE, SLOWER), 3000);
    expect(decisions).toMatchObject([{ decision: 'abort', action: 'abort' }]);
    expect(s.status).toBe('aborted');
    expect(s.reason).toBe('1 failing window(s), limit 0: latency: canary median 180 vs baseline 120 (+50%), p=5.41e-6 < 0.05');
  });
});
