// Reading a PostgreSQL ledger as people read it: the same filters, pages, summaries and streams
// as SQLite's (ledger-query.ts, whose WHERE clauses and headline rule it shares), asynchronous.
import type { RunRecord, RunStatus } from '../src/engine/ports.js';
import type { LedgerEvent } from '../src/engine/types.js';
import {
  DEFAULT_PAGE_SIZE, RUN_STATUSES, pageCount,
  type AsyncLedgerBrowser, type LedgerFilter, type LedgerPage, type PageCursor, type RunSummary, type StatusCounts,
} from '../src/engine/ledger-filter.js';
import { CONTROL_RUNBOOK } from '../src/session/controls.js';
import { HEADLINE_KINDS, HEADLINE_WINDOW, ORDER, RUN_COLUMNS, toEvent, toRun, where, type EventRow, type RunRow } from './ledger-query.js';
import type { PgQuery } from './pg-leases.js';

const EVENTS = 'run_id, seq, at, operator, payload';
const RUNS = `SELECT ${RUN_COLUMNS} FROM opscockpit.runs`;

/** `?` placeholders as PostgreSQL's $1, $2, … (the shared SQL holds no `?` of its own). */
export function numbered(sql: string, from = 1): string {
  let n = from - 1;
  return sql.replace(/\?/g, () => `$${++n}`);
}

export class PgLedgerQuery implements AsyncLedgerBrowser {
  constructor(private readonly query: PgQuery) {}

  private async runRows(sql: string, params: unknown[]): Promise<RunRecord[]> {
    return (await this.query<RunRow>(numbered(sql), params)).rows.map(toRun);
  }

  async counts(filter: LedgerFilter): Promise<StatusCounts> {
    const w = where(filter, false);
    const { rows } = await this.query<{ status: RunStatus; n: number }>(numbered(`SELECT status, count(*) AS n FROM opscockpit.runs ${w.sql} GROUP BY status`), w.params);
    const counts = Object.fromEntries(RUN_STATUSES.map((s) => [s, 0])) as StatusCounts;
    for (const r of rows) counts[r.status] = r.n;
    return counts;
  }

  async page(filter: LedgerFilter, page = 1, pageSize = DEFAULT_PAGE_SIZE, cursor?: PageCursor): Promise<LedgerPage> {
    const counts = await this.counts(filter);
    const wanted = filter.status?.length ? filter.status : RUN_STATUSES;
    const total = wanted.reduce((sum, s) => sum + counts[s], 0);
    const pages = pageCount(total, pageSize);
    let at = Math.min(Math.max(1, Math.floor(page)), pages);
    const w = where(filter, true);
    const and = w.sql ? `${w.sql} AND` : 'WHERE';
    let runs: RunRecord[] | undefined;
    if (cursor && 'after' in cursor) runs = await this.runRows(`${RUNS} ${and} (started_at, run_id) < (?, ?) ${ORDER} LIMIT ?`, [...w.params, ...cursor.after, pageSize]);
    else if (cursor && 'from' in cursor) runs = await this.runRows(`${RUNS} ${and} (started_at, run_id) <= (?, ?) ${ORDER} LIMIT ?`, [...w.params, ...cursor.from, pageSize]);
    else if (cursor && 'before' in cursor) {
      const newer = await this.runRows(`${RUNS} ${and} (started_at, run_id) > (?, ?) ORDER BY started_at, run_id LIMIT ?`, [...w.params, ...cursor.before, pageSize]);
      // Short of a page: the newest runs, page 1 (runs added since moved the pages down).
      if (newer.length === pageSize) runs = newer.reverse();
      else at = 1;
    }
    if (!runs?.length) runs = await this.runRows(`${RUNS} ${w.sql} ${ORDER} LIMIT ? OFFSET ?`, [...w.params, pageSize, (at - 1) * pageSize]);
    return { filter, page: at, pageSize, pages, total, counts, runs: await Promise.all(runs.map((r) => this.summary(r))) };
  }

