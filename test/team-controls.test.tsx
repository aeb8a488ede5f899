// The team's controls in the cockpit, on the real PostgreSQL server (alice, bob and carol as
// logins) and on SQLite: the release stage kept in the ledger and moved live in every cockpit,
// a pending real-enable window approved from another cockpit with its key, and the runbook
// locked after a rollback until someone unlocks it with a reason.
import { afterEach, describe, expect, inject, it } from 'vitest';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { openPgLedger, type PgLedger } from '../adapters/pg-ledger.js';
import { loadRunbook } from '../src/runbook/load.js';
import { waitFor } from './support/cockpit.js';
import { pgLedgerDatabase } from './support/ledger-stores.js';
import { mountCockpit, mountCockpitOn, unmountAll } from './support/mount.js';
import { cli } from './support/cli.js';
import { CONTROL_RUNBOOK } from '../src/session/controls.js';
import { shipYaml } from './support/runbook-text.js';

const SCOPES = 'deploy:promote,deploy:rollback';
const STAGE_ENV = { OPSCOCKPIT_STAGE_KEY: Buffer.alloc(32, 5).toString('base64') };

/** A runbook with one automatic step, promote (no preflight needed) and rollback; `safety` for a guarded one. */
function runbookFile(safety = ''): string {
  const file = join(mkdtempSync(join(tmpdir(), 'oc-teamctl-')), 'ship.yaml');
  writeFileSync(
    file,
    shipYaml(['  promote:', '    title: Promote', '    preflight: false', '    script: { command: /bin/true }', '  rollback:', '    title: Roll back', '    script: { command: /bin/true }'], safety),
  );
  return file;
}

const open: PgLedger[] = [];
afterEach(async () => {
  await unmountAll();
  for (const l of open.splice(0)) await l.close();
});

async function pgCockpit(url: string, file: string, extra: NodeJS.ProcessEnv = {}) {
  const store = await openPgLedger(url);
  open.push(store);
  return mountCockpitOn(loadRunbook(file, {}), store, url, { env: { PATH: process.env.PATH, OPSCOCKPIT_ALLOW_SCOPES: SCOPES, ...extra }, seat: 'join' });
}

/** The same runbook in another file: a run of its own beside alice's (one runbook's run has one driver). */
function copyOf(file: string): string {
  const other = join(mkdtempSync(join(tmpdir(), 'oc-teamctl-')), basename(file));
  copyFileSync(file, other);
  return other;
}

describe('the release stage on a PostgreSQL ledger', () => {
  it('is read from the ledger, moved by an action as a signed row by the login, and the move shows in every cockpit', async () => {
    const urls = await pgLedgerDatabase(inject('postgres'));
    const file = runbookFile();
    const alice = await pgCockpit(urls.alice, file, STAGE_ENV);
    const bob = await pgCockpit(urls.bob, copyOf(file), STAGE_ENV);
    for (const m of [alice, bob]) await waitFor(() => m.frame().includes('stage stable'), 'stable at first', 3000);
    expect(alice.session.store.getState().stage).toMatchObject({ stage: 'stable', signed: true, problem: 'missing' });

    const outcome = await alice.session.runAction('promote', 'promote');
    expect(outcome).toMatchObject({ status: 'succeeded' });
    expect(alice.session.store.getState().stage).toEqual({ stage: 'promoted', signed: true });
    const moved = Date.now();
    await waitFor(() => bob.frame().includes('stage promoted'), "the move on bob's cockpit", 3000);
    expect(Date.now() - moved).toBeLessThan(1000);

    const carol = await openPgLedger(urls.carol);
    open.push(carol);
    const { loadStageKeys } = await import('../adapters/stage-file.js');
    expect(await carol.stage.read(loadStageKeys(STAGE_ENV))).toMatchObject({ ok: true, stage: 'promoted', updatedBy: 'alice' });
    const events = await carol.events(alice.session.runId);
    expect(events.find((e) => e.body.kind === 'stage.changed')).toMatchObject({ operator: 'alice', body: { from: 'stable', to: 'promoted' } });
  });

  it('without stage keys it shows unsigned and writes nothing', async () => {
    const urls = await pgLedgerDatabase(inject('postgres'));
    const alice = await pgCockpit(urls.alice, runbookFile());
    expect(alice.session.store.getState().stage).toMatchObject({ stage: 'stable', signed: false, problem: 'unsigned' });
    await alice.session.runAction('promote', 'promote');
    expect(alice.session.store.getState().stage).toMatchObject({ stage: 'stable', problem: 'unsigned' });
    expect(await (open[0] as PgLedger).stage.latest()).toBeUndefined();
  });
});

