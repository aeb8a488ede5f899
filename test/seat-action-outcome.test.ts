// A take-over while the driver's action runs (SQLite: one file; PostgreSQL: the logins alice and
// bob). What alice started is hers to finish: when her rollback or abort succeeds after bob took
// the seat, her process records its outcome and what follows from it (the stage back to stable,
// the run rolled back or aborted, the runbook locked after a rollback), once; bob's cockpit shows
// it live and records none of it. When alice quits while it runs, its cancellation is recorded.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRunbookFile } from '../src/runbook/load.js';
import type { LedgerStore } from '../src/engine/ledger-store.js';
import type { EventBody, LedgerEvent } from '../src/engine/types.js';
import { openSqliteStore } from '../adapters/sqlite-store.js';
import { openPgLedger } from '../adapters/pg-ledger.js';
import { openSession } from '../src/session/session.js';
import { StageTracker, stagePlaceOf } from '../src/session/stage.js';
import { CONTROL_RUNBOOK } from '../src/session/controls.js';
import { waitFor } from './support/cockpit.js';
import { LEASE_LAPSE_MS } from '../src/engine/lease.js';
import { systemClock } from '../src/engine/ports.js';
import { teamHarness } from './support/team-harness.js';
import { shipYaml } from './support/runbook-text.js';

const team = teamHarness();
const { sessions, stores } = team;

const STAGE_ENV = { OPSCOCKPIT_STAGE_KEY: Buffer.alloc(32, 9).toString('base64') };

/** Rollback and abort wait for a file (`go`) the test writes, then succeed; one step so the run goes on. */
function runbookFile(dir: string): string {
  const file = join(dir, 'ship.yaml');
  const wait = `for i in $(seq 200); do [ -e ${join(dir, 'go')} ] && exit 0; sleep 0.05; done; exit 1`;
  writeFileSync(
    file,
    shipYaml([
      '  rollback:',
      '    title: Roll back',
      `    script: { command: sh, args: [-c, '${wait}'] }`,
      '  abort:',
      '    title: Abort',
      `    script: { command: sh, args: [-c, '${wait}'] }`,
    ]),
  );
  return file;
}

interface Backend {
  stores: [LedgerStore, LedgerStore];
  location: string;
  env(who: 'alice' | 'bob'): NodeJS.ProcessEnv;
}

const kinds = (evs: readonly LedgerEvent[], kind: EventBody['kind']) => evs.filter((e) => e.body.kind === kind);

/** alice and bob on the run; alice starts `action`; bob takes the seat while it runs. */
async function takeOverWhileActing(b: Backend, dir: string, action: 'rollback' | 'abort') {
  const file = runbookFile(dir);
  const alice = await openSession({ runbook: await loadRunbookFile(file, b.env('alice')), ledger: b.stores[0], ledgerPath: b.location, env: b.env('alice'), seat: 'join', reason: 'release' });
  sessions.push(alice);
  alice.start();
  // The stage is in canary: the action's success moves it back to stable.
  expect(await new StageTracker(stagePlaceOf(b.stores[0], b.location), b.env('alice'), 'alice', Date.now).set('canary')).toEqual({ ok: true });
  const bob = await openSession({ runbook: await loadRunbookFile(file, b.env('bob')), ledger: b.stores[1], ledgerPath: b.location, env: b.env('bob'), seat: 'join' });
  sessions.push(bob);
  bob.start();
  expect(bob.runId).toBe(alice.runId);
  const ran = alice.runAction(action, action);
  await waitFor(() => kinds(bob.store.getState().events, 'action.requested').length === 1 || kinds(alice.store.getState().events, 'action.requested').length === 1, 'the intent recorded', 5000);
  bob.command('driver.take');
  bob.type('alice is off shift');
  bob.submit();
  await waitFor(() => bob.store.getState().seat?.role === 'driver' && alice.store.getState().seat?.role === 'observer', 'the seat with bob', 5000);
  return { alice, bob, ran };
}

