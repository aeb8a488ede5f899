// Group commit for both ledgers (sqlite-store.ts, pg-ledger.ts): appends a process makes while
// its previous append transaction is in flight wait in a queue and are written together by the
// next one: one append lock, one insert, one commit (and one WAL flush) for all of them.
//
// What each caller is promised does not change: its promise resolves only after the commit
// that holds its event. If that transaction fails, every caller in it gets the error and none
// of its events is stored (nothing half-acknowledged); an append retried with its idempotency
// key joins a later transaction and is stored at most once. An append the backend refuses on
// its own before writing (its run does not exist) is refused alone: the others are written.
// The queue keeps the order appends were asked for, so one caller's events land in its order.
import type { EventBody, LedgerEvent } from '../src/engine/types.js';

/** One append as the backends' batch writers take it. */
export interface NewEvent {
  runId: string;
  operator: string;
  body: EventBody;
  at: number;
  /** Durable on commit (SQLite: a batch with one durable event is fsynced whole). */
  durable: boolean;
  key: string | null;
}

/**
 * Writes in one transaction, in order, the events `take()` hands over, called once as the
 * transaction starts (so that appends asked for while it waited for its turn or its connection
 * join it): for each, the event stored (or the one stored before under its key), or the error
 * refusing that one alone (nothing of it written). Throws when the transaction fails: then
 * nothing of the batch is stored.
 */
export type BatchWriter = (take: () => NewEvent[]) => Promise<Array<LedgerEvent | Error>>;

/** At most this many appends in one transaction (the rest wait for the next). */
export const MAX_GROUP = 1000;

interface Waiting {
  event: NewEvent;
  resolve: (ev: LedgerEvent) => void;
  reject: (err: unknown) => void;
}

export class AppendGroup {
  private queue: Waiting[] = [];
  private running?: Promise<void>;

  constructor(private readonly write: BatchWriter) {}

  append(event: NewEvent): Promise<LedgerEvent> {
    return new Promise<LedgerEvent>((resolve, reject) => {
      this.queue.push({ event, resolve, reject });
      // Started now, so the transaction takes its place in the store's order at once (SQLite's
      // turns); what it writes is taken when it starts.
      this.running ??= this.drain();
    });
  }

  /** Resolves once every append asked for so far is settled. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length) {
        let batch: Waiting[] | undefined;
        const take = () => (batch ??= this.queue.splice(0, MAX_GROUP)).map((w) => w.event);
        let results: Array<LedgerEvent | Error>;
        try {
          results = await this.write(take);
        } catch (err) {
          // Failed before it took its batch (no connection): the appends waiting now get the error.
          for (const w of batch ?? this.queue.splice(0, MAX_GROUP)) w.reject(err);
          continue;
        }
        (batch ?? []).forEach((w, i) => {
          const r = results[i];
          if (r instanceof Error) w.reject(r);
          else w.resolve(r);
        });
      }
    } finally {
      this.running = undefined;
    }
  }
}

/**
 * The stored event of each key already seen in this batch: a second append with a key an
 * earlier one of the batch carries returns that one's event (stored once).
 */
export function repeatsInBatch(events: readonly NewEvent[]): Map<number, number> {
  const first = new Map<string, number>();
  const repeats = new Map<number, number>();
  events.forEach((e, i) => {
    if (e.key === null) return;
    const j = first.get(e.key);
    if (j === undefined) first.set(e.key, i);
    else repeats.set(i, j);
  });
  return repeats;
}
