import { describe, expect, it } from 'vitest';
import { currentStep, decideStepIntent, walkChecklist } from '../src/engine/checklist.js';
import { computeVerdict, gatingChecks } from '../src/engine/verdict.js';
import { Poller } from '../src/engine/poller.js';
import type { Check, ChecklistStep, Phase } from '../src/runbook/model.js';
import type { CheckResult, EventBody } from '../src/engine/types.js';
import { ManualClock, flush } from './support/manual-clock.js';

const step = (id: string, check?: string, blocking = true): ChecklistStep => ({ id, title: `Step ${id}`, check, blocking, line: 1 });
const lists: Record<Phase, ChecklistStep[]> = {
  preflight: [step('rbac'), step('ready', 'readyz'), step('notes', undefined, false), step('clock', 'clock')],
  postflight: [step('health', 'health')],
};
const result = (check: string, status: CheckResult['status'], reason: string = status): CheckResult => ({
  check, status, code: status === 'healthy' ? 'ok' : 'status', reason, startedAt: 0, durationMs: 1,
});
const at = (s: string) => ({ phase: 'preflight' as const, step: s });

describe('checklist walk', () => {
  it('starts at the first step with nothing done', () => {
    const w = walkChecklist(lists, []);
    expect(w.active).toBe('preflight');
    expect(currentStep(w)?.id).toBe('rbac');
    expect(w.phases.preflight).toMatchObject({ done: 0, total: 4, blocked: false, complete: false });
  });

  it('a manual step is confirmed by advance; an automatic one is started', () => {
    let w = walkChecklist(lists, []);
    const d1 = decideStepIntent(w, { kind: 'advance' });
    expect(d1).toEqual({ ok: true, event: { kind: 'step.confirmed', ...at('rbac'), note: undefined } });
    w = walkChecklist(lists, [d1.ok ? d1.event : (null as never)]);
    const d2 = decideStepIntent(w, { kind: 'advance' });
    expect(d2).toMatchObject({ ok: true, run: true, event: { kind: 'step.started', step: 'ready' } });
  });

  it('a failed blocking step stops the walk until retried or skipped with a reason', () => {
    const events: EventBody[] = [
      { kind: 'step.confirmed', ...at('rbac') },
      { kind: 'step.started', ...at('ready') },
      { kind: 'step.result', ...at('ready'), result: result('readyz', 'unhealthy', 'expected 200, got 503') },
    ];
    let w = walkChecklist(lists, events);
    expect(w.phases.preflight.blocked).toBe(true);
    expect(currentStep(w)?.id).toBe('ready');
    const adv = decideStepIntent(w, { kind: 'advance' });
    expect(adv.ok).toBe(false);
    expect(!adv.ok && adv.refusal).toMatch(/retry.*skip/);
    expect(decideStepIntent(w, { kind: 'skip', reason: '  ' }).ok).toBe(false);
    const skip = decideStepIntent(w, { kind: 'skip', reason: 'known flaky, DO approved' });
    expect(skip).toMatchObject({ ok: true, event: { kind: 'step.skipped', reason: 'known flaky, DO approved' } });
    w = walkChecklist(lists, [...events, skip.ok ? skip.event : (null as never)]);
    expect(currentStep(w)?.id).toBe('notes');
    expect(w.phases.preflight.steps[1]).toMatchObject({ state: 'skipped', skipReason: 'known flaky, DO approved' });
    expect(w.phases.preflight.done).toBe(2);
  });

  it('retry puts a failed step back to pending and counts attempts', () => {
    const events: EventBody[] = [
      { kind: 'step.confirmed', ...at('rbac') },
      { kind: 'step.started', ...at('ready') },
      { kind: 'step.result', ...at('ready'), result: result('readyz', 'error') },
    ];
    const w = walkChecklist(lists, events);
    const d = decideStepIntent(w, { kind: 'retry' });
    expect(d).toMatchObject({ ok: true, event: { kind: 'step.retried' } });
    const w2 = walkChecklist(lists, [...events, d.ok ? d.event : (null as never), { kind: 'step.started', ...at('ready') }, { kind: 'step.result', ...at('ready'), result: result('readyz', 'healthy') }]);
    expect(w2.phases.preflight.steps[1]).toMatchObject({ state: 'passed', attempts: 2 });
    expect(decideStepIntent(walkChecklist(lists, []), { kind: 'retry' }).ok).toBe(false);
  });

  it('a failed optional step does not block', () => {
    const events: EventBody[] = [
      { kind: 'step.confirmed', ...at('rbac') },
      { kind: 'step.result', ...at('ready'), result: result('readyz', 'healthy') },
      { kind: 'step.skipped', ...at('notes'), reason: 'later' },
      { kind: 'step.result', ...at('clock'), result: result('clock', 'healthy') },
    ];
    const w = walkChecklist(lists, events);
    expect(w.phases.preflight.complete).toBe(true);
    expect(w.active).toBe('postflight');
    expect(currentStep(w)?.id).toBe('health');
  });

  it('resumes from recorded events; a step interrupted mid-run comes back pending', () => {
    const events: EventBody[] = [{ kind: 'step.confirmed', ...at('rbac') }, { kind: 'step.started', ...at('ready') }];
    expect(currentStep(walkChecklist(lists, events))?.state).toBe('running');
    const resumed = walkChecklist(lists, events, { resumed: true });
    expect(currentStep(resumed)).toMatchObject({ id: 'ready', state: 'pending' });
    expect(resumed.phases.preflight.done).toBe(1);
  });

  it('notes attach to the current step and empty notes are refused', () => {
    const w = walkChecklist(lists, []);
    expect(decideStepIntent(w, { kind: 'note', note: '' }).ok).toBe(false);
    const d = decideStepIntent(w, { kind: 'note', note: 'paged DO' });
    const w2 = walkChecklist(lists, [d.ok ? d.event : (null as never)]);
    expect(w2.phases.preflight.steps[0].notes).toEqual(['paged DO']);
  });
});

