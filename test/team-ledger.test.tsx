// The cockpit and the headless commands on a team ledger: the real PostgreSQL server the test
// setup starts, a fresh database per test set up by admin (ledger init), alice, bob and carol
// as operators; the built binary for the commands, a mounted cockpit for what a person sees.
// The live stop is shown on SQLite too: the same session, the same 1 s.
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { join } from 'node:path';
import { openPgLedger, type PgLedger } from '../adapters/pg-ledger.js';
import { loadRunbook } from '../src/runbook/load.js';
import type { LedgerEvent } from '../src/engine/types.js';
import { cli } from './support/cli.js';
import { waitFor } from './support/cockpit.js';
import { shipYaml } from './support/runbook-text.js';
import { mountCockpit, mountCockpitOn, unmountAll } from './support/mount.js';
import { OPERATORS, pgUrl, type PgLogin } from './support/postgres.js';

const SCOPES = 'deploy:ship';
/** Turning the emergency stop off needs its own scope (on needs none). */
const STOP_OFF = { OPSCOCKPIT_ALLOW_SCOPES: 'safety:stop-off' };

/** A runbook with one automatic step and one action; with `guarded`, a safety section needing two approvals. */
function shipRunbook(opts: { guarded?: boolean; mode?: string } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'oc-team-'));
  const file = join(dir, 'ship.yaml');
  const safety = opts.guarded ? `safety:\n  mode: ${opts.mode ?? 'REAL_ENABLED'}\n  allowlist: [ship]\n  window: { ttl: 15m, approvals: 2 }\n` : '';
  writeFileSync(
    file,
    shipYaml(['  ship:', '    title: Ship it', `    script: { command: bash, args: [-c, 'echo shipped >> ${join(dir, 'ran.txt')}; echo shipped'] }`], safety),
  );
  const ran = () => (existsSync(join(dir, 'ran.txt')) ? readFileSync(join(dir, 'ran.txt'), 'utf8').trim().split('\n') : []);
  return { dir, file, ran };
}

let urls: Record<PgLogin, string>;
const open: PgLedger[] = [];
// A fresh database for this file, set up as an owner would: `ledger init` as admin, then the
// operators granted the role it made.
beforeAll(async () => {
  const server = inject('postgres');
  const database = `team_${randomBytes(5).toString('hex')}`;
  await sql(pgUrl(server, 'admin'), `CREATE DATABASE ${database}`);
  const init = await cli(['ledger', 'init', '--ledger', pgUrl(server, 'admin', database)]);
  expect(init.code).toBe(0);
  await sql(pgUrl(server, 'admin', database), `GRANT opscockpit_operator TO ${OPERATORS.join(', ')}`);
  urls = Object.fromEntries((['postgres', 'admin', ...OPERATORS] as const).map((l) => [l, pgUrl(server, l, database)])) as Record<PgLogin, string>;
});

async function sql(url: string, text: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}
afterEach(async () => {
  await unmountAll();
  for (const l of open.splice(0)) await l.close();
});

/** Every event of the ledger but the safety controls' run, read as bob. */
async function allEvents(): Promise<LedgerEvent[]> {
  const l = await openPgLedger(urls.bob);
  try {
    const runs = await l.listRuns(100);
    return (await Promise.all(runs.map((r) => l.events(r.runId)))).flat();
  } finally {
    await l.close();
  }
}

// Each operator asserts the same name: on PostgreSQL it proves nothing, the login does.
const as = (login: 'alice' | 'bob' | 'carol', extra: NodeJS.ProcessEnv = {}) => ({ env: { OPSCOCKPIT_OPERATOR: 'ops', OPSCOCKPIT_ALLOW_SCOPES: SCOPES, ...extra }, url: urls[login] });

