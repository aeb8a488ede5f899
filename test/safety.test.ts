// Safety controls, tried the way a person would try to get past them: through the headless
// command (the built binary) and through the cockpit's own intents, on one real ledger.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decideAction, decideApproval, initialSafety, applyControl, type SafetyPolicy } from '../src/engine/safety.js';
import { openLedger } from '../adapters/ledger.js';
import { loadRunbook } from '../src/runbook/load.js';
import { openSession, type Session } from '../src/session/session.js';
import { SqliteStore } from '../adapters/sqlite-store.js';
import { cli } from './support/cli.js';
import { waitFor } from './support/cockpit.js';

const SCOPES = 'ops:read,deploy:abort,deploy:ops-cycle,deploy:force';

function dailyOps(opts: { ttl?: string; mode?: string } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'oc-safety-'));
  const file = join(dir, 'daily-ops.yaml');
  writeFileSync(
    file,
    `version: 1
name: Daily ops (seed 003)
safety:
  mode: ${opts.mode ?? 'DRY_RUN'}
  allowlist: [ops-cycle, abort]
  window: { ttl: ${opts.ttl ?? '15m'}, approvals: 2 }
actions:
  ops-cycle:
    title: Run the daily ops cycle
    script: { command: bash, args: [-c, 'echo real >> ran.txt; echo ops cycle done'] }
    mock: { command: bash, args: [-c, 'echo mock >> ran.txt; echo mock cycle done'] }
  abort:
    title: Abort
    script: { command: bash, args: [-c, 'echo abort >> ran.txt'] }
  force:
    title: Force REAL by hand
    type: force-real
    script: { command: bash, args: [-c, 'echo forced >> ran.txt'] }
`,
  );
  const ledger = join(dir, 'ledger.db');
  const ran = () => (existsSync(join(dir, 'ran.txt')) ? readFileSync(join(dir, 'ran.txt'), 'utf8').trim().split('\n') : []);
  const as = (operator: string, scopes = SCOPES): NodeJS.ProcessEnv => ({ OPSCOCKPIT_OPERATOR: operator, OPSCOCKPIT_ALLOW_SCOPES: scopes });
  const act = (action: string, env = as('alice')) => cli(['act', file, action, '--yes', '--ledger', ledger], { env });
  const events = () => {
    const l = openLedger(ledger);
    try {
      return l.listRuns(100).flatMap((r) => l.events(r.runId).map((e) => ({ ...e.body, operator: e.operator })));
    } finally {
      l.close();
    }
  };
  return { dir, file, ledger, ran, as, act, events };
}

describe('safety decisions (pure)', () => {
  const policy: SafetyPolicy = { guarded: true, initialMode: 'REAL_ENABLED', windowTtlMs: 1000, approvals: 2 };
  const req = { action: 'promote', type: 'promote', scope: 'deploy:promote', scopes: new Set(['deploy:promote']), needsPreflight: false, preflightGo: false, now: 100 };

  it('stop beats everything, then scopes, allowlist, preflight, window and approvals, in that order', () => {
    let s = initialSafety(policy);
    expect(decideAction(policy, s, req)).toMatchObject({ allowed: false, failure: 'WINDOW_NOT_ACTIVE' });
    expect(decideAction(policy, s, { ...req, scopes: new Set() })).toMatchObject({ failure: 'SCOPE_MISSING' });
    expect(decideAction({ ...policy, allowlist: ['abort'] }, s, req)).toMatchObject({ failure: 'ALLOWLIST_VIOLATION' });
    expect(decideAction(policy, s, { ...req, needsPreflight: true })).toMatchObject({ failure: 'PREFLIGHT_FAIL' });
    s = applyControl(s, { kind: 'control.window', id: 'w1', ttlMs: 1000, expiresAt: 1000 }, 'alice', 0);
    expect(decideAction(policy, s, req)).toMatchObject({ failure: 'APPROVAL_MISSING' });
    expect(decideApproval(policy, s, 'alice', 10)).toMatchObject({ ok: false });
    s = applyControl(s, { kind: 'control.approval', window: 'w1' }, 'bob', 10);
    expect(decideApproval(policy, s, 'bob', 10)).toMatchObject({ ok: false });
    s = applyControl(s, { kind: 'control.approval', window: 'w1' }, 'carol', 10);
    expect(decideAction(policy, s, req)).toEqual({ allowed: true, mode: 'REAL_ENABLED', consumesWindow: 'w1' });
    expect(decideAction(policy, s, { ...req, now: 1000 })).toMatchObject({ failure: 'WINDOW_NOT_ACTIVE', reason: expect.stringContaining('expired') });
    const stopped = applyControl(s, { kind: 'control.stop', on: true, reason: 'db failover' }, 'dave', 20);
    expect(decideAction(policy, stopped, req)).toMatchObject({ failure: 'STOPPED', reason: expect.stringContaining('db failover') });
    const used = applyControl(s, { kind: 'control.consumed', window: 'w1', action: 'promote', runId: 'r' }, 'alice', 30);
    expect(decideAction(policy, used, req)).toMatchObject({ failure: 'WINDOW_NOT_ACTIVE', reason: expect.stringContaining('used by promote') });
  });
});

