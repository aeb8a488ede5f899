// Crash safety: the cockpit's session is killed with SIGKILL at 20 random moments during a
// run (steps, checks, a rollback script); after each restart the run resumes at the right
// step, every event the process reported as stored is there, and an action cut off between
// intent and outcome shows as unknown, never as nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startFixtureServer, type FixtureServer } from '../fixtures/server.js';
import { openLedger } from '../adapters/ledger.js';
import { verifyLedger } from '../adapters/ledger-verify.js';
import { walkChecklist } from '../src/engine/checklist.js';
import { CONTROL_RUNBOOK } from '../src/session/controls.js';
import { loadRunbook } from '../src/runbook/load.js';
import { nodeBundle } from './support/node-bundle.js';

const root = resolve(import.meta.dirname, '..');
const runbookFile = join(root, 'fixtures', 'runbooks', 'demo.yaml');
let server: FixtureServer;
let dir: string;
let bundle: string;

beforeAll(async () => {
  server = await startFixtureServer({ port: 0, token: 'crash-token' });
  dir = mkdtempSync(join(tmpdir(), 'oc-crash-'));
  // The child runs the real session code, bundled; better-sqlite3 resolves from node_modules.
  bundle = await nodeBundle({ entry: 'test/support/crash-driver.ts' }, 'crash-driver', ['better-sqlite3']);
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
  rmSync(bundle, { force: true });
});

interface Life {
  lines: string[];
  killed: boolean;
}

function live(ledgerPath: string, killAfterMs: number | undefined): Promise<Life> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [bundle, runbookFile, ledgerPath], {
      cwd: root,
      env: { PATH: process.env.PATH, DEMO_TOKEN: 'crash-token', OPSCOCKPIT_DEMO_URL: server.url, OPSCOCKPIT_OPERATOR: 'crash', OPSCOCKPIT_ALLOW_SCOPES: 'deploy:rollback' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), killAfterMs);
    child.on('error', fail);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (signal !== 'SIGKILL' && code !== 0) return fail(new Error(`driver exited ${code}: ${err}`));
      // Only whole lines count: a line cut by the kill was not reported.
      done({ lines: out.split('\n').slice(0, out.endsWith('\n') ? -1 : -1).filter(Boolean), killed: signal === 'SIGKILL' });
    });
  });
}

/** Whether the ledger's tables were committed (its schema version is set in the same transaction). */
function migrated(path: string): boolean {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return (db.pragma('user_version', { simple: true }) as number) > 0;
  } finally {
    db.close();
  }
}

describe('kill -9 during a run', () => {
  it('resumes at the right step 20 times, losing nothing that was reported as recorded', async () => {
    const ledgerPath = join(dir, 'ledger.db');
    const runbook = loadRunbook(runbookFile, { OPSCOCKPIT_DEMO_URL: server.url });
    const reported: Array<{ runId: string; seq: number; kind: string }> = [];
    let kills = 0;
    let resumes = 0;
    // Where the next start must be: computed from what the ledger holds after each kill.
    let expectNext: { runId: string; phase: string; done: number } | undefined;
    for (let i = 0; i < 20; i++) {
      const life = await live(ledgerPath, 100 + Math.floor(Math.random() * 1200));
      kills += life.killed ? 1 : 0;
      const opened = life.lines.find((l) => l.startsWith('opened '));
      if (opened && expectNext) {
        const [, runId, phase, done, resumed] = opened.split(' ');
        expect({ runId, phase, done: Number(done), resumed }).toEqual({ ...expectNext, resumed: 'true' });
        resumes++;
      }
      for (const l of life.lines.filter((x) => x.startsWith('recorded '))) {
        const [, runId, seq, kind] = l.split(' ');
        reported.push({ runId, seq: Number(seq), kind });
      }
      // Killed while still starting, before it made the ledger or committed its tables (the
      // next start makes them): nothing to check yet.
      if (!existsSync(ledgerPath) || !migrated(ledgerPath)) {
        expect(reported).toEqual([]);
        continue;
      }
      // The chain holds after every kill: nothing half-written, nothing reordered.
      const verified = verifyLedger(ledgerPath);
      expect(verified.firstBroken, 'ledger verify after a kill').toBeUndefined();
      expect(verified.ok).toBe(true);
      const l = openLedger(ledgerPath);
      try {
        for (const r of reported) {
          const ev = l.events(r.runId).find((e) => e.seq === r.seq);
          expect(ev?.body.kind, `event ${r.runId}#${r.seq} was reported as recorded`).toBe(r.kind);
        }
        // The runbook's newest run: not the safety controls' own (a lock after a rollback starts it).
        const run = l.listRuns(10).find((r) => r.runbook !== CONTROL_RUNBOOK);
        // Killed after the ledger was made but before the run was: nothing recorded to check.
        if (!run) {
          expect(reported).toEqual([]);
          expectNext = undefined;
          continue;
        }
        const walk = walkChecklist(runbook.checklists, l.events(run.runId).map((e) => e.body), { resumed: true });
        expectNext = run.status === 'running' ? { runId: run.runId, phase: walk.active, done: walk.phases[walk.active].done } : undefined;
      } finally {
        l.close();
      }
    }
    expect(kills).toBeGreaterThanOrEqual(15);
    expect(resumes).toBeGreaterThanOrEqual(10);
    // A final clean start settles whatever the last kill left open.
    await live(ledgerPath, 4000);
    const l = openLedger(ledgerPath);
    try {
      for (const run of l.listRuns(100)) {
        const evs = l.events(run.runId).map((e) => e.body);
        const requested = evs.filter((e) => e.kind === 'action.requested').length;
        const completed = evs.filter((e) => e.kind === 'action.completed').length;
        if (run.status !== 'running' || evs.some((e) => e.kind === 'run.resumed')) expect(completed).toBe(requested);
        const seqs = l.events(run.runId).map((e) => e.seq);
        expect(seqs).toEqual(seqs.map((_, k) => k + 1));
      }
      const all = l.listRuns(100).flatMap((r) => l.events(r.runId).map((e) => e.body));
      expect(all.filter((e) => e.kind === 'run.resumed').length).toBeGreaterThan(0);
    } finally {
      l.close();
    }
  }, 120_000);
});