describe('the headless commands on a PostgreSQL ledger', () => {
  it('run and act record every event with the login as its operator, whatever name the process asserts', async () => {
    const rb = shipRunbook();
    const alice = as('alice');
    const run = await cli(['run', rb.file, '--ledger', alice.url, '--action', 'ship', '--yes', '--json'], { env: alice.env });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ outcome: 'completed', ledger: expect.stringMatching(/^postgres:\/\/alice@127\.0\.0\.1:\d+\/team_/) });
    expect(run.stdout).not.toContain(inject('postgres').passwords.alice);
    const act = await cli(['act', rb.file, 'ship', '--yes', '--ledger', alice.url], { env: alice.env });
    expect(act.code).toBe(0);
    expect(act.stdout).toMatch(/ship: succeeded .* in postgres:\/\/alice@/);
    expect(rb.ran()).toEqual(['shipped', 'shipped']);
    // check by OPSCOCKPIT_LEDGER, the password from PGPASSWORD (libpq's conventions).
    const bare = alice.url.replace(/:[^:@/]*@/, '@');
    const check = await cli(['check', rb.file, '--json'], { env: { ...alice.env, OPSCOCKPIT_LEDGER: bare, PGPASSWORD: inject('postgres').passwords.alice } });
    expect(check.code).toBe(0);
    expect(JSON.parse(check.stdout)).toMatchObject({ verdict: 'GO', ledger: expect.stringMatching(/^postgres:\/\/alice@/) });

    const events = await allEvents();
    const kinds = events.map((e) => e.body.kind);
    expect(kinds).toEqual(expect.arrayContaining(['run.started', 'step.result', 'action.requested', 'action.completed', 'verdict.changed', 'run.completed']));
    // run's and check's runs ended; act's stays open for the cockpit, as on SQLite.
    expect(events.filter((e) => e.body.kind === 'run.completed')).toHaveLength(2);
    expect(new Set(events.map((e) => e.operator))).toEqual(new Set(['alice']));
    // The ledger is whole: the chain verifies through the binary as another login.
    const verify = await cli(['ledger', 'verify', '--ledger', urls.carol]);
    expect(verify.code).toBe(0);
  });

  it("bob's emergency stop, from his own terminal, refuses alice's act at once; nothing runs", async () => {
    const rb = shipRunbook();
    const stop = await cli(['stop', 'on', '--reason', 'db failover', '--ledger', urls.bob], { env: { OPSCOCKPIT_OPERATOR: 'ops' } });
    expect(stop).toMatchObject({ code: 0, stdout: expect.stringContaining('emergency stop ON') });
    const alice = as('alice');
    const act = await cli(['act', rb.file, 'ship', '--yes', '--ledger', alice.url], { env: alice.env });
    expect(act.code).toBe(3);
    expect(act.stderr).toContain('ship refused by STOPPED: the emergency stop is on: db failover (by bob)');
    expect(rb.ran()).toEqual([]);
    const refused = (await allEvents()).filter((e) => e.body.kind === 'action.refused');
    expect(refused).toEqual([expect.objectContaining({ operator: 'alice' })]);
    const off = await cli(['stop', 'off', '--reason', 'failover done', '--ledger', urls.bob], { env: STOP_OFF });
    expect(off.code).toBe(0);
  });

  it('the two-person rule counts distinct logins: the requester never counts, one login approving twice counts once', async () => {
    const rb = shipRunbook({ guarded: true });
    const window = (who: 'alice' | 'bob' | 'carol', verb: string, env: NodeJS.ProcessEnv = {}) =>
      cli(['window', verb, '--runbook', rb.file, '--ledger', urls[who], ...(verb === 'status' ? ['--json'] : [])], { env: { ...as(who).env, ...env } });
    const asked = await window('alice', 'request');
    expect(asked.code).toBe(0);
    expect(asked.stdout).toMatch(/needs 2 approvals from operators other than alice/);

    const self = await window('alice', 'approve');
    expect(self.code).toBe(3);
    expect(self.stderr).toContain('alice requested window');
    const bob = await window('bob', 'approve');
    expect(bob.code).toBe(0);
    expect(bob.stdout).toMatch(/approved by bob \(the database login/);
    // bob again, asserting another name: still bob.
    const again = await window('bob', 'approve', { OPSCOCKPIT_OPERATOR: 'carol' });
    expect(again.code).toBe(3);
    expect(again.stderr).toContain('bob already approved window');
    const pending = JSON.parse((await window('carol', 'status')).stdout);
    expect(pending).toMatchObject({ windowStatus: 'PENDING_APPROVAL', window: { requestedBy: 'alice', approvers: ['bob'] } });

    const early = await cli(['act', rb.file, 'ship', '--yes', '--ledger', urls.alice], { env: as('alice').env });
    expect(early.code).toBe(3);
    expect(early.stderr).toContain('APPROVAL_MISSING');
    expect((await window('carol', 'approve')).code).toBe(0);
    const active = JSON.parse((await window('alice', 'status')).stdout);
    expect(active).toMatchObject({ windowStatus: 'ACTIVE', window: { approvers: ['bob', 'carol'] } });
    const act = await cli(['act', rb.file, 'ship', '--yes', '--ledger', urls.alice], { env: as('alice').env });
    expect(act.code).toBe(0);
    expect(rb.ran()).toEqual(['shipped']);
  });
});

