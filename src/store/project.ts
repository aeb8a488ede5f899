// The cockpit's state as a projection of recorded ledger events. `applyEvent` is pure: the
// same events always give the same state, which is what makes a restarted cockpit resume.
import type { Runbook } from '../runbook/model.js';
import { walkChecklist, type ChecklistState } from '../engine/checklist.js';
import { applyCanaryEvent, replayCanary, type CanaryState } from '../engine/canary.js';
import type { RunRecord } from '../engine/ports.js';
import type { CheckResult, EventBody, GateVerdict, LedgerEvent } from '../engine/types.js';
import { NO_UNKNOWN, foldUnknown, type UnknownOutcomes } from '../engine/action-pairs.js';

export const RECENT_EVENTS = 200;
export const OUTPUT_LINES = 200;

export interface ActionView {
  name: string;
  state: 'running' | 'succeeded' | 'failed' | 'unknown' | 'dry-run';
  output: string[];
  reason?: string;
  startedAt: number;
  durationMs?: number;
  /** The last output line has not ended yet (streamed output arrives in chunks). */
  openLine?: boolean;
}

/** Said before the first block of a resumed run: the shell its earlier blocks ran in is gone. */
export const FRESH_SHELL_AHEAD = 'this block starts in a fresh shell: the run restarted, and exports, cd and functions from earlier steps are gone';

export interface Projection {
  run?: RunRecord;
  stepEvents: EventBody[];
  resumed: boolean;
  /**
   * The run resumed in this process after earlier blocks ran in a shell, and no shell has
   * started here yet: the next block starts in a fresh shell, without their exports.
   */
  freshShell: boolean;
  /**
   * The cockpit the run was last taken over from (`run.driver`; `from` its driver's name when
   * known), unless the run resumed since: earlier blocks ran in that cockpit's shell.
   */
  tookOverFrom?: { from?: string };
  checklist: ChecklistState;
  checks: Record<string, CheckResult>;
  verdict?: GateVerdict;
  events: LedgerEvent[];
  action?: ActionView;
  /**
   * Which actions' last outcome is unknown (their cockpit stopped while they ran, in this run or
   * carried from the one before): they may have run or still run, so only a person runs them
   * again, never --yes or a trigger (engine/action-pairs.ts foldUnknown).
   */
  outcomes: UnknownOutcomes;
  runStatus?: string;
  /** Canary windows and decisions, in order; the canary state is replayed from them. */
  canaryEvents: EventBody[];
  canary?: CanaryState;
}

export function emptyProjection(runbook: Runbook, run?: RunRecord): Projection {
  return {
    run,
    stepEvents: [],
    resumed: false,
    freshShell: false,
    checklist: walkChecklist(runbook.checklists, []),
    checks: {},
    events: [],
    outcomes: NO_UNKNOWN,
    canaryEvents: [],
    canary: runbook.canary ? replayCanary(runbook.canary, []) : undefined,
  };
}

function splitLines(text: string): string[] {
  return text.split(/\r?\n/).filter((l, i, all) => l !== '' || i < all.length - 1);
}

export function applyEvent(p: Projection, runbook: Runbook, ev: LedgerEvent): Projection {
  const b = ev.body;
  const next: Projection = { ...p, events: [...p.events, ev].slice(-RECENT_EVENTS) };
  next.outcomes = foldUnknown(p.outcomes, b);
  switch (b.kind) {
    case 'run.driver':
      next.tookOverFrom = b.from === undefined ? {} : { from: b.from };
      break;
    case 'run.resumed':
      next.resumed = true;
      next.tookOverFrom = undefined;
      next.freshShell = p.stepEvents.some((e) => e.kind === 'step.result' && ranInRunShell(runbook.checks[e.result.check]));
      // Kept among the step events: a step it interrupted stays of unknown outcome until answered.
      next.stepEvents = [...p.stepEvents, b];
      next.checklist = walkChecklist(runbook.checklists, next.stepEvents);
      break;
    case 'shell.started':
      next.freshShell = false;
      break;
    case 'run.completed':
      next.runStatus = b.status;
      if (next.run) next.run = { ...next.run, status: b.status, completedAt: ev.at };
      break;
    case 'step.started':
    case 'step.result':
    case 'step.confirmed':
    case 'step.skipped':
    case 'step.retried':
    case 'step.note':
      next.stepEvents = [...p.stepEvents, b];
      next.checklist = walkChecklist(runbook.checklists, next.stepEvents);
      if (b.kind === 'step.result') next.checks = { ...p.checks, [b.result.check]: b.result };
      break;
    case 'check.changed':
      next.checks = { ...p.checks, [b.check]: b.result };
      break;
    case 'canary.window':
    case 'canary.decision':
      next.canaryEvents = [...p.canaryEvents, b];
      if (runbook.canary && p.canary) next.canary = applyCanaryEvent(runbook.canary, p.canary, b);
      break;
    case 'verdict.changed':
      next.verdict = { verdict: b.verdict, phase: b.phase, reasons: b.reasons };
      break;
    case 'action.requested':
      next.action = { name: b.action, state: 'running', output: [], startedAt: ev.at };
      break;
    case 'action.completed': {
      const prev = p.action?.name === b.action ? p.action : undefined;
      next.action = {
        name: b.action,
        state: b.status,
        // Output streamed live is kept; after a restart the recorded tail stands in for it.
        output: prev && prev.output.length ? prev.output : splitLines(b.output).slice(-OUTPUT_LINES),
        reason: b.reason,
        startedAt: prev?.startedAt ?? ev.at,
        durationMs: b.durationMs,
      };
      break;
    }
    default:
      break;
  }
  return next;
}

/** Replay a run's events; an action requested but never completed shows as unknown. */
export function replay(runbook: Runbook, run: RunRecord | undefined, events: readonly LedgerEvent[]): Projection {
  let p = emptyProjection(runbook, run);
  for (const ev of events) p = applyEvent(p, runbook, ev);
  return p;
}

export function appendOutput(action: ActionView, chunk: string): ActionView {
  const lines = [...action.output];
  const parts = chunk.split(/\r?\n/);
  if (action.openLine && lines.length) lines[lines.length - 1] += parts.shift() ?? '';
  const endsOpen = !chunk.endsWith('\n');
  if (!endsOpen) parts.pop(); // the empty string after the final newline
  lines.push(...parts);
  return { ...action, output: lines.slice(-OUTPUT_LINES), openLine: endsOpen };
}

/** A block that ran in the run's shell: a shell check that is not a read-only one. */
function ranInRunShell(check: Runbook['checks'][string] | undefined): boolean {
  return check?.kind === 'script' && check.shell !== undefined && !check.readOnly;
}
