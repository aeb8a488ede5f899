// This cockpit's seat in its run: the driver (it holds the run's lease: HeldRun) or an observer
// (another live process holds it). An observer follows the run live, may pull the emergency
// stop, and may take the run over with a reason, recorded as `run.driver` in the run; the
// driver it replaced learns it through the ledger follow and becomes an observer at once.
import { LEASE_BEAT_MS, leaseState } from '../engine/lease.js';
import type { RunLease } from '../engine/lease.js';
import { driverName, hourMinute, hourMinuteSecond, observerLine, takeOver } from '../engine/driver.js';
import type { LedgerStore } from '../engine/ledger-store.js';
import type { Clock } from '../engine/ports.js';
import type { LedgerEvent } from '../engine/types.js';
import { localView } from '../../adapters/ledger-leases.js';
import { flash, type CockpitState, type CockpitStore } from '../store/store.js';
import type { HeldRun } from './run-lease.js';
import type { RunRecorder } from './recorder.js';
import { keepOwed, OwedElsewhere } from './owed-elsewhere.js';
import type { Runbook } from '../runbook/model.js';

export interface SeatDeps {
  ledger: LedgerStore;
  runId: string;
  runbook: Runbook;
  owner: HeldRun;
  store: CockpitStore;
  clock: Clock;
  recorder: RunRecorder;
  /** The driver's name on the lease and on `run.driver`: the login on PostgreSQL, else the asserted name. */
  operator: string;
  /** The name this process gives with its appends (the display name on PostgreSQL). */
  asserted: string;
  /** `opscockpit watch`: observes, never takes over. */
  watch: boolean;
  /** Take the run's recorded values as this cockpit's before it drives; why it may not, if so. */
  adoptRunValues(events: readonly LedgerEvent[]): string | undefined;
  /** Start what only the driver runs (polling, the canary), or stop it. */
  onDrive(): void;
  onObserve(): void;
}

export class DriverSeat {
  private timer?: unknown;
  private lease?: RunLease;
  private closed = false;
  /** While this cockpit drives: what former drivers' processes owe and will not record. */
  private readonly owed: OwedElsewhere;

  constructor(private readonly d: SeatDeps) {
    this.show();
    if (!d.owner.driving) this.poll();
    this.owed = new OwedElsewhere(d);
    this.owed.start();
  }

  get driving(): boolean {
    return this.d.owner.driving;
  }

  /** Why this cockpit may not act on the run, when it observes it. */
  notDriving(): string | undefined {
    if (this.driving) return undefined;
    return `${this.d.store.getState().seat?.line ?? 'This cockpit observes the run.'} ${this.d.watch ? 'This cockpit only watches.' : 'T takes over (asks a reason).'}`;
  }

  /**
   * Read the lease again (the ledger changed, or an observer's periodic look): a driver whose
   * lease another took becomes an observer and is told who took it, when and why.
   */
  async refresh(): Promise<void> {
    if (this.closed) return;
    const lease = await this.d.ledger.leases.get(this.d.runId);
    const held = this.lease;
    this.lease = lease;
    // Not this cockpit's lease any more: another holds it, or took it and let go already (a
    // headless command that took the run over and ended): the run says who, when and why.
    if (this.driving && lease?.token !== this.d.owner.holder.token) {
      this.d.owner.observe();
      this.d.onObserve();
      this.poll();
      // Read from the ledger: the screen may not have shown the events that say who took it yet.
      const events = await this.d.ledger.events(this.d.runId).catch(() => this.d.store.getState().events);
      flash(this.d.store, tookOverLine(lease, events, held?.takenAt ?? 0), 'error');
    }
    this.show();
  }

