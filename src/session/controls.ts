// The safety controls' state lives in the ledger, in one run of its own, so every process
// on the same ledger (the cockpit, `opscockpit act`, `opscockpit stop`, a second operator's
// `window approve`) sees the same emergency stop, mode and window. A decision reads it fresh
// inside its write transaction; the display keeps the last state read and reads again when
// the ledger tells of a change (refresh).
import { randomBytes } from 'node:crypto';
import type { LedgerStore } from '../engine/ledger-store.js';
import type { RunRecord } from '../engine/ports.js';
import type { EventBody, LedgerEvent } from '../engine/types.js';
import {
  applyControl, decideAction, decideApproval, decideControl, initialSafety, windowStatus,
  type ActionDecision, type ActionRequest, type ControlChange, type Mode, type SafetyPolicy, type SafetyState, type WindowStatus,
} from '../engine/safety.js';
import { ControlFold } from './control-fold.js';

export const CONTROL_RUNBOOK = '(safety controls)';

export interface ControlView extends SafetyState {
  windowStatus: WindowStatus;
  guarded: boolean;
  /** How many distinct approvers a window needs. */
  approvals: number;
  /** The stop is on in this process only: turned on here, not yet stored (the ledger is unreachable). */
  stopUnrecorded?: boolean;
}

/** A decision on an action and the event that records it in the action's run. */
export interface ActionClaim {
  decision: ActionDecision;
  recorded: LedgerEvent;
}

/** A change refused: a control's refusal (relaxing without the scope) names its failure and remedy. */
export type Refused = { ok: false; reason: string; failure?: 'SCOPE_MISSING'; remedy?: string };
type Result<T = object> = ({ ok: true } & T) | Refused;

/** A refusal as one line for the cockpit: the control, why, and what to do. */
export function refusedText(r: Refused): string {
  return r.failure ? `${r.failure}: ${r.reason}. Remedy: ${r.remedy}.` : r.reason;
}

/** The runbooks' locks after a rollback, as the ledger has them now (inside a transaction: as of it). */
export async function runbookLocks(ledger: LedgerStore): Promise<SafetyState['locks']> {
  const run = await ledger.openRun(CONTROL_RUNBOOK);
  let s: SafetyState = { mode: 'REAL_ENABLED', stop: { on: false } };
  for (const e of run ? await ledger.events(run.runId) : []) if (e.body.kind === 'control.lock' || e.body.kind === 'control.unlock') s = applyControl(s, e.body, e.operator, e.at);
  return s.locks;
}

/** A reason is one line of text, as a parameter's value is: a line end could forge a ledger line. */
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;
const REASON_ONE_LINE = 'a reason is one line of text, without control characters';

export class Controls {
  /** The state last read, for display. */
  private shown?: SafetyState;
  private readonly fold: ControlFold;

  constructor(
    private readonly ledger: LedgerStore,
    private readonly policy: SafetyPolicy,
    /** Who decides: on PostgreSQL the login the database stamps, so the two-person rule counts logins. */
    private readonly operator: string,
    private readonly now: () => number,
    /** The name the appends carry: the operator itself on SQLite, a display name beside the login on PostgreSQL. */
    private readonly displayName = operator,
    /** The operator's scopes (OPSCOCKPIT_ALLOW_SCOPES): relaxing a control needs its own. */
    private readonly scopes: ReadonlySet<string> = new Set(),
  ) {
    this.fold = new ControlFold(ledger, CONTROL_RUNBOOK, () => initialSafety(policy));
  }

  /** Who decides, as the messages name them. */
  get operatorName(): string {
    return this.operator;
  }

  private async run(): Promise<RunRecord> {
    return (await this.ledger.openRun(CONTROL_RUNBOOK)) ?? this.ledger.startRun({ runbook: CONTROL_RUNBOOK, name: 'safety controls', releaseType: 'controls' }, this.now());
  }

  async state(): Promise<SafetyState> {
    let s = await this.fold.state();
    // Without a safety: section there are no modes to switch between.
    s = this.policy.guarded ? s : { ...s, mode: 'REAL_ENABLED' };
    this.shown = s;
    return s;
  }

  /** Read the state again (the ledger changed); the view after it. */
  async refresh(): Promise<ControlView> {
    await this.state();
    return this.view();
  }

  /** For display: the state last read, the window's status from the clock. */
  view(): ControlView {
    const s = this.shown ?? initialSafety(this.policy);
    return { ...s, windowStatus: windowStatus(this.policy, s.window, this.now()), guarded: this.policy.guarded, approvals: this.policy.approvals };
  }

  /** Control changes are safety records: durable before this resolves. */
  private async record(body: EventBody, idempotencyKey?: string): Promise<void> {
    await this.ledger.append((await this.run()).runId, this.displayName, body, this.now(), { durable: true, idempotencyKey });
  }