describe('safety controls through `opscockpit act` and the cockpit', () => {
  it('default deny: an operator without the scope is refused, exit 3, and the refusal is recorded', async () => {
    const t = dailyOps({ mode: 'REAL_ENABLED' });
    const r = await t.act('abort', { OPSCOCKPIT_OPERATOR: 'alice' });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/SCOPE_MISSING: abort needs scope deploy:abort; this operator has no scopes \(read-only\)/);
    expect(r.stderr).toMatch(/remedy: /);
    expect(t.ran()).toEqual([]);
    expect(t.events()).toContainEqual(expect.objectContaining({ kind: 'action.refused', action: 'abort', failure: 'SCOPE_MISSING', operator: 'alice' }));
  });

  it('the emergency stop refuses every action until it is turned off with a reason; both are recorded', async () => {
    const t = dailyOps({ mode: 'MOCK_ONLY' });
    // Nothing has recorded there yet: the stop is still set, and says the ledger is new.
    const on = await cli(['stop', 'on', '--ledger', t.ledger], { env: t.as('dave') });
    expect(on.code).toBe(0);
    expect(on.stderr).toContain(`warning: no ledger was at ${t.ledger}; a new one is made. A cockpit sees this only if it uses this ledger`);
    const r = await t.act('abort');
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/STOPPED: the emergency stop is on.*\(by dave\)/);
    // The cockpit's key goes through the same controls.
    const l = openLedger(t.ledger);
    const session = await openSession({ runbook: loadRunbook(t.file, {}), ledger: new SqliteStore(l, t.ledger), ledgerPath: t.ledger, env: { PATH: process.env.PATH, ...t.as('erin') } });
    session.command('action.abort');
    session.type('abort');
    session.submit();
    await waitFor(() => /abort refused/.test(session.store.getState().flash?.text ?? ''), 'the refusal');
    expect(session.store.getState().flash?.text).toMatch(/abort refused — STOPPED/);
    expect(session.store.getState().controls?.stop).toMatchObject({ on: true, by: 'dave' });
    await session.stop(); // the cockpit closed: the next act may drive the run
    l.close();
    const off = await cli(['stop', 'off', '--ledger', t.ledger], { env: t.as('dave') });
    expect(off.code).toBe(1);
    expect(off.stderr).not.toContain('warning'); // the ledger is there now
    // Where no ledger can be made, only the error: no "a new one is made" before it.
    const blocked = await cli(['stop', 'on', '--ledger', join(t.file, 'l.db')], { env: t.as('dave') });
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toMatch(/^opscockpit: cannot open ledger .*\n$/);
    expect(off.stderr).toContain('needs --reason');
    // Turning it on needed no scope (dave has none of the controls'); turning it off needs its own.
    const refused = await cli(['stop', 'off', '--reason', 'replica caught up', '--ledger', t.ledger], { env: t.as('dave') });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('refused by SCOPE_MISSING: turning the emergency stop off needs scope safety:stop-off; this operator has ops:read');
    expect(refused.stderr).toContain('remedy: run as an operator whose OPSCOCKPIT_ALLOW_SCOPES includes safety:stop-off');
    expect((await t.act('abort')).code).toBe(3); // still on
    expect(t.events()).toContainEqual(expect.objectContaining({ kind: 'control.refused', what: 'emergency stop off', failure: 'SCOPE_MISSING', operator: 'dave' }));
    expect((await cli(['stop', 'off', '--reason', 'replica caught up', '--ledger', t.ledger], { env: t.as('dave', `${SCOPES},safety:stop-off`) })).code).toBe(0);
    expect((await t.act('abort')).code).toBe(0);
    expect(t.ran()).toEqual([]); // MOCK_ONLY and abort has no mock: nothing ran
    const kinds = t.events().filter((e) => e.kind === 'control.stop');
    expect(kinds).toEqual([expect.objectContaining({ on: true, operator: 'dave' }), expect.objectContaining({ on: false, reason: 'replica caught up' })]);
    expect(t.events().filter((e) => e.kind === 'action.refused')).toHaveLength(3);
  });

  it('DRY_RUN shows exactly what would run and runs nothing; MOCK_ONLY runs the mock', async () => {
    const t = dailyOps();
    const dry = await t.act('ops-cycle');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("would run: bash -c 'echo real >> ran.txt; echo ops cycle done'");
    expect(dry.stdout).toContain('DRY_RUN: nothing ran');
    expect(t.ran()).toEqual([]);
    const refused = await cli(['mode', 'REAL_ENABLED', '--reason', 'rehearsal', '--runbook', t.file, '--ledger', t.ledger], { env: t.as('alice') });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('refused by SCOPE_MISSING: changing the mode needs scope safety:mode');
    expect(t.events()).toContainEqual(expect.objectContaining({ kind: 'control.refused', what: 'mode REAL_ENABLED', failure: 'SCOPE_MISSING', operator: 'alice' }));
    expect(t.events().filter((e) => e.kind === 'control.mode')).toEqual([]);
    expect((await cli(['mode', 'MOCK_ONLY', '--reason', 'rehearsal', '--runbook', t.file, '--ledger', t.ledger], { env: t.as('alice', `${SCOPES},safety:mode`) })).code).toBe(0);
    const mock = await t.act('ops-cycle');
    expect(mock.code).toBe(0);
    expect(mock.stdout).toContain('mock cycle done');
    expect(t.ran()).toEqual(['mock']);
  });

  it('REAL_ENABLED needs an approved window from two other operators; one real action uses it up', async () => {
    const t = dailyOps({ mode: 'REAL_ENABLED' });
    const none = await t.act('ops-cycle');
    expect(none.code).toBe(3);
    expect(none.stderr).toMatch(/WINDOW_NOT_ACTIVE/);
    const win = (verb: string, who: string) => cli(['window', verb, '--runbook', t.file, '--ledger', t.ledger], { env: t.as(who) });
    expect((await win('request', 'alice')).code).toBe(0);
    const pending = await t.act('ops-cycle');
    expect(pending.stderr).toMatch(/APPROVAL_MISSING: window w-[0-9a-f]+ has 0 of 2 approvals/);
    const self = await win('approve', 'alice');
    expect(self.code).toBe(3);
    expect(self.stderr).toMatch(/cannot approve it too \(two-person rule\)/);
    expect((await win('approve', 'bob')).code).toBe(0);
    const twice = await win('approve', 'bob');
    expect(twice.stderr).toMatch(/already approved/);
    expect((await t.act('ops-cycle')).stderr).toMatch(/1 of 2 approvals/);
    expect((await win('approve', 'carol')).code).toBe(0);
    const real = await t.act('ops-cycle');
    expect(real.code).toBe(0);
    expect(t.ran()).toEqual(['real']);
    const again = await t.act('ops-cycle');
    expect(again.code).toBe(3);
    expect(again.stderr).toMatch(/WINDOW_NOT_ACTIVE: .*used by ops-cycle/);
    expect(t.ran()).toEqual(['real']);
    expect(t.events().filter((e) => e.kind === 'control.refused')).toHaveLength(2);
  });

  it('window status only reads: with no ledger there it says so and makes none', async () => {
    const t = dailyOps({ mode: 'REAL_ENABLED' });
    const r = await cli(['window', 'status', '--runbook', t.file, '--ledger', t.ledger], { env: t.as('alice') });
    expect(r.code).toBe(1);
    // --ledger was given: the hint is to check it, not to give it.
    expect(r.stderr).toContain(`no ledger at ${t.ledger}: check the path given with --ledger (a ledger is made by the first command that records, such as open or run).`);
    expect(existsSync(t.ledger)).toBe(false);
    const byRunbook = await cli(['window', 'status', '--runbook', t.file], { env: t.as('alice') });
    expect(byRunbook.code).toBe(1);
    expect(byRunbook.stderr).toMatch(/no ledger at .*, the ledger of the runbook given with --runbook: nothing has been recorded for it there yet, or give the ledger with --ledger PATH\./);
    expect((await cli(['window', 'request', '--runbook', t.file, '--ledger', t.ledger], { env: t.as('alice') })).code).toBe(0);
    const after = await cli(['window', 'status', '--runbook', t.file, '--ledger', t.ledger], { env: t.as('alice') });
    expect(after.stdout).toMatch(/^mode REAL_ENABLED · stop off · window w-[0-9a-f]+ /);
  });

  it('a window expires after its TTL', async () => {
    const t = dailyOps({ mode: 'REAL_ENABLED', ttl: '1500ms' });
    const win = (verb: string, who: string) => cli(['window', verb, '--runbook', t.file, '--ledger', t.ledger], { env: t.as(who) });
    await win('request', 'alice');
    await win('approve', 'bob');
    await win('approve', 'carol');
    await new Promise((r) => setTimeout(r, 1600));
    const late = await t.act('ops-cycle');
    expect(late.code).toBe(3);
    expect(late.stderr).toMatch(/WINDOW_NOT_ACTIVE: .*expired/);
    expect(t.ran()).toEqual([]);
  });

  it('an action type outside the allowlist is refused', async () => {
    const t = dailyOps({ mode: 'REAL_ENABLED' });
    const r = await t.act('force');
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/ALLOWLIST_VIOLATION: action type "force-real" is not in the allowlist/);
  });

  it('without a terminal and without --yes, act asks for --yes instead of running', async () => {
    const t = dailyOps();
    const r = await cli(['act', t.file, 'abort', '--ledger', t.ledger], { env: t.as('alice') });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('pass --yes');
  });
});
