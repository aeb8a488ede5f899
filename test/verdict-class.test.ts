// A target flapping between two network errors is one NO-GO on record, not an event per poll:
// verdicts are compared by the class of each reason (check, status, code), not by its words.
import { describe, expect, it } from 'vitest';
import { computeVerdict, sameVerdict } from '../src/engine/verdict.js';
import type { CheckResult } from '../src/engine/types.js';
import type { Check } from '../src/runbook/model.js';

const checks = { readyz: { title: 'Judge readiness' } } as unknown as Record<string, Check>;
const result = (over: Partial<CheckResult>): CheckResult => ({ check: 'readyz', startedAt: 0, durationMs: 5, status: 'error', code: 'refused', reason: 'x', ...over }) as CheckResult;
const verdictOf = (r: CheckResult) => computeVerdict('preflight', ['readyz'], checks, { readyz: r });

describe('sameVerdict', () => {
  it('two network errors with different words, or of two network codes, are the same verdict', () => {
    const a = verdictOf(result({ reason: 'connect ECONNREFUSED 127.0.0.1:41234' }));
    const b = verdictOf(result({ reason: 'connect ECONNREFUSED 127.0.0.1:41234 (after 3 ms)' }));
    expect(a.verdict).toBe('NO-GO');
    expect(sameVerdict(a, b)).toBe(true);
    expect(sameVerdict(a, verdictOf(result({ code: 'timeout', reason: 'no answer in 5 s' })))).toBe(true);
  });

  it('a different class is a new verdict: another code, another status, another check', () => {
    const refused = verdictOf(result({ code: 'refused', reason: 'refused' }));
    expect(sameVerdict(refused, verdictOf(result({ code: 'exit_code', reason: 'exit 3' })))).toBe(false);
    expect(sameVerdict(refused, verdictOf(result({ status: 'unhealthy', code: 'status', reason: 'expected 200, got 503' })))).toBe(false);
    expect(sameVerdict(refused, verdictOf(result({ status: 'healthy', code: 'ok', reason: 'ok' })))).toBe(false);
  });

  it('counts the flapping target\'s events: one verdict.changed for 230 polls', () => {
    let recorded = 0;
    let last: ReturnType<typeof verdictOf> | undefined;
    for (let i = 0; i < 230; i++) {
      const v = verdictOf(result(i % 2 ? { code: 'refused', reason: `connect ECONNREFUSED (${i})` } : { code: 'network', reason: `socket hang up (${i})` }));
      if (!sameVerdict(last, v)) recorded++;
      last = v;
    }
    expect(recorded).toBe(1);
  });
});
