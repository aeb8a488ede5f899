// Writing the run's events: each goes to the ledger, then on screen once its transaction
// committed. A write that fails is told to the operator, not thrown at a key press. Each write
// checks, under the same write lock, that this process still holds the run.
import type { Clock, LedgerPort } from '../engine/ports.js';
import type { EventBody, LedgerEvent } from '../engine/types.js';
import { flash, recordInStore, setModal, type CockpitStore } from '../store/store.js';
import type { HeldRun } from './run-lease.js';

export class RunRecorder {
  constructor(
    private readonly ledger: LedgerPort,
    private readonly runId: string,
    private readonly operator: string,
    private readonly clock: Clock,
    private readonly store: CockpitStore,
    private readonly owner?: HeldRun,
  ) {}

  record(body: EventBody, durable = false): LedgerEvent {
    const write = () => this.ledger.append(this.runId, this.operator, body, this.clock.now(), { durable });
    const ev = this.owner ? this.owner.within(write, { durable }) : write();
    this.show(ev);
    return ev;
  }

  /** A recorded event on screen (after its transaction committed). */
  show(ev: LedgerEvent): void {
    const { body } = ev;
    recordInStore(this.store, ev);
    // Nobody waits forever, but the operator is asked at once.
    if (body.kind === 'canary.decision' && body.decision === 'ask') setModal(this.store, { kind: 'canary' });
    if (body.kind === 'canary.decision' && body.decision !== 'ask' && this.store.getState().modal?.kind === 'canary') setModal(this.store, undefined);
  }

  /** Record, or tell the operator why it could not be recorded. Returns false on failure. */
  tryRecord(body: EventBody, durable = false): boolean {
    return this.tryLedger(() => this.record(body, durable));
  }

  /** A ledger write, or tell the operator why it could not be made. Returns false on failure. */
  tryLedger(write: () => unknown): boolean {
    try {
      write();
      return true;
    } catch (err) {
      flash(this.store, `Could not write the ledger: ${err instanceof Error ? err.message : String(err)}`, 'error');
      return false;
    }
  }
}

/** better-sqlite3's error for a statement on a connection already closed. */
export function ledgerWasClosed(err: unknown): boolean {
  return err instanceof TypeError && /not open/.test(err.message);
}
