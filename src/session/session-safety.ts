// The safety controls as one session uses them: each action's or confirm-first step's decision
// and intent (stored before anything runs, in order with the run's other writes, then shown),
// the emergency stop from the cockpit, and the controls on screen as the ledger has them.
import type { Runbook } from '../runbook/model.js';
import { isLedgerUnreachable } from '../engine/ledger-store.js';
import { flash, type CockpitStore } from '../store/store.js';
import { preflightGo, type ActionHost } from './actions.js';
import type { ActionClaim, Controls } from './controls.js';
import type { RunRecorder } from './recorder.js';
import type { HeldRun } from './run-lease.js';

export class SessionSafety {
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
    const request = { ...req, scopes: this.d.scopes, preflightGo: preflightGo(store, runbook) };
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
    this.d.store.setState({ controls: await this.controls.refresh() });
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
    store.setState({ controls: this.controls.view() });
    if (!r.ok) flash(store, r.reason, 'warn');
    else flash(store, on ? 'EMERGENCY STOP ON: no action will run until it is turned off with a reason.' : `Emergency stop off: ${reason}`, on ? 'error' : 'info');
    return r.ok;
  }
}
