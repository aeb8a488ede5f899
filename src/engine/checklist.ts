// The checklist walk as a pure function of recorded events: steps in order, a failed
// blocking step stops the walk until it is retried or skipped with a reason. Because the
// state is rebuilt from events, a restarted cockpit resumes exactly where it was.
import { PHASES, type CheckResult, type EventBody, type Phase, type StepState } from './types.js';

export interface ChecklistStep {
  id: string;
  title: string;
  /** Automatic steps name a check; manual steps have none and wait for the operator. */
  check?: string;
  blocking: boolean;
  /**
   * Confirm first: the step shows its command and runs only after the operator presses Enter.
   * Headless `check` never runs such a step; it reports it as pending, like a manual one.
   */
  confirm?: true | 'typed';
  /** Values the step's command needs (`<POD_NAME>`, an unset `$VAR`): refused until each has one. */
  placeholders?: string[];
  /**
   * A confirm-first step is an action: the safety controls decide it (stop, scopes, mode,
   * window, allowlist as type "step") and it needs this scope. Default RUN_STEPS_SCOPE.
   */
  scope?: string;
  description?: string;
  line: number; // line in the runbook file, for messages
}

/** The scope a confirm-first step needs unless it names its own. */
export const RUN_STEPS_SCOPE = 'run:steps';
/** The action type of a confirm-first step, for the allowlist. */
export const STEP_ACTION_TYPE = 'step';

export interface StepView {
  id: string;
  title: string;
  phase: Phase;
  kind: 'auto' | 'manual';
  check?: string;
  blocking: boolean;
  /** A script the operator must start with Enter (Markdown shell blocks); never run headless. */
  confirm?: boolean;
  /** The script looks destructive: Enter opens a typed confirmation, as for an action. */
  typed?: true;
  state: StepState;
  /**
   * Started, and the run resumed before its outcome was recorded (the cockpit that ran it
   * died): it may have run, or still run. Enter runs it again only with its id typed.
   */
  unknown?: true;
  result?: CheckResult;
  notes: string[];
  skipReason?: string;
  attempts: number;
}

export interface PhaseView {
  phase: Phase;
  steps: StepView[];
  /** Index of the step the operator is on; undefined when the phase is complete. */
  current?: number;
  done: number;
  total: number;
  /** The current step failed and is blocking: retry or skip to go on. */
  blocked: boolean;
  complete: boolean;
}

export interface ChecklistState {
  phases: Record<Phase, PhaseView>;
  /** First phase that is not complete; the last phase once everything is complete. */
  active: Phase;
  complete: boolean;
}

type StepEvent = Extract<EventBody, { phase: Phase; step: string }>;

function isStepEvent(e: EventBody): e is StepEvent {
  return e.kind.startsWith('step.');
}

/** A step counts toward progress once the walk may move past it. */
export function isSettled(s: StepView): boolean {
  return s.state === 'passed' || s.state === 'confirmed' || s.state === 'skipped' || (s.state === 'failed' && !s.blocking);
}

function initialStep(phase: Phase, step: ChecklistStep): StepView {
  return {
    id: step.id,
    title: step.title,
    phase,
    kind: step.check ? 'auto' : 'manual',
    check: step.check,
    blocking: step.blocking,
    ...(step.confirm ? { confirm: true } : {}),
    ...(step.confirm === 'typed' ? { typed: true } : {}),
    state: 'pending',
    notes: [],
    attempts: 0,
  };
}

function applyStepEvent(s: StepView, e: StepEvent): void {
  if (e.kind !== 'step.note') delete s.unknown; // answered, or started again
  switch (e.kind) {
    case 'step.started':
      s.state = 'running';
      s.attempts += 1;
      break;
    case 'step.result':
      s.result = e.result;
      s.state = e.result.status === 'healthy' ? 'passed' : 'failed';
      break;
    case 'step.confirmed':
      s.state = 'confirmed';
      if (e.note) s.notes.push(e.note);
      break;
    case 'step.skipped':
      s.state = 'skipped';
      s.skipReason = e.reason;
      break;
    case 'step.retried':
      s.state = 'pending';
      s.skipReason = undefined;
      // Its outcome was recorded unknown (its cockpit went away after a take-over): it may still
      // have run, so running it again asks for its id typed, as after a resume.
      if (s.result?.code === 'outcome_unknown') s.unknown = true;
      break;
    case 'step.note':
      s.notes.push(e.note);
      break;
  }
}