  /** `fn` in one write transaction; the state is read again after it (what it recorded). */
  private async changing<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await this.ledger.atomically(fn, { durable: true });
    } finally {
      await this.state().catch(() => undefined);
    }
  }

  /**
   * Decide on an action and record the decision, in one write transaction that holds the
   * ledger's write lock from before the controls are read: the intent (or the refusal) in the
   * action's run and, for a real action, the window used up, durable before the action starts.
   * Another process acting at the same instant waits for the lock, then reads the window as
   * used, so one window never lets two actions through. Call inside the caller's transaction
   * (HeldRun.within) or on its own.
   */
  async claim(request: Omit<ActionRequest, 'now'>, runId: string, confirmedWith: string): Promise<ActionClaim> {
    return this.ledger.atomically(
      async () => {
        const now = this.now();
        const decision = decideAction(this.policy, await this.state(), { ...request, now });
        const { action } = request;
        if (!decision.allowed) {
          const refused: EventBody = { kind: 'action.refused', action, failure: decision.failure, reason: decision.reason, remedy: decision.remedy };
          return { decision, recorded: await this.ledger.append(runId, this.displayName, refused, now, { durable: true }) };
        }
        const intent: EventBody = { kind: 'action.requested', action, confirmedWith, mode: decision.mode, window: decision.consumesWindow };
        const recorded = await this.ledger.append(runId, this.displayName, intent, now, { durable: true });
        if (decision.consumesWindow) await this.record({ kind: 'control.consumed', window: decision.consumesWindow, action, runId });
        return { decision, recorded };
      },
      { durable: true },
    );
  }

  /**
   * Relaxing a control needs its scope; a refusal is recorded as the controls' own, like an
   * action's. Asked before the reason, so the cockpit can refuse before asking one.
   */
  private async permitted(change: ControlChange, what: string): Promise<Refused | undefined> {
    const d = decideControl(change, this.scopes);
    if (d.allowed) return undefined;
    await this.changing(() => this.record({ kind: 'control.refused', what, failure: d.failure, reason: d.reason, remedy: d.remedy }));
    return { ok: false, reason: d.reason, failure: d.failure, remedy: d.remedy };
  }

  /**
   * On needs nothing but a reason word, from anyone; off needs its scope and a real reason (it is
   * what lets work resume). `idempotencyKey`: the same for each try of one change (stored once).
   */
  async setStop(on: boolean, reason: string, idempotencyKey?: string): Promise<Result> {
    const refused = on ? undefined : await this.permitted('stop-off', 'emergency stop off');
    if (refused) return refused;
    const why = reason.trim();
    if (!on && !why) return { ok: false, reason: 'turning the emergency stop off needs a reason' };
    if (CONTROL_CHARS.test(why)) return { ok: false, reason: REASON_ONE_LINE };
    return this.changing(async (): Promise<Result> => {
      if ((await this.state()).stop.on === on) return { ok: false, reason: `the emergency stop is already ${on ? 'on' : 'off'}` };
      await this.record({ kind: 'control.stop', on, reason: why || 'emergency stop' }, idempotencyKey);
      return { ok: true };
    });
  }

  async setMode(mode: Mode, reason: string): Promise<Result> {
    if (!this.policy.guarded) return { ok: false, reason: 'this runbook has no safety: section, so it has no modes to switch' };
    const refused = await this.permitted('mode', `mode ${mode}`);
    if (refused) return refused;
    if (!reason.trim()) return { ok: false, reason: 'changing the mode needs a reason' };
    if (CONTROL_CHARS.test(reason)) return { ok: false, reason: REASON_ONE_LINE };
    await this.changing(() => this.record({ kind: 'control.mode', mode, reason: reason.trim() }));
    return { ok: true };
  }

  async requestWindow(): Promise<Result<{ id: string; expiresAt: number }>> {
    if (!this.policy.guarded) return { ok: false, reason: 'this runbook has no safety: section; real-enable windows are off' };
    const id = `w-${randomBytes(3).toString('hex')}`;
    const expiresAt = this.now() + this.policy.windowTtlMs;
    await this.changing(() => this.record({ kind: 'control.window', id, ttlMs: this.policy.windowTtlMs, expiresAt }));
    return { ok: true, id, expiresAt };
  }

  /** After a rollback succeeded in `runId`: the runbook takes no new forward work until unlocked; locked once. */
  async lock(runbook: string, runId: string, action: string): Promise<void> {
    await this.changing(async () => {
      const held = (await this.state()).locks?.[runbook];
      if (held?.runId === runId && held.action === action) return;
      await this.record({ kind: 'control.lock', runbook, runId, action });
    });
  }

  /** Unlocking needs its scope and a reason: it is what lets the release go forward again. */
  async unlock(runbook: string, reason: string): Promise<Result> {
    const refused = await this.permitted('unlock', `unlock ${runbook}`);
    if (refused) return refused;
    if (!reason.trim()) return { ok: false, reason: 'unlocking a runbook needs a reason' };
    if (CONTROL_CHARS.test(reason)) return { ok: false, reason: REASON_ONE_LINE };
    return this.changing(async (): Promise<Result> => {
      if (!(await this.state()).locks?.[runbook]) return { ok: false, reason: `${runbook} is not locked` };
      await this.record({ kind: 'control.unlock', runbook, reason: reason.trim() });
      return { ok: true };
    });
  }

  async approve(): Promise<Result<{ window: string }>> {
    return this.changing(async () => {
      const d = decideApproval(this.policy, await this.state(), this.operator, this.now());
      await this.record(d.ok ? { kind: 'control.approval', window: d.window } : { kind: 'control.refused', what: 'window approval', reason: d.reason });
      return d;
    });
  }
}
