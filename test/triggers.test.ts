// Rollback triggers: the pure rule (how long a check must keep failing) and the runbook's
// checks of a triggers: section, with the line and field of each problem.
import { describe, expect, it } from 'vitest';
import { observeTrigger, type TriggerState } from '../src/engine/triggers.js';
import { parseRunbook } from '../src/runbook/load.js';
import { RunbookError } from '../src/runbook/errors.js';
import type { Trigger } from '../src/runbook/model.js';

const health: Trigger = { name: 'health-down', title: 'Health down', check: 'health', failingForMs: 300_000, action: 'rollback', auto: true };
const r = (status: 'healthy' | 'unhealthy' | 'error' | 'insufficient', check = 'health') => ({ check, status, reason: `${status} reason` });

function feed(t: Trigger, seq: [number, ReturnType<typeof r>][]): { fired: number[]; state: TriggerState } {
  let state: TriggerState = {};
  const fired: number[] = [];
  for (const [at, result] of seq) {
    const step = observeTrigger(t, state, result, at);
    state = step.state;
    if (step.fire) fired.push(at);
  }
  return { fired, state };
}

describe('rollback triggers (pure)', () => {
  it('fires once the check has failed without a break for failingFor, and only once', () => {
    const seq: [number, ReturnType<typeof r>][] = [0, 60, 120, 180, 240, 299, 300, 360].map((s) => [s * 1000, r(s % 120 === 0 ? 'error' : 'unhealthy')]);
    expect(feed(health, seq).fired).toEqual([300_000]);
  });

  it('a healthy result in between starts the count again; insufficient data counts as not failing', () => {
    const seq: [number, ReturnType<typeof r>][] = [
      [0, r('unhealthy')],
      [200_000, r('unhealthy')],
      [250_000, r('healthy')],
      [260_000, r('unhealthy')],
      [500_000, r('unhealthy')],
      [520_000, r('insufficient')],
      [530_000, r('unhealthy')],
      [829_000, r('unhealthy')],
      [830_000, r('unhealthy')],
    ];
    expect(feed(health, seq).fired).toEqual([830_000]);
  });

  it('without failingFor it fires at the first failure; other checks are ignored; it re-arms after a recovery', () => {
    const spike = { ...health, name: 'spike', check: 'error-rate', failingForMs: 0 };
    const seq: [number, ReturnType<typeof r>][] = [
      [0, r('unhealthy', 'health')],
      [1000, r('unhealthy', 'error-rate')],
      [2000, r('unhealthy', 'error-rate')],
      [3000, r('healthy', 'error-rate')],
      [4000, r('error', 'error-rate')],
    ];
    expect(feed(spike, seq).fired).toEqual([1000, 4000]);
  });
});

describe('triggers: in a runbook', () => {
  const base = (triggers: string) => `version: 1
name: t
targets: { app: "http://127.0.0.1:1" }
checks:
  health: { every: 2s, http: { target: app, path: /health } }
  once: { http: { target: app, path: /x } }
actions:
  rollback: { script: { command: /bin/true } }
triggers:
${triggers}`;

  it('loads with defaults: action rollback, automatic, at the first failure', () => {
    const rb = parseRunbook(base('  down: { check: health }\n'), 'x.yaml', {});
    expect(rb.triggers).toEqual([{ name: 'down', title: 'down', check: 'health', failingForMs: 0, action: 'rollback', auto: true }]);
  });

  it('names the line and field of an unknown check, a check nobody polls, and an undeclared action', () => {
    let err: unknown;
    try {
      parseRunbook(base('  a: { check: helth }\n  b: { check: once, failingFor: 5m }\n  c: { check: health, action: rolback }\n'), 'x.yaml', {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RunbookError);
    const issues = (err as RunbookError).issues.map((i) => `${i.line} ${i.path}: ${i.message}`);
    expect(issues).toEqual([
      expect.stringMatching(/^10 triggers\.a\.check: no check named "helth" — did you mean "health"\?/),
      expect.stringMatching(/^11 triggers\.b\.check: check "once" has no every:/),
      expect.stringMatching(/^12 triggers\.c\.action: trigger "c" runs action "rolback", which is not declared — did you mean "rollback"\?/),
    ]);
  });
});

describe('rollback triggers on screen', () => {
  it('shows armed, failing for how long of the limit, and fired', async () => {
    const { triggerLine } = await import('../screens/presentation.js');
    expect(triggerLine(health, undefined, 0)).toEqual({ text: '✔ health-down armed → rollback', tone: 'ok' });
    expect(triggerLine(health, { since: 1000 }, 91_000)).toEqual({ text: '⚠ health-down failing 1:30 of 5:00 → rollback', tone: 'warn' });
    expect(triggerLine({ ...health, failingForMs: 0 }, { since: 0 }, 2000).text).toBe('⚠ health-down failing 0:02 → rollback');
    expect(triggerLine(health, { since: 0, fired: true }, 400_000)).toEqual({ text: '✘ health-down FIRED → rollback', tone: 'bad' });
  });
});
