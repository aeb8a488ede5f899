// One run of a runbook is driven at a time, headless commands included (the built binary, real
// ledgers): while a cockpit drives, `run` and `act` are refused with who drives, since when and
// why (exit 3), nothing recorded; the emergency stop still works from anywhere; --take-over
// REASON takes the run over as T does (run.driver) and goes on with the run's values. A cockpit
// that joins a driven run with other values than it recorded is refused, naming them.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Session } from '../src/session/session.js';
import { openSqliteStore } from '../adapters/sqlite-store.js';
import { openPgLedger } from '../adapters/pg-ledger.js';
import type { LedgerStore } from '../src/engine/ledger-store.js';
import { hourMinute } from '../src/engine/driver.js';
import { cli } from './support/cli.js';
import { teamHarness } from './support/team-harness.js';
import { deployAction, yaml } from './support/runbook-text.js';

const team = teamHarness();
const { stores } = team;

function cutover() {
  const dir = mkdtempSync(join(tmpdir(), 'oc-seat-'));
  const file = join(dir, 'cutover.yaml');
  writeFileSync(
    file,
    yaml(
      'version: 1',
      'name: Cutover',
      'params:',
      '  version: { description: the release }',
      '  token: { type: secret }',
      'checks:',
      `  ok: { script: { command: sh, args: [-c, 'echo "$version" >> ${join(dir, 'walked')}'] } }`,
      'checklists:',
      '  preflight:',
      '    - { id: ready, check: ok }',
      ...deployAction(dir),
    ),
  );
  return { dir, file };
}

/** alice's cockpit session driving the runbook's run with version 2.3, in this process. */
const aliceDrives = (file: string, store: LedgerStore, location: string, env: NodeJS.ProcessEnv): Promise<Session> =>
  team.join(file, store, location, env, 'cutover v2.3', { version: '2.3', token: 's3cr3t-value' });

const SCOPES = { OPSCOCKPIT_ALLOW_SCOPES: 'deploy:deploy,safety:stop-off' };

