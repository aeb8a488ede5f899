// Appending to the PostgreSQL ledger under the chain head's lock (pg-ledger.ts takes the lock):
// one statement reads what the batch needs (the head, the login, each run's last seq, the events
// stored before under the batch's keys), the hashes are made here (ledger-hasher.ts, the one
// implementation of the chain), and one statement inserts every row and moves the head, sent
// with the COMMIT: the lock is held for one round trip and the commit's WAL flush.
//
// Both are sent as text with their values quoted by the driver (escapeLiteral), so that several
// statements go in one message (the simple protocol takes no parameters): the read follows BEGIN
// and the lock in one round trip, and in READ COMMITTED each statement of a message takes a
// snapshot of its own, so the read, after the lock, sees every append committed before it.
import type pg from 'pg';
import type { EventBody, LedgerEvent } from '../src/engine/types.js';
import { repeatsInBatch, type NewEvent } from './append-group.js';
import { HASH_BYTES, wellFormed } from './ledger-chain.js';
import { LedgerError } from './ledger-errors.js';
import type { RowHasher } from './ledger-hasher.js';
import { toEvent, type EventRow } from './ledger-query.js';

/** What the read under the lock returns. */
export interface LockedHead {
  last_id: number;
  last_hash: Buffer;
  login: string;
  /** run id → its last seq (0: none yet); a run absent here does not exist. */
  seqs: Record<string, number> | null;
  /** The events stored before under one of the batch's keys. */
  earlier: Array<EventRow & { key: string }> | null;
}

const textArray = (client: pg.ClientBase, values: readonly string[]) =>
  values.length ? `ARRAY[${values.map((v) => client.escapeLiteral(v)).join(', ')}]::text[]` : `'{}'::text[]`;

/** The read for `events`, as text (values quoted); run it with the chain head locked. */
export function headRead(client: pg.ClientBase, events: readonly NewEvent[]): string {
  const runs = textArray(client, [...new Set(events.map((e) => e.runId))]);
  const keys = textArray(client, [...new Set(events.flatMap((e) => (e.key === null ? [] : [e.key])))]);
  return `SELECT h.last_id, h.last_hash, session_user AS login,
    (SELECT json_object_agg(r.run_id, (SELECT COALESCE(max(e.seq), 0) FROM opscockpit.events e WHERE e.run_id = r.run_id))
       FROM opscockpit.runs r WHERE r.run_id = ANY (${runs})) AS seqs,
    (SELECT json_agg(json_build_object('run_id', run_id, 'seq', seq, 'at', at, 'operator', operator, 'payload', payload, 'key', idempotency_key))
       FROM opscockpit.events WHERE idempotency_key = ANY (${keys})) AS earlier
  FROM opscockpit.chain_head h`;
}

export class PgAppender {
  private readonly prev = Buffer.alloc(HASH_BYTES);
  private readonly out = Buffer.alloc(HASH_BYTES);

  constructor(
    private readonly hashRow: RowHasher,
    /** Secret values masked in the body (the ledger's own mask, as SQLite's batchAppender takes it). */
    private readonly mask: (body: EventBody) => EventBody,
  ) {}

  /**
   * The events after `head` (read under the lock, which the caller holds until its commit): for
   * each, the event to store, the one stored before under its key, or the error refusing it;
   * and the statement that inserts the new ones and moves the head (none when none is new).
   */
  private plan(client: pg.ClientBase, head: LockedHead, events: readonly NewEvent[]): { out: Array<LedgerEvent | Error>; insert?: string } {
    const out = new Array<LedgerEvent | Error>(events.length);
    const earlier = new Map((head.earlier ?? []).map((r) => [r.key, r]));
    const seqs = head.seqs ?? {};
    const repeats = repeatsInBatch(events);
    const who = wellFormed(head.login);
    const lit = (v: string | number | null) => (v === null ? 'NULL' : client.escapeLiteral(String(v)));
    const rows: string[] = [];
    head.last_hash.copy(this.prev);
    let id = head.last_id;
    events.forEach((e, i) => {
      if (repeats.has(i)) return;
      // A retry of an append that was stored (its acknowledgement lost): the stored event.
      const stored = e.key === null ? undefined : earlier.get(e.key);
      if (stored) return void (out[i] = toEvent(stored));
      if (!(e.runId in seqs)) return void (out[i] = new LedgerError(`no run ${e.runId} in the ledger`));
      // The column is a bigint: a time that is not one would fail the whole batch's insert.
      if (!Number.isSafeInteger(e.at)) return void (out[i] = new LedgerError(`event time ${e.at} is not a whole number of milliseconds; nothing was recorded.`));
      const seq = ++seqs[e.runId];
      id++;
      const body = this.mask(e.body);
      const kind = wellFormed(body.kind);
      const step = 'step' in body ? wellFormed(body.step) : null;
      const payload = JSON.stringify(body);
      this.hashRow(id, e.runId, seq, e.at, kind, step, who, payload, this.prev, this.out);
      this.out.copy(this.prev);
      const hash = `\\x${this.prev.toString('hex')}`;
      rows.push(`(${[id, e.runId, seq, e.at, kind, step, wellFormed(e.operator), payload, hash, e.key].map(lit).join(', ')})`);
      out[i] = { runId: e.runId, seq, at: e.at, operator: who, body };
    });
    for (const [i, j] of repeats) out[i] = out[j];
    if (!rows.length) return { out };
    // The head moves only if every row was stamped with the login its hash covers; else last_id
    // would be NULL, which its NOT NULL refuses (write() says so): the statement fails, nothing is kept.
    const insert = `WITH ev AS (
    INSERT INTO opscockpit.events (id, run_id, seq, at, kind, step, display_name, payload, hash, idempotency_key)
    VALUES ${rows.join(',\n')}
    RETURNING operator)
  UPDATE opscockpit.chain_head SET last_id = CASE WHEN (SELECT bool_and(operator = ${lit(who)}) FROM ev) THEN ${lit(id)}::bigint END,
    last_hash = ${lit(`\\x${this.prev.toString('hex')}`)}::bytea`;
    return { out, insert };
  }

  /**
   * Writes `events` after `head` in one round trip: the insert and, with `commit`, the COMMIT
   * after it (skipped by the server if the insert fails). Resolves as plan() says, once done.
   */
  async write(client: pg.ClientBase, head: LockedHead, events: readonly NewEvent[], commit: boolean): Promise<Array<LedgerEvent | Error>> {
    const { out, insert } = this.plan(client, head, events);
    const sql = [insert, commit ? 'COMMIT' : undefined].filter(Boolean).join(';\n');
    if (!sql) return out;
    try {
      await client.query(sql);
    } catch (err) {
      const e = err as { code?: string; column?: string; table?: string };
      if (e.code === '23502' && e.table === 'chain_head' && e.column === 'last_id')
        throw new LedgerError(`events were stamped with another login than ${head.login}, which their hashes cover; nothing was recorded.`);
      throw err;
    }
    return out;
  }
}
