// A take-over while the driver's block runs (SQLite: one file; PostgreSQL: the logins alice and
// bob). What alice started is finished and recorded by her process after bob took the seat:
// bob's cockpit shows the step running (by alice) until her outcome arrives live, refuses to
// start it again meanwhile, then goes on. A run resumed after her start owes her nothing.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRunbookFile } from '../src/runbook/load.js';
import type { LedgerStore } from '../src/engine/ledger-store.js';
import type { EventBody, LedgerEvent } from '../src/engine/types.js';
import { owedIntents, stillOwed } from '../src/engine/action-pairs.js';
import { openSqliteStore } from '../adapters/sqlite-store.js';
import pg from 'pg';
import { openPgLedger } from '../adapters/pg-ledger.js';
import { openSession, type Session } from '../src/session/session.js';
import { runningElsewhere } from '../screens/step-command.js';
import { waitFor } from './support/cockpit.js';
import { drainSteps, stepsMarkdown, untilFile, yaml as yamlText } from './support/runbook-text.js';
import { teamHarness } from './support/team-harness.js';

const team = teamHarness();
const { sessions, stores } = team;

/** A block that runs until the test lets it go (a file), then leaves a file behind; then a quick one. */
function runbooks(dir: string): Record<'markdown' | 'yaml', string> {
  const block = `${untilFile(join(dir, 'go'), 200)}; touch ${join(dir, 'drained')}; echo drained`;
  const md = join(dir, 'drain.md');
  writeFileSync(md, stepsMarkdown('Drain the workers', [['Drain the queue', block], ['Restart', 'echo restarted']]));
  const yaml = join(dir, 'drain.yaml');
  writeFileSync(yaml, yamlText('version: 1', 'name: Drain the workers', ...drainSteps(block)));
  return { markdown: md, yaml };
}

const stepEvents = (s: Session, kind: EventBody['kind']) => s.store.getState().events.filter((e) => e.body.kind === kind);

interface Backend {
  stores: [LedgerStore, LedgerStore];
  location: string;
  env(who: 'alice' | 'bob'): NodeJS.ProcessEnv;
  /** Resolves once bob's cockpit hears of changes (PostgreSQL: its LISTEN is in place). */
  following?(): Promise<void>;
}

function scenario(backend: string, format: 'markdown' | 'yaml', open: (dir: string) => Promise<Backend>) {
  it(`${backend}, ${format}: the step alice started is recorded by her after bob took over, and bob goes on from it`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oc-seat-step-'));
    const file = runbooks(dir)[format];
    const b = await open(dir);
    stores.push(...new Set(b.stores));
    const runbook = (who: 'alice' | 'bob') => loadRunbookFile(file, b.env(who));
    const alice = await openSession({ runbook: await runbook('alice'), ledger: b.stores[0], ledgerPath: b.location, env: b.env('alice'), seat: 'join', reason: 'nightly drain' });
    sessions.push(alice);
    alice.start();
    const bob = await openSession({ runbook: await runbook('bob'), ledger: b.stores[1], ledgerPath: b.location, env: b.env('bob'), seat: 'join' });
    sessions.push(bob);
    bob.start();
    expect(bob.runId).toBe(alice.runId);
    await b.following?.();

    // alice starts the block; bob sees it running, by alice, and takes the seat over.
    const ran = alice.advance();
    await waitFor(() => bob.store.getState().checklist.phases.preflight.steps[0].state === 'running', 'the step running on bob’s screen', 5000);
    expect(runningElsewhere(bob.store.getState())).toMatch(/^running in (alice|ops)'s cockpit since \d\d:\d\d$/);
    bob.command('driver.take');
    bob.type('alice is off shift');
    bob.submit();
    await waitFor(() => bob.store.getState().seat?.role === 'driver' && alice.store.getState().seat?.role === 'observer', 'the seat with bob', 5000);
    expect(existsSync(join(dir, 'drained'))).toBe(false);

    // The step still runs: bob may not start it again (nor skip it).
    await bob.advance();
    expect(bob.store.getState().flash?.text).toBe('"Drain the queue" is still running.');
    expect(stepEvents(bob, 'step.started')).toHaveLength(1);

    // alice's block ends: her process records its outcome; bob's screen shows it live.
    writeFileSync(join(dir, 'go'), '');
    await ran;
    expect(existsSync(join(dir, 'drained'))).toBe(true);
    await waitFor(() => bob.store.getState().checklist.phases.preflight.steps[0].state === 'passed', 'the result on bob’s screen', 5000);
    const results = stepEvents(bob, 'step.result');
    expect(results.map((e) => [e.operator, (e.body as { result: { status: string } }).result.status])).toEqual([[alice.operator, 'healthy']]);
    if (format === 'markdown') {
      await waitFor(() => stepEvents(bob, 'action.completed').length > 0, 'the step’s outcome on bob’s screen', 5000);
      const outcome = stepEvents(bob, 'action.completed').map((e) => [e.operator, (e.body as { status: string }).status]);
      expect(outcome).toEqual([[alice.operator, 'succeeded']]);
    }
    expect(alice.store.getState().flash?.text ?? '').not.toMatch(/Could not write the ledger/);
    expect(runningElsewhere(bob.store.getState())).toBeUndefined();

    // bob goes on: the next step is his, and the run ends as his.
    await bob.advance();
    await waitFor(() => bob.store.getState().run?.status === 'succeeded', 'the run succeeded', 5000);
    const ends = stepEvents(bob, 'run.completed');
    expect(ends.map((e) => e.operator)).toEqual([bob.operator]);
  });
}

