// The release ledger's read side against a real SQLite file filled through the real adapter.
import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openLedger, type SqliteLedger } from '../adapters/ledger.js';
import type { RunStatus } from '../src/engine/ports.js';
import { SqliteStore } from '../adapters/sqlite-store.js';
import { Controls } from '../src/session/controls.js';

const T0 = Date.UTC(2026, 10, 1, 9, 0, 0);
const HOUR = 3_600_000;
const open: SqliteLedger[] = [];
afterEach(() => {
  for (const l of open.splice(0)) l.close();
});

const STATUSES: Exclude<RunStatus, 'running'>[] = ['succeeded', 'failed', 'aborted', 'rolled_back'];

/** 47 runs an hour apart: statuses, types and branches in a fixed pattern; run i has i + 2 events. */
function filled(): { ledger: SqliteLedger; file: string } {
  const file = join(mkdtempSync(join(tmpdir(), 'oc-query-')), 'ledger.db');
  const ledger = openLedger(file);
  open.push(ledger);
  for (let i = 0; i < 47; i++) {
    const at = T0 + i * HOUR;
    const run = ledger.startRun(
      { runbook: '/rb/release.yaml', name: 'Release', releaseType: i % 3 ? 'cutover' : 'hotfix', branch: i % 2 ? 'main' : 'release/1', commitSha: `c${i}` },
      at,
    );
    const op = i % 2 ? 'alice' : 'bob';
    ledger.append(run.runId, op, { kind: 'run.started', runbook: '/rb/release.yaml', name: 'Release' }, at);
    for (let k = 0; k < i; k++) ledger.append(run.runId, 'carol', { kind: 'step.note', phase: 'preflight', step: 'db', note: `n${k}` }, at + k);
    if (i === 46) continue; // the newest is still running
    const status = STATUSES[i % 4];
    ledger.append(run.runId, op, { kind: 'action.completed', action: status === 'rolled_back' ? 'rollback' : 'abort', status: 'succeeded', reason: `exit 0 (${i})`, output: '', durationMs: 5 }, at + 1000);
    ledger.completeRun(run.runId, status, at + 60_000);
  }
  return { ledger, file };
}

