// Reading the release ledger as people read it: status counts, filtered pages of runs newest
// first, one run with all its events, and streams of runs and events for exports. Only reads;
// writes stay in ledger.ts. Every page is a bounded number of index lookups (migration v3), so
// page 1 and page 500 of a ledger with a million events cost about the same.
import type Database from 'better-sqlite3';
import type { RunRecord, RunStatus } from '../src/engine/ports.js';
import type { EventBody, LedgerEvent } from '../src/engine/types.js';
import {
  DEFAULT_PAGE_SIZE, RUN_STATUSES, pageCount,
  type AsyncLedgerBrowser, type LedgerBrowser, type LedgerFilter, type LedgerPage, type PageCursor, type RunSummary, type StatusCounts,
} from '../src/engine/ledger-filter.js';

export type { LedgerPage, RunSummary, StatusCounts };
import { CONTROL_RUNBOOK } from '../src/session/controls.js';

/** The safety controls' run is listed only when asked for by its release type. */
export const CONTROL_TYPE = 'controls';

/** A row of the runs table as SQLite gives it. */
export interface RunRow {
  run_id: string;
  runbook: string;
  name: string;
  status: RunStatus;
  branch: string | null;
  commit_sha: string | null;
  backlog_id: string | null;
  release_type: string | null;
  started_at: number;
  released_at: number | null;
  completed_at: number | null;
  note: string | null;
}

export const RUN_COLUMNS = 'run_id, runbook, name, status, branch, commit_sha, backlog_id, release_type, started_at, released_at, completed_at, note';
export const ORDER = 'ORDER BY started_at DESC, run_id DESC';
/** Kinds that tell how a run went, newest first, for the summary row's headline. */
export const HEADLINE_KINDS = ['action.completed', 'action.refused', 'verdict.changed', 'canary.decision', 'step.result', 'step.skipped', 'control.stop'];
/** The headline is looked for among a run's newest events only, so a huge run costs the same. */
export const HEADLINE_WINDOW = 50;

export function toRun(r: RunRow): RunRecord {
  const run: RunRecord = { runId: r.run_id, runbook: r.runbook, name: r.name, status: r.status, startedAt: r.started_at };
  if (r.branch !== null) run.branch = r.branch;
  if (r.commit_sha !== null) run.commitSha = r.commit_sha;
  if (r.backlog_id !== null) run.backlogId = r.backlog_id;
  if (r.release_type !== null) run.releaseType = r.release_type;
  if (r.released_at !== null) run.releasedAt = r.released_at;
  if (r.completed_at !== null) run.completedAt = r.completed_at;
  if (r.note !== null) run.note = r.note;
  return run;
}

/** A row of the events table as the event readers select it. */
export interface EventRow {
  run_id: string;
  seq: number;
  at: number;
  operator: string;
  payload: string;
}

export const toEvent = (r: EventRow): LedgerEvent => ({ runId: r.run_id, seq: r.seq, at: r.at, operator: r.operator, body: JSON.parse(r.payload) as EventBody });

/**
 * WHERE clause and its parameters (`?` placeholders; pg-query.ts numbers them); `withStatus:
 * false` leaves the status out (for the counts).
 */
export function where(filter: LedgerFilter, withStatus: boolean): { sql: string; params: (string | number)[] } {
  const conds: string[] = [];
  const params: (string | number)[] = [];
  if (filter.type === CONTROL_TYPE) conds.push('release_type = ?'), params.push(CONTROL_TYPE);
  else {
    conds.push('runbook <> ?');
    params.push(CONTROL_RUNBOOK);
    if (filter.type !== undefined) conds.push('release_type = ?'), params.push(filter.type);
  }
  if (filter.branch !== undefined) conds.push('branch = ?'), params.push(filter.branch);
  if (filter.since !== undefined) conds.push('started_at >= ?'), params.push(filter.since);
  if (filter.until !== undefined) conds.push('started_at < ?'), params.push(filter.until);
  if (withStatus && filter.status?.length) {
    conds.push(`status IN (${filter.status.map(() => '?').join(', ')})`);
    params.push(...filter.status);
  }
  return { sql: conds.length ? `WHERE ${conds.join(' AND ')}` : '', params };
}