describe('headless commands take the same driver seat as the keys (SQLite, built binary)', () => {
  it('run and act are refused while alice drives; stop still works; --take-over takes her run with its values', async () => {
    const { dir, file } = cutover();
    const ledgerPath = join(dir, 'ledger.db');
    const store = await openSqliteStore(ledgerPath);
    stores.push(store);
    const alice = await aliceDrives(file, store, ledgerPath, { PATH: process.env.PATH, OPSCOCKPIT_OPERATOR: 'alice', ...SCOPES });
    const since = hourMinute(Date.now());
    const env = { OPSCOCKPIT_OPERATOR: 'bob', ...SCOPES };
    const runs = async () => (await store.listRuns(10)).filter((r) => r.runbook === file);
    const eventsBefore = (await store.events(alice.runId)).length;

    for (const args of [['run', file, '--param', 'version=2.3', '--param', 'token=x'], ['act', file, 'deploy', '--yes', '--param', 'version=2.3', '--param', 'token=x']]) {
      const r = await cli([...args, '--ledger', ledgerPath], { env });
      expect(r.code, r.stdout + r.stderr).toBe(3);
      expect(r.stderr).toBe(
        `opscockpit: alice is driving since ${since}: cutover v2.3 (run ${alice.runId}); nothing was run or recorded. Follow it with "opscockpit watch ${file}", stop it from anywhere with "opscockpit stop on", or take it over: --take-over "reason".\n`,
      );
    }
    expect((await runs()).map((r) => r.runId)).toEqual([alice.runId]);
    expect(await store.events(alice.runId)).toHaveLength(eventsBefore);
    expect(existsSync(join(dir, 'deployed'))).toBe(false);
    expect(existsSync(join(dir, 'walked'))).toBe(false);

    // The emergency stop needs no seat.
    const stop = await cli(['stop', 'on', '--ledger', ledgerPath], { env });
    expect(stop.code, stop.stderr).toBe(0);
    const off = await cli(['stop', 'off', '--reason', 'checked', '--ledger', ledgerPath], { env });
    expect(off.code, off.stderr).toBe(0);

    // Another version with a take-over: refused, naming it and the run's value; the secret never shown.
    const other = await cli(['run', file, '--param', 'version=2.4', '--param', 'token=other-secret', '--take-over', 'alice went home', '--ledger', ledgerPath], { env });
    expect(other.code).toBe(1);
    expect(other.stderr).toContain(`run ${alice.runId} of this runbook is driven by alice, and this start gives version=2.4 (the run has version=2.3)`);
    expect(other.stderr).not.toMatch(/s3cr3t|other-secret/);
    expect(await store.events(alice.runId)).toHaveLength(eventsBefore);

    // The run's values (none given but the secret): bob takes her run over and walks version 2.3.
    const took = await cli(['run', file, '--param', 'token=bobs', '--take-over', 'alice went home', '--ledger', ledgerPath], { env });
    expect(took.code, took.stdout + took.stderr).toBe(0);
    expect(took.stdout).toContain(`run ${alice.runId} recorded in`);
    expect((await runs()).map((r) => r.runId)).toEqual([alice.runId]);
    const events = await store.events(alice.runId);
    expect(events.find((e) => e.body.kind === 'run.driver')).toMatchObject({ operator: 'bob', body: { kind: 'run.driver', from: 'alice', to: 'bob', reason: 'alice went home' } });
    expect(events.filter((e) => e.body.kind === 'run.resumed')).toEqual([]);
    expect(readFileSync(join(dir, 'walked'), 'utf8')).toBe('2.3\n');
  });

  it('a cockpit opened with another value than the driven run recorded is refused before it starts', async () => {
    const { dir, file } = cutover();
    const ledgerPath = join(dir, 'ledger.db');
    const store = await openSqliteStore(ledgerPath);
    stores.push(store);
    const alice = await aliceDrives(file, store, ledgerPath, { PATH: process.env.PATH, OPSCOCKPIT_OPERATOR: 'alice' });
    const r = await cli(['open', file, '--param', 'version=2.4', '--ledger', ledgerPath], { env: { OPSCOCKPIT_OPERATOR: 'bob' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`run ${alice.runId} of this runbook is driven by alice, and this start gives version=2.4 (the run has version=2.3)`);
    expect(r.stderr).toContain('Open it without these values to follow it');
    expect(r.stderr).not.toContain('s3cr3t');
  });
});

describe('headless commands take the same driver seat (PostgreSQL)', () => {
  it("bob's act is refused while alice drives; with --take-over it runs in her run, recorded as bob's", async () => {
    const { dir, file } = cutover();
    const store = await openPgLedger(team.urls.alice);
    stores.push(store);
    const alice = await aliceDrives(file, store, team.urls.alice, { PATH: process.env.PATH, ...SCOPES });
    const since = hourMinute(Date.now());
    const args = ['act', file, 'deploy', '--yes', '--param', 'token=x', '--ledger', team.urls.bob];
    const refused = await cli(args, { env: SCOPES });
    expect(refused.code, refused.stdout + refused.stderr).toBe(3);
    expect(refused.stderr).toContain(`opscockpit: alice is driving since ${since}: cutover v2.3 (run ${alice.runId}); nothing was run or recorded.`);
    expect(existsSync(join(dir, 'deployed'))).toBe(false);

    const took = await cli([...args, '--take-over', 'alice is off sick'], { env: SCOPES });
    expect(took.code, took.stdout + took.stderr).toBe(0);
    expect(existsSync(join(dir, 'deployed'))).toBe(true);
    const events = await store.events(alice.runId);
    expect(events.find((e) => e.body.kind === 'run.driver')).toMatchObject({ operator: 'bob', body: { from: 'alice', to: 'bob', reason: 'alice is off sick' } });
    expect(events.filter((e) => e.body.kind === 'action.requested').map((e) => e.operator)).toEqual(['bob']);
    expect((await store.listRuns(10)).filter((r) => r.runbook === file)).toHaveLength(1);
  });
});
