// The release ledger screen in ink-testing-library: the real session, store and keymap, a real
// SQLite ledger holding earlier runs. Keys go through Ink's own parsing.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadRunbook } from '../src/runbook/load.js';
import type { SqliteLedger } from '../adapters/ledger.js';
import type { RunStatus } from '../src/engine/ports.js';
import { mountCockpit, unmountAll, type Mounted } from './support/mount.js';
import { waitFor } from './support/cockpit.js';

const KEY = { up: '\u001b[A', down: '\u001b[B', right: '\u001b[C', left: '\u001b[D', esc: '\u001b', tab: '\t', backspace: '\u007f' };
const T0 = Date.UTC(2026, 10, 20, 8, 0, 0);
const STATUSES: Exclude<RunStatus, 'running'>[] = ['succeeded', 'failed', 'aborted', 'rolled_back'];

afterEach(() => unmountAll());

function runbookFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'oc-ledger-screen-'));
  writeFileSync(join(dir, 'ok.sh'), '#!/bin/sh\necho ok\n', { mode: 0o755 });
  const file = join(dir, 'release.yaml');
  writeFileSync(
    file,
    ['version: 1', 'name: Billing cutover', 'release: { type: cutover, branch: main }', 'checklists:', '  preflight:', '    - { id: rbac, title: RBAC scopes, manual: true }', 'actions:', '  abort: { script: { command: ./ok.sh } }', ''].join('\n'),
  );
  return file;
}

/** 40 earlier runs an hour apart; every 4th a hotfix; run 37 failed with a NO-GO, a long abort output and 20 notes. */
function fillEarlierRuns(ledger: SqliteLedger): void {
  for (let i = 0; i < 40; i++) {
    const at = T0 + i * 3_600_000;
    const type = i % 4 === 1 ? 'hotfix' : 'cutover';
    const run = ledger.startRun({ runbook: '/srv/earlier.yaml', name: `Earlier ${i}`, releaseType: type, branch: i % 2 ? 'main' : 'release/7' }, at);
    const op = i % 3 ? 'dana' : 'eli';
    ledger.append(run.runId, op, { kind: 'run.started', runbook: '/srv/earlier.yaml', name: `Earlier ${i}` }, at);
    if (i === 37) {
      ledger.append(run.runId, op, { kind: 'verdict.changed', verdict: 'NO-GO', phase: 'preflight', reasons: ['Judge readiness (/readyz): expected 200, got 503'] }, at + 1000);
      for (let k = 0; k < 20; k++) ledger.append(run.runId, op, { kind: 'step.note', phase: 'preflight', step: 'rbac', note: `note ${k}` }, at + 2000 + k);
      ledger.append(run.runId, op, { kind: 'action.requested', action: 'abort', confirmedWith: 'abort' }, at + 3000);
      ledger.append(run.runId, op, { kind: 'action.completed', action: 'abort', status: 'succeeded', reason: 'exit 0', output: 'draining traffic\nstage → stable\nabort complete\n', durationMs: 4200 }, at + 7200);
    }
    ledger.completeRun(run.runId, i === 37 ? 'failed' : STATUSES[i % 4], at + 600_000);
  }
}

async function open(): Promise<Mounted & { press(keys: string | string[], until: (f: string) => boolean, what: string): Promise<string> }> {
  const env = { PATH: process.env.PATH, OPSCOCKPIT_OPERATOR: 'tester' };
  const m = await mountCockpit(loadRunbook(runbookFile(), env), { env });
  fillEarlierRuns(m.ledger);
  const press = async (keys: string | string[], until: (f: string) => boolean, what: string) => {
    for (const k of Array.isArray(keys) ? keys : [keys]) m.app.stdin.write(k);
    return waitFor(() => until(m.frame()) && m.frame(), what);
  };
  await press('l', (f) => f.includes('Release ledger'), 'the ledger screen');
  return Object.assign(m, { press });
}

