// What another process appends reaches this cockpit: the ledger store tells of a change
// (PostgreSQL LISTEN/NOTIFY, or SQLite's data version polled), and the session reads again
// what it shows: its run's new events, the safety controls, the release ledger screen.
import { isLedgerUnreachable, type LedgerChange, type LedgerStore } from '../engine/ledger-store.js';

export interface FollowTargets {
  /** The run this session shows. */
  runId(): string;
  /** Read the run's events this session has not shown yet. */
  catchUp(): Promise<void>;
  /** Read the safety controls again (a stop, a mode, a window, an approval anywhere). */
  refreshControls(): Promise<void>;
  /** Anything else on screen that reads the ledger. */
  refreshOther(): void;
  /** The store lost its connection, or a read found the ledger unreachable (`err`: why). */
  lost?(err?: unknown): void;
  /** A read after a change succeeded: the ledger answers. */
  reached?(): void;
}

/** Follow the ledger; returns the unsubscribe. Reads never overlap: a change during one reads again after it. */
export function followLedger(ledger: LedgerStore, t: FollowTargets): () => void {
  let reading: Promise<void> | undefined;
  let again = false;
  let ownRun = false;
  const read = async () => {
    do {
      again = false;
      const run = ownRun;
      ownRun = false;
      // A change without a run id (SQLite, a reconnect's catch-up) may be anything.
      await Promise.all([run ? t.catchUp() : undefined, t.refreshControls()]).then(
        () => t.reached?.(),
        (err: unknown) => (isLedgerUnreachable(err) ? t.lost?.(err) : undefined),
      );
      t.refreshOther();
    } while (again);
    reading = undefined;
  };
  return ledger.subscribe((change: LedgerChange) => {
    if (change.unreachable) return void t.lost?.();
    if (change.runId === undefined || change.runId === t.runId()) ownRun = true;
    if (reading) return void (again = true);
    reading = read();
  });
}
