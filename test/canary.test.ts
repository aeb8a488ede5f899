import { describe, expect, it } from 'vitest';
import {
  applyDeadline, applyOperator, applyWindow, evaluateWindow, initialCanary, replayCanary, startCanary,
  type CanaryConfig, type CanaryState, type MetricReading,
} from '../src/engine/canary.js';
import { parseCondition, holds } from '../src/engine/conditions.js';
import type { EventBody } from '../src/engine/types.js';

const c = (t: string) => parseCondition(t)!;
const cfg: CanaryConfig = {
  intervalMs: 1000,
  steps: [
    { name: '10%', weight: 10, windows: 6 },
    { name: '50%', weight: 50, windows: 6 },
  ],
  metrics: [
    { name: 'error_rate', success: c('<= 0.01'), failure: c('> 0.05'), burst: c('> 0.2') },
    { name: 'p95_ms', success: c('<= 300') },
  ],
  rules: { consecutiveSuccesses: 3, failureLimit: 1, consecutiveErrorLimit: 2, inconclusiveLimit: 1 },
  decisionDeadlineMs: 300_000,
  defaultDecision: 'abort',
  promoteAction: 'promote',
  abortAction: 'abort',
};

const ok = (value: number | null): MetricReading => ({ ok: true, value });
const down: MetricReading = { ok: false, reason: 'connection refused' };

function run(readings: Array<Record<string, MetricReading>>, start?: CanaryState) {
  let s = start ?? startCanary(cfg, initialCanary()).state;
  const decisions: string[] = [];
  const events: EventBody[] = [{ kind: 'canary.decision', decision: 'started', step: '10%', reason: '' }];
  readings.forEach((r, i) => {
    const w = evaluateWindow(cfg, cfg.steps[s.stepIndex].name, s.windowsInStep + 1, i * 1000, (i + 1) * 1000, r);
    events.push({ kind: 'canary.window', window: w });
    const t = applyWindow(cfg, s, w, (i + 1) * 1000);
    s = t.state;
    for (const d of t.decisions) {
      decisions.push(`${d.decision}${d.action ? `:${d.action}` : ''}`);
      events.push({ kind: 'canary.decision', decision: d.decision, step: d.step, reason: d.reason });
    }
  });
  return { s, decisions, events };
}

const good = { error_rate: ok(0.001), p95_ms: ok(120) };

describe('conditions', () => {
  it('parses and evaluates', () => {
    expect(parseCondition('<= 0.01')).toEqual({ op: '<=', value: 0.01, text: '<= 0.01' });
    expect(parseCondition('about 3')).toBeUndefined();
    expect(holds(c('> 5'), 5)).toBe(false);
    expect(holds(c('>= 5'), 5)).toBe(true);
    expect(holds(c('== 0'), 0)).toBe(true);
  });
});

describe('window verdicts', () => {
  it('PASS, FAIL, INCONCLUSIVE and ERROR with reasons and values', () => {
    expect(evaluateWindow(cfg, '10%', 1, 0, 1, good)).toMatchObject({ verdict: 'PASS', burst: false, reasons: [], values: { error_rate: 0.001, p95_ms: 120 } });
    const fail = evaluateWindow(cfg, '10%', 1, 0, 1, { error_rate: ok(0.08), p95_ms: ok(100) });
    expect(fail).toMatchObject({ verdict: 'FAIL', burst: false });
    expect(fail.reasons[0]).toBe('error_rate 0.0800 fails (> 0.05)');
    expect(evaluateWindow(cfg, '10%', 1, 0, 1, { error_rate: ok(0.001), p95_ms: ok(450) }).reasons).toEqual(['p95_ms 450 misses <= 300']);
    expect(evaluateWindow(cfg, '10%', 1, 0, 1, { error_rate: ok(0.03), p95_ms: ok(100) }).verdict).toBe('INCONCLUSIVE');
    expect(evaluateWindow(cfg, '10%', 1, 0, 1, { error_rate: ok(null), p95_ms: ok(100) })).toMatchObject({ verdict: 'INCONCLUSIVE', reasons: ['error_rate: no data'] });
    const err = evaluateWindow(cfg, '10%', 1, 0, 1, { error_rate: down, p95_ms: ok(100) });
    expect(err).toMatchObject({ verdict: 'ERROR', values: { error_rate: null } });
    expect(err.reasons[0]).toContain('provider error — connection refused');
    expect(evaluateWindow(cfg, '10%', 1, 0, 1, { error_rate: ok(0.5), p95_ms: ok(100) })).toMatchObject({ verdict: 'FAIL', burst: true });
  });

  it('a failing metric outweighs a provider error in the same window', () => {
    expect(evaluateWindow(cfg, '10%', 1, 0, 1, { error_rate: ok(0.09), p95_ms: down }).verdict).toBe('FAIL');
  });
});

