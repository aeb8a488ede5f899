// Incident durations from a run's events, against seed 000's goals (MTTD < 5 min, MTTR < 15 min).
// Pure: the same events always give the same figures.
//   detected:  the first failure signal (NO-GO verdict, failed step or check, failing canary
//              window, canary abort, failed action).
//   from:      what the time to detect is measured from: the last change before the detection
//              (an injected fault, a forward action, the canary starting or moving the stage),
//              else the start of the run.
//   recovered: the first abort or rollback that completed after the detection; without one,
//              the first GO verdict after it ("back to GO").
import type { LedgerEvent } from '../engine/types.js';

export const MTTD_GOAL_MS = 5 * 60_000;
export const MTTR_GOAL_MS = 15 * 60_000;
/** Seed 000: a failed release is visible in the dashboard within a minute. */
export const VISIBLE_GOAL_MS = 60_000;

export interface IncidentMark {
  at: number;
  seq: number;
  what: string;
  operator: string;
}

export interface IncidentDurations {
  from?: IncidentMark;
  detected?: IncidentMark;
  recovered?: IncidentMark;
  /** True when `recovered` is a GO verdict rather than an abort or rollback. */
  recoveredByGo?: boolean;
  ttdMs?: number;
  ttrMs?: number;
}

const RECOVERY_ACTIONS = new Set(['abort', 'rollback']);

/** Why this event is a failure signal, or undefined. */
export function failureSignal(ev: LedgerEvent): string | undefined {
  const b = ev.body;
  switch (b.kind) {
    case 'verdict.changed':
      return b.verdict === 'NO-GO' ? `verdict NO-GO (${b.phase})${b.reasons[0] ? `: ${b.reasons[0]}` : ''}` : undefined;
    case 'step.result':
      return b.result.status === 'unhealthy' || b.result.status === 'error' ? `step ${b.step} ${b.result.status}: ${b.result.reason}` : undefined;
    case 'check.changed':
      return b.result.status === 'unhealthy' || b.result.status === 'error' ? `check ${b.check} ${b.result.status}: ${b.result.reason}` : undefined;
    case 'canary.window':
      return b.window.verdict === 'FAIL' || b.window.burst ? `canary ${b.window.step} window ${b.window.index} ${b.window.burst ? 'burst' : 'FAIL'}` : undefined;
    case 'canary.decision':
      return b.decision === 'abort' || b.decision === 'operator-abort' ? `canary abort at ${b.step}: ${b.reason}` : undefined;
    case 'action.completed':
      return b.status === 'failed' || b.status === 'unknown' ? `${b.action} ${b.status}: ${b.reason}` : undefined;
    default:
      return undefined;
  }
}

/** A change that can start an incident: what the time to detect is measured from. */
function changeSignal(ev: LedgerEvent): string | undefined {
  const b = ev.body;
  switch (b.kind) {
    case 'fault.injected':
      return `fault injected: ${b.route} → ${b.status}`;
    case 'action.completed':
      return b.status === 'succeeded' && !RECOVERY_ACTIONS.has(b.action) ? `${b.action} succeeded` : undefined;
    case 'canary.decision':
      return b.decision === 'started' || b.decision === 'step-promoted' || b.decision === 'promote' ? `canary ${b.decision} at ${b.step}` : undefined;
    case 'stage.changed':
      return b.to !== 'stable' ? `stage ${b.from} → ${b.to}` : undefined;
    case 'run.started':
      return 'run started';
    case 'run.resumed':
      return undefined;
    default:
      return undefined;
  }
}

function recoverySignal(ev: LedgerEvent): string | undefined {
  const b = ev.body;
  if (b.kind === 'action.completed' && b.status === 'succeeded' && RECOVERY_ACTIONS.has(b.action)) return `${b.action} succeeded`;
  if (b.kind === 'run.completed' && (b.status === 'aborted' || b.status === 'rolled_back')) return `run ${b.status.replace('_', ' ')}`;
  return undefined;
}

const mark = (ev: LedgerEvent, what: string): IncidentMark => ({ at: ev.at, seq: ev.seq, what, operator: ev.operator });

export function incidentDurations(events: readonly LedgerEvent[]): IncidentDurations {
  const out: IncidentDurations = {};
  let from: IncidentMark | undefined = events[0] && mark(events[0], events[0].body.kind === 'run.started' ? 'run started' : describeFirst(events[0]));
  let i = 0;
  for (; i < events.length; i++) {
    const ev = events[i];
    const failure = failureSignal(ev);
    if (failure) {
      out.detected = mark(ev, failure);
      break;
    }
    const change = changeSignal(ev);
    if (change) from = mark(ev, change);
  }
  if (!out.detected) return out;
  out.from = from;
  if (from) out.ttdMs = out.detected.at - from.at;
  let backToGo: IncidentMark | undefined;
  for (i++; i < events.length; i++) {
    const ev = events[i];
    const recovery = recoverySignal(ev);
    if (recovery) {
      out.recovered = mark(ev, recovery);
      break;
    }
    if (!backToGo && ev.body.kind === 'verdict.changed' && ev.body.verdict === 'GO') backToGo = mark(ev, `verdict GO (${ev.body.phase})`);
  }
  if (!out.recovered && backToGo) {
    out.recovered = backToGo;
    out.recoveredByGo = true;
  }
  if (out.recovered) out.ttrMs = out.recovered.at - out.detected.at;
  return out;
}

function describeFirst(ev: LedgerEvent): string {
  return `first recorded event (${ev.body.kind})`;
}