describe('a cockpit sees what other processes record, within a second', () => {
  it('PostgreSQL: a stop turned on by bob in another process shows its banner and refuses actions; bob’s events in its run appear', async () => {
    const rb = shipRunbook({ guarded: true, mode: 'DRY_RUN' });
    const runbook = loadRunbook(rb.file, {});
    const store = await openPgLedger(urls.alice);
    open.push(store);
    const m = await mountCockpitOn(runbook, store, urls.alice, { env: { PATH: process.env.PATH, ...as('alice').env } });
    await waitFor(() => m.frame().includes('operator alice (database login)'), 'the login in the safety bar', 3000);

    const stop = await cli(['stop', 'on', '--reason', 'pager', '--ledger', urls.bob]);
    expect(stop.code).toBe(0);
    const said = Date.now();
    await waitFor(() => m.frame().includes('EMERGENCY STOP — pager by bob'), 'the stop banner', 3000);
    expect(Date.now() - said).toBeLessThan(1000);
    const outcome = await m.session.runAction('ship', 'ship');
    expect(outcome?.refused?.failure).toBe('STOPPED');
    expect(rb.ran()).toEqual([]);

    // bob records into the cockpit's run from his own connection.
    const bob = await openPgLedger(urls.bob);
    open.push(bob);
    await bob.append(m.session.runId, 'bob', { kind: 'step.note', phase: 'preflight', step: 'ready', note: 'traffic drained on the old side' }, Date.now());
    const appended = Date.now();
    await waitFor(() => m.session.store.getState().events.some((e) => e.operator === 'bob' && e.body.kind === 'step.note'), 'bob’s note in the cockpit', 3000);
    expect(Date.now() - appended).toBeLessThan(1000);
    await cli(['stop', 'off', '--reason', 'pager answered', '--ledger', urls.bob], { env: STOP_OFF });
    await waitFor(() => !m.frame().includes('EMERGENCY STOP'), 'the banner gone', 3000);
  });

  it('SQLite: a stop turned on by another process shows its banner within a second', async () => {
    const rb = shipRunbook({ guarded: true, mode: 'DRY_RUN' });
    const m = await mountCockpit(loadRunbook(rb.file, {}), { env: { PATH: process.env.PATH, OPSCOCKPIT_OPERATOR: 'night-sre', OPSCOCKPIT_ALLOW_SCOPES: SCOPES } });
    await waitFor(() => m.frame().includes('operator night-sre (asserted)'), 'the asserted name in the safety bar', 3000);
    const stop = await cli(['stop', 'on', '--reason', 'pager', '--ledger', m.ledgerPath], { env: { OPSCOCKPIT_OPERATOR: 'day-sre' } });
    expect(stop.code).toBe(0);
    const said = Date.now();
    await waitFor(() => m.frame().includes('EMERGENCY STOP — pager by day-sre'), 'the stop banner', 3000);
    expect(Date.now() - said).toBeLessThan(1000);
    const outcome = await m.session.runAction('ship', 'ship');
    expect(outcome?.refused?.failure).toBe('STOPPED');
    expect(rb.ran()).toEqual([]);
  });
});
