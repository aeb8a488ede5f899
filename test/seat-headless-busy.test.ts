// A headless --take-over while the driver's block runs (the built binary, real ledgers): refused
// (exit 3), nothing recorded, the driver's block and run untouched; once the block has its
// outcome the take-over goes through, and the cockpit it took the run from sees it within a
// second and observes, though the headless command ended and let the run go. And two cockpits
// opened at the same moment with other values: one starts the run, the other is refused naming
// the values, or, with none of its own, observes showing the run's.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Session } from '../src/session/session.js';
import { openSqliteStore } from '../adapters/sqlite-store.js';
import { openPgLedger } from '../adapters/pg-ledger.js';
import type { LedgerStore } from '../src/engine/ledger-store.js';
import { hourMinute } from '../src/engine/driver.js';
import { cli, cliSync } from './support/cli.js';
import { waitFor } from './support/cockpit.js';
import { deployAction, drainSteps, untilFile, yaml } from './support/runbook-text.js';
import { teamHarness } from './support/team-harness.js';

const team = teamHarness();
const { stores } = team;

/** A first step whose block runs until the test lets it go (a file), a second, and an action. */
function drain() {
  const dir = mkdtempSync(join(tmpdir(), 'oc-seat-busy-'));
  const file = join(dir, 'drain.yaml');
  const block = `${untilFile(join(dir, 'go'), 400)}; echo drained`;
  writeFileSync(
    file,
    yaml(
      'version: 1',
      'name: Drain',
      'params:',
      '  version: { description: the release }',
      ...drainSteps(block),
      ...deployAction(dir),
    ),
  );
  return { dir, file };
}

const cockpit = (file: string, store: LedgerStore, location: string, env: NodeJS.ProcessEnv, version?: string): Promise<Session> =>
  team.join(file, store, location, env, 'nightly drain', version === undefined ? {} : { version });

interface Backend {
  /** The cockpits' connection(s), and the ledger the headless command is given. */
  stores: LedgerStore[];
  location: string;
  headlessLedger: string;
  env: NodeJS.ProcessEnv;
  /** Who the headless command records as, and who the cockpits do. */
  carol: string;
  alice: string;
}

const SCOPES = { OPSCOCKPIT_ALLOW_SCOPES: 'deploy:deploy,run:steps' };

function busy(name: string, open: () => Promise<Backend>) {
  it(`${name}: a headless take-over while alice's block runs is refused; after it, it goes through and alice's cockpit observes`, async () => {
    const { dir, file } = drain();
    const b = await open();
    stores.push(...new Set(b.stores));
    const alice = await cockpit(file, b.stores[0], b.location, { PATH: process.env.PATH, OPSCOCKPIT_OPERATOR: 'alice', ...SCOPES }, '2.3');
    alice.start();
    const ran = alice.advance();
    await waitFor(() => alice.store.getState().checklist.phases.preflight.steps[0].state === 'running', 'the block running', 5000);
    const started = alice.store.getState().events.find((e) => e.body.kind === 'step.started')!;
    const before = (await b.stores[0].events(alice.runId)).length;
    const env = { OPSCOCKPIT_OPERATOR: 'carol', ...SCOPES, ...b.env };

    for (const args of [['run', file, '--yes'], ['act', file, 'deploy', '--yes']]) {
      const r = await cli([...args, '--take-over', 'CI takes it', '--ledger', b.headlessLedger], { env });
      expect(r.code, r.stdout + r.stderr).toBe(3);
      expect(r.stderr).toBe(
        `opscockpit: run ${alice.runId} is still running preflight step "drain" (Drain the queue), started by ${b.alice} at ${hourMinute(started.at)}; nothing was run or recorded. ` +
          `Take it over once that has ended (its outcome is recorded by the process that started it), or stop it from anywhere with "opscockpit stop on".\n`,
      );
    }
    expect(await b.stores[0].events(alice.runId)).toHaveLength(before);
    expect((await b.stores[0].getRun(alice.runId))?.status).toBe('running');
    expect(existsSync(join(dir, 'deployed'))).toBe(false);
    expect(alice.store.getState().seat?.role).toBe('driver');

    // The block ends: alice's outcome, then the take-over goes through.
    writeFileSync(join(dir, 'go'), '');
    await ran;
    expect(alice.store.getState().checklist.phases.preflight.steps[0].state).toBe('passed');
    // Run while this process waits: alice's cockpit hears of it only after the command let the run go.
    const took = cliSync(['act', file, 'deploy', '--yes', '--take-over', 'CI takes it', '--ledger', b.headlessLedger], { env });
    expect(took.code, took.stdout + took.stderr).toBe(0);
    expect(existsSync(join(dir, 'deployed'))).toBe(true);
    const events = await b.stores[0].events(alice.runId);
    expect(events.filter((e) => e.body.kind === 'run.driver').map((e) => [e.operator, e.body])).toEqual([[b.carol, { kind: 'run.driver', from: b.alice, to: b.carol, reason: 'CI takes it' }]]);
    expect(events.filter((e) => e.body.kind === 'run.completed')).toEqual([]);

    // The command ended and let the run go; alice's cockpit hears of it within a second, and observes.
    const at = hourMinute(events.find((e) => e.body.kind === 'run.driver')!.at);
    await waitFor(() => alice.store.getState().seat?.role === 'observer', "alice's cockpit observing", 1000);
    // The line is said once the ledger has told who took it (a read after the switch; on PostgreSQL a round trip).
    await waitFor(() => alice.store.getState().flash?.text?.includes('took over driving') === true, "alice's cockpit saying who took it", 1000);
    expect(alice.store.getState().flash?.text).toBe(`${b.carol} took over driving at ${at}: CI takes it. Nobody drives it now. This cockpit now observes the run.`);
    expect(alice.store.getState().seat?.line).toBe('Nobody is driving this run (its driver let it go).');
    // Her T takes the run back.
    alice.command('driver.take');
    alice.type('back from lunch');
    alice.submit();
    await waitFor(() => alice.store.getState().seat?.role === 'driver', 'alice driving again', 3000);
    expect((await b.stores[0].events(alice.runId)).at(-1)?.body).toEqual({ kind: 'run.driver', to: b.alice, reason: 'back from lunch' });
  });
}

