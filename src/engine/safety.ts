// Safety controls as pure decisions (seeds 001 and 003): default-deny scopes, execution modes,
// the emergency stop, time-boxed one-shot real-enable windows with two-person approval, and an
// allowlist of action types. The TUI and the headless commands ask the same function, so
// they obey the same rules. State is rebuilt from recorded control events.
import type { EventBody } from './types.js';

export type Mode = 'MOCK_ONLY' | 'DRY_RUN' | 'REAL_ENABLED';
export const MODES: readonly Mode[] = ['MOCK_ONLY', 'DRY_RUN', 'REAL_ENABLED'];

/** Why an action was refused, by seed 003's names (plus the two permission classes). */
export type FailureClass = 'STOPPED' | 'LOCKED' | 'PREFLIGHT_FAIL' | 'ALLOWLIST_VIOLATION' | 'WINDOW_NOT_ACTIVE' | 'APPROVAL_MISSING' | 'SCOPE_MISSING';

export const REMEDY: Record<FailureClass, string> = {
  STOPPED: 'find why the emergency stop is on, fix the cause, then turn it off with a reason (opscockpit stop off --reason …; it needs scope safety:stop-off)',
  LOCKED: 'find out why the rollback was needed, then unlock the runbook with a reason (opscockpit unlock RUNBOOK --reason …, or U in the cockpit; it needs scope safety:unlock)',
  PREFLIGHT_FAIL: 'complete the preflight checklist with a GO verdict first',
  ALLOWLIST_VIOLATION: "the action type is not in the runbook's safety.allowlist; changing it is a contract change that needs approval",
  WINDOW_NOT_ACTIVE: 'request a real-enable window (opscockpit window request), get it approved, and act before it expires',
  APPROVAL_MISSING: 'a second operator must approve the window (opscockpit window approve); the same person twice does not count',
  SCOPE_MISSING: 'run as an operator whose OPSCOCKPIT_ALLOW_SCOPES includes the scope',
};

/** What the runbook's safety: section asks for. Absent section = modes and windows are off. */
export interface SafetyPolicy {
  guarded: boolean;
  initialMode: Mode;
  allowlist?: string[]; // action types
  windowTtlMs: number;
  approvals: number;
}

export interface RealWindow {
  id: string;
  requestedBy: string;
  requestedAt: number;
  expiresAt: number;
  approvers: string[];
  consumedBy?: string; // action name
}

/** A runbook locked after a rollback succeeded in one of its runs (as Shipit does). */
export interface RunbookLock {
  runbook: string;
  by: string;
  at: number;
  runId: string;
  action: string;
}

export interface SafetyState {
  mode: Mode;
  stop: { on: boolean; reason?: string; by?: string; at?: number };
  window?: RealWindow;
  /** By runbook key (older ledgers: the file's path): the runbooks locked after a rollback. */
  locks?: Record<string, RunbookLock>;
}

/** The lock on a runbook known by these names (its key, then the path an older ledger locked it under). */
export function lockOn(locks: SafetyState['locks'], names: readonly string[]): RunbookLock | undefined {
  for (const name of names) if (locks && Object.hasOwn(locks, name)) return locks[name];
  return undefined;
}

export function initialSafety(policy: SafetyPolicy): SafetyState {
  return { mode: policy.guarded ? policy.initialMode : 'REAL_ENABLED', stop: { on: false } };
}

export type ControlEvent = Extract<EventBody, { kind: `control.${string}` }>;

/** Fold one recorded control event (with who recorded it and when) into the state. */
export function applyControl(s: SafetyState, e: EventBody, operator: string, at: number): SafetyState {
  switch (e.kind) {
    case 'control.mode':
      return { ...s, mode: e.mode };
    case 'control.stop':
      return { ...s, stop: e.on ? { on: true, reason: e.reason, by: operator, at } : { on: false } };
    case 'control.window':
      return { ...s, window: { id: e.id, requestedBy: operator, requestedAt: at, expiresAt: e.expiresAt, approvers: [] } };
    case 'control.approval':
      if (!s.window || s.window.id !== e.window || s.window.approvers.some((a) => samePerson(a, operator)) || samePerson(s.window.requestedBy, operator)) return s;
      return { ...s, window: { ...s.window, approvers: [...s.window.approvers, operator] } };
    case 'control.lock':
      return { ...s, locks: { ...s.locks, [e.runbook]: { runbook: e.runbook, by: operator, at, runId: e.runId, action: e.action } } };
    case 'control.unlock': {
      const { [e.runbook]: _gone, ...locks } = s.locks ?? {};
      return { ...s, locks };
    }
    case 'control.consumed':
      if (!s.window || s.window.id !== e.window) return s;
      return { ...s, window: { ...s.window, consumedBy: e.action } };
    default:
      return s;
  }
}

