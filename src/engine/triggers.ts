// Rollback triggers (seed 004): "backend fails health check for more than 5 minutes", "error
// rate spike". A trigger watches one live check; it fires when the check has been failing
// (unhealthy or error) for `failingForMs` with no healthy result in between. Pure: the session
// feeds results and the time, and runs the action when this says so.
import type { CheckResult } from './types.js';

/** Seed 004's rollback triggers: `check` failing for `failingForMs` runs `action`. */
export interface Trigger {
  name: string;
  title: string;
  check: string;
  failingForMs: number;
  action: string;
  /** Run at once; otherwise open the action's confirmation for the operator. */
  auto: boolean;
}

export interface TriggerState {
  /** When the current unbroken run of failures began. */
  since?: number;
  /** Set once the trigger has fired; cleared when the check is healthy again. */
  fired?: boolean;
}

export interface TriggerStep {
  state: TriggerState;
  fire?: { reason: string };
}

export function observeTrigger(t: Trigger, state: TriggerState, result: Pick<CheckResult, 'check' | 'status' | 'reason'>, now: number): TriggerStep {
  if (result.check !== t.check) return { state };
  const failing = result.status === 'unhealthy' || result.status === 'error';
  // The same object when nothing changed, so watchers can tell a change by identity.
  if (!failing) return { state: state.since === undefined && !state.fired ? state : {} };
  const since = state.since ?? now;
  const elapsed = now - since;
  if (state.fired || elapsed < t.failingForMs) return { state: state.since === undefined ? { ...state, since } : state };
  const how = t.failingForMs > 0 ? `failing for ${formatSpan(elapsed)} (limit ${formatSpan(t.failingForMs)})` : 'failing';
  return { state: { since, fired: true }, fire: { reason: `${t.title}: ${t.check} ${how} — ${result.reason}` } };
}

function formatSpan(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}
