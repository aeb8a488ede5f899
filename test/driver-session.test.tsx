// Who drives, in two mounted cockpits on one ledger (SQLite: two connections to one file;
// PostgreSQL: the logins alice and bob): alice drives, bob's cockpit joins her run as an
// observer (his Checklist says who drives where hers says what Enter does), his Enter is
// refused with who drives, his ! stops her action, and his take-over is recorded and turns
// alice into an observer within a second.
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRunbook } from '../src/runbook/load.js';
import type { LedgerStore } from '../src/engine/ledger-store.js';
import { openSqliteStore } from '../adapters/sqlite-store.js';
import { openPgLedger } from '../adapters/pg-ledger.js';
import { hourMinute } from '../src/engine/driver.js';
import { waitFor } from './support/cockpit.js';
import { shipYaml } from './support/runbook-text.js';
import { mountCockpitOn, unmountAll } from './support/mount.js';
import { pgLedgerDatabase } from './support/ledger-stores.js';
import type { PgLogin } from './support/postgres.js';

const open: LedgerStore[] = [];
afterEach(async () => {
  await unmountAll();
  for (const l of open.splice(0)) await l.close();
});

let urls: Record<PgLogin, string>;
beforeAll(async () => {
  urls = await pgLedgerDatabase(inject('postgres'));
});

function shipRunbook() {
  const dir = mkdtempSync(join(tmpdir(), 'oc-driver-'));
  const file = join(dir, 'ship.yaml');
  writeFileSync(
    file,
    shipYaml(['  ship:', '    title: Ship it', '    key: w', "    script: { command: sleep, args: ['30'] }"]),
  );
  return { dir, file, ledgerPath: join(dir, 'ledger.db') };
}

interface Backend {
  /** alice's and bob's connections, with where each is. */
  open(rb: ReturnType<typeof shipRunbook>): Promise<Array<{ store: LedgerStore; location: string }>>;
  env(who: 'alice' | 'bob'): NodeJS.ProcessEnv;
}

function scenario(name: string, backend: () => Backend) {
  it(`${name}: bob observes alice's run, may stop but not act, and takes over with a reason`, async () => {
    const b = backend();
    const rb = shipRunbook();
    const runbook = loadRunbook(rb.file, {});
    const [a, bb] = await b.open(rb);
    open.push(...new Set([a.store, bb.store]));
    const alice = await mountCockpitOn(runbook, a.store, a.location, { env: b.env('alice'), seat: 'join', reason: 'cutover v2.3' });
    const bob = await mountCockpitOn(runbook, bb.store, bb.location, { env: b.env('bob'), seat: 'join' });
    expect(bob.session.runId).toBe(alice.session.runId);
    const since = hourMinute(Date.now());
    await waitFor(() => bob.frame().includes(`OBSERVING — alice is driving since`) && bob.frame().includes(': cutover v2.3 (the lease lapses after 15 s'), 'the observer line', 3000);
    expect(alice.frame()).toContain('You drive this run since');
    expect(bob.frame()).toContain('T take over');
    expect(bob.frame()).not.toContain('run/confirm');
    // Under the current step, what Enter does on alice's screen; on bob's, who drives and what he can do.
    expect(alice.frame()).toContain('press Enter to run');
    expect(bob.frame()).toContain('alice drives this run: T to take over');
    expect(bob.frame()).not.toContain('press Enter to run');

    // Enter on bob's screen: refused, with who drives; nothing recorded by bob.
    bob.app.stdin.write('\r');
    const said = () => bob.session.store.getState().flash?.text ?? '';
    await waitFor(() => said().includes(`alice is driving since ${since}: cutover v2.3 (the lease lapses after 15 s without a heartbeat). T takes over (asks a reason).`), 'the refusal', 3000);
    const byBob = () => alice.session.store.getState().events.filter((e) => e.operator === 'bob' || e.body.kind === 'step.started');
    expect(byBob()).toEqual([]);

    // alice's action runs; bob's ! stops it.
    const outcome = alice.session.runAction('ship', 'ship');
    await waitFor(() => alice.session.store.getState().action?.state === 'running', 'the action running', 3000);
    bob.app.stdin.write('!');
    const stopped = await outcome;
    expect(stopped?.status).toBe('failed');
    expect(stopped?.reason).toMatch(/emergency stop/);
    await waitFor(() => bob.session.store.getState().events.some((e) => e.body.kind === 'action.completed' && e.body.status === 'failed'), "alice's stopped action on bob's screen", 3000);
    expect(await bob.session.setStop(false, 'seen')).toBe(true);

    // bob takes over with a reason: recorded, and alice observes within a second.
    bob.app.stdin.write('T');
    await waitFor(() => bob.frame().includes('Take over driving this run: why?'), 'the reason dialog', 3000);
    bob.app.stdin.write('alice is off shift');
    await waitFor(() => bob.frame().includes('alice is off shift'), 'the typed reason', 3000);
    bob.app.stdin.write('\r');
    const took = Date.now();
    await waitFor(() => alice.frame().includes('bob took over driving at') && alice.frame().includes('OBSERVING — bob is driving since'), "alice's screen says so", 3000);
    expect(Date.now() - took).toBeLessThan(1000);
    const driver = alice.session.store.getState().events.find((e) => e.body.kind === 'run.driver');
    expect(driver?.body).toEqual({ kind: 'run.driver', from: 'alice', to: 'bob', reason: 'alice is off shift' });
    expect(bob.frame()).toContain('You drive this run since');
    alice.app.stdin.write('s');
    await waitFor(() => /^bob is driving since \d\d:\d\d: alice is off shift/.test(alice.session.store.getState().flash?.text ?? ''), "alice's skip refused", 3000);
  });
}

const SCOPES = { PATH: process.env.PATH, OPSCOCKPIT_ALLOW_SCOPES: 'ops:read,deploy:ship,safety:stop-off' };

describe('who drives a run', () => {
  scenario('SQLite', () => ({
    // One connection for both: better-sqlite3 blocks its thread, so two connections in one
    // process would wait on each other's write lock; the leases still tell the two cockpits apart.
    open: async (rb) => {
      const store = openSqliteStore(rb.ledgerPath);
      return [0, 1].map(() => ({ store, location: rb.ledgerPath }));
    },
    env: (who) => ({ ...SCOPES, OPSCOCKPIT_OPERATOR: who }),
  }));
  // The logins are who drives: each process asserts the same display name.
  scenario('PostgreSQL', () => ({
    open: async () => Promise.all((['alice', 'bob'] as const).map(async (who) => ({ store: await openPgLedger(urls[who]), location: urls[who] }))),
    env: () => ({ ...SCOPES, OPSCOCKPIT_OPERATOR: 'ops' }),
  }));
});