/**
 * The person a name stands for, for the two-person rule: NFKC (full-width letters as plain),
 * case-folded, without invisible characters (zero-width spaces and joiners, bidi marks) and
 * with inner spaces collapsed. "alice", "Alice" and "alice\u200b" are one person. On a local
 * ledger these names are asserted by whoever sets OPSCOCKPIT_OPERATOR, not proven.
 */
export function personOf(name: string): string {
  return name
    .normalize('NFKC')
    .replace(/[\p{Cf}\p{Cc}]/gu, '')
    .replace(/\s+/gu, ' ')
    .trim()
    .toLocaleLowerCase('en-US');
}

const samePerson = (a: string, b: string) => personOf(a) === personOf(b);

export type WindowStatus = 'NONE' | 'PENDING_APPROVAL' | 'ACTIVE' | 'EXPIRED' | 'CONSUMED';

export function windowStatus(policy: SafetyPolicy, w: RealWindow | undefined, now: number): WindowStatus {
  if (!w) return 'NONE';
  if (w.consumedBy) return 'CONSUMED';
  if (now >= w.expiresAt) return 'EXPIRED';
  return w.approvers.length >= policy.approvals ? 'ACTIVE' : 'PENDING_APPROVAL';
}

export interface ActionRequest {
  action: string;
  /** The runbook's names (runbookNames), for its lock after a rollback; absent for requests outside a runbook. */
  runbook?: readonly string[];
  type: string; // action type for the allowlist (default: the action name)
  scope: string;
  scopes: ReadonlySet<string>;
  /** Forward actions (promote, custom real work) need a completed GO preflight; abort and rollback never do. */
  needsPreflight: boolean;
  preflightGo: boolean;
  now: number;
}

export type ActionDecision =
  | { allowed: true; mode: Mode; consumesWindow?: string }
  | { allowed: false; failure: FailureClass; reason: string; remedy: string };

const refuse = (failure: FailureClass, reason: string): ActionDecision => ({ allowed: false, failure, reason, remedy: REMEDY[failure] });

/** "promote needs scope deploy:promote; this operator has ops:read" */
const scopeMissing = (what: string, scope: string, scopes: ReadonlySet<string>) =>
  `${what} needs scope ${scope}; this operator has ${scopes.size ? [...scopes].join(', ') : 'no scopes (read-only)'}`;

/**
 * What relaxes a control, and the scope each needs (default deny, as for actions). Tightening
 * needs none: the emergency stop comes on for anyone, and a lock comes on after a rollback.
 */
export type ControlChange = 'stop-off' | 'unlock' | 'mode';
export const CONTROL_SCOPES: Record<ControlChange, string> = { 'stop-off': 'safety:stop-off', unlock: 'safety:unlock', mode: 'safety:mode' };
/** The scopes given plus every control's (a demo's operator, say): `ops:read` → `ops:read,safety:stop-off,…`. */
export const withControlScopes = (scopes: string): string => [scopes, ...Object.values(CONTROL_SCOPES)].filter(Boolean).join(',');
const CONTROL_WHAT: Record<ControlChange, string> = { 'stop-off': 'turning the emergency stop off', unlock: 'unlocking a runbook', mode: 'changing the mode' };

export type ControlDecision = { allowed: true } | { allowed: false; failure: 'SCOPE_MISSING'; scope: string; reason: string; remedy: string };

