// One runbook in two folders (two clones of one repository, as on alice's and bob's machines)
// is one runbook to a shared ledger, SQLite or PostgreSQL: bob's cockpit on his copy observes
// alice's run, a headless `run` of his copy is refused while she drives, and the lock her
// rollback takes holds for his copy until it is unlocked through it. A ledger written before
// runbooks had keys (runs and locks under the file's path) is still found from that file.
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadRunbook } from '../src/runbook/load.js';
import type { LedgerStore } from '../src/engine/ledger-store.js';
import { openSqliteStore } from '../adapters/sqlite-store.js';
import { openPgLedger } from '../adapters/pg-ledger.js';
import { openSession } from '../src/session/session.js';
import { Controls } from '../src/session/controls.js';
import { waitFor } from './support/cockpit.js';
import { cli } from './support/cli.js';
import { clone } from './support/git-clone.js';
import { mountCockpitOn, unmountAll } from './support/mount.js';
import { teamHarness } from './support/team-harness.js';
import { shipYaml } from './support/runbook-text.js';

const SHIP = shipYaml(['  rollback:', '    title: Roll back', '    script: { command: /bin/true }']);
const KEY = 'github.com/acme/ops/ops/ship.yaml';
const SCOPES = 'deploy:rollback,safety:unlock';

const team = teamHarness();
const { sessions, stores } = team;
// Registered after the harness's: the cockpits unmount before their sessions stop.
afterEach(unmountAll);

interface Backend {
  /** alice's and bob's connections and where each is; `cliLedger`: the ledger a third person's commands use. */
  open(dir: string): Promise<{ alice: { store: LedgerStore; location: string }; bob: { store: LedgerStore; location: string }; cliLedger: string }>;
  env(who: 'alice' | 'bob' | 'carol'): NodeJS.ProcessEnv;
}

function twoClones(backend: () => Backend, name: string) {
  it(`${name}: bob's copy observes alice's run, is refused a second run, and is held by her rollback's lock`, async () => {
    const b = backend();
    const mine = clone('git@github.com:acme/ops.git', 'ops', SHIP);
    const his = clone('https://bob:ghp_secret@GitHub.com/acme/ops', 'src-ops', SHIP);
    const { alice: a, bob: bb, cliLedger } = await b.open(mine.root);
    stores.push(...new Set([a.store, bb.store]));
    const aliceRb = loadRunbook(mine.file, {});
    const bobRb = loadRunbook(his.file, {});
    expect([aliceRb.key, bobRb.key]).toEqual([KEY, KEY]);

    const alice = await mountCockpitOn(aliceRb, a.store, a.location, { env: b.env('alice'), seat: 'join', reason: 'cutover' });
    const bob = await mountCockpitOn(bobRb, bb.store, bb.location, { env: b.env('bob'), seat: 'join' });
    expect(bob.session.runId).toBe(alice.session.runId);
    await waitFor(() => bob.frame().includes('OBSERVING — alice is driving since'), "bob observing alice's run", 3000);
    const run = await a.store.getRun(alice.session.runId);
    expect(run?.runbook).toBe(KEY);
    expect((await a.store.events(alice.session.runId))[0].body).toEqual({ kind: 'run.started', runbook: KEY, name: 'Ship', file: mine.file });

    // A headless run of bob's copy: refused, naming his own file to watch; nothing started.
    const refused = await cli(['run', his.file, '--ledger', cliLedger], { env: b.env('carol') });
    expect(refused.code, refused.stdout + refused.stderr).toBe(3);
    expect(refused.stderr).toContain(`alice is driving since`);
    expect(refused.stderr).toContain(`(run ${alice.session.runId}); nothing was run or recorded. Follow it with "opscockpit watch ${his.file}"`);
    expect((await a.store.listRuns(10)).filter((r) => r.runbook === KEY || r.runbook === his.file).map((r) => r.runId)).toEqual([alice.session.runId]);

    // alice's rollback locks the runbook: bob's cockpit shows it, a run of his copy is refused.
    expect(await alice.session.runAction('rollback', 'rollback')).toMatchObject({ status: 'succeeded' });
    await waitFor(() => bob.frame().includes('LOCKED: locked after the rollback'), "the lock on bob's cockpit", 3000);
    const locked = await cli(['run', his.file, '--ledger', cliLedger], { env: b.env('carol') });
    expect(locked.code).toBe(3);
    expect(locked.stderr).toContain('"Ship" is locked after the rollback');
    expect(locked.stderr).toContain(`opscockpit unlock ${his.file} --reason TEXT`);

    // Unlocked through bob's copy: lifted for alice's too.
    const unlocked = await cli(['unlock', his.file, '--reason', 'root cause fixed', '--ledger', cliLedger], { env: b.env('carol') });
    expect(unlocked.code, unlocked.stderr).toBe(0);
    await waitFor(() => !alice.frame().includes('LOCKED: locked after'), "the lock gone from alice's cockpit", 3000);
    const again = await openSession({ runbook: loadRunbook(mine.file, {}), ledger: a.store, ledgerPath: a.location, env: b.env('alice'), seat: 'join' });
    sessions.push(again);
    expect(again.runId).not.toBe(alice.session.runId);
  });
}