describe('release ledger screen', () => {
  it('opens from the cockpit with status counts, a page of runs newest first, and pages on', async () => {
    const m = await open();
    const f = m.frame();
    expect(f).toContain('running 1 · succeeded 10 · failed 10 · aborted 10 · rolled back 10');
    expect(f).toContain('page 1 of 3 · 41 runs');
    // 100 columns: the events and operator columns make way for what happened.
    expect(f).toMatch(/RUN +STATUS +TYPE +BRANCH +STARTED +DURATION +WHAT HAPPENED/);
    expect(f).not.toContain('Checklist');
    // This cockpit's own run is first, then the earlier ones, newest first.
    const rows = f.split('\n').filter((l) => /^│ [ >] r-\d{8}-\d{6}-/.test(l));
    expect(rows).toHaveLength(15);
    expect(rows[0]).toMatch(/^│ > r-\S+ +running +cutover +main /);
    expect(rows[1]).toMatch(/ rolled back +cutover +main +11-21 23:00 +10 min +Earlier 39/);
    expect(rows[3]).toMatch(/ failed +hotfix +main +11-21 21:00 +10 min +abort succeeded/);
    expect(f).toContain('← prev · → next · Space expand · / filter · Tab status · Esc back');

    await m.press(KEY.right, (x) => x.includes('page 2 of 3'), 'page 2');
    await m.press(KEY.right, (x) => x.includes('page 3 of 3'), 'page 3');
    expect(m.frame()).toContain('11-20 08:00');
    await m.press(KEY.left, (x) => x.includes('page 2 of 3'), 'back to page 2');
  });

  it('filters by status with Tab and by type, branch and dates typed after /; a bad filter is named', async () => {
    const m = await open();
    for (const status of ['running', 'succeeded', 'failed']) await m.press(KEY.tab, (f) => f.includes(`filter: status:${status} `), `status ${status}`);
    expect(m.frame()).toContain('page 1 of 1 · 10 runs');

    await m.press('/', (f) => f.includes('filter> status:failed'), 'the filter line, filled in');
    await m.press(' type:hotfix branch:main since:2026-11-21', (f) => f.includes('since:2026-11-21'), 'typed');
    await m.press('\r', (f) => f.includes('filter: status:failed type:hotfix branch:main since:2026-11-21T00:00'), 'the filter applied');
    const rows = m.frame().split('\n').filter((l) => /^│ [ >] r-\d{8}-\d{6}-/.test(l));
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row).toMatch(/ failed +hotfix +main +11-2[12] /);

    await m.press('/', (f) => f.includes('filter> '), 'the filter line again');
    await m.press(' when:now', (f) => f.includes('when:now'), 'typed');
    await m.press('\r', (f) => f.includes('"when:now" is not a filter: use status:S type:T branch:B since:DATE until:DATE'), 'the error');
    await m.press(KEY.esc, (f) => !f.includes('filter> '), 'cancelled');
    expect(m.frame()).toContain('filter: status:failed type:hotfix');

    await m.press('/', (f) => f.includes('filter> '), 'the filter line');
    for (let i = 0; i < 80; i++) m.app.stdin.write(KEY.backspace);
    await m.press('\r', (f) => f.includes('filter: none (every run)') && f.includes('41 runs'), 'every run again');
  });

  it('a run expands to every event with time, operator, step, verdict, reasons and action output; Esc folds, then closes', async () => {
    const m = await open();
    for (let i = 0; i < 3; i++) m.app.stdin.write(KEY.down);
    await waitFor(() => /> r-\S+ +failed +hotfix/.test(m.frame()), 'the failed run selected');
    const f = await m.press(' ', (x) => x.includes('Earlier 37: FAILED'), 'the run expanded');
    expect(f).toContain('type hotfix · branch main');
    expect(f).toMatch(/started 2026-11-21 21:00:00 UTC by dana · completed 2026-11-21 21:10:00 UTC \(10 min\) · 24 events/);
    expect(f).toMatch(/21:00:01\.000 #2 +dana +verdict NO-GO — Judge readiness/);
    expect(f).toContain('reason: Judge readiness (/readyz): expected 200, got 503');
    expect(f).toMatch(/#3 +dana +rbac: note — note 0/);
    const later = await m.press([KEY.right, KEY.right], (x) => x.includes('events from #17'), 'two pages on');
    expect(later).toMatch(/#24 +dana +abort succeeded — exit 0/);
    expect(later).toContain('outcome: succeeded · took 4.2 s');
    expect(later).toContain('| stage → stable');
    expect(later).toContain('| abort complete');
    await m.press(KEY.up, (x) => x.includes('events from #16'), 'one event back');

    // Enter belongs to the checklist, which is not on this screen: nothing is confirmed.
    m.app.stdin.write('\r');
    await m.press(KEY.esc, (x) => x.includes('WHAT HAPPENED') && !x.includes('Earlier 37: FAILED'), 'folded');
    await m.press(KEY.esc, (x) => x.includes('Checklist'), 'back to the cockpit');
    expect(m.frame()).toContain('preflight 0/1');
  });

  it('shows what other processes record while it is open', async () => {
    const m = await open();
    const run = m.ledger.startRun({ runbook: '/srv/other.yaml', name: 'Other operator', releaseType: 'rollback', branch: 'main' }, Date.now());
    m.ledger.append(run.runId, 'fay', { kind: 'run.started', runbook: '/srv/other.yaml', name: 'Other operator' }, Date.now());
    await waitFor(() => m.frame().includes('42 runs') && m.frame().includes('running 2'), 'the new run on the screen', 5000);
    expect(m.frame()).toMatch(/running +rollback +main .* Other operator/);
  });

  it('the help overlay lists the ledger keys from the registry', async () => {
    const m = await open();
    const f = await m.press('?', (x) => x.includes('Help — keys'), 'help');
    expect(f).toContain('Ledger');
    expect(f).toContain('Ledger: filter by status, type, branch and dates (typed)');
    expect(f).toMatch(/Space +Ledger: expand the selected run/);
  });
});
