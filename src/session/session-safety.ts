// The safety controls as one session uses them: each action's or confirm-first step's decision
// and intent (stored before anything runs, in order with the run's other writes, then shown),
// the emergency stop from the cockpit, and the controls on screen as the ledger has them.
import type { Runbook } from '../runbook/model.js';
import { isLedgerUnreachable } from '../engine/ledger-store.js';
import { flash, type CockpitStore } from '../store/store.js';
import { preflightGo, type ActionHost } from './actions.js';
import { refusedText, type ActionClaim, type ControlView, type Controls, type Refused } from './controls.js';
import type { RunRecorder } from './recorder.js';
import type { HeldRun } from './run-lease.js';
import { EmergencyStop } from './runners.js';
import { lockRunbook, unlockRunbook } from './runbook-lock.js';

const STOP_ON_LINE = 'EMERGENCY STOP ON: no action will run until it is turned off with a reason.';
import { runbookNames } from '../runbook/identity.js';

export class SessionSafety {
  /** Aborted when the emergency stop comes on, from any terminal: the action or step's block running is killed. */
  private emergency = new AbortController();

  constructor(
    readonly controls: Controls,
    private readonly d: { store: CockpitStore; runbook: Runbook; scopes: ReadonlySet<string>; recorder: RunRecorder; owner: HeldRun; runId(): string; lost(): void },
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
      if (isLedgerUnreachable(err)) this.d.lost();
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

  /** The controls on screen; a stop that came on stops what runs here (whoever turned it on). */
  private shown(view: ControlView): void {
    this.d.store.setState({ controls: view });
    if (view.stop.on && !this.emergency.signal.aborted) this.emergency.abort(new EmergencyStop(view.stop.by, view.stop.reason));
    else if (!view.stop.on && this.emergency.signal.aborted) {
      this.emergency = new AbortController();
      // Turned off here or in another terminal: the line saying it is on must not stay.
      if (this.d.store.getState().flash?.text.startsWith(STOP_ON_LINE)) flash(this.d.store, 'Emergency stop off: actions and steps may run again.', 'info');
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
    store.setState({ controls: this.controls.view() });
    if (r.ok) flash(store, said(r), 'info');
    else flash(store, refused + refusedText(r), r.failure ? 'error' : 'warn');
    return r.ok;
  }

  /** The emergency stop: on at once; off only with a reason. */
  async setStop(on: boolean, reason: string): Promise<boolean> {
    const { store } = this.d;
    let r: Awaited<ReturnType<Controls['setStop']>>;
    try {
      r = await this.controls.setStop(on, reason);
    } catch (err) {
      r = { ok: false, reason: `could not write the ledger: ${err instanceof Error ? err.message : String(err)}` };
    }
    this.shown(this.controls.view());
    if (!r.ok) flash(store, refusedText(r), r.failure ? 'error' : 'warn');
    else flash(store, on ? STOP_ON_LINE : `Emergency stop off: ${reason}`, on ? 'error' : 'info');
    return r.ok;
  }
}
