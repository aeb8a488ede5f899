// Seed runbooks in a real terminal, through `opscockpit demo --system NAME`, as an operator
// at the keyboard would run them: the main failure, the remedy, and the day to completion.
import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tmux } from './support/tmux.js';
import { CONTROL_RUNBOOK } from '../src/session/controls.js';
import { bin, root } from './support/cli.js';

let tmux: Tmux | undefined;
afterEach(() => tmux?.kill());

interface LedgerDoc {
  runs: { runbook: string; status: string; events: { operator: string; body: Record<string, unknown> & { kind: string } }[] }[];
}
const ledgerDoc = (ledger: string): LedgerDoc => JSON.parse(execFileSync('node', [bin, 'ledger', '--ledger', ledger, '--json'], { encoding: 'utf8' }));
/** The runbook's runs, newest first: not the safety controls' own run (a stop, a lock after a rollback). */
const runsOf = (ledger: string) => ledgerDoc(ledger).runs.filter((r) => r.runbook !== CONTROL_RUNBOOK);

describe('seed runbooks in tmux (built binary, 120x40)', () => {
  it('seed 003: the emergency stop shows STOPPED with its remedy; cleared, the six steps run to the end', async () => {
    const ledger = join(mkdtempSync(join(tmpdir(), 'oc-e2e-daily-')), 'ledger.db');
    tmux = new Tmux();
    tmux.start(`node ${bin} demo --system daily-ops --ledger ${ledger}`, { cwd: root, env: { OPSCOCKPIT_OPERATOR: 'night-shift' } });
    await tmux.waitFor((s) => s.includes('Daily Ops (seed 003)') && s.includes('preflight 0/4') && s.includes('MOCK_ONLY'), 'the daily ops cockpit');

    tmux.send('f'); // the system's emergency stop goes on
    await tmux.waitFor((s) => s.includes('emergency stop on'), 'the fault notice');
    tmux.send('Enter');
    let screen = await tmux.waitFor((s) => s.includes('STOPPED — remedy'), 'the failure class and its remedy');
    expect(screen).toMatch(/✘ 1\. Emergency stop is off/);
    expect(screen).toContain('1. Read the stop reason');

    tmux.send('f'); // cleared
    await tmux.waitFor((s) => s.includes('Demo fault cleared'), 'the stop cleared');
    tmux.send('r');
    await tmux.waitFor((s) => s.includes('preflight 1/4'), 'step 1 passes on retry');
    for (const n of [2, 3, 4]) {
      tmux.send('Enter');
      await tmux.waitFor((s) => s.includes(`preflight ${n}/4`) || (n === 4 && s.includes('postflight 0/1')), `step ${n}`);
    }
    await tmux.confirmAction('o', 'ops');
    await tmux.waitFor((s) => s.includes('ops_cycle status=ok mode=MOCK_ONLY'), 'the ops cycle output');
    tmux.send('Enter');
    screen = await tmux.waitFor((s) => s.includes('all phases complete'), 'step 6 and the end of the day');
    expect(screen).toContain('SUCCEEDED');

    tmux.send('q');
    await tmux.waitFor(() => tmux!.paneDead(), 'the cockpit to exit');
    const run = runsOf(ledger)[0];
    expect(run.status).toBe('succeeded');
    const kinds = run.events.map((e) => e.body.kind);
    expect(kinds).toContain('step.retried');
    expect(kinds.indexOf('action.completed')).toBeGreaterThan(kinds.lastIndexOf('step.retried'));
    expect(run.events.find((e) => e.body.kind === 'step.result' && (e.body.result as { failure?: { class: string } }).failure)?.body).toMatchObject({ step: 'emergency-stop', result: { failure: { class: 'STOPPED' } } });
    expect(run.events.every((e) => e.operator === 'night-shift')).toBe(true);
  });

  it('seed 000: a bad release on main fails the smoke gate (NO-GO); R rolls back to the known-good SHA and the gate goes green', async () => {
    const ledger = join(mkdtempSync(join(tmpdir(), 'oc-e2e-newsbot-')), 'ledger.db');
    const secret = 'nb-e2e-token-88d2';
    tmux = new Tmux();
    tmux.start(`node ${bin} demo --system newsbot --ledger ${ledger}`, { cwd: root, env: { OPSCOCKPIT_OPERATOR: 'cto', NEWSBOT_TEST_TOKEN: secret } });
    await tmux.waitFor((s) => s.includes('News bot release (seed 000)') && s.includes('preflight 0/4'), 'the news bot cockpit');
    tmux.send('Enter');
    await tmux.waitFor((s) => s.includes('preflight 1/4'), 'git alignment');
    tmux.send('Enter');
    await tmux.waitFor((s) => s.includes('preflight 2/4'), 'the backlog gate');
    tmux.send('Enter');
    let screen = await tmux.waitFor((s) => s.includes('SMOKE_GATE_FAILED') && s.includes('NO-GO'), 'the smoke gate failure and NO-GO');
    expect(screen).toContain('failed=index_cta_opens_auth');

    await tmux.confirmAction('R', 'rollback');
    screen = await tmux.waitFor((s) => s.includes('ROLLED BACK') && s.includes('rollback status=ok'), 'the rollback outcome');
    expect(screen).toMatch(/smoke \S+=pass/); // the smoke after the rollback, in the action pane's tail
    await tmux.waitFor((s) => /smoke-gate: healthy/.test(s), 'the live smoke gate green again');
    expect(tmux.capture()).not.toContain(secret);

    tmux.send('q');
    await tmux.waitFor(() => tmux!.paneDead(), 'the cockpit to exit');
    const run = runsOf(ledger)[0];
    expect(run.status).toBe('rolled_back');
    const done = run.events.find((e) => e.body.kind === 'action.completed' && e.body.action === 'rollback')!;
    expect(done.body).toMatchObject({ status: 'succeeded' });
    expect(String(done.body.output)).toMatch(/rollback status=ok to=[0-9a-f]{7}/);
    expect(String(done.body.output)).toContain('smoke index_cta_opens_auth_overlay=pass');
  });

  it('a Markdown seed opened as it is (seed 004): its steps in order, its shell block waiting for Enter, the record kept', async () => {
    const ledger = join(mkdtempSync(join(tmpdir(), 'oc-e2e-md-')), 'ledger.db');
    const file = join(root, 'fixtures', 'runbooks', 'seeds', 'talkative-release.md');
    tmux = new Tmux();
    tmux.start(`node ${bin} open ${file} --ledger ${ledger}`, { cwd: root, env: { OPSCOCKPIT_OPERATOR: 'releaser' } });
    let screen = await tmux.waitFor((s) => s.includes('Release Runbook + Rollback Checklist') && s.includes('preflight 0/16'), 'the Markdown runbook in the cockpit');
    expect(screen).toMatch(/› ○ Main branch green in CI\. manual/);
    expect(screen).toContain('GET /health'); // the smoke checks, proposed from the text
    for (let n = 1; n <= 5; n++) {
      tmux.send('Enter');
      await tmux.waitFor((s) => s.includes(`preflight ${n}/16`), `precondition ${n} confirmed`);
    }
    // The fenced npm block is a script step that runs only on the operator's Enter: not yet.
    screen = await tmux.waitFor((s) => /› ○ Run: npm install \(\+3 more\) script, runs on Enter/.test(s), 'the shell block as the next step');
    expect(screen).toContain('press Enter to run');

    tmux.send('q');
    await tmux.waitFor(() => tmux!.paneDead(), 'the cockpit to exit');
    const run = runsOf(ledger)[0];
    expect(run.status).toBe('running'); // unfinished: the next open resumes it
    const confirmed = run.events.filter((e) => e.body.kind === 'step.confirmed').map((e) => e.body.step);
    expect(confirmed).toEqual(['release-preconditions-1', 'release-preconditions-2', 'release-preconditions-3', 'release-preconditions-4', 'release-preconditions-5']);
    expect(run.events.some((e) => e.body.step === 'pre-release-checklist-1' && e.body.kind !== 'step.started')).toBe(false);
    expect(run.events.every((e) => e.operator === 'releaser')).toBe(true);
  });
});