export class LedgerQuery implements LedgerBrowser {
  private readonly stmt;
  private readonly cache = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {
    this.stmt = {
      run: db.prepare(`SELECT ${RUN_COLUMNS} FROM runs WHERE run_id = ?`),
      newest: db.prepare(`SELECT ${RUN_COLUMNS} FROM runs WHERE runbook <> ? ${ORDER} LIMIT 1`),
      // seq runs 1, 2, 3… per run, so the highest seq is the count: one index lookup.
      extras: db
        .prepare(
          `SELECT (SELECT MAX(seq) FROM events WHERE run_id = @id),
                  (SELECT operator FROM events WHERE run_id = @id ORDER BY seq LIMIT 1),
                  (SELECT at FROM events WHERE run_id = @id ORDER BY seq DESC LIMIT 1)`,
        )
        .raw(),
      headline: db.prepare(
        `SELECT run_id, seq, at, operator, payload FROM
           (SELECT run_id, seq, at, operator, payload, kind FROM events WHERE run_id = ? ORDER BY seq DESC LIMIT ${HEADLINE_WINDOW})
         WHERE kind IN (${HEADLINE_KINDS.map((k) => `'${k}'`).join(', ')}) LIMIT 1`,
      ),
      eventsAfter: db.prepare('SELECT run_id, seq, at, operator, payload FROM events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?'),
      eventsBefore: db.prepare('SELECT run_id, seq, at, operator, payload FROM events WHERE run_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?'),
      eventMark: db.prepare("SELECT id || ':' || hex(hash) FROM events WHERE run_id = ? AND seq = ?").pluck(),
      // The newest event, other connections' commits (data_version) and this one's own writes:
      // completeRun sets a status without adding an event.
      changeMark: db.prepare("SELECT (SELECT COALESCE(MAX(id), 0) FROM events) || ':' || (SELECT data_version FROM pragma_data_version) || ':' || total_changes()").pluck(),
      previousRelease: db.prepare(
        `SELECT ${RUN_COLUMNS} FROM runs WHERE runbook = ? AND status = 'succeeded' AND commit_sha IS NOT NULL AND commit_sha IS NOT ?
           AND (started_at < ? OR (started_at = ? AND run_id < ?)) ${ORDER} LIMIT 1`,
      ),
    };
  }