/** May this operator relax the control? The cockpit's keys and the commands ask this, through Controls. */
export function decideControl(change: ControlChange, scopes: ReadonlySet<string>): ControlDecision {
  const scope = CONTROL_SCOPES[change];
  if (scopes.has(scope)) return { allowed: true };
  return { allowed: false, failure: 'SCOPE_MISSING', scope, reason: scopeMissing(CONTROL_WHAT[change], scope, scopes), remedy: `run as an operator whose OPSCOCKPIT_ALLOW_SCOPES includes ${scope}, or ask one who has it to do it` };
}

export function decideAction(policy: SafetyPolicy, s: SafetyState, r: ActionRequest): ActionDecision {
  if (s.stop.on) return refuse('STOPPED', `the emergency stop is on${s.stop.reason ? `: ${s.stop.reason}` : ''}${s.stop.by ? ` (by ${s.stop.by})` : ''}`);
  const lock = r.runbook === undefined ? undefined : lockOn(s.locks, r.runbook);
  // Forward work only: abort and rollback are never held back by a lock.
  if (lock && !backsOut(r.type)) return refuse('LOCKED', `${r.action} refused: ${lockedText(lock)}`);
  if (!r.scopes.has(r.scope)) return refuse('SCOPE_MISSING', scopeMissing(r.action, r.scope, r.scopes));
  if (policy.allowlist && !policy.allowlist.includes(r.type)) return refuse('ALLOWLIST_VIOLATION', `action type "${r.type}" is not in the allowlist (${policy.allowlist.join(', ')})`);
  if (r.needsPreflight && !r.preflightGo) return refuse('PREFLIGHT_FAIL', `${r.action} needs a completed preflight with a GO verdict`);
  if (!policy.guarded || s.mode !== 'REAL_ENABLED') return { allowed: true, mode: s.mode };
  const w = s.window;
  const status = windowStatus(policy, w, r.now);
  if (status === 'NONE' || status === 'EXPIRED' || status === 'CONSUMED') {
    const why = status === 'NONE' ? 'no real-enable window' : status === 'EXPIRED' ? `window ${w!.id} expired` : `window ${w!.id} was used by ${w!.consumedBy}`;
    return refuse('WINDOW_NOT_ACTIVE', `REAL_ENABLED needs an active real-enable window: ${why}`);
  }
  if (status === 'PENDING_APPROVAL') return refuse('APPROVAL_MISSING', `window ${w!.id} has ${w!.approvers.length} of ${policy.approvals} approvals`);
  return { allowed: true, mode: 'REAL_ENABLED', consumesWindow: w!.id };
}

/** Approving: the requester may not approve their own window, nor anyone twice. */
export function decideApproval(policy: SafetyPolicy, s: SafetyState, operator: string, now: number): { ok: true; window: string } | { ok: false; reason: string } {
  const w = s.window;
  const status = windowStatus(policy, w, now);
  if (!w || status === 'NONE') return { ok: false, reason: 'there is no real-enable window to approve; request one first' };
  if (status === 'EXPIRED' || status === 'CONSUMED') return { ok: false, reason: `window ${w.id} is ${status.toLowerCase()}; request a new one` };
  if (samePerson(w.requestedBy, operator)) return { ok: false, reason: `${operator} requested window ${w.id} and cannot approve it too (two-person rule)` };
  if (w.approvers.some((a) => samePerson(a, operator))) return { ok: false, reason: `${operator} already approved window ${w.id}; a second, different operator must approve` };
  return { ok: true, window: w.id };
}

export function parseScopes(text: string | undefined): Set<string> {
  return new Set((text ?? '').split(/[\s,]+/).map((x) => x.trim()).filter(Boolean));
}

/** Abort and rollback (by action type, which defaults to the name): what a lock after a rollback never holds back. */
export const backsOut = (type: string | undefined): boolean => type === 'abort' || type === 'rollback';

/** The time of day on the cockpit's clock (UTC, as the screens show it): `10:42`. */
const timeOfDay = (at: number) => new Date(at).toISOString().slice(11, 16);

/** "locked after the rollback at 10:42 by alice: unlock with a reason" */
export function lockedText(lock: RunbookLock): string {
  return `locked after the ${lock.action} at ${timeOfDay(lock.at)} by ${lock.by}: unlock with a reason`;
}
