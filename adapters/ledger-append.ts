// The SQLite ledger's append transaction (ledger.ts runs it under BEGIN IMMEDIATE): a batch of
// events of any runs, as the group commit (append-group.ts) and appendMany hand it over. Each
// event gets the next id and its run's next seq, and its hash chained on the one before
// (ledger-hasher.ts, the one implementation of the chain).
import type { Statement } from 'better-sqlite3';
import type { EventBody, LedgerEvent } from '../src/engine/types.js';
import { repeatsInBatch, type NewEvent } from './append-group.js';
import { HASH_BYTES, wellFormed } from './ledger-chain.js';
import { LedgerError } from './ledger-errors.js';
import type { RowHasher } from './ledger-hasher.js';
import { toEvent, type EventRow } from './ledger-query.js';

/** The statements it uses (ledger.ts prepares them). */
export interface AppendStatements {
  byKey: Statement;
  runExists: Statement;
  nextSeq: Statement;
  lastEvent: Statement;
  usedIds: Statement;
  insertEvent: Statement;
}

/**
 * The batch writer: for each event, the event stored (or the one stored before under its key),
 * or the error refusing that one alone. Throws (rolling the transaction back) on a failure.
 */
export function batchAppender(stmt: AppendStatements, hashRow: RowHasher, mask: (body: EventBody) => EventBody): (events: readonly NewEvent[]) => Array<LedgerEvent | Error> {
  let slots: Buffer[] = [];
  /** `count` 32-byte views of one buffer, kept between transactions (SQLite copies what is bound). */
  const hashSlots = (count: number): Buffer[] => {
    if (slots.length < count) {
      const size = Math.max(count, 2 * slots.length, 64);
      const arena = Buffer.alloc(size * HASH_BYTES);
      slots = Array.from({ length: size }, (_, i) => arena.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES));
    }
    return slots;
  };
  return (events) => {
    const n = events.length;
    const out = new Array<LedgerEvent | Error>(n);
    // Each event's run's next seq, read once per run; undefined: no such run.
    const nextSeq = new Map<string, number | undefined>();
    const repeats = repeatsInBatch(events);
    // The events written, as indexes into `events`.
    const written: number[] = [];
    let checked: string | undefined;
    let exists = false;
    for (let i = 0; i < n; i++) {
      const { runId, key } = events[i];
      if (repeats.has(i)) continue;
      // A retry of an append already stored: that event.
      const stored = key === null ? undefined : (stmt.byKey.get(key) as EventRow | undefined);
      if (stored) {
        out[i] = toEvent(stored);
        continue;
      }
      if (runId !== checked) {
        checked = runId;
        if (!nextSeq.has(runId)) nextSeq.set(runId, stmt.runExists.get(runId) ? (stmt.nextSeq.get(runId) as number) : undefined);
        exists = nextSeq.get(runId) !== undefined;
      }
      if (exists) written.push(i);
      else out[i] = new LedgerError(`no run ${runId} in the ledger`);
    }
    const head = stmt.lastEvent.get() as [number, string] | undefined;
    const id = Math.max(head?.[0] ?? 0, (stmt.usedIds.get() as number | undefined) ?? 0) + 1;
    const m = written.length;
    // hashes[0] is the head's hash, read once under the lock (GENESIS, all zeros, on an
    // empty ledger); hashes[k + 1] is the k-th new event's.
    const hashes = hashSlots(m + 1);
    hashes[0].fill(0);
    if (head) hashes[0].write(head[1], 'hex');
    const runs = new Array<string>(m);
    const seqs = new Array<number>(m);
    const whos = new Array<string>(m);
    const kinds = new Array<string>(m);
    const steps = new Array<string | null>(m);
    const payloads = new Array<string>(m);
    // The run and operator of the event before, for batches of one run by one operator.
    let run: string | undefined;
    let seq = 0;
    let operator: string | undefined;
    let who = '';
    // All the hashing first, then all the inserts: interleaved, each slowed the other down
    // (measured: the chain's extra time per batched event fell by about a quarter apart).
    for (let k = 0; k < m; k++) {
      const e = events[written[k]];
      if (e.runId !== run) {
        if (run !== undefined) nextSeq.set(run, seq);
        run = e.runId;
        seq = nextSeq.get(run)!;
      }
      if (e.operator !== operator) who = wellFormed((operator = e.operator));
      const body = mask(e.body);
      const kind = (kinds[k] = wellFormed(body.kind));
      const step = (steps[k] = 'step' in body ? wellFormed(body.step) : null);
      const payload = (payloads[k] = JSON.stringify(body));
      hashRow(id + k, run, seq, e.at, kind, step, who, payload, hashes[k], hashes[k + 1]);
      out[written[k]] = { runId: run, seq, at: e.at, operator: who, body };
      runs[k] = run;
      whos[k] = who;
      seqs[k] = seq++;
    }
    for (let k = 0; k < m; k++) {
      const e = events[written[k]];
      if (stmt.insertEvent.run(runs[k], seqs[k], e.at, kinds[k], steps[k], whos[k], payloads[k], hashes[k + 1], e.key).lastInsertRowid !== id + k)
        throw new LedgerError(`event ${runs[k]}#${seqs[k]} was stored under another id than the one its hash covers; nothing was recorded.`);
    }
    for (const [i, j] of repeats) out[i] = out[j];
    return out;
  };
}
