// The evidence lookup (src/evidence/record.ts): which sha256, version and state the ledger last
// recorded for an evidence file. One query for both backends, read through the index of the
// evidence events (events_evidence_at: migration v9 on SQLite, v4 on PostgreSQL), so a gate
// check polled every few seconds reads the evidence events only, not every event of every run.
// The index is partial: the query's kind condition must stay the index's, word for word.
import type { LedgerEvent } from '../src/engine/types.js';
import { toEvent, type EventRow } from './ledger-query.js';

/** The kinds of event the evidence record is made of (the index's condition, ledger-migrations.ts). */
export const EVIDENCE_KINDS = ['evidence.recorded', 'evidence.tampered'] as const;

/**
 * The evidence events, oldest first: by time; at the same millisecond, by run (the older run
 * first: started, then run id, as listRuns newest first reversed), then by seq. `schema` is the
 * tables' prefix ('' on SQLite, 'opscockpit.' on PostgreSQL); no parameters.
 */
export function evidenceSql(schema: string): string {
  return `SELECT e.run_id, e.seq, e.at, e.operator, e.payload
    FROM ${schema}events e JOIN ${schema}runs r ON r.run_id = e.run_id
    WHERE e.kind IN (${EVIDENCE_KINDS.map((k) => `'${k}'`).join(', ')})
    ORDER BY e.at, r.started_at, e.run_id, e.seq`;
}

/**
 * The rows as events, those of one file only when `path` is given (absolute, as recorded). The
 * path is compared here rather than in SQL: the index holds the evidence events only, and the two
 * backends would need two JSON dialects for it.
 */
export function evidenceOf(rows: readonly EventRow[], path?: string): LedgerEvent[] {
  const events = rows.map(toEvent);
  return path === undefined ? events : events.filter((e) => 'path' in e.body && e.body.path === path);
}