describe('release ledger queries', () => {
  it('counts per status and pages newest first, with events, operator and headline per run', () => {
    const q = filled().ledger.browse();
    const p1 = q.page({}, 1, 20);
    expect(p1.counts).toEqual({ running: 1, succeeded: 12, failed: 12, aborted: 11, rolled_back: 11 });
    expect([p1.total, p1.pages, p1.page, p1.runs.length]).toEqual([47, 3, 1, 20]);
    expect(p1.runs[0]).toMatchObject({ status: 'running', events: 47, operator: 'bob', startedAt: T0 + 46 * HOUR });
    expect(p1.runs[1]).toMatchObject({ status: 'failed', events: 47, operator: 'alice', completedAt: T0 + 45 * HOUR + 60_000 });
    expect(p1.runs[1].headline?.body).toMatchObject({ kind: 'action.completed', reason: 'exit 0 (45)' });
    const starts = [1, 2, 3].flatMap((n) => q.page({}, n, 20).runs.map((r) => r.startedAt));
    expect(starts).toEqual([...starts].sort((a, b) => b - a));
    expect(new Set(starts).size).toBe(47);
    const last = q.page({}, 3, 20);
    expect(last.runs.at(-1)).toMatchObject({ startedAt: T0, events: 2 });
    expect(q.page({}, 99, 20).page).toBe(3);
  });

  it('filters by status, type, branch and date range; counts ignore only the status part', () => {
    const q = filled().ledger.browse();
    const failed = q.page({ status: ['failed'] }, 1, 50);
    expect(failed.total).toBe(12);
    expect(failed.runs.every((r) => r.status === 'failed')).toBe(true);
    expect(failed.counts.succeeded).toBe(12);
    const two = q.page({ status: ['failed', 'aborted'], type: 'hotfix', branch: 'main' }, 1, 50);
    expect(two.runs.length).toBeGreaterThan(0);
    for (const r of two.runs) {
      expect(['failed', 'aborted']).toContain(r.status);
      expect(r).toMatchObject({ releaseType: 'hotfix', branch: 'main' });
    }
    const window = q.page({ since: T0 + 10 * HOUR, until: T0 + 20 * HOUR }, 1, 50);
    expect(window.total).toBe(10);
    expect(window.runs.map((r) => r.startedAt)).toEqual(Array.from({ length: 10 }, (_, k) => T0 + (19 - k) * HOUR));
    expect(q.page({ type: 'nightly' }, 1, 20)).toMatchObject({ total: 0, pages: 1, runs: [] });
  });

  it('streams every matching run in order without OFFSET, and every event of a run', () => {
    const q = filled().ledger.browse();
    const streamed = [...q.runs({ branch: 'main' }, 4)].map((r) => r.runId);
    expect(streamed).toEqual(q.page({ branch: 'main' }, 1, 100).runs.map((r) => r.runId));
    const big = q.page({}, 1, 1).runs[0];
    const evs = [...q.events(big.runId, 10)];
    expect(evs.map((e) => e.seq)).toEqual(Array.from({ length: 47 }, (_, i) => i + 1));
    expect(q.eventsAfter(big.runId, 40, 3).map((e) => e.seq)).toEqual([41, 42, 43]);
  });

  it('turns pages by key exactly as by count, both ways; a re-read page keeps its rows when newer runs arrive', () => {
    const { ledger } = filled();
    const q = ledger.browse();
    const key = (r: { startedAt: number; runId: string }) => [r.startedAt, r.runId] as const;
    const ids = (p: { runs: { runId: string }[] }) => p.runs.map((r) => r.runId);
    for (const filter of [{}, { status: ['failed' as const, 'aborted' as const] }, { branch: 'main', type: 'cutover' }]) {
      let page = q.page(filter, 1, 7);
      for (let n = 2; n <= page.pages; n++) {
        const next = q.page(filter, n, 7, { after: key(page.runs.at(-1)!) });
        expect(ids(next)).toEqual(ids(q.page(filter, n, 7)));
        expect(ids(q.page(filter, n - 1, 7, { before: key(next.runs[0]) }))).toEqual(ids(page));
        page = next;
      }
    }
    const third = q.page({}, 3, 10);
    const run = ledger.startRun({ runbook: '/rb/release.yaml', name: 'Newest' }, T0 + 100 * HOUR);
    ledger.append(run.runId, 'dana', { kind: 'run.started', runbook: '/rb/release.yaml', name: 'Newest' }, T0 + 100 * HOUR);
    const again = q.page({}, 3, 10, { from: key(third.runs[0]) });
    expect(ids(again)).toEqual(ids(third));
    expect(again.total).toBe(48);
    expect(q.page({}, 1, 10).runs[0].name).toBe('Newest');
  });

  it('finds the rollback target: the last succeeded run of the runbook before this one with another commit', () => {
    const q = filled().ledger.browse();
    const runs = q.page({}, 1, 100).runs;
    const newest = runs[0]; // i = 46
    expect(q.previousRelease(newest)).toMatchObject({ commitSha: 'c44', status: 'succeeded' });
    const oldest = runs.at(-1)!; // i = 0, nothing before it
    expect(q.previousRelease(oldest)).toBeUndefined();
  });

  it("hides the safety controls' run unless its type is asked for; notices any new event", async () => {
    const { ledger } = filled();
    const q = ledger.browse();
    const before = q.changeMark();
    await new Controls(new SqliteStore(ledger, ':memory:'), { guarded: false, initialMode: 'DRY_RUN', windowTtlMs: 1, approvals: 2 }, 'ops', () => T0).setStop(true, 'drill');
    expect(q.changeMark()).not.toBe(before);
    expect(q.page({}, 1, 100).total).toBe(47);
    const controls = q.page({ type: 'controls' }, 1, 10);
    expect(controls.total).toBe(1);
    expect(controls.runs[0].headline?.body).toMatchObject({ kind: 'control.stop', on: true });
    expect(q.newest()?.name).toBe('Release');
  });

  it('migration v3 adds the paging indexes, and a filtered page is read from an index without sorting', () => {
    const { file, ledger } = filled();
    ledger.close();
    const db = new Database(file, { readonly: true });
    try {
      const names = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").pluck().all() as string[]).sort();
      expect(names).toEqual(expect.arrayContaining(['runs_started_run', 'runs_status_started', 'runs_type_started', 'runs_branch_started']));
      const plan = db
        .prepare("EXPLAIN QUERY PLAN SELECT * FROM runs WHERE runbook <> 'x' AND status IN ('failed') ORDER BY started_at DESC, run_id DESC LIMIT 20 OFFSET 40")
        .all()
        .map((r) => (r as { detail: string }).detail)
        .join('\n');
      expect(plan).toContain('USING INDEX runs_status_started');
      expect(plan).not.toContain('TEMP B-TREE');
    } finally {
      db.close();
    }
  });

  it('a run status set without a new event (completeRun) is counted at once, not from a stale cache', () => {
    const { ledger } = filled();
    const q = ledger.browse();
    const run = ledger.startRun({ runbook: '/rb/late.yaml', name: 'late' }, T0 + 999_999).runId;
    const running = q.counts({}).running;
    const mark = q.changeMark();
    ledger.completeRun(run, 'failed', T0 + 1_000_000);
    expect(q.changeMark()).not.toBe(mark);
    expect(q.counts({}).running).toBe(running - 1);
  });
});