  /** Take the run over: the lease and the `run.driver` event in one transaction; the error to show, if any. */
  async takeOver(reason: string): Promise<string | undefined> {
    const d = this.d;
    if (d.watch) return 'A watching cockpit does not drive: open the runbook to drive it.';
    if (this.driving) return 'This cockpit already drives the run.';
    try {
      const took = await d.recorder.inOrder(async () => {
        const ev = await d.ledger.atomically(async () => {
          const now = d.clock.now();
          const lease = await d.ledger.leases.get(d.runId);
          const decided = takeOver(lease, d.operator, reason);
          if (!decided.ok) return decided.why;
          // It walks the values the run recorded, not the ones it was opened with.
          const events = await d.ledger.events(d.runId);
          const differ = d.adoptRunValues(events);
          if (differ) return differ;
          await keepOwed(d.ledger, d.runId, lease, events);
          await d.ledger.leases.take(d.runId, d.owner.holder, now, { driver: d.operator, reason: decided.event.reason });
          return d.ledger.append(d.runId, d.asserted, decided.event, now, { durable: true });
        }, { durable: true });
        if (typeof ev === 'string') return ev;
        await d.recorder.shown(ev);
        return undefined;
      });
      if (took) return took;
    } catch (err) {
      return `Could not take the run over: ${err instanceof Error ? err.message : String(err)}`;
    }
    this.stopPolling();
    d.owner.drive();
    d.onDrive();
    await this.refresh().catch(() => undefined);
    flash(d.store, `You drive the run now: ${reason.trim()}.`, 'info');
    return undefined;
  }

  close(): void {
    this.closed = true;
    this.owed.stop();
    this.stopPolling();
  }

  private show(): void {
    const { store, clock, watch } = this.d;
    const lease = this.lease;
    const line = this.driving
      ? lease
        ? `You drive this run since ${hourMinute(lease.takenAt)}${lease.reason ? `: ${lease.reason}` : ''}.`
        : 'You drive this run.'
      : observerLine(lease, localView(clock.now()));
    if (this.driving) return this.shown({ role: 'driver', line, watch });
    // What the observer's Checklist says under the current step, where the driver's says Enter.
    const who = lease && !leaseState(lease, localView(clock.now())).lapsed ? driverName(lease) : undefined;
    const hint = watch ? `${who ?? 'nobody'} drives this run; this cockpit only watches` : who ? `${who} drives this run: T to take over` : 'nobody drives this run: T to take it over';
    this.shown({ role: 'observer', line, watch, hint });
  }

  /** The seat on screen: shown on every ledger change and every observer's look, the store keeps the one it has while it says the same. */
  private shown(seat: NonNullable<CockpitState['seat']>): void {
    const was = this.d.store.getState().seat;
    if (!was || was.role !== seat.role || was.line !== seat.line || was.watch !== seat.watch || was.hint !== seat.hint) this.d.store.setState({ seat });
  }

  /** An observer looks at the lease every beat: a driver who quit or went silent leaves no event. */
  private poll(): void {
    this.stopPolling();
    const look = () => {
      this.timer = undefined;
      if (this.closed || this.driving) return;
      void this.refresh().catch(() => undefined).then(() => {
        if (!this.closed && !this.driving) this.timer = this.d.clock.setTimeout(look, LEASE_BEAT_MS);
      });
    };
    look();
  }

  private stopPolling(): void {
    if (this.timer !== undefined) this.d.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/**
 * What a driver that lost its seat is told: "bob took over driving at 10:42: alice is off shift."
 * from the lease, else from the run's last run.driver; a resume after this cockpit went silent
 * (its lease lapsed) says that instead.
 */
function tookOverLine(lease: RunLease | undefined, events: readonly LedgerEvent[], since: number): string {
  const story = [...events].reverse().find((e) => e.at >= since && (e.body.kind === 'run.driver' || (e.body.kind === 'run.resumed' && e.body.lapsed)));
  // Short enough for one line at 80 columns: the seat line above it says who drives now.
  if (story?.body.kind === 'run.resumed' && story.body.lapsed) {
    return `This cockpit observes now: ${story.operator} resumed at ${hourMinute(story.at)} (${story.body.lapsed.driver} silent since ${hourMinuteSecond(story.body.lapsed.since)}).`;
  }
  return `${drivenBy(lease, events)} This cockpit now observes the run.`;
}

const tookOver = (who: string, at: number, reason?: string) => `${who} took over driving at ${hourMinute(at)}${reason ? `: ${reason}` : ''}.`;

function drivenBy(lease: RunLease | undefined, events: readonly LedgerEvent[]): string {
  if (lease) return tookOver(lease.driver ?? 'Another process', lease.takenAt, lease.reason);
  const last = [...events].reverse().find((e) => e.body.kind === 'run.driver');
  if (last?.body.kind === 'run.driver') return `${tookOver(last.body.to, last.at, last.body.reason)} Nobody drives it now.`;
  return 'Another process let the run go.';
}