  private prepared(sql: string): Database.Statement {
    let s = this.cache.get(sql);
    if (!s) this.cache.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  /** Counts of the last filter read, kept while the ledger does not change (paging does not recount). */
  private counted?: { key: string; mark: string; counts: StatusCounts };

  /** Runs per status, for the filter without its status part. */
  counts(filter: LedgerFilter): StatusCounts {
    const w = where(filter, false);
    const key = `${w.sql}\u0000${w.params.join('\u0000')}`;
    const mark = this.changeMark();
    if (this.counted?.key === key && this.counted.mark === mark) return { ...this.counted.counts };
    const rows = this.prepared(`SELECT status, COUNT(*) FROM runs ${w.sql} GROUP BY status`).raw().all(...w.params) as [RunStatus, number][];
    const counts = Object.fromEntries(RUN_STATUSES.map((s) => [s, 0])) as StatusCounts;
    for (const [status, n] of rows) counts[status] = n;
    this.counted = { key, mark, counts };
    return { ...counts };
  }

  /**
   * One page of runs, newest first, with the counts and totals the screen shows above it. With
   * a cursor the page is found by key (an index range, no matter how deep); without, by OFFSET.
   */
  page(filter: LedgerFilter, page = 1, pageSize = DEFAULT_PAGE_SIZE, cursor?: PageCursor): LedgerPage {
    const counts = this.counts(filter);
    const wanted = filter.status?.length ? filter.status : RUN_STATUSES;
    const total = wanted.reduce((sum, s) => sum + counts[s], 0);
    const pages = pageCount(total, pageSize);
    let at = Math.min(Math.max(1, Math.floor(page)), pages);
    const w = where(filter, true);
    const and = w.sql ? `${w.sql} AND` : 'WHERE';
    let rows: RunRow[] | undefined;
    if (cursor && 'after' in cursor) {
      rows = this.prepared(`SELECT ${RUN_COLUMNS} FROM runs ${and} (started_at, run_id) < (?, ?) ${ORDER} LIMIT ?`).all(...w.params, ...cursor.after, pageSize) as RunRow[];
    } else if (cursor && 'from' in cursor) {
      rows = this.prepared(`SELECT ${RUN_COLUMNS} FROM runs ${and} (started_at, run_id) <= (?, ?) ${ORDER} LIMIT ?`).all(...w.params, ...cursor.from, pageSize) as RunRow[];
    } else if (cursor && 'before' in cursor) {
      const newer = this.prepared(`SELECT ${RUN_COLUMNS} FROM runs ${and} (started_at, run_id) > (?, ?) ORDER BY started_at, run_id LIMIT ?`).all(...w.params, ...cursor.before, pageSize) as RunRow[];
      // Short of a page: the newest runs, page 1 (runs added since moved the pages down).
      if (newer.length === pageSize) rows = newer.reverse();
      else at = 1;
    }
    if (!rows?.length) rows = this.prepared(`SELECT ${RUN_COLUMNS} FROM runs ${w.sql} ${ORDER} LIMIT ? OFFSET ?`).all(...w.params, pageSize, (at - 1) * pageSize) as RunRow[];
    return { filter, page: at, pageSize, pages, total, counts, runs: rows.map((r) => this.summary(toRun(r))) };
  }

  summary(run: RunRecord): RunSummary {
    const [count, operator, lastAt] = this.stmt.extras.get({ id: run.runId }) as [number | null, string | null, number | null];
    const head = this.stmt.headline.get(run.runId) as EventRow | undefined;
    return {
      ...run,
      events: count ?? 0,
      ...(operator !== null ? { operator } : {}),
      ...(lastAt !== null ? { lastAt } : {}),
      ...(head ? { headline: toEvent(head) } : {}),
    };
  }

  run(runId: string): RunRecord | undefined {
    const row = this.stmt.run.get(runId) as RunRow | undefined;
    return row && toRun(row);
  }

  /** The newest run that is not the safety controls' own. */
  newest(): RunRecord | undefined {
    const row = this.stmt.newest.get(CONTROL_RUNBOOK) as RunRow | undefined;
    return row && toRun(row);
  }

  /** Up to `limit` events of a run after seq `afterSeq`, in order. */
  eventsAfter(runId: string, afterSeq: number, limit: number): LedgerEvent[] {
    return (this.stmt.eventsAfter.all(runId, afterSeq, limit) as EventRow[]).map(toEvent);
  }

  /** Up to `limit` events of a run before seq `beforeSeq`, in order. */
  eventsBefore(runId: string, beforeSeq: number, limit: number): LedgerEvent[] {
    return (this.stmt.eventsBefore.all(runId, beforeSeq, limit) as EventRow[]).map(toEvent).reverse();
  }

  /** The event's `id:hash` (see AsyncLedgerBrowser.eventMark). */
  eventMark(runId: string, seq: number): string | undefined {
    return this.stmt.eventMark.get(runId, seq) as string | undefined;
  }

  /** Every event of a run, in order, read in pages (a run may be long). */
  *events(runId: string, pageSize = 5000): Generator<LedgerEvent> {
    let after = 0;
    for (;;) {
      const page = this.eventsAfter(runId, after, pageSize);
      yield* page;
      if (page.length < pageSize) return;
      after = page[page.length - 1].seq;
    }
  }

  /** Every run matching the filter, newest first, read in pages by key (no OFFSET). */
  *runs(filter: LedgerFilter, pageSize = 500): Generator<RunRecord> {
    const w = where(filter, true);
    const first = this.prepared(`SELECT ${RUN_COLUMNS} FROM runs ${w.sql} ${ORDER} LIMIT ?`);
    const next = this.prepared(
      `SELECT ${RUN_COLUMNS} FROM runs ${w.sql ? `${w.sql} AND` : 'WHERE'} (started_at, run_id) < (?, ?) ${ORDER} LIMIT ?`,
    );
    let rows = first.all(...w.params, pageSize) as RunRow[];
    for (;;) {
      for (const r of rows) yield toRun(r);
      if (rows.length < pageSize) return;
      const last = rows[rows.length - 1];
      rows = next.all(...w.params, last.started_at, last.run_id, pageSize) as RunRow[];
    }
  }

  /** The last succeeded run of the same runbook before this one with another commit: the rollback target. */
  previousRelease(run: RunRecord): RunRecord | undefined {
    const row = this.stmt.previousRelease.get(run.runbook, run.commitSha ?? null, run.startedAt, run.startedAt, run.runId) as RunRow | undefined;
    return row && toRun(row);
  }

  /** Changes whenever the ledger may have changed, by any process: the screen re-reads only then. */
  changeMark(): string {
    return this.stmt.changeMark.get() as string;
  }
}

/**
 * The SQLite queries behind the asynchronous reading interface (as PostgreSQL offers it);
 * `inTurn` runs each read when the connection is free (sqlite-store.ts), by default at once.
 */
export function asyncBrowser(q: LedgerQuery, inTurn?: <T>(fn: () => T) => Promise<T>): AsyncLedgerBrowser {
  const later = inTurn ?? (<T>(fn: () => T) => Promise.resolve().then(fn));
  return {
    page: (filter, page, pageSize, cursor) => later(() => q.page(filter, page, pageSize, cursor)),
    summary: (run) => later(() => q.summary(run)),
    run: (runId) => later(() => q.run(runId)),
    newest: () => later(() => q.newest()),
    eventsAfter: (runId, afterSeq, limit) => later(() => q.eventsAfter(runId, afterSeq, limit)),
    eventsBefore: (runId, beforeSeq, limit) => later(() => q.eventsBefore(runId, beforeSeq, limit)),
    eventMark: (runId, seq) => later(() => q.eventMark(runId, seq)),
    events: (runId) => toAsync(q.events(runId)),
    runs: (filter) => toAsync(q.runs(filter)),
    previousRelease: (run) => later(() => q.previousRelease(run)),
    changeMark: () => later(() => q.changeMark()),
  };
}

async function* toAsync<T>(items: Iterable<T>): AsyncGenerator<T> {
  yield* items;
}