describe('a pending real-enable window, approved from a cockpit', () => {
  it('PostgreSQL: shown live in every cockpit; the requester’s key is refused with the reason, bob’s counts once, and alice sees it approved', async () => {
    const urls = await pgLedgerDatabase(inject('postgres'));
    const file = runbookFile('safety:\n  mode: REAL_ENABLED\n  window: { ttl: 15m, approvals: 2 }\n');
    const alice = await pgCockpit(urls.alice, file);
    const bob = await pgCockpit(urls.bob, copyOf(file));
    for (const m of [alice, bob]) await waitFor(() => m.frame().includes('no real-enable window'), 'no window yet', 3000);

    const asked = await cli(['window', 'request', '--runbook', file, '--ledger', urls.alice]);
    expect(asked.code).toBe(0);
    const said = Date.now();
    for (const m of [alice, bob]) await waitFor(() => /window w-\w+ by alice for 15 min: 0 of 2 approvals · A approves/.test(m.frame()), 'the pending request', 3000).catch((e) => { throw new Error(e.message + '\n' + m.frame()); });
    expect(Date.now() - said).toBeLessThan(1000);

    alice.app.stdin.write('A');
    await waitFor(() => alice.frame().includes('Approval refused: alice requested window'), "alice's own approval refused", 3000);
    bob.app.stdin.write('A');
    await waitFor(() => bob.frame().includes('1 of 2 approvals (bob)'), "bob's approval on his cockpit", 3000);
    await waitFor(() => alice.frame().includes('1 of 2 approvals (bob)'), "bob's approval on alice's cockpit", 3000);
    bob.app.stdin.write('A');
    await waitFor(() => bob.frame().includes('Approval refused: bob already approved window'), 'bob twice counts once', 3000);

    // carol approves with the command; both cockpits show the window active.
    expect((await cli(['window', 'approve', '--runbook', file, '--ledger', urls.carol])).code).toBe(0);
    for (const m of [alice, bob]) await waitFor(() => /window w-\w+ ACTIVE/.test(m.frame()), 'the window active', 3000);
    const carol = await ledgerAs(urls.carol);
    const events = await carol.events((await carol.openRun(CONTROL_RUNBOOK))!.runId);
    expect(events.filter((e) => e.body.kind === 'control.approval').map((e) => e.operator)).toEqual(['bob', 'carol']);
    expect(events.filter((e) => e.body.kind === 'control.refused').map((e) => e.operator)).toEqual(['alice', 'bob']);
  });
});

