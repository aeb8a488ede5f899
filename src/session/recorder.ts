// Writing the run's events: one write at a time, in the order they were asked for (an in-order
// queue), each on screen once its transaction committed. A write that fails is told to the
// operator, not thrown at a key press. Each write checks, under the same write lock, that this
// process still holds the run. The screen follows what is stored: events of this run that
// another process appended (a script recording into it, a catch-up after a change) are read
// and shown in their order before the next event of this process.
//
// Every event gets an idempotency key once, when it is asked for. A write that fails because
// the ledger cannot be reached (its outcome unknown: the connection may have dropped after the
// commit, before its acknowledgement) is tried again with the same key, with backoff, until the
// ledger answers (ledger-link.ts); the writes asked for meanwhile wait behind it, in order. So
// nothing is stored twice and nothing acknowledged is lost. While it waits, a live event (a
// check's new result, the verdict) takes the place of the older one of the same check still
// waiting: the queue stays as long as the runbook has checks, whatever the outage's length.
import { randomBytes } from 'node:crypto';
import { isLedgerLost, isLedgerUnreachable, type LedgerStore } from '../engine/ledger-store.js';
import type { Clock } from '../engine/ports.js';
import type { EventBody, LedgerEvent } from '../engine/types.js';
import { flash, recordInStore, setModal, type CockpitStore } from '../store/store.js';
import type { LedgerLink } from './ledger-link.js';
import { isSeatLost, type HeldRun } from './run-lease.js';

/** Events read at once when catching up; more than this missing and the whole run is read. */
const CATCH_UP = 50;

export class RunRecorder {
  private tail: Promise<unknown> = Promise.resolve();
  /** Idempotency keys: the run, this recorder, a counter. */
  private readonly keyPrefix: string;
  private count = 0;
  /** Live events asked for and not yet being written, by topic (a check's name, the verdict). */
  private readonly live = new Map<string, { body: EventBody; at: number }>();

  constructor(
    private readonly ledger: LedgerStore,
    private readonly runId: string,
    private readonly operator: string,
    private readonly clock: Clock,
    private readonly store: CockpitStore,
    private readonly owner?: HeldRun,
    /** The run's newest event already on screen. */
    private seen = 0,
    /** Whether the ledger answers; without it a failed write is not tried again. */
    private readonly link?: LedgerLink,
  ) {
    this.keyPrefix = `${runId}:${randomBytes(6).toString('hex')}`;
  }

  /** Ledger work in the order asked for: each starts once the one before it has ended. */
  inOrder<T>(work: () => Promise<T>): Promise<T> {
    const mine = this.tail.then(work);
    this.tail = mine.catch(() => undefined);
    return mine;
  }

  /**
   * Store one event (in order); resolves once it is stored and on screen. `answers`: the seq of
   * the intent this process recorded that the event is the outcome of (HeldRun.answer: it is
   * still written after another took the seat over).
   */
  record(body: EventBody, durable = false, answers?: number): Promise<LedgerEvent> {
    const [key, at] = [this.nextKey(), this.clock.now()];
    return this.inOrder(() => this.write(body, durable, key, at, answers));
  }

  /**
   * An outcome another process owed (the intent at seq `intent`) and will not record, stored
   * (durably) only while the run still owes it (HeldRun.settle); undefined when it does not.
   */
  settle(intent: number, body: EventBody): Promise<LedgerEvent | undefined> {
    const [key, at] = [this.nextKey(), this.clock.now()];
    return this.inOrder(async () => {
      const write = () => this.ledger.append(this.runId, this.operator, body, at, { durable: true, idempotencyKey: key });
      const ev = this.owner ? await this.owner.settle(intent, body, write) : undefined;
      if (ev) await this.shown(ev);
      return ev;
    });
  }

  /**
   * A live event of `topic` (a check's name, `verdict`), in order. While the ledger is
   * unreachable, a newer one replaces the one of the same topic still waiting.
   */
  recordLive(topic: string, body: EventBody): void {
    const waiting = this.live.get(topic);
    if (waiting && this.link?.downSince !== undefined) return void Object.assign(waiting, { body, at: this.clock.now() });
    const slot = { body, at: this.clock.now() };
    this.live.set(topic, slot);
    const key = this.nextKey();
    void this.tryLedger(() =>
      this.inOrder(() => {
        // From here on the body is this key's: a retry must write what the first try did.
        if (this.live.get(topic) === slot) this.live.delete(topic);
        return this.write(slot.body, false, key, slot.at);
      }),
    );
  }