describe('verdict', () => {
  const checks = {
    readyz: { title: 'Readiness' },
    clock: { title: 'Clock' },
  } as unknown as Record<string, Check>;

  it('GO when every blocking check is healthy', () => {
    const v = computeVerdict('preflight', ['readyz', 'clock'], checks, { readyz: result('readyz', 'healthy'), clock: result('clock', 'healthy') });
    expect(v).toEqual({ verdict: 'GO', phase: 'preflight', reasons: [], classes: [] });
  });

  it('NO-GO lists every failing check with its reason', () => {
    const v = computeVerdict('preflight', ['readyz', 'clock'], checks, {
      readyz: result('readyz', 'unhealthy', 'expected 200, got 503'),
      clock: result('clock', 'error', 'timed out'),
    });
    expect(v.verdict).toBe('NO-GO');
    expect(v.reasons).toEqual(['Readiness: expected 200, got 503', 'Clock: timed out']);
  });

  it('INSUFFICIENT when a check reports insufficient data or has no result yet', () => {
    expect(computeVerdict('preflight', ['readyz', 'clock'], checks, { readyz: result('readyz', 'insufficient', 'delivered_total_0'), clock: result('clock', 'healthy') })).toEqual({
      verdict: 'INSUFFICIENT', phase: 'preflight', reasons: ['Readiness: delivered_total_0'], classes: [expect.stringMatching(/^readyz: insufficient /)],
    });
    expect(computeVerdict('preflight', ['readyz'], checks, {}).verdict).toBe('INSUFFICIENT');
  });

  it('NO-GO wins over insufficient', () => {
    const v = computeVerdict('preflight', ['readyz', 'clock'], checks, { readyz: result('readyz', 'insufficient'), clock: result('clock', 'unhealthy') });
    expect(v.verdict).toBe('NO-GO');
  });

  it('gates on the blocking automatic steps of the phase only', () => {
    expect(gatingChecks(walkChecklist(lists, []), 'preflight')).toEqual(['readyz', 'clock']);
    expect(gatingChecks(walkChecklist(lists, []), 'postflight')).toEqual(['health']);
  });

  it('a phase with no blocking checks is judged by every phase\'s, so moving on never makes it GO by itself', () => {
    const manualPost: Record<Phase, ChecklistStep[]> = { preflight: lists.preflight, postflight: [step('smoke')] };
    expect(gatingChecks(walkChecklist(manualPost, []), 'postflight')).toEqual(['readyz', 'clock']);
  });
});

