// Whether this session reaches its ledger. A PostgreSQL ledger can go away mid-run (the server
// restarts, the network drops): from the first failed write or the lost LISTEN connection the
// ledger is "unreachable since T". Meanwhile live checks go on (their events wait, in order),
// and nothing that needs a recorded intent runs: steps and actions are refused with this
// reason. Writes waiting for the ledger are tried again with backoff, each with its own
// idempotency key (recorder.ts); the first success anywhere (a write, the listener's catch-up
// read) means it is back: the banner goes, the waiting writes go out at once, and the session
// reads what others appended meanwhile.
import { isLedgerLost, LEDGER_RETRY_MS } from '../engine/ledger-store.js';
import type { Clock } from '../engine/ports.js';
import { flash, type CockpitStore } from '../store/store.js';

/** `10:42:05` (UTC), as the screens show times. */
const clockTime = (at: number) => new Date(at).toISOString().slice(11, 19);

export class LedgerLink {
  private since?: number;
  private attempt = 0;
  private closed = false;
  /** Waiters for the next try: woken early when the ledger is reached. */
  private readonly waiting = new Set<() => void>();

  constructor(
    private readonly d: {
      clock: Clock;
      store: CockpitStore;
      /** Back: read what others appended meanwhile. */
      onBack(): void;
    },
  ) {}

  /** When the ledger stopped answering; undefined while it answers. */
  get downSince(): number | undefined {
    return this.since;
  }

  /**
   * The ledger could not be reached (a write failed, the live connection dropped); `err` says
   * why, once. A ledger lost for good (isLedgerLost) says so, and again when its reason grows
   * (the copy of what it held, once made).
   */
  lost(err?: unknown): void {
    if (this.closed) return;
    const gone = isLedgerLost(err) ? (err as Error).message : undefined;
    if (this.since !== undefined) {
      if (gone === undefined || gone === this.gone) return;
    } else {
      this.since = this.d.clock.now();
    }
    this.d.store.setState({ ledgerDown: this.since, ...(gone === undefined ? {} : { ledgerLost: gone }) });
    if (gone !== undefined) flash(this.d.store, `The ledger is lost: ${gone}`, 'error');
    else if (err instanceof Error) flash(this.d.store, `The ledger is unreachable: ${err.message.split('\n')[0]}`, 'error');
  }

  /** Why the ledger is lost for good (its file deleted or replaced); undefined otherwise. */
  get gone(): string | undefined {
    return this.d.store.getState().ledgerLost;
  }

  /** Something reached the ledger: it is back, if it was gone (not when lost for good). */
  reached(): void {
    const since = this.since;
    if (since === undefined || this.gone) return;
    this.since = undefined;
    this.attempt = 0;
    this.d.store.setState({ ledgerDown: undefined });
    flash(this.d.store, `The ledger is back (unreachable ${clockTime(since)}–${clockTime(this.d.clock.now())}); what waited is being recorded in order.`, 'info');
    for (const wake of [...this.waiting]) wake();
    this.d.onBack();
  }

  /**
   * Wait before trying a write again (backoff; at once when the ledger is reached meanwhile).
   * Rejects with `err` once the session is closed: what still waits is not recorded.
   */
  async beforeRetry(err: unknown): Promise<void> {
    if (this.closed) throw err;
    this.lost(err);
    // Lost for good: trying again cannot help, and a headless run must not wait for ever.
    if (isLedgerLost(err)) throw err;
    const ms = LEDGER_RETRY_MS[Math.min(this.attempt++, LEDGER_RETRY_MS.length - 1)];
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiting.delete(done);
        resolve();
      };
      // Real time, whatever clock the session runs on: the server comes back in real time.
      const timer = setTimeout(done, ms);
      this.waiting.add(done);
    });
    if (this.closed) throw err;
  }

  /** Why `what` (a step, an action) does not start now; undefined when the ledger answers. */
  refusal(what: string): string | undefined {
    if (this.since === undefined) return undefined;
    if (this.gone) return `${what} not run: the ledger is lost since ${clockTime(this.since)} (its file was deleted or replaced) and nothing more can be recorded in it; quit, and open the runbook again on the ledger you mean to use.`;
    return `${what} not run: the ledger is unreachable since ${clockTime(this.since)} and its intent cannot be recorded; nothing that needs a record runs until it is back (live checks go on).`;
  }

  /** The session is done: writes still waiting give up. */
  close(): void {
    this.closed = true;
    for (const wake of [...this.waiting]) wake();
  }

  get isClosed(): boolean {
    return this.closed;
  }
}