  private nextKey(): string {
    return `${this.keyPrefix}:${++this.count}`;
  }

  /**
   * Store one event (call from inside inOrder()), trying again while the ledger is unreachable.
   * `at`: when it was asked for, which is when it happened, however long the ledger was away.
   */
  private async write(body: EventBody, durable: boolean, key: string, at: number, answers?: number): Promise<LedgerEvent> {
    for (;;) {
      try {
        const write = () => this.ledger.append(this.runId, this.operator, body, at, { durable, idempotencyKey: key });
        const { owner } = this;
        const ev = await (!owner ? write() : answers === undefined ? owner.within(write, { durable }) : owner.answer(answers, body, write, { durable }));
        this.link?.reached();
        await this.shown(ev);
        return ev;
      } catch (err) {
        if (!this.link || !isLedgerUnreachable(err)) throw err;
        await this.link.beforeRetry(err);
      }
    }
  }

  /**
   * A stored event of this run on screen, after any of the run's events before it that are not
   * shown yet (another process appended them). Call from inside inOrder().
   */
  async shown(ev: LedgerEvent): Promise<void> {
    if (ev.runId !== this.runId || ev.seq <= this.seen) return;
    // Unread, the gap is filled by the next catch-up; this event is stored either way.
    if (ev.seq > this.seen + 1) await this.readNew(ev.seq).catch(() => undefined);
    this.apply(ev);
  }

  /** The run's events another process appended since the last one shown (the ledger changed). */
  catchUp(): Promise<void> {
    return this.inOrder(() => this.readNew(Infinity)).catch(() => undefined);
  }

  /** Show the events after `seen` and before `until`, in order. */
  private async readNew(until: number): Promise<void> {
    let fresh = (await this.ledger.recentEvents(this.runId, CATCH_UP)).reverse();
    if (fresh.length > 0 && fresh[0].seq > this.seen + 1) fresh = await this.ledger.events(this.runId);
    for (const ev of fresh) if (ev.seq > this.seen && ev.seq < until) this.apply(ev);
  }

  private apply(ev: LedgerEvent): void {
    this.seen = ev.seq;
    const { body } = ev;
    recordInStore(this.store, ev);
    // Nobody waits forever, but the operator is asked at once.
    if (body.kind === 'canary.decision' && body.decision === 'ask') setModal(this.store, { kind: 'canary' });
    if (body.kind === 'canary.decision' && body.decision !== 'ask' && this.store.getState().modal?.kind === 'canary') setModal(this.store, undefined);
  }

  /** Record, or tell the operator why it could not be recorded. Resolves false on failure. */
  tryRecord(body: EventBody, durable = false, answers?: number): Promise<boolean> {
    return this.tryLedger(() => this.record(body, durable, answers));
  }

  /** Record, or tell the operator why not: the event stored, or undefined. */
  async tryEvent(body: EventBody, durable = false): Promise<LedgerEvent | undefined> {
    let ev: LedgerEvent | undefined;
    await this.tryLedger(async () => (ev = await this.record(body, durable)));
    return ev;
  }

  /**
   * A note of this process's own doing (its shell started), recorded while it holds the run. One
   * that comes as the seat is taken over belongs to a step started here, not to the new driver's
   * run (whose next block starts a shell of its own): it is left off the record without a
   * warning, and the step's outcome is still recorded (HeldRun.answer).
   */
  tryOwn(body: EventBody, durable = false): Promise<boolean> {
    return this.tryLedger(() => this.record(body, durable).catch((err: unknown) => (isSeatLost(err) ? undefined : Promise.reject(err))));
  }

  /** A ledger write, or tell the operator why it could not be made. Resolves false on failure. */
  async tryLedger(write: () => Promise<unknown>): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (err) {
      // Lost for good: the session said so once, with where its copy is (ledger-link.ts).
      if (isLedgerLost(err) && this.link) return false;
      const why = err instanceof Error ? err.message : String(err);
      flash(this.store, this.link?.isClosed && isLedgerUnreachable(err) ? `Closed while the ledger was unreachable: an event was not recorded (${why})` : `Could not write the ledger: ${why}`, 'error');
      return false;
    }
  }
}

/** The error for a ledger already closed: better-sqlite3's connection, or node-postgres' pool. */
export function ledgerWasClosed(err: unknown): boolean {
  return (err instanceof TypeError && /not open/.test(err.message)) || (err instanceof Error && /after calling end on the pool/.test(err.message));
}
