// The safety controls as one session uses them: each action's or confirm-first step's decision
// and intent (stored before anything runs, in order with the run's other writes, then shown),
// the emergency stop from the cockpit, and the controls on screen as the ledger has them.
//
// The stop comes on here at once, whatever the ledger's state: what this process runs is killed
// and nothing new starts before anything is written. Its record follows, tried again with one
// idempotency key while the ledger is unreachable (stored once, when it answers); meanwhile the
// screen says it is on here only. Turning it off needs its reason and scope recorded first, and
// an observer's stop reaches the driver only through the ledger: both are refused while it is down.
import { randomBytes } from 'node:crypto';
import type { Runbook } from '../runbook/model.js';
import { isLedgerLost, isLedgerUnreachable } from '../engine/ledger-store.js';
import { flash, type CockpitStore } from '../store/store.js';
import { preflightGo, type ActionHost } from './actions.js';
import { refusedText, type ActionClaim, type ControlView, type Controls, type Refused } from './controls.js';
import type { RunRecorder } from './recorder.js';
import type { HeldRun } from './run-lease.js';
import type { LedgerLink } from './ledger-link.js';
import { EmergencyStop } from './runners.js';
import { lockRunbook, unlockRunbook } from './runbook-lock.js';
import { runbookNames } from '../runbook/identity.js';

/** How every line saying the stop is on begins (on here, recorded, or from the key). */
const STOP_ON = 'EMERGENCY STOP ON';

export class SessionSafety {
  /** Aborted when the emergency stop comes on, from any terminal: the action or step's block running is killed. */
  private emergency = new AbortController();
  /** A stop turned on here and not stored yet: in force in this process meanwhile. */
  private unrecorded?: { by: string; reason: string; at: number };

  constructor(
    readonly controls: Controls,
    private readonly d: { store: CockpitStore; runbook: Runbook; scopes: ReadonlySet<string>; recorder: RunRecorder; owner: HeldRun; runId(): string; link: LedgerLink; now(): number },
  ) {}

  /**
   * The controls' decision and the recorded intent, in a run this process still holds: in order
   * after the writes asked before it, stored (durably) before this resolves, then on screen.
   */
  claim(req: Parameters<ActionHost['claim']>[0], typed: string): Promise<ActionClaim> {
    const { store, runbook, recorder, owner } = this.d;
    const request = { ...req, runbook: runbookNames(runbook), scopes: this.d.scopes, preflightGo: preflightGo(store, runbook) };
    return recorder.inOrder(async () => {
      const claim = await owner.within(() => this.controls.claim(request, this.d.runId(), typed), { durable: true });
      await recorder.shown(claim.recorded);
      return claim;
    }).catch((err: unknown) => {
      // Not tried again: an intent not stored now means the action does not run now.
      if (isLedgerUnreachable(err)) this.d.link.lost(err);
      throw err;
    });
  }

  /** Read the controls again, in the background. */
  refresh(): void {
    void this.refreshNow().catch(() => undefined);
  }

  /** Read the controls again (another process may have changed them); on screen once read. */
  async refreshNow(): Promise<void> {
    this.shown(await this.controls.refresh());
  }

  /** Aborted while the emergency stop is on: what an action runs under, beside the shutdown. */
  get stopSignal(): AbortSignal {
    return this.emergency.signal;
  }

  /** The controls for the screen: as last read, with a stop turned on here and not stored yet. */
  view(): ControlView {
    const view = this.controls.view();
    const u = this.unrecorded;
    return u && !view.stop.on ? { ...view, stop: { on: true, by: u.by, reason: u.reason, at: u.at }, stopUnrecorded: true } : view;
  }

  /** Why `what` does not start here: the stop is on in this process, not yet recorded. */
  refusal(what: string): string | undefined {
    const u = this.unrecorded;
    if (!u) return undefined;
    return `${what} not run: STOPPED: the emergency stop is on here (by ${u.by}: ${u.reason}), not yet recorded: the ledger is unreachable. Remedy: find why it is on; once the ledger is back, turn it off with a reason (it needs scope safety:stop-off).`;
  }

  /** The controls on screen; a stop that came on stops what runs here (whoever turned it on). */
  private shown(view: ControlView): void {
    // A stop on here and not stored yet stays on, whatever the ledger said before it is stored.
    if (this.unrecorded && !view.stop.on) return void this.d.store.setState({ controls: this.view() });
    this.d.store.setState({ controls: view });
    if (view.stop.on && !this.emergency.signal.aborted) this.emergency.abort(new EmergencyStop(view.stop.by, view.stop.reason));
    else if (!view.stop.on && this.emergency.signal.aborted) {
      this.emergency = new AbortController();
      // Turned off here or in another terminal: the line saying it is on must not stay.
      if (this.d.store.getState().flash?.text.startsWith(STOP_ON)) flash(this.d.store, 'Emergency stop off: actions and steps may run again.', 'info');
    }
  }

  /** Approve the pending real-enable window (the same rule as `window approve`); the refusal on screen. */
  async approve(): Promise<boolean> {
    return this.change(() => this.controls.approve(), (r) => `Window ${r.window} approved by ${this.controls.operatorName}.`, 'Approval refused: ');
  }

  /** Lock the runbook after its rollback succeeded in this run: new forward work waits for an unlock. */
  async lock(action: string): Promise<void> {
    const { runbook } = this.d;
    await this.change(async () => (await lockRunbook(this.controls, runbook, this.d.runId(), action), { ok: true as const }), () => `${runbook.name} is locked after the ${action}: forward actions and new runs wait for an unlock with a reason (U).`);
  }