function together(name: string, open: () => Promise<Backend>) {
  it(`${name}: two cockpits opened together with other values: one starts the run, the other is refused naming them`, async () => {
    const { file } = drain();
    const b = await open();
    stores.push(...new Set(b.stores));
    const env = { PATH: process.env.PATH, OPSCOCKPIT_OPERATOR: 'alice' };
    const tries = await Promise.allSettled([cockpit(file, b.stores[0], b.location, env, '2.3'), cockpit(file, b.stores.at(-1)!, b.location, env, '2.4')]);
    const won = tries.flatMap((t) => (t.status === 'fulfilled' ? [t.value] : []));
    const lost = tries.flatMap((t) => (t.status === 'rejected' ? [String((t.reason as Error).message)] : []));
    expect(won).toHaveLength(1);
    const value = won[0].store.getState().runbook.params.find((p) => p.name === 'version')?.value;
    const other = value === '2.3' ? '2.4' : '2.3';
    expect(lost).toEqual([
      `run ${won[0].runId} of this runbook is driven by ${won[0].operator}, and this start gives version=${other} (the run has version=${value}): whoever joins a run goes on with the values it recorded. ` +
        `Open it without these values to follow it with the run's, or start a run with yours once that one has ended (its last step, abort or rollback).`,
    ]);
    expect(won[0].store.getState().seat?.role).toBe('driver');
    expect((await b.stores[0].listRuns(10)).filter((r) => r.runbook === file)).toHaveLength(1);
  });

  it(`${name}: a cockpit with no value joining a run: it observes showing the run's`, async () => {
    const { file } = drain();
    const b = await open();
    stores.push(...new Set(b.stores));
    const env = { PATH: process.env.PATH, OPSCOCKPIT_OPERATOR: 'alice' };
    // One after the other: opened together, the one with no value may start the run itself
    // (the race between two starts is the test above).
    const first = await cockpit(file, b.stores[0], b.location, env, '2.3');
    const both = [first, await cockpit(file, b.stores.at(-1)!, b.location, env)];
    expect(both[0].runId).toBe(both[1].runId);
    const roles = both.map((s) => s.store.getState().seat?.role).sort();
    expect(roles).toEqual(['driver', 'observer']);
    for (const s of both) expect(s.store.getState().runbook.params.find((p) => p.name === 'version')?.value).toBe('2.3');
  });
}

const sqlite = async (): Promise<Backend> => {
  const dir = mkdtempSync(join(tmpdir(), 'oc-seat-busy-db-'));
  const location = join(dir, 'ledger.db');
  // One connection for the cockpits: better-sqlite3 blocks its thread (driver-session.test.tsx).
  return { stores: [openSqliteStore(location)], location, headlessLedger: location, env: {}, carol: 'carol', alice: 'alice' };
};
const postgres = async (): Promise<Backend> => ({
  stores: [await openPgLedger(team.urls.alice), await openPgLedger(team.urls.bob)],
  location: team.urls.alice,
  headlessLedger: team.urls.carol,
  env: {},
  carol: 'carol',
  alice: 'alice',
});

describe('a headless take-over while something runs in the driver’s process', () => {
  busy('SQLite', sqlite);
  busy('PostgreSQL', postgres);
});

describe('two cockpits opened at the same moment', () => {
  together('SQLite', sqlite);
  together('PostgreSQL', postgres);
});