describe('canary rules', () => {
  it('promotes a step after N consecutive passes, and the last step runs the promote action', () => {
    const { s, decisions } = run([good, good, good, good, good, good]);
    expect(decisions).toEqual(['step-promoted', 'promote:promote']);
    expect(s.status).toBe('promoted');
  });

  it('a pass streak broken by an inconclusive window starts over', () => {
    const { s, decisions } = run([good, good, { error_rate: ok(0.03), p95_ms: ok(1) }, good, good]);
    expect(decisions).toEqual([]);
    expect(s.consecutivePasses).toBe(2);
  });

  it('a burst aborts at once, whatever the limits', () => {
    const { s, decisions } = run([good, { error_rate: ok(0.3), p95_ms: ok(1) }]);
    expect(decisions).toEqual(['abort:abort']);
    expect(s.status).toBe('aborted');
    expect(s.reason).toMatch(/burst in window 2 of 10%/);
  });

  it('failures beyond failureLimit abort', () => {
    const bad = { error_rate: ok(0.08), p95_ms: ok(1) };
    expect(run([bad]).decisions).toEqual([]);
    const { s, decisions } = run([bad, good, bad]);
    expect(decisions).toEqual(['abort:abort']);
    expect(s.reason).toMatch(/2 failing window\(s\), limit 1/);
  });

  it('provider errors are counted apart: they never count as failures, but too many in a row abort', () => {
    const { s, decisions } = run([{ error_rate: down, p95_ms: ok(1) }, { error_rate: down, p95_ms: ok(1) }, good]);
    expect(decisions).toEqual([]);
    expect(s.failures).toBe(0);
    const three = run([{ error_rate: down, p95_ms: ok(1) }, { error_rate: down, p95_ms: ok(1) }, { error_rate: down, p95_ms: ok(1) }]);
    expect(three.decisions).toEqual(['abort:abort']);
    expect(three.s.reason).toMatch(/3 consecutive provider errors, limit 2/);
  });

  it('repeated inconclusive windows ask the operator, with a deadline; the default is taken when nobody answers', () => {
    const inc = { error_rate: ok(0.03), p95_ms: ok(1) };
    const { s, decisions } = run([inc, inc]);
    expect(decisions).toEqual(['ask']);
    expect(s.status).toBe('awaiting-decision');
    expect(s.deadline).toBe(2000 + 300_000);
    expect(applyDeadline(cfg, s, s.deadline! - 1).decisions).toEqual([]);
    const t = applyDeadline(cfg, s, s.deadline!);
    expect(t.state.status).toBe('aborted');
    expect(t.decisions[0]).toMatchObject({ decision: 'deadline-default', action: 'abort' });
    const cont = applyDeadline({ ...cfg, defaultDecision: 'continue' }, s, s.deadline!);
    expect(cont.state.status).toBe('running');
  });

  it('the operator may continue or abort an inconclusive canary', () => {
    const inc = { error_rate: ok(0.03), p95_ms: ok(1) };
    const { s } = run([inc, inc]);
    expect(applyOperator(cfg, s, 'continue').state).toMatchObject({ status: 'running', inconclusives: 0 });
    expect(applyOperator(cfg, s, 'abort').decisions[0]).toMatchObject({ decision: 'operator-abort', action: 'abort' });
  });

  it('a step that uses its windows without enough passes asks', () => {
    const inc = { error_rate: ok(0.001), p95_ms: ok(1) };
    const short: CanaryConfig = { ...cfg, steps: [{ name: 'only', windows: 2 }], rules: { ...cfg.rules, consecutiveSuccesses: 5 } };
    let s = startCanary(short, initialCanary()).state;
    s = applyWindow(short, s, evaluateWindow(short, 'only', 1, 0, 1, inc), 1).state;
    const t = applyWindow(short, s, evaluateWindow(short, 'only', 2, 1, 2, inc), 2);
    expect(t.decisions[0]).toMatchObject({ decision: 'ask' });
    expect(t.decisions[0].reason).toMatch(/used its 2 windows/);
  });

  it('replaying recorded events gives the same state', () => {
    const inc = { error_rate: ok(0.03), p95_ms: ok(1) };
    const { s, events } = run([good, good, good, good, inc]);
    const replayed = replayCanary(cfg, events);
    expect(replayed).toEqual(s);
  });
});