  async summary(run: RunRecord): Promise<RunSummary> {
    const { rows } = await this.query<{ n: number | null; operator: string | null; last_at: number | null }>(
      `SELECT (SELECT max(seq) FROM opscockpit.events WHERE run_id = $1) AS n,
              (SELECT operator FROM opscockpit.events WHERE run_id = $1 ORDER BY seq LIMIT 1) AS operator,
              (SELECT at FROM opscockpit.events WHERE run_id = $1 ORDER BY seq DESC LIMIT 1) AS last_at`,
      [run.runId],
    );
    const head = await this.query<EventRow>(
      `SELECT ${EVENTS} FROM (SELECT ${EVENTS}, kind FROM opscockpit.events WHERE run_id = $1 ORDER BY seq DESC LIMIT ${HEADLINE_WINDOW}) AS recent
        WHERE kind = ANY($2) ORDER BY seq DESC LIMIT 1`,
      [run.runId, HEADLINE_KINDS],
    );
    const { n, operator, last_at: lastAt } = rows[0];
    return {
      ...run,
      events: n ?? 0,
      ...(operator !== null ? { operator } : {}),
      ...(lastAt !== null ? { lastAt } : {}),
      ...(head.rows[0] ? { headline: toEvent(head.rows[0]) } : {}),
    };
  }

  async run(runId: string): Promise<RunRecord | undefined> {
    return (await this.runRows(`${RUNS} WHERE run_id = ?`, [runId]))[0];
  }

  async newest(): Promise<RunRecord | undefined> {
    return (await this.runRows(`${RUNS} WHERE runbook <> ? ${ORDER} LIMIT 1`, [CONTROL_RUNBOOK]))[0];
  }

  async eventsAfter(runId: string, afterSeq: number, limit: number): Promise<LedgerEvent[]> {
    const { rows } = await this.query<EventRow>(`SELECT ${EVENTS} FROM opscockpit.events WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, [runId, afterSeq, limit]);
    return rows.map(toEvent);
  }

  async eventsBefore(runId: string, beforeSeq: number, limit: number): Promise<LedgerEvent[]> {
    const { rows } = await this.query<EventRow>(`SELECT ${EVENTS} FROM opscockpit.events WHERE run_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3`, [runId, beforeSeq, limit]);
    return rows.map(toEvent).reverse();
  }

  async eventMark(runId: string, seq: number): Promise<string | undefined> {
    const { rows } = await this.query<{ mark: string }>(`SELECT id || ':' || encode(hash, 'hex') AS mark FROM opscockpit.events WHERE run_id = $1 AND seq = $2`, [runId, seq]);
    return rows[0]?.mark;
  }

  async *events(runId: string, pageSize = 5000): AsyncGenerator<LedgerEvent> {
    for (let after = 0; ; ) {
      const page = await this.eventsAfter(runId, after, pageSize);
      yield* page;
      if (page.length < pageSize) return;
      after = page[page.length - 1].seq;
    }
  }

  async *runs(filter: LedgerFilter, pageSize = 500): AsyncGenerator<RunRecord> {
    const w = where(filter, true);
    let rows = await this.runRows(`${RUNS} ${w.sql} ${ORDER} LIMIT ?`, [...w.params, pageSize]);
    for (;;) {
      yield* rows;
      if (rows.length < pageSize) return;
      const last = rows[rows.length - 1];
      rows = await this.runRows(`${RUNS} ${w.sql ? `${w.sql} AND` : 'WHERE'} (started_at, run_id) < (?, ?) ${ORDER} LIMIT ?`, [...w.params, last.startedAt, last.runId, pageSize]);
    }
  }

  async previousRelease(run: RunRecord): Promise<RunRecord | undefined> {
    const rows = await this.runRows(
      `${RUNS} WHERE runbook = ? AND status = 'succeeded' AND commit_sha IS NOT NULL AND commit_sha IS DISTINCT FROM ?
         AND (started_at, run_id) < (?, ?) ${ORDER} LIMIT 1`,
      [run.runbook, run.commitSha ?? null, run.startedAt, run.runId],
    );
    return rows[0];
  }

  /** The chain head (every append) and the runs' change counter (a run's end): any change moves one. */
  async changeMark(): Promise<string> {
    const { rows } = await this.query<{ mark: string }>(
      `SELECT h.last_id || ':' || c.last_value || ':' || c.is_called AS mark FROM opscockpit.chain_head h, opscockpit.run_changes c`,
    );
    return rows[0].mark;
  }
}
