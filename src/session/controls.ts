// The safety controls' state lives in the ledger, in one run of its own, so every process
// on the same ledger (the cockpit, `opscockpit act`, `opscockpit stop`, a second operator's
// `window approve`) sees the same emergency stop, mode and window. It is read fresh before
// every decision rather than cached, because another process may have changed it.
import { randomBytes } from 'node:crypto';
import type { LedgerPort, RunRecord } from '../engine/ports.js';
import type { EventBody, LedgerEvent } from '../engine/types.js';
import {
  applyControl, decideAction, decideApproval, initialSafety, windowStatus,
  type ActionDecision, type ActionRequest, type Mode, type SafetyPolicy, type SafetyState, type WindowStatus,
} from '../engine/safety.js';

export const CONTROL_RUNBOOK = '(safety controls)';

export interface ControlView extends SafetyState {
  windowStatus: WindowStatus;
  guarded: boolean;
}

/** A decision on an action and the event that records it in the action's run. */
export interface ActionClaim {
  decision: ActionDecision;
  recorded: LedgerEvent;
}

export class Controls {
  constructor(
    private readonly ledger: LedgerPort,
    private readonly policy: SafetyPolicy,
    private readonly operator: string,
    private readonly now: () => number,
  ) {}

  private run(): RunRecord {
    return this.ledger.openRun(CONTROL_RUNBOOK) ?? this.ledger.startRun({ runbook: CONTROL_RUNBOOK, name: 'safety controls', releaseType: 'controls' }, this.now());
  }

  state(): SafetyState {
    const run = this.ledger.openRun(CONTROL_RUNBOOK);
    let s = initialSafety(this.policy);
    if (!run) return s;
    for (const e of this.ledger.events(run.runId)) s = applyControl(s, e.body, e.operator, e.at);
    // Without a safety: section there are no modes to switch between.
    return this.policy.guarded ? s : { ...s, mode: 'REAL_ENABLED' };
  }

  /**
   * For display, once a second: the state is read again only when the ledger changed (another
   * process wrote, or this one recorded a control), the window's status from the clock. A
   * decision (claim) always reads afresh.
   */
  view(): ControlView {
    const version = this.ledger.changeToken?.();
    if (version === undefined || !this.shown || this.shown.version !== version || this.shown.dirty) this.shown = { version, state: this.state(), dirty: false };
    const s = this.shown.state;
    return { ...s, windowStatus: windowStatus(this.policy, s.window, this.now()), guarded: this.policy.guarded };
  }

  private shown?: { version: string | undefined; state: SafetyState; dirty: boolean };

  /** Control changes are safety records: durable before this returns. */
  private record(body: EventBody): void {
    this.ledger.append(this.run().runId, this.operator, body, this.now(), { durable: true });
    if (this.shown) this.shown.dirty = true;
  }

  /**
   * Decide on an action and record the decision, in one write transaction that holds the
   * ledger's write lock from before the controls are read: the intent (or the refusal) in the
   * action's run and, for a real action, the window used up, durable before the action starts.
   * Another process acting at the same instant waits for the lock, then reads the window as
   * used, so one window never lets two actions through.
   */
  claim(request: Omit<ActionRequest, 'now'>, runId: string, confirmedWith: string): ActionClaim {
    return this.ledger.atomically(
      () => {
        const now = this.now();
        const decision = decideAction(this.policy, this.state(), { ...request, now });
        const { action } = request;
        if (!decision.allowed) {
          const refused: EventBody = { kind: 'action.refused', action, failure: decision.failure, reason: decision.reason, remedy: decision.remedy };
          return { decision, recorded: this.ledger.append(runId, this.operator, refused, now, { durable: true }) };
        }
        const intent: EventBody = { kind: 'action.requested', action, confirmedWith, mode: decision.mode, window: decision.consumesWindow };
        const recorded = this.ledger.append(runId, this.operator, intent, now, { durable: true });
        if (this.shown) this.shown.dirty = true;
        if (decision.consumesWindow) this.record({ kind: 'control.consumed', window: decision.consumesWindow, action, runId });
        return { decision, recorded };
      },
      { durable: true },
    );
  }

  /** On needs nothing but a reason word; off needs a real reason (it is what lets work resume). */
  setStop(on: boolean, reason: string): { ok: true } | { ok: false; reason: string } {
    const why = reason.trim();
    if (!on && !why) return { ok: false, reason: 'turning the emergency stop off needs a reason' };
    return this.ledger.atomically(
      (): { ok: true } | { ok: false; reason: string } => {
        if (this.state().stop.on === on) return { ok: false, reason: `the emergency stop is already ${on ? 'on' : 'off'}` };
        this.record({ kind: 'control.stop', on, reason: why || 'emergency stop' });
        return { ok: true };
      },
      { durable: true },
    );
  }

  setMode(mode: Mode, reason: string): { ok: true } | { ok: false; reason: string } {
    if (!this.policy.guarded) return { ok: false, reason: 'this runbook has no safety: section, so it has no modes to switch' };
    if (!reason.trim()) return { ok: false, reason: 'changing the mode needs a reason' };
    this.record({ kind: 'control.mode', mode, reason: reason.trim() });
    return { ok: true };
  }

  requestWindow(): { ok: true; id: string; expiresAt: number } | { ok: false; reason: string } {
    if (!this.policy.guarded) return { ok: false, reason: 'this runbook has no safety: section; real-enable windows are off' };
    const id = `w-${randomBytes(3).toString('hex')}`;
    const expiresAt = this.now() + this.policy.windowTtlMs;
    this.record({ kind: 'control.window', id, ttlMs: this.policy.windowTtlMs, expiresAt });
    return { ok: true, id, expiresAt };
  }

  approve(): { ok: true; window: string } | { ok: false; reason: string } {
    return this.ledger.atomically(
      () => {
        const d = decideApproval(this.policy, this.state(), this.operator, this.now());
        this.record(d.ok ? { kind: 'control.approval', window: d.window } : { kind: 'control.refused', what: 'window approval', reason: d.reason });
        return d;
      },
      { durable: true },
    );
  }
}
