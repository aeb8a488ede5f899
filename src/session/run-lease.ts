// This process's hold on the run it writes: taken in the transaction that starts or resumes the
// run (run-lifecycle.ts), refreshed every LEASE_BEAT_MS while the process lives, checked under
// the write lock before each write into the run, given up when the process is done with it.
// Headless commands hold it too: their actions and checks can outlast a lapse.
import { LedgerError } from '../../adapters/ledger-open.js';
import { LEASE_BEAT_MS, LEASE_LAPSE_MS, describeHolder, type LeaseHolder } from '../engine/lease.js';
import type { Clock, LedgerPort, NewRun, RunRecord } from '../engine/ports.js';
import { letGo, localHolder } from '../../adapters/ledger-leases.js';

export class HeldRun {
  private timer?: unknown;
  private released = false;

  constructor(
    private readonly ledger: LedgerPort,
    readonly runId: string,
    readonly holder: LeaseHolder,
    private readonly clock: Clock,
    /** Told once when another process took the run over (this one went quiet too long). */
    private readonly onLost?: (why: string) => void,
  ) {
    if (ledger.leases) this.timer = clock.setTimeout(() => this.beat(), LEASE_BEAT_MS);
  }

  private beat(): void {
    this.timer = undefined;
    if (this.released) return;
    try {
      if (!this.ledger.leases!.beat(this.runId, this.holder, this.clock.now())) return void this.onLost?.(this.lostReason());
    } catch {
      // A busy or closed ledger: the next beat tries again; the writes check the lease themselves.
    }
    this.timer = this.clock.setTimeout(() => this.beat(), LEASE_BEAT_MS);
  }

  /** Throws unless the run's lease is still this holder's. Call inside ledger.atomically(). */
  assertHeld(): void {
    const lease = this.ledger.leases?.get(this.runId);
    if (!this.ledger.leases || lease?.token === this.holder.token) return;
    throw new LedgerError(this.lostReason());
  }

  private lostReason(): string {
    const lease = this.ledger.leases?.get(this.runId);
    const by = this.released
      ? 'it was closed here'
      : lease
        ? `another process took it over (${describeHolder(lease, this.clock.now())}) after this process went more than ${LEASE_LAPSE_MS / 1000} s without renewing its lease`
        : 'its lease is gone';
    return `run ${this.runId} is no longer this process's: ${by}; nothing more is recorded in it.`;
  }

  /** `write` in one write transaction that first checks this process still holds the run. */
  within<T>(write: () => T, opts?: { durable?: boolean }): T {
    return this.ledger.atomically(() => {
      this.assertHeld();
      return write();
    }, opts);
  }

  /** Give the run up: another process may take it over at once. */
  release(): void {
    if (this.released) return;
    this.released = true;
    letGo(this.holder);
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    try {
      this.ledger.leases?.release(this.runId, this.holder);
    } catch {
      // The ledger is already closed or busy: the lease lapses with this process or its heartbeat.
    }
  }
}

/** A new run, its lease taken in the same write transaction (a headless command's own run). */
export function startHeldRun(ledger: LedgerPort, run: NewRun, clock: Clock): { run: RunRecord; owner: HeldRun } {
  const holder = localHolder();
  const started = ledger.atomically(() => {
    const at = clock.now();
    const r = ledger.startRun(run, at);
    ledger.leases?.take(r.runId, holder, at);
    return r;
  });
  return { run: started, owner: new HeldRun(ledger, started.runId, holder, clock) };
}