  /** Unlock the runbook with a reason. */
  async unlock(reason: string): Promise<boolean> {
    const { runbook } = this.d;
    return this.change(() => unlockRunbook(this.controls, runbook, reason), () => `${runbook.name} unlocked: ${reason.trim()}`);
  }

  /** A change to the controls: the result on screen, a failure to write the ledger as a refusal. */
  private async change<T extends object>(fn: () => Promise<({ ok: true } & T) | Refused>, said: (r: T) => string, refused = ''): Promise<boolean> {
    const { store } = this.d;
    let r: ({ ok: true } & T) | Refused;
    try {
      r = await fn();
    } catch (err) {
      r = { ok: false, reason: `could not write the ledger: ${err instanceof Error ? err.message : String(err)}` };
    }
    store.setState({ controls: this.view() });
    if (r.ok) flash(store, said(r), 'info');
    else flash(store, refused + refusedText(r), r.failure ? 'error' : 'warn');
    return r.ok;
  }

  /** The emergency stop: on here at once, recorded as soon as the ledger answers; off only with a reason, recorded first. */
  async setStop(on: boolean, reason: string): Promise<boolean> {
    const { store, link } = this.d;
    if (on && !this.d.owner.driving) return this.observerStop(reason);
    if (on) return this.stopOn(reason);
    if (this.unrecorded || link.downSince !== undefined) {
      flash(store, 'The emergency stop stays on: turning it off needs its reason and scope recorded first, and the ledger is unreachable (the stop is not recorded yet either). Turn it off once the ledger is back.', 'error');
      return false;
    }
    let r: Awaited<ReturnType<Controls['setStop']>>;
    try {
      r = await this.controls.setStop(false, reason);
    } catch (err) {
      if (isLedgerUnreachable(err)) link.lost(err);
      r = { ok: false, reason: `could not write the ledger: ${err instanceof Error ? err.message : String(err)}` };
    }
    this.shown(this.controls.view());
    if (!r.ok) flash(store, refusedText(r), r.failure ? 'error' : 'warn');
    else flash(store, `Emergency stop off: ${reason}`, 'info');
    return r.ok;
  }

  /** On here first (what runs is killed, nothing new starts), then recorded: tried again with one key until the ledger answers. */
  private async stopOn(reason: string): Promise<boolean> {
    const { store, link } = this.d;
    const by = this.controls.operatorName;
    if (!this.emergency.signal.aborted) this.emergency.abort(new EmergencyStop(by, reason));
    this.unrecorded ??= { by, reason, at: this.d.now() };
    const key = `control.stop:${randomBytes(8).toString('hex')}`;
    let r: Awaited<ReturnType<Controls['setStop']>>;
    for (;;) {
      try {
        r = await this.controls.setStop(true, reason, key);
        link.reached();
        break;
      } catch (err) {
        if (!isLedgerUnreachable(err)) {
          this.unrecorded = undefined;
          this.shown(this.controls.view());
          flash(store, `Could not record the emergency stop: ${err instanceof Error ? err.message : String(err)}`, 'error');
          return false;
        }
        link.lost(err);
        this.shown(this.view());
        if (isLedgerLost(err)) {
          // Stays on here for as long as this process lives: nothing can record it, or turn it off.
          flash(store, `EMERGENCY STOP ON HERE: what this cockpit ran is stopped and nothing new starts here; NOT recorded, and other cockpits will not know: the ledger is lost: ${(err as Error).message}`, 'error');
          return false;
        }
        flash(store, 'EMERGENCY STOP ON HERE: what this cockpit ran is stopped and nothing new starts here; not yet recorded: the ledger is unreachable, so other cockpits do not know yet. It is recorded as soon as the ledger answers.', 'error');
        const closed = await link.beforeRetry(err).then(() => false, () => true);
        if (closed) {
          this.unrecorded = undefined;
          flash(store, 'Closed while the ledger was unreachable: the emergency stop was not recorded (what ran here was stopped).', 'error');
          return false;
        }
      }
    }
    this.unrecorded = undefined;
    // Stored now (by this try, an earlier one whose answer was lost, or by another terminal first).
    const stored = r.ok || this.controls.view().stop.on;
    this.shown(this.controls.view());
    if (stored) flash(store, 'EMERGENCY STOP ON: recorded; no action will run until it is turned off with a reason.', 'error');
    else flash(store, refusedText(r as Refused), 'warn');
    return stored;
  }

  /** An observer's stop reaches the driver's process only through the ledger: refused, and said so, while it cannot be written. */
  private async observerStop(reason: string): Promise<boolean> {
    const { store, link } = this.d;
    const honest = `The emergency stop is NOT on: the ledger is unreachable, and this cockpit only observes the run; its stop reaches the driver's cockpit only through the ledger. Press ! in the cockpit that drives the run (or stop its process there).`;
    let r: Awaited<ReturnType<Controls['setStop']>> | undefined;
    try {
      if (link.downSince === undefined) r = await this.controls.setStop(true, reason);
    } catch (err) {
      if (isLedgerUnreachable(err)) link.lost(err);
      else r = { ok: false, reason: `could not write the ledger: ${err instanceof Error ? err.message : String(err)}` };
    }
    if (!r) {
      flash(store, honest, 'error');
      return false;
    }
    this.shown(this.controls.view());
    flash(store, r.ok ? 'EMERGENCY STOP ON: no action will run until it is turned off with a reason.' : refusedText(r), r.ok ? 'error' : 'warn');
    return r.ok;
  }
}
