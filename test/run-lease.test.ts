// Run leases through real sessions on a real SQLite ledger: a headless session is refused a run
// a live owner drives (or takes it over with a reason); it resumes only a run whose owner is gone (its pid ended, or silent past the lapse time), records as unknown only that
// owner's unanswered actions, and a session that lost its run writes nothing more into it.
import { waitFor } from './support/cockpit.js';
import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLedger, type SqliteLedger } from '../adapters/ledger.js';
import { loadRunbook } from '../src/runbook/load.js';
import { openSession, type Session } from '../src/session/session.js';
import { SqliteStore } from '../adapters/sqlite-store.js';
import { LEASE_BEAT_MS, LEASE_LAPSE_MS } from '../src/engine/lease.js';
import { hourMinute } from '../src/engine/driver.js';
import { DrivenElsewhereError } from '../src/session/run-lifecycle.js';
import { ManualClock } from './support/manual-clock.js';

const env = { PATH: process.env.PATH, OPSCOCKPIT_OPERATOR: 'ops', OPSCOCKPIT_ALLOW_SCOPES: 'ops:read,deploy:abort' };
const sessions: Session[] = [];
const ledgers: SqliteLedger[] = [];
afterEach(() => {
  for (const s of sessions.splice(0)) s.stop();
  for (const l of ledgers.splice(0)) l.close();
});

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'oc-lease-'));
  const marks = join(dir, 'aborted');
  const file = join(dir, 'rb.yaml');
  writeFileSync(
    file,
    `version: 1\nname: Leases\nchecks:\n  ok: { script: { command: /bin/true } }\nchecklists:\n  preflight:\n    - { id: one, check: ok }\n` +
      `actions:\n  abort: { title: Abort, confirm: abort, script: { command: bash, args: [-c, 'echo x >> ${marks}'] } }\n`,
  );
  const runbook = loadRunbook(file, env);
  const ledgerPath = join(dir, 'ledger.db');
  const ledger = openLedger(ledgerPath);
  ledgers.push(ledger);
  const session = async (clock?: ManualClock, takeOver?: string) => {
    const s = await openSession({ runbook, ledger: new SqliteStore(ledger, ledgerPath), ledgerPath, env, clock, takeOver });
    sessions.push(s);
    return s;
  };
  return { ledger, marks, session };
}

/** The pid of a process that has ended. */
function deadPid(): Promise<number> {
  return new Promise((done) => {
    const child = spawn('true');
    child.on('exit', () => done(child.pid!));
  });
}

const kinds = (l: SqliteLedger, runId: string) => l.events(runId).map((e) => e.body.kind);

describe('run leases', () => {
  it('a second headless session on the runbook is refused while the first drives, naming who; with a reason it takes the run over; once closed, its run is resumed', async () => {
    const { ledger, session } = setup();
    const first = await session();
    const before = kinds(ledger, first.runId);
    const since = hourMinute(Date.now());
    await expect(session()).rejects.toThrow(DrivenElsewhereError);
    await expect(session()).rejects.toThrow(`ops is driving since ${since} (run ${first.runId}); nothing was run or recorded.`);
    expect(kinds(ledger, first.runId)).toEqual(before);
    expect(ledger.listRuns(10).map((r) => r.runId)).toEqual([first.runId]);

    const second = await session(undefined, 'first one hung');
    expect(second.runId).toBe(first.runId);
    const last = ledger.events(first.runId).at(-1)!;
    expect(last.body).toEqual({ kind: 'run.driver', from: 'ops', to: 'ops', reason: 'first one hung' });
    expect(kinds(ledger, first.runId)).toEqual([...before, 'run.driver']);
    await second.stop();
    await first.stop();
    const third = await session();
    expect(third.runId).toBe(first.runId);
    expect(kinds(ledger, first.runId).at(-1)).toBe('run.resumed');
  });

  it("records as unknown the unanswered action of an owner whose pid has ended, and leaves a live owner's run alone", async () => {
    const { ledger, session } = setup();
    const s = await session();
    const runId = s.runId;
    await s.stop();
    ledger.append(runId, 'ops', { kind: 'action.requested', action: 'abort', confirmedWith: 'abort' }, Date.now(), { durable: true });

    // Its owner is another process on this host, alive and heard from just now: not taken.
    const alive = spawn('sleep', ['30']);
    try {
      ledger.leases.take(runId, { pid: alive.pid!, host: hostname(), token: 'other' }, Date.now());
      await expect(session()).rejects.toThrow(DrivenElsewhereError);
      expect(ledger.events(runId).filter((e) => e.body.kind === 'action.completed')).toEqual([]);
      // The same owner, silent for longer than the lapse time: taken over.
      ledger.leases.take(runId, { pid: alive.pid!, host: hostname(), token: 'other' }, Date.now() - LEASE_LAPSE_MS - 1000);
      const taken = await session();
      expect(taken.runId).toBe(runId);
    } finally {
      alive.kill();
    }
    const done = ledger.events(runId).filter((e) => e.body.kind === 'action.completed');
    expect(done.map((e) => e.body)).toEqual([expect.objectContaining({ action: 'abort', status: 'unknown' })]);
  });

  it('takes over at once a run whose owner pid has ended on this host', async () => {
    const { ledger, session } = setup();
    const s = await session();
    const runId = s.runId;
    await s.stop();
    ledger.leases.take(runId, { pid: await deadPid(), host: hostname(), token: 'gone' }, Date.now());
    expect((await session()).runId).toBe(runId);
  });

  it('a session whose run was taken over runs no action and writes nothing more into it', async () => {
    const { ledger, marks, session } = setup();
    const s = await session();
    const runId = s.runId;
    ledger.leases.take(runId, { pid: 1, host: 'elsewhere', token: 'usurper' }, Date.now());
    const before = kinds(ledger, runId);
    expect(await s.runAction('abort', 'abort')).toBeUndefined();
    expect(s.store.getState().flash?.text).toMatch(new RegExp(`run ${runId} is no longer this process's: another process took it over \\(pid 1 on host elsewhere.*nothing ran`));
    expect(existsSync(marks)).toBe(false);
    s.command('step.advance');
    await new Promise((r) => setTimeout(r, 200));
    expect(kinds(ledger, runId)).toEqual(before);
  });

  it('renews its lease every beat, and observes the run once another process has taken it', async () => {
    const { ledger, session } = setup();
    const clock = new ManualClock(Date.now());
    const s = await session(clock);
    const taken = ledger.leases.get(s.runId)!;
    await clock.advance(LEASE_BEAT_MS);
    expect(ledger.leases.get(s.runId)!.heartbeatAt).toBe(taken.heartbeatAt + LEASE_BEAT_MS);
    ledger.leases.take(s.runId, { pid: 1, host: 'elsewhere', token: 'usurper' }, clock.now());
    await clock.advance(LEASE_BEAT_MS);
    // The run is another's now: this cockpit observes it, and says who took it.
    await waitFor(() => s.store.getState().seat?.role === 'observer', 'the cockpit an observer', 3000);
    // Said once the ledger has told who took it (read after the switch).
    await waitFor(() => s.store.getState().flash?.text?.includes('took over driving') === true, 'the cockpit saying who took it', 3000);
    expect(s.store.getState().flash).toMatchObject({ level: 'error', text: expect.stringMatching(/^Another process took over driving at \d\d:\d\d\. This cockpit now observes the run\./) });
    expect(s.store.getState().seat?.line).toMatch(/^pid 1 on elsewhere is driving since/);
  });
});