describe('a take-over while the driver’s block runs', () => {
  const sqlite = async (dir: string) => {
    // One connection for both: better-sqlite3 blocks its thread (driver-session.test.tsx).
    const store = openSqliteStore(join(dir, 'ledger.db'));
    return { stores: [store, store] as [LedgerStore, LedgerStore], location: join(dir, 'ledger.db'), env: (who: string) => ({ PATH: process.env.PATH, OPSCOCKPIT_OPERATOR: who, OPSCOCKPIT_ALLOW_SCOPES: 'run:steps' }) };
  };
  scenario('SQLite', 'markdown', sqlite);
  scenario('SQLite', 'yaml', sqlite);
  scenario('PostgreSQL', 'markdown', async () => ({
    stores: [await openPgLedger(team.urls.alice), await openPgLedger(team.urls.bob)],
    location: team.urls.alice,
    env: () => ({ PATH: process.env.PATH, OPSCOCKPIT_OPERATOR: 'ops', OPSCOCKPIT_ALLOW_SCOPES: 'run:steps' }),
    // A subscription hears what is appended once its LISTEN is in place, not before.
    following: async () => {
      const admin = new pg.Client({ connectionString: team.urls.postgres });
      await admin.connect();
      try {
        const listening = async () => (await admin.query("SELECT 1 FROM pg_stat_activity WHERE usename = 'bob' AND query LIKE 'LISTEN%'")).rowCount! > 0;
        for (const end = Date.now() + 5000; !(await listening()) && Date.now() < end; ) await new Promise((r) => setTimeout(r, 50));
      } finally {
        await admin.end();
      }
    },
  }));
});

describe('what a run still owes the process that started something', () => {
  const ev = (seq: number, body: EventBody): LedgerEvent => ({ runId: 'r', seq, at: seq, operator: 'alice', body });
  const start = ev(3, { kind: 'step.started', phase: 'preflight', step: 'drain' });
  const result: EventBody = { kind: 'step.result', phase: 'preflight', step: 'drain', result: { check: 'drain', status: 'healthy', code: 'ok', reason: 'exit 0', startedAt: 0, durationMs: 1 } };
  const request = ev(2, { kind: 'action.requested', action: 'step:preflight.drain', confirmedWith: 'enter' });
  const done: EventBody = { kind: 'action.completed', action: 'step:preflight.drain', status: 'succeeded', reason: 'exit 0', output: '', durationMs: 1 };
  const takeOver = ev(4, { kind: 'run.driver', from: 'alice', to: 'bob', reason: 'off shift' });

  it('owes the outcome of a start or request nothing answered, after a take-over too', () => {
    expect(stillOwed([request, start, takeOver], 3, result)).toBe(true);
    expect(stillOwed([request, start, takeOver], 2, done)).toBe(true);
  });

  it('owes nothing already answered, nothing after a resume, and nothing that is not an outcome', () => {
    expect(stillOwed([request, start, takeOver, ev(5, result)], 3, result)).toBe(false);
    expect(stillOwed([request, start, ev(5, { kind: 'step.skipped', phase: 'preflight', step: 'drain', reason: 'x' })], 3, result)).toBe(false);
    expect(stillOwed([request, start, ev(5, done)], 2, done)).toBe(false);
    // A process that resumed the run recorded the request as unknown and walks the step again.
    expect(stillOwed([request, start, ev(5, { kind: 'run.resumed' })], 3, result)).toBe(false);
    expect(stillOwed([request, start, ev(5, { kind: 'run.resumed' })], 2, done)).toBe(false);
    // Not this step's start, and not an outcome at all.
    expect(stillOwed([request, start], 2, result)).toBe(false);
    expect(stillOwed([request, start], 3, { kind: 'step.started', phase: 'preflight', step: 'drain' })).toBe(false);
  });

  it('owes what a successful outcome brings about (the stage moved, the run ended), once', () => {
    const moved: EventBody = { kind: 'stage.changed', from: 'canary', to: 'stable' };
    const ended: EventBody = { kind: 'run.completed', status: 'rolled_back' };
    const outcome = ev(5, { ...done, action: 'rollback' });
    expect(stillOwed([request, takeOver, outcome], 5, moved)).toBe(true);
    expect(stillOwed([request, takeOver, outcome, ev(6, moved)], 5, ended)).toBe(true);
    expect(stillOwed([request, takeOver, outcome, ev(6, moved)], 5, moved)).toBe(false);
    expect(stillOwed([request, takeOver, outcome, ev(6, moved), ev(7, ended)], 5, ended)).toBe(false);
    // Not after a failure, not after a resume, and not for what is not an outcome.
    expect(stillOwed([request, takeOver, ev(5, { ...done, action: 'rollback', status: 'failed' })], 5, ended)).toBe(false);
    expect(stillOwed([request, takeOver, outcome, ev(6, { kind: 'run.resumed' })], 5, ended)).toBe(false);
    expect(stillOwed([request, start, takeOver], 3, ended)).toBe(false);
  });

  it('lists the intents still owed, those after a seq (a take-over) only, none from before a resume', () => {
    const seqs = (evs: LedgerEvent[], after?: number) => owedIntents(evs, after).map((e) => e.seq);
    expect(seqs([request, start, takeOver])).toEqual([2, 3]);
    expect(seqs([request, start, takeOver], 2)).toEqual([3]);
    expect(seqs([request, start, takeOver, ev(5, result), ev(6, done)])).toEqual([]);
    expect(seqs([request, start, ev(5, { kind: 'run.resumed' })])).toEqual([]);
  });

  it('answers the earliest open request of an action first', () => {
    const again = ev(6, { kind: 'action.requested', action: 'step:preflight.drain', confirmedWith: 'enter' });
    expect(stillOwed([request, ev(5, done), again], 6, done)).toBe(true);
    expect(stillOwed([request, ev(5, done), again], 2, done)).toBe(false);
  });
});
