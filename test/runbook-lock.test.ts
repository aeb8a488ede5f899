// The lock after a rollback as pure decisions (engine/safety.ts): folded from control events,
// it refuses forward work on its runbook only, never abort or rollback, and says who and when.
import { describe, expect, it } from 'vitest';
import { applyControl, decideAction, initialSafety, lockedText, type ActionRequest, type SafetyPolicy } from '../src/engine/safety.js';

const policy: SafetyPolicy = { guarded: false, initialMode: 'REAL_ENABLED', windowTtlMs: 0, approvals: 2 };
const AT = Date.UTC(2026, 11, 7, 10, 42, 5);
const request = (action: string, type = action, runbook = '/rb/ship.yaml'): ActionRequest => ({
  action, type, runbook: [runbook], scope: 'deploy', scopes: new Set(['deploy']), needsPreflight: false, preflightGo: false, now: AT + 1000,
});

describe('the runbook lock after a rollback', () => {
  const locked = applyControl(initialSafety(policy), { kind: 'control.lock', runbook: '/rb/ship.yaml', runId: 'r1', action: 'rollback' }, 'alice', AT);

  it('refuses forward work on its runbook, with who and when, and never abort or rollback', () => {
    expect(decideAction(policy, locked, request('promote'))).toEqual({
      allowed: false, failure: 'LOCKED', reason: 'promote refused: locked after the rollback at 10:42 by alice: unlock with a reason', remedy: expect.stringContaining('opscockpit unlock RUNBOOK --reason'),
    });
    // A confirm-first step is forward work too; a custom action typed as a rollback is not.
    expect(decideAction(policy, locked, request('deploy-block', 'step'))).toMatchObject({ allowed: false, failure: 'LOCKED' });
    for (const [name, type] of [['abort', 'abort'], ['rollback', 'rollback'], ['abort_on_gate_fail', 'abort'], ['undo-db', 'rollback']]) {
      expect(decideAction(policy, locked, request(name, type))).toMatchObject({ allowed: true });
    }
    expect(decideAction(policy, locked, request('promote', 'promote', '/rb/other.yaml'))).toMatchObject({ allowed: true });
  });

  it('holds for a runbook by any of its names: its key, or the path an older ledger locked it under', () => {
    const names = (...runbook: string[]) => ({ ...request('promote'), runbook });
    expect(decideAction(policy, locked, names('github.com/org/ops/ship.yaml', '/rb/ship.yaml'))).toMatchObject({ allowed: false, failure: 'LOCKED' });
    const byKey = applyControl(initialSafety(policy), { kind: 'control.lock', runbook: 'github.com/org/ops/ship.yaml', runId: 'r2', action: 'rollback' }, 'alice', AT);
    expect(decideAction(policy, byKey, names('github.com/org/ops/ship.yaml', '/Users/bob/ops/ship.yaml'))).toMatchObject({ allowed: false, failure: 'LOCKED' });
    expect(decideAction(policy, byKey, names('github.com/org/ops/other.yaml', '/rb/ship.yaml'))).toMatchObject({ allowed: true });
  });

  it('the emergency stop still comes first; an unlock lifts the lock', () => {
    const stopped = applyControl(locked, { kind: 'control.stop', on: true, reason: 'pager' }, 'bob', AT);
    expect(decideAction(policy, stopped, request('promote'))).toMatchObject({ failure: 'STOPPED' });
    const unlocked = applyControl(locked, { kind: 'control.unlock', runbook: '/rb/ship.yaml', reason: 'fixed' }, 'bob', AT + 5);
    expect(unlocked.locks).toEqual({});
    expect(decideAction(policy, unlocked, request('promote'))).toMatchObject({ allowed: true });
    expect(lockedText(locked.locks!['/rb/ship.yaml'])).toBe('locked after the rollback at 10:42 by alice: unlock with a reason');
  });
});