function scenarios(backend: string, open: (dir: string) => Promise<Backend>) {
  for (const [action, status] of [['rollback', 'rolled_back'], ['abort', 'aborted']] as const) {
    it(`${backend}: alice's ${action} that succeeds after bob took over moves the stage, ends the run ${status.replace('_', ' ')}${action === 'rollback' ? ' and locks the runbook' : ''}, once`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'oc-seat-action-'));
      const b = await open(dir);
      stores.push(...new Set(b.stores));
      const { alice, bob, ran } = await takeOverWhileActing(b, dir, action);
      writeFileSync(join(dir, 'go'), '');
      expect(await ran).toMatchObject({ status: 'succeeded' });

      const ledger = b.stores[1];
      expect((await ledger.getRun(alice.runId))?.status).toBe(status);
      const events = await ledger.events(alice.runId);
      const tail = events.filter((e) => e.seq > kinds(events, 'run.driver')[0].seq).map((e) => [e.operator, e.body.kind]);
      expect(tail).toEqual([
        [alice.operator, 'action.completed'],
        [alice.operator, 'stage.changed'],
        [alice.operator, 'run.completed'],
      ]);
      expect(kinds(events, 'stage.changed').map((e) => e.body)).toEqual([{ kind: 'stage.changed', from: 'canary', to: 'stable' }]);
      expect(kinds(events, 'run.completed').map((e) => e.body)).toEqual([{ kind: 'run.completed', status }]);
      const controls = await ledger.openRun(CONTROL_RUNBOOK);
      // The controls' run is the ledger's: the PostgreSQL scenarios share one.
      const locks = controls ? kinds(await ledger.events(controls.runId), 'control.lock').filter((e) => (e.body as { runId: string }).runId === alice.runId) : [];
      expect(locks.map((e) => e.body)).toEqual(action === 'rollback' ? [{ kind: 'control.lock', runbook: alice.store.getState().runbook.file, runId: alice.runId, action }] : []);
      expect((await new StageTracker(stagePlaceOf(ledger, b.location), b.env('bob'), 'bob', Date.now).read()).stage).toBe('stable');
      expect(alice.store.getState().flash?.text ?? '').not.toMatch(/Could not write the ledger|no longer this process's|driven elsewhere/);

      // bob's cockpit shows the run's end live, and takes it as ended: nothing more starts.
      await waitFor(() => bob.store.getState().run?.status === status, `the run ${status} on bob’s screen`, 5000);
      await bob.advance();
      expect(bob.store.getState().flash?.text).toBe(`This run is ${status.replace('_', ' ')}; quit and open the runbook again for a new run.`);
      expect(kinds(await ledger.events(alice.runId), 'step.started')).toHaveLength(0);

      // The same action again, now bob's (acting on an ended run is allowed): its success ends
      // nothing again and locks nothing again.
      const said: string[] = [];
      const unsubscribe = bob.store.subscribe((st, before) => void (st.flash !== before.flash && st.flash && said.push(st.flash.text)));
      expect(await bob.runAction(action, action)).toMatchObject({ status: 'succeeded' });
      unsubscribe();
      expect(said.filter((t) => /Could not write the ledger|already ended/.test(t))).toEqual([]);
      const after = await ledger.events(alice.runId);
      expect(kinds(after, 'run.completed')).toHaveLength(1);
      expect(kinds(after, 'action.completed').map((e) => e.operator)).toEqual([alice.operator, bob.operator]);
      const relocked = kinds(await ledger.events((await ledger.openRun(CONTROL_RUNBOOK))?.runId ?? ''), 'control.lock').filter((e) => (e.body as { runId: string }).runId === alice.runId);
      expect(relocked).toHaveLength(action === 'rollback' ? 1 : 0);
    });
  }

  it(`${backend}: alice quits while her action runs after bob took over: its cancellation and its outcome are on record`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oc-seat-action-'));
    const b = await open(dir);
    stores.push(...new Set(b.stores));
    const { alice, ran } = await takeOverWhileActing(b, dir, 'rollback');
    await alice.shutdown('the operator quit');
    await ran;
    expect(existsSync(join(dir, 'go'))).toBe(false);
    const events = await b.stores[1].events(alice.runId);
    const tail = events.filter((e) => e.seq > kinds(events, 'run.driver')[0].seq).map((e) => [e.operator, e.body.kind, (e.body as { status?: string }).status]);
    expect(tail).toEqual([
      [alice.operator, 'action.cancelled', undefined],
      [alice.operator, 'action.completed', 'failed'],
    ]);
    expect(kinds(events, 'action.cancelled').map((e) => e.body)).toEqual([{ kind: 'action.cancelled', action: 'rollback', reason: 'the operator quit while it ran' }]);
    expect((await b.stores[1].getRun(alice.runId))?.status).toBe('running');
  });
}