describe('poller', () => {
  const check = (name: string, everyMs?: number) => ({ name, title: name, kind: 'script', everyMs }) as unknown as Check;

  it('polls at the interval, never runs the same check twice at once, and a slow check does not delay others', async () => {
    const clock = new ManualClock();
    const started: string[] = [];
    const release: Record<string, () => void> = {};
    let slowInFlight = 0;
    let maxSlowInFlight = 0;
    const poller = new Poller({
      clock,
      run: (c) => {
        started.push(c.name);
        if (c.name === 'slow') {
          slowInFlight++;
          maxSlowInFlight = Math.max(maxSlowInFlight, slowInFlight);
          return new Promise((resolve) => {
            release.slow = () => {
              slowInFlight--;
              resolve(result('slow', 'healthy'));
            };
          });
        }
        return Promise.resolve(result(c.name, 'healthy'));
      },
      onResult: () => {},
    });
    poller.start([check('fast', 1000), check('slow', 1000), check('manual')]);
    await clock.advance(5250); // first runs at 250 ms, then every second
    const fast = started.filter((n) => n === 'fast').length;
    expect(fast).toBe(6);
    expect(started.filter((n) => n === 'slow')).toHaveLength(1); // still in flight, not restarted
    expect(started).not.toContain('manual');
    // A step asking for the slow check shares the run in flight.
    const shared = poller.runNow('slow');
    expect(started.filter((n) => n === 'slow')).toHaveLength(1);
    release.slow();
    await expect(shared).resolves.toMatchObject({ check: 'slow', status: 'healthy' });
    await clock.advance(1000);
    expect(started.filter((n) => n === 'slow')).toHaveLength(2);
    expect(maxSlowInFlight).toBe(1);
    poller.stop();
    expect(clock.pending()).toBe(0);
  });

  it('checks polled together share one timer and keep the rhythm of their first run', async () => {
    class CountingClock extends ManualClock {
      armed = 0;
      override setTimeout(fn: () => void, ms: number): unknown {
        this.armed++;
        return super.setTimeout(fn, ms);
      }
    }
    const clock = new CountingClock();
    const t0 = clock.now();
    const starts: Record<string, number[]> = { a: [], b: [], c: [] };
    const poller = new Poller({ clock, run: async (c) => (starts[c.name].push(clock.now() - t0), result(c.name, 'healthy')), onResult: () => {} });
    poller.start([check('a', 1000), check('b', 1000), check('c', 1000)]);
    await clock.advance(3250);
    for (const name of ['a', 'b', 'c']) expect(starts[name]).toEqual([250, 1250, 2250, 3250]);
    // One timer per wake-up for the three checks (and the first), not one per check.
    expect(clock.armed).toBe(5);
    expect(clock.pending()).toBe(1);
    poller.stop();
    expect(clock.pending()).toBe(0);
  });

  it('a slow run rests a full interval, or joins a wake-up planned within a tenth of it', async () => {
    const clock = new ManualClock();
    const t0 = clock.now();
    const starts: Record<string, number[]> = { quick: [], slow: [], slower: [] };
    const took: Record<string, number> = { quick: 0, slow: 600, slower: 1080 };
    const poller = new Poller({
      clock,
      run: (c) => {
        starts[c.name].push(clock.now() - t0);
        return new Promise((resolve) => (took[c.name] ? clock.setTimeout(() => resolve(result(c.name, 'healthy')), took[c.name]) : resolve(result(c.name, 'healthy'))));
      },
      onResult: () => {},
    });
    poller.start([check('quick', 1000), check('slow', 1000), check('slower', 1000)]);
    await clock.advance(3000);
    expect(starts.quick).toEqual([250, 1250, 2250]);
    // 250 + 600 ms, then a full second of rest: no quick run's wake-up within 100 ms of 1850.
    expect(starts.slow.slice(0, 2)).toEqual([250, 1850]);
    // 250 + 1080 ms ends at 1330; 2330 is within 100 ms of the quick check's 2250: it joins it.
    expect(starts.slower.slice(0, 2)).toEqual([250, 2250]);
    poller.stop();
  });

  it('a check that throws is reported as an error result, and polling goes on', async () => {
    const clock = new ManualClock();
    const seen: CheckResult[] = [];
    const poller = new Poller({ clock, run: async () => { throw new Error('boom'); }, onResult: (r) => seen.push(r) });
    poller.start([check('bad', 1000)]);
    await clock.advance(2300);
    await flush();
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen[0]).toMatchObject({ check: 'bad', status: 'error', reason: 'check crashed: boom' });
    poller.stop();
  });
});
