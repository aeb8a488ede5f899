// A take-over while the driver's block runs, and then the former driver's process dies (SIGKILL)
// before it records the outcome it owes. alice's cockpit runs in a process of its own (the real
// session code, bundled); bob's in this one, on the same ledger (a SQLite file; PostgreSQL, as
// the logins alice and bob). While alice's process
// lives it heartbeats the lease the take-over kept for what it owes, and bob's cockpit waits for
// her outcome; once her process is gone, bob's cockpit records the step as unknown, as a reopen
// does, says so on screen, and the line "running in alice's cockpit" goes away.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRunbookFile } from '../src/runbook/load.js';
import { owedKey } from '../src/engine/lease.js';
import { openSqliteStore } from '../adapters/sqlite-store.js';
import { openPgLedger } from '../adapters/pg-ledger.js';
import type { LedgerStore } from '../src/engine/ledger-store.js';
import { pgLedgerDatabase } from './support/ledger-stores.js';
import { openSession } from '../src/session/session.js';
import { runningElsewhere } from '../screens/step-command.js';
import { waitFor } from './support/cockpit.js';
import { stepsMarkdown, untilFile } from './support/runbook-text.js';
import { nodeBundle } from './support/node-bundle.js';

const root = join(import.meta.dirname, '..');
let bundle: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  bundle = await nodeBundle({ entry: 'test/support/seat-driver.ts' }, 'seat-driver', ['better-sqlite3', 'pg']);
});
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) process.kill(-c.pid!, 'SIGKILL');
  rmSync(bundle, { force: true });
});

const env = (who: string) => ({ PATH: process.env.PATH, OPSCOCKPIT_OPERATOR: who, OPSCOCKPIT_ALLOW_SCOPES: 'run:steps' });

/** alice's process: resolves with it, the run and the step's start once the block runs. */
function alice(file: string, ledgerPath: string): Promise<{ child: ChildProcess; runId: string; intent: number }> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [bundle, file, ledgerPath], { cwd: root, env: env('alice'), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    children.push(child);
    let out = '';
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.stdout.on('data', (d) => {
      out += d;
      const m = /running (\S+) (\d+)\n/.exec(out);
      if (m) ok({ child, runId: m[1], intent: Number(m[2]) });
    });
    child.on('close', (code) => fail(new Error(`alice's cockpit exited (${code}) before its block ran: ${err}`)));
  });
}

/** Where alice's process opens the ledger, and bob's store on it. */
type Backend = (dir: string) => Promise<{ alice: string; location: string; bob: () => Promise<LedgerStore> }>;

function scenario(backend: string, open: Backend) {
  it(`${backend}: bob’s cockpit waits while alice’s process lives, then records her step as unknown once it is gone`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oc-dead-driver-'));
    const go = join(dir, 'go');
    const file = join(dir, 'drain.md');
    writeFileSync(file, stepsMarkdown('Drain the workers', [['Drain the queue', `${untilFile(go, 600)}; echo drained`], ['Restart', 'echo restarted']]));
    const where = await open(dir);
    const a = await alice(file, where.alice);
    const ledger = await where.bob();
    const bob = await openSession({ runbook: await loadRunbookFile(file, env('bob')), ledger, ledgerPath: where.location, env: env('bob'), seat: 'join' });
    try {
      bob.start();
      expect(bob.runId).toBe(a.runId);
      await waitFor(() => bob.store.getState().checklist.phases.preflight.steps[0].state === 'running', 'the step running on bob’s screen', 5000);
      bob.command('driver.take');
      bob.type('alice is unreachable');
      bob.submit();
      await waitFor(() => bob.store.getState().seat?.role === 'driver', 'the seat with bob', 5000);

      // The take-over kept alice's lease for the step she owes; her live process heartbeats it.
      const owed = await ledger.leases.get(owedKey(a.runId, a.intent));
      expect(owed).toMatchObject({ pid: a.child.pid, driver: 'alice' });
      for (const end = Date.now() + 8000; ((await ledger.leases.get(owedKey(a.runId, a.intent)))?.heartbeatAt ?? 0) <= owed!.heartbeatAt; ) {
        if (Date.now() > end) throw new Error('timed out waiting for alice’s process to heartbeat what it owes');
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(bob.store.getState().checklist.phases.preflight.steps[0].state).toBe('running');
      expect(runningElsewhere(bob.store.getState())).toMatch(/^running in alice's cockpit since \d\d:\d\d$/);

      // alice's process dies (her block with it): bob's cockpit records what she owed as unknown.
      process.kill(-a.child.pid!, 'SIGKILL');
      await waitFor(() => bob.store.getState().checklist.phases.preflight.steps[0].state === 'failed', 'the step recorded as unknown on bob’s screen', 10_000);
      const gone = `alice's cockpit is gone (its process ${a.child.pid} on `;
      expect(bob.store.getState().flash).toMatchObject({ level: 'error', text: expect.stringContaining(gone) });
      expect(bob.store.getState().flash?.text).toMatch(/: "Drain the queue" is recorded as unknown; check by hand what it did, then retry \(r, then Enter and its id typed\) or skip \(s\)\.$/);
      expect(runningElsewhere(bob.store.getState())).toBeUndefined();
      const after = (await ledger.events(a.runId)).filter((e) => e.seq > a.intent - 2);
      const outcomes = after.filter((e) => e.body.kind === 'step.result' || e.body.kind === 'action.completed');
      expect(outcomes.map((e) => [e.operator, e.body.kind, e.body.kind === 'step.result' ? e.body.result.code : e.body.kind === 'action.completed' ? e.body.status : ''])).toEqual([
        ['bob', 'action.completed', 'unknown'],
        ['bob', 'step.result', 'outcome_unknown'],
      ]);
      expect(outcomes.every((e) => JSON.stringify(e.body).includes(gone))).toBe(true);

      // Recorded once: later looks find nothing owed; bob goes on. It may still have run: a retry
      // asks for its id typed before it runs here.
      writeFileSync(go, '');
      bob.command('step.retry');
      const first = () => bob.store.getState().checklist.phases.preflight.steps[0];
      await waitFor(() => first().state === 'pending' && first().unknown === true, 'the step to run again, of unknown outcome', 5000);
      expect(bob.store.getState().flash?.text).toContain(`type its id "${first().id}" to run it again`);
      await bob.advance(undefined, first().id);
      await waitFor(() => bob.store.getState().checklist.phases.preflight.steps[0].state === 'passed', 'the step run again, by bob', 5000);
      expect((await ledger.events(a.runId)).filter((e) => e.body.kind === 'step.result').map((e) => e.operator)).toEqual(['bob', 'bob']);
    } finally {
      writeFileSync(go, '');
      await bob.stop();
      await ledger.close();
    }
  }, 40_000);
}

describe('the former driver’s process dies before recording what it owes', () => {
  scenario('SQLite', async (dir) => ({ alice: join(dir, 'ledger.db'), location: join(dir, 'ledger.db'), bob: async () => openSqliteStore(join(dir, 'ledger.db')) }));
  scenario('PostgreSQL', async () => {
    const urls = await pgLedgerDatabase(inject('postgres'));
    return { alice: urls.alice, location: urls.bob, bob: () => openPgLedger(urls.bob) };
  });
});