describe('a take-over while the driver’s action runs', () => {
  scenarios('SQLite', async (dir) => {
    // One connection for both: better-sqlite3 blocks its thread (driver-session.test.tsx).
    const store = openSqliteStore(join(dir, 'ledger.db'));
    return { stores: [store, store], location: join(dir, 'ledger.db'), env: (who) => ({ PATH: process.env.PATH, OPSCOCKPIT_OPERATOR: who, OPSCOCKPIT_ALLOW_SCOPES: 'deploy:rollback,deploy:abort', ...STAGE_ENV }) };
  });
  scenarios('PostgreSQL', async () => ({
    stores: [await openPgLedger(team.urls.alice), await openPgLedger(team.urls.bob)],
    location: team.urls.alice,
    env: () => ({ PATH: process.env.PATH, OPSCOCKPIT_OPERATOR: 'ops', OPSCOCKPIT_ALLOW_SCOPES: 'deploy:rollback,deploy:abort', ...STAGE_ENV }),
  }));
});

describe('a resume while a silent driver’s action runs (SQLite)', () => {
  it('the action ends after bob resumed the run and recorded it unknown: alice is told her outcome is NOT recorded', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oc-seat-silent-'));
    const store = openSqliteStore(join(dir, 'ledger.db'));
    stores.push(store);
    const env = (who: string) => ({ PATH: process.env.PATH, OPSCOCKPIT_OPERATOR: who, OPSCOCKPIT_ALLOW_SCOPES: 'deploy:rollback,deploy:abort' });
    const file = runbookFile(dir);
    const alice = await openSession({ runbook: await loadRunbookFile(file, env('alice')), ledger: store, ledgerPath: join(dir, 'ledger.db'), env: env('alice'), seat: 'join' });
    sessions.push(alice);
    const ran = alice.runAction('rollback', 'rollback');
    await waitFor(() => kinds(alice.store.getState().events, 'action.requested').length === 1, 'the intent recorded', 5000);
    // bob's clock is past the lapse: to him alice has gone silent (her process still runs).
    const later = Date.now() + LEASE_LAPSE_MS + 5000;
    const bob = await openSession({ runbook: await loadRunbookFile(file, env('bob')), ledger: store, ledgerPath: join(dir, 'ledger.db'), env: env('bob'), seat: 'join', clock: { ...systemClock, now: () => later } });
    sessions.push(bob);
    expect(bob.resumedFromSilent?.lapsed.driver).toBe('alice');
    writeFileSync(join(dir, 'go'), '');
    expect(await ran).toMatchObject({ status: 'succeeded' });
    expect(alice.store.getState().flash?.text).toMatch(/^Roll back: succeeded \(exit 0\), NOT recorded: /);
    const completed = kinds(await store.events(alice.runId), 'action.completed').map((e) => (e.body as { status: string }).status);
    expect(completed).toEqual(['unknown']);
  });
});