describe('the runbook locked after a rollback', () => {
  async function lockedAfterRollback(m: Awaited<ReturnType<typeof pgCockpit>>) {
    const outcome = await m.session.runAction('rollback', 'rollback');
    expect(outcome).toMatchObject({ status: 'succeeded' });
    await waitFor(() => /LOCKED: locked after the rollback at \d\d:\d\d by \S+: unlock with a reason \(U\)/.test(m.frame()), 'the lock in the safety bar', 3000);
  }

  it('SQLite: a new run and forward actions are refused until unlocked with a reason; abort and rollback still run', async () => {
    const file = runbookFile();
    const env = { PATH: process.env.PATH, OPSCOCKPIT_OPERATOR: 'alice', OPSCOCKPIT_ALLOW_SCOPES: SCOPES };
    const m = await mountCockpit(loadRunbook(file, {}), { env });
    await lockedAfterRollback(m);
    expect(m.ledger.events(m.session.runId).at(-1)?.body).toMatchObject({ kind: 'run.completed', status: 'rolled_back' });

    const run = await cli(['run', file, '--ledger', m.ledgerPath], { env });
    expect(run.code).toBe(3); // refused by a control
    expect(run.stderr).toMatch(/runbook "Ship" is locked after the rollback at \d\d:\d\d by alice: unlock with a reason \(opscockpit unlock .*ship\.yaml --reason TEXT\)/);
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
    const promote = await cli(['act', file, 'promote', '--yes', '--ledger', m.ledgerPath], { env });
    expect(promote.code).not.toBe(0);
    expect(promote.stderr).toContain('is locked after the rollback');
    // Rollback itself is never held back by the lock.
    const rollback = await cli(['act', file, 'rollback', '--yes', '--ledger', m.ledgerPath], { env });
    expect(rollback.code).toBe(0);

    const noReason = await cli(['unlock', file, '--ledger', m.ledgerPath], { env });
    expect(noReason.code).toBe(1);
    expect(noReason.stderr).toContain('needs --reason');
    // Unlocking needs its scope: alice has none, and her try is recorded.
    const refused = await cli(['unlock', file, '--reason', 'looks fine to me', '--ledger', m.ledgerPath], { env });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain(`opscockpit: refused by SCOPE_MISSING: unlocking a runbook needs scope safety:unlock; this operator has ${SCOPES.replace(',', ', ')}\nremedy: run as an operator whose OPSCOCKPIT_ALLOW_SCOPES includes safety:unlock`);
    const bob = { ...env, OPSCOCKPIT_OPERATOR: 'bob', OPSCOCKPIT_ALLOW_SCOPES: `${SCOPES},safety:unlock` };
    const unlock = await cli(['unlock', file, '--reason', 'bad build found: v2.3.1 fixes it', '--ledger', m.ledgerPath], { env: bob });
    expect(unlock).toMatchObject({ code: 0, stdout: 'Ship unlocked: bad build found: v2.3.1 fixes it\n' });
    await waitFor(() => !m.frame().includes('LOCKED: locked after'), 'the lock gone from the cockpit', 3000);
    const again = await cli(['act', file, 'promote', '--yes', '--ledger', m.ledgerPath], { env });
    expect(again.code).toBe(0);
    expect((await cli(['unlock', file, '--reason', 'twice', '--ledger', m.ledgerPath], { env: bob })).stderr).toContain('is not locked');
    const control = m.ledger.openRun(CONTROL_RUNBOOK)!;
    expect(m.ledger.events(control.runId).filter((e) => e.body.kind === 'control.refused' || e.body.kind === 'control.unlock').map((e) => [e.operator, e.body.kind])).toEqual([
      ['alice', 'control.refused'],
      ['bob', 'control.unlock'],
    ]);
  });

  it('PostgreSQL: every cockpit on the ledger sees the lock, a new run is refused; U unlocks with a reason', async () => {
    const urls = await pgLedgerDatabase(inject('postgres'));
    const file = runbookFile();
    const alice = await pgCockpit(urls.alice, file);
    const bob = await pgCockpit(urls.bob, file, { OPSCOCKPIT_ALLOW_SCOPES: `${SCOPES},safety:unlock` });
    await lockedAfterRollback(alice);
    await waitFor(() => bob.frame().includes('LOCKED: locked after the rollback'), "the lock on bob's cockpit", 3000);
    expect(bob.frame()).toMatch(/by alice: unlock with a reason/);

    const opened = await cli(['run', file, '--ledger', urls.carol], { env: { OPSCOCKPIT_ALLOW_SCOPES: SCOPES } });
    expect(opened.stderr).toContain('is locked after the rollback');

    // alice may not unlock: refused at once, without a reason asked, and recorded as hers.
    alice.app.stdin.write('U');
    await waitFor(() => alice.frame().includes('SCOPE_MISSING: unlocking a runbook needs scope safety:unlock'), "alice's refusal", 3000);
    expect(alice.frame()).not.toContain('why may it go forward again?');
    bob.app.stdin.write('U');
    await waitFor(() => bob.frame().includes('why may it go forward again?'), 'the unlock dialog', 3000);
    bob.app.stdin.write('\r');
    await waitFor(() => bob.frame().includes('Unlocking needs a reason.'), 'a reason asked', 3000);
    bob.app.stdin.write('root cause fixed');
    await waitFor(() => bob.frame().includes('> root cause fixed'), 'the reason typed', 3000);
    bob.app.stdin.write('\r');
    for (const m of [alice, bob]) await waitFor(() => !m.frame().includes('LOCKED: locked after'), 'the lock gone', 3000);
    const again = await pgCockpit(urls.bob, file);
    expect(again.session.runId).not.toBe(alice.session.runId);
    expect(await again.session.runAction('promote', 'promote')).toMatchObject({ status: 'succeeded' });
    const control = await ledgerAs(urls.carol);
    const events = await control.events((await control.openRun(CONTROL_RUNBOOK))!.runId);
    expect(events.filter((e) => e.body.kind.startsWith('control.') && (e.body.kind.endsWith('lock') || e.body.kind === 'control.refused')).map((e) => [e.operator, e.body])).toEqual([
      ['alice', { kind: 'control.lock', runbook: file, runId: alice.session.runId, action: 'rollback' }],
      ['alice', expect.objectContaining({ kind: 'control.refused', what: `unlock ${file}`, failure: 'SCOPE_MISSING' })],
      ['bob', { kind: 'control.unlock', runbook: file, reason: 'root cause fixed' }],
    ]);
  });
});

async function ledgerAs(url: string): Promise<PgLedger> {
  const l = await openPgLedger(url);
  open.push(l);
  return l;
}