function summarise(phase: Phase, steps: StepView[]): PhaseView {
  const current = steps.findIndex((s) => !isSettled(s));
  const done = steps.filter(isSettled).length;
  const cur = current === -1 ? undefined : steps[current];
  return {
    phase,
    steps,
    current: current === -1 ? undefined : current,
    done,
    total: steps.length,
    blocked: cur !== undefined && cur.state === 'failed' && cur.blocking,
    complete: current === -1,
  };
}

/**
 * What a step of unknown outcome says before it is run again: the cockpit that ran it stopped
 * before recording how it ended, so it may have run, or still run.
 */
export const UNKNOWN_OUTCOME =
  'its outcome is unknown: it may still have run or be running (the cockpit that ran it stopped before recording it); check by hand whether its command still runs and what it did';

/**
 * Rebuild the walk from events. Steps running when the run resumed (`run.resumed` among the
 * events, or `resumed`: a crash between start and result) come back as pending, their outcome
 * unknown: run again only once a person has typed its id (they may still run).
 */
export function walkChecklist(
  checklists: Record<Phase, ChecklistStep[]>,
  events: Iterable<EventBody>,
  opts: { resumed?: boolean } = {},
): ChecklistState {
  const steps = {} as Record<Phase, StepView[]>;
  const index = new Map<string, StepView>();
  for (const phase of PHASES) {
    steps[phase] = checklists[phase].map((st) => initialStep(phase, st));
    for (const s of steps[phase]) index.set(`${phase}/${s.id}`, s);
  }
  const interrupt = () => {
    for (const s of index.values()) if (s.state === 'running') Object.assign(s, { state: 'pending', unknown: true });
  };
  for (const e of events) {
    if (e.kind === 'run.resumed') interrupt();
    if (!isStepEvent(e)) continue;
    const s = index.get(`${e.phase}/${e.step}`);
    if (s) applyStepEvent(s, e);
  }
  if (opts.resumed) interrupt();
  const phases = {} as Record<Phase, PhaseView>;
  for (const phase of PHASES) phases[phase] = summarise(phase, steps[phase]);
  const firstOpen = PHASES.find((p) => !phases[p].complete);
  return { phases, active: firstOpen ?? PHASES[PHASES.length - 1], complete: firstOpen === undefined };
}

export function currentStep(state: ChecklistState): StepView | undefined {
  const view = state.phases[state.active];
  return view.current === undefined ? undefined : view.steps[view.current];
}

export type StepIntent =
  /** typed: what the operator typed to confirm a destructive step (its id). */
  | { kind: 'advance'; note?: string; typed?: string }
  | { kind: 'retry' }
  | { kind: 'skip'; reason: string }
  | { kind: 'note'; note: string };

/** What an intent means for the current step: the event to record, or why it is refused. */
export type IntentDecision =
  | { ok: true; event: StepEvent; run?: boolean }
  | { ok: false; refusal: string };

export function decideStepIntent(state: ChecklistState, intent: StepIntent): IntentDecision {
  const step = currentStep(state);
  if (!step) return { ok: false, refusal: 'The checklist is complete.' };
  const at = { phase: step.phase, step: step.id };
  switch (intent.kind) {
    case 'advance':
      if (step.state === 'running') return { ok: false, refusal: `"${step.title}" is still running.` };
      if (step.state === 'failed')
        return { ok: false, refusal: `"${step.title}" failed: press r to retry or s to skip with a reason.` };
      if (step.kind === 'manual') return { ok: true, event: { kind: 'step.confirmed', ...at, note: intent.note } };
      if (step.unknown && intent.typed !== step.id) return { ok: false, refusal: `"${step.title}": ${UNKNOWN_OUTCOME}; type its id "${step.id}" to run it again.` };
      return { ok: true, event: { kind: 'step.started', ...at }, run: true };
    case 'retry':
      if (step.state === 'running') return { ok: false, refusal: `"${step.title}" is still running.` };
      if (step.state !== 'failed') return { ok: false, refusal: `"${step.title}" has not failed; press Enter to run it.` };
      return { ok: true, event: { kind: 'step.retried', ...at } };
    case 'skip': {
      const reason = intent.reason.trim();
      if (!reason) return { ok: false, refusal: 'A skip needs a reason; it is recorded in the ledger.' };
      if (step.state === 'running') return { ok: false, refusal: `"${step.title}" is still running.` };
      return { ok: true, event: { kind: 'step.skipped', ...at, reason } };
    }
    case 'note': {
      const note = intent.note.trim();
      if (!note) return { ok: false, refusal: 'The note is empty.' };
      return { ok: true, event: { kind: 'step.note', ...at, note } };
    }
  }
}
