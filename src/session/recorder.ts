// Writing the run's events: one write at a time, in the order they were asked for (an in-order
// queue), each on screen once its transaction committed. A write that fails is told to the
// operator, not thrown at a key press. Each write checks, under the same write lock, that this
// process still holds the run. The screen follows what is stored: events of this run that
// another process appended (a script recording into it, a catch-up after a change) are read
// and shown in their order before the next event of this process.
import type { LedgerStore } from '../engine/ledger-store.js';
import type { Clock } from '../engine/ports.js';
import type { EventBody, LedgerEvent } from '../engine/types.js';
import { flash, recordInStore, setModal, type CockpitStore } from '../store/store.js';
import type { HeldRun } from './run-lease.js';

/** Events read at once when catching up; more than this missing and the whole run is read. */
const CATCH_UP = 50;

export class RunRecorder {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly ledger: LedgerStore,
    private readonly runId: string,
    private readonly operator: string,
    private readonly clock: Clock,
    private readonly store: CockpitStore,
    private readonly owner?: HeldRun,
    /** The run's newest event already on screen. */
    private seen = 0,
  ) {}

  /** Ledger work in the order asked for: each starts once the one before it has ended. */
  inOrder<T>(work: () => Promise<T>): Promise<T> {
    const mine = this.tail.then(work);
    this.tail = mine.catch(() => undefined);
    return mine;
  }

  /** Store one event (in order); resolves once it is stored and on screen. */
  record(body: EventBody, durable = false): Promise<LedgerEvent> {
    return this.inOrder(async () => {
      const write = () => this.ledger.append(this.runId, this.operator, body, this.clock.now(), { durable });
      const ev = await (this.owner ? this.owner.within(write, { durable }) : write());
      await this.shown(ev);
      return ev;
    });
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
  tryRecord(body: EventBody, durable = false): Promise<boolean> {
    return this.tryLedger(() => this.record(body, durable));
  }

  /** A ledger write, or tell the operator why it could not be made. Resolves false on failure. */
  async tryLedger(write: () => Promise<unknown>): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (err) {
      flash(this.store, `Could not write the ledger: ${err instanceof Error ? err.message : String(err)}`, 'error');
      return false;
    }
  }
}

/** The error for a ledger already closed: better-sqlite3's connection, or node-postgres' pool. */
export function ledgerWasClosed(err: unknown): boolean {
  return (err instanceof TypeError && /not open/.test(err.message)) || (err instanceof Error && /after calling end on the pool/.test(err.message));
}
