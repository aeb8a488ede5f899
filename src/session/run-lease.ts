// This process's hold on the run it writes: taken in the transaction that starts or resumes the
// run (run-lifecycle.ts), refreshed every LEASE_BEAT_MS while the process lives, checked under
// the write lock before each write into the run, given up when the process is done with it.
// Headless commands hold it too: their actions and checks can outlast a lapse. After another
// took the seat over, it heartbeats instead the leases kept for what it still owes the run (the
// outcomes of intents it recorded: owedKey), until each is answered: so the new driver can tell
// when this process is gone without answering (owed-elsewhere.ts).
import { LedgerError } from '../../adapters/ledger-errors.js';
import { LEASE_BEAT_MS, LEASE_LAPSE_MS, describeHolder, owedKey, type LeaseHolder } from '../engine/lease.js';
import { drivingLine } from '../engine/driver.js';
import type { LedgerStore } from '../engine/ledger-store.js';
import type { Clock, NewRun, RunRecord } from '../engine/ports.js';
import type { EventBody } from '../engine/types.js';
import { stillOwed } from '../engine/action-pairs.js';
import { letGo, localHolder } from '../../adapters/ledger-leases.js';

export class HeldRun {
  private timer?: unknown;
  private released = false;
  /** The intents this process recorded whose outcome it has still to record (owe). */
  private readonly owed = new Set<number>();
  /** Another took the run over at least once: what this process owes has leases of its own (keepOwed). */
  private observed = false;

  constructor(
    private readonly ledger: LedgerStore,
    readonly runId: string,
    readonly holder: LeaseHolder,
    private readonly clock: Clock,
    /** Told once when another process took the run over (this one went quiet too long). */
    private readonly onLost?: (why: string) => void,
    /** false: an observer's, holding nothing until it takes the run over (drive()). */
    private holding = true,
  ) {
    this.schedule();
  }

  /** This holder drives the run: the lease was just taken (driver-seat.ts); beat from now on. */
  drive(): void {
    this.holding = true;
    this.schedule();
  }

  /** Another took the run over: its lease is not this holder's to refresh; what it owes still is. */
  observe(): void {
    this.holding = false;
    this.observed = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.schedule();
  }

  /**
   * The outcome of the intent at seq `intent` is this process's to record until `answered`
   * settles. After a take-over its lease (kept by the take-over: keepOwed) is beaten meanwhile,
   * then given up: a process gone without answering leaves it to lapse.
   */
  owe(intent: number, answered: Promise<unknown>): void {
    this.owed.add(intent);
    void answered.catch(() => undefined).then(() => {
      this.owed.delete(intent);
      if (this.observed) void this.ledger.leases.release(owedKey(this.runId, intent), this.holder).catch(() => undefined);
    });
  }

  private schedule(): void {
    if (this.timer === undefined && !this.released && (this.holding || this.owed.size > 0)) this.timer = this.clock.setTimeout(() => void this.beat(), LEASE_BEAT_MS);
  }

  get driving(): boolean {
    return this.holding && !this.released;
  }

  private async beat(): Promise<void> {
    this.timer = undefined;
    if (this.released) return;
    try {
      // Driving again after a take-over, it still owes what it started before: those leases too.
      if (this.observed) for (const intent of this.owed) await this.ledger.leases.beat(owedKey(this.runId, intent), this.holder, this.clock.now());
      if (this.holding && !(await this.ledger.leases.beat(this.runId, this.holder, this.clock.now()))) return void this.onLost?.(await this.lostReason());
    } catch {
      // A busy or closed ledger: the next beat tries again; the writes check the lease themselves.
    }
    this.schedule();
  }

  /** Throws unless the run's lease is still this holder's. Call inside ledger.atomically(). */
  async assertHeld(): Promise<void> {
    const lease = await this.ledger.leases.get(this.runId);
    if (lease?.token === this.holder.token) return;
    throw seatLost(await this.lostReason());
  }

  private async lostReason(): Promise<string> {
    const lease = this.released ? undefined : await this.ledger.leases.get(this.runId).catch(() => undefined);
    if (!this.holding && !this.released && lease) return `run ${this.runId} is driven elsewhere: ${drivingLine(lease)}; this cockpit observes it, and records nothing in it.`;
    const by = this.released
      ? 'it was closed here'
      : lease
        ? `another process took it over (${describeHolder(lease, this.clock.now())}) after this process went more than ${LEASE_LAPSE_MS / 1000} s without renewing its lease`
        : 'its lease is gone';
    return `run ${this.runId} is no longer this process's: ${by}; nothing more is recorded in it.`;
  }

  /** `write` in one write transaction that first checks this process still holds the run. */
  within<T>(write: () => Promise<T>, opts?: { durable?: boolean }): Promise<T> {
    return this.ledger.atomically(async () => {
      await this.assertHeld();
      return write();
    }, opts);
  }

  /**
   * `write`, the outcome of an intent this process recorded (the event at seq `intent`), in one
   * write transaction. What was started here is finished and recorded here: after another took
   * the seat over, an outcome is not a new action, so it is still written, as long as the run
   * owes it (stillOwed: nothing answered the intent, and nobody resumed the run since).
   */
  answer<T>(intent: number, outcome: EventBody, write: () => Promise<T>, opts?: { durable?: boolean }): Promise<T> {
    return this.ledger.atomically(async () => {
      const lease = await this.ledger.leases.get(this.runId);
      if (lease?.token !== this.holder.token && (this.released || !stillOwed(await this.ledger.events(this.runId), intent, outcome))) throw seatLost(await this.lostReason());
      return write();
    }, opts);
  }

  /**
   * `write`, an outcome another process owed (the intent at seq `intent`) and will not record
   * (owed-elsewhere.ts): in a write transaction of the run's driver, and only while still owed,
   * so it is recorded once; undefined when not.
   */
  settle<T>(intent: number, outcome: EventBody, write: () => Promise<T>): Promise<T | undefined> {
    return this.within(async () => (stillOwed(await this.ledger.events(this.runId), intent, outcome) ? write() : undefined), { durable: true });
  }

  /** Give the run up: another process may take it over at once. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    letGo(this.holder);
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    const owed = [...this.owed].map((intent) => owedKey(this.runId, intent));
    try {
      // Owed and not answered: given up, the driver records it as unknown (owed-elsewhere.ts).
      for (const key of this.observed ? owed : []) await this.ledger.leases.release(key, this.holder);
      if (!this.holding) return; // an observer's: nothing else to give up
      await this.ledger.leases.release(this.runId, this.holder);
    } catch {
      // The ledger is already closed or busy: the lease lapses with this process or its heartbeat.
    }
  }
}

/** A new run, its lease taken in the same write transaction (a headless command's own run). */
export async function startHeldRun(ledger: LedgerStore, run: NewRun, clock: Clock): Promise<{ run: RunRecord; owner: HeldRun }> {
  const holder = localHolder();
  const started = await ledger.atomically(async () => {
    const at = clock.now();
    const r = await ledger.startRun(run, at);
    await ledger.leases.take(r.runId, holder, at);
    return r;
  });
  return { run: started, owner: new HeldRun(ledger, started.runId, holder, clock) };
}

/** This process no longer holds the run (another drives it, or it was given up): a LedgerError, marked. */
function seatLost(message: string): LedgerError {
  return Object.assign(new LedgerError(message), { seatLost: true });
}

/** A write refused because this process no longer holds the run. */
export const isSeatLost = (err: unknown): boolean => (err as { seatLost?: unknown } | null | undefined)?.seatLost === true;