describe('one runbook in two clones on one ledger', () => {
  twoClones(() => ({
    // One connection for both cockpits in this process (better-sqlite3 blocks its thread); the
    // leases and the names tell them apart. The commands open the file themselves.
    open: async (dir) => {
      const location = join(dir, '..', 'ledger.db');
      const store = openSqliteStore(location);
      return { alice: { store, location }, bob: { store, location }, cliLedger: location };
    },
    env: (who) => ({ PATH: process.env.PATH, OPSCOCKPIT_OPERATOR: who, OPSCOCKPIT_ALLOW_SCOPES: SCOPES }),
  }), 'SQLite');
  twoClones(() => ({
    open: async () => {
      const [alice, bob] = await Promise.all((['alice', 'bob'] as const).map(async (who) => ({ store: await openPgLedger(team.urls[who]), location: team.urls[who] })));
      return { alice, bob, cliLedger: team.urls.carol };
    },
    env: (who) => ({ PATH: process.env.PATH, OPSCOCKPIT_OPERATOR: who, OPSCOCKPIT_ALLOW_SCOPES: SCOPES }),
  }), 'PostgreSQL');
});

describe('a ledger written before runbooks had keys', () => {
  it('resumes and observes a run recorded under the file path, holds and lifts its lock; new runs are kept under the key', async () => {
    const c = clone('git@github.com:acme/ops.git', 'ops', SHIP);
    const location = join(c.root, '..', 'ledger.db');
    const store = openSqliteStore(location);
    stores.push(store);
    const rb = loadRunbook(c.file, {});
    expect(rb.key).toBe(KEY);
    const env = { PATH: process.env.PATH, OPSCOCKPIT_OPERATOR: 'alice', OPSCOCKPIT_ALLOW_SCOPES: SCOPES };

    // A run an older opscockpit started, driven from another host: observed.
    const old = await store.startRun({ runbook: c.file, name: 'Ship' }, Date.now());
    await store.append(old.runId, 'carol', { kind: 'run.started', runbook: c.file, name: 'Ship' }, Date.now());
    await store.leases.take(old.runId, { pid: 4242, host: 'ops-host-elsewhere', token: 'older' }, Date.now(), { driver: 'carol' });
    const watching = await openSession({ runbook: rb, ledger: store, ledgerPath: location, env, seat: 'join' });
    sessions.push(watching);
    expect(watching.runId).toBe(old.runId);
    expect(watching.store.getState().seat?.role).toBe('observer');
    const refused = await cli(['run', c.file, '--ledger', location], { env: { ...env, OPSCOCKPIT_OPERATOR: 'bob' } });
    expect(refused.code, refused.stderr).toBe(3);
    expect(refused.stderr).toContain(`carol is driving since`);
    await watching.stop();
    sessions.splice(0);

    // Its driver gone: the next start resumes it, as it did before.
    await store.leases.release(old.runId, { pid: 4242, host: 'ops-host-elsewhere', token: 'older' });
    const resumed = await openSession({ runbook: rb, ledger: store, ledgerPath: location, env, seat: 'join' });
    sessions.push(resumed);
    expect(resumed.runId).toBe(old.runId);
    expect((await store.events(old.runId)).map((e) => e.body.kind)).toContain('run.resumed');
    await resumed.stop();
    sessions.splice(0);
    await store.append(old.runId, 'carol', { kind: 'run.completed', status: 'rolled_back' }, Date.now());
    await store.completeRun(old.runId, 'rolled_back', Date.now());

    // A lock an older opscockpit took under the path: it holds, and unlocking lifts it.
    await new Controls(store, rb.safety, 'carol', () => Date.now()).lock(c.file, old.runId, 'rollback');
    const locked = await cli(['run', c.file, '--ledger', location], { env });
    expect(locked.code).toBe(3);
    expect(locked.stderr).toContain('"Ship" is locked after the rollback');
    const unlocked = await cli(['unlock', c.file, '--reason', 'fixed', '--ledger', location], { env });
    expect(unlocked.code, unlocked.stderr).toBe(0);

    // A new run: kept under the key; the old row as it was recorded.
    const ran = await cli(['run', c.file, '--ledger', location], { env });
    expect(ran.code, ran.stdout + ran.stderr).toBe(0);
    const runs = (await store.listRuns(10)).filter((r) => r.name === 'Ship');
    expect(runs.map((r) => r.runbook)).toEqual([KEY, c.file]);
    const verify = await cli(['ledger', 'verify', '--ledger', location], { env });
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  });
});
