// Each action outcome answers one request: the earliest of the same action still unanswered.
// A step's result answers its start the same way.
import type { EventBody, LedgerEvent } from './types.js';

/** The actions requested in these events and never answered, one entry per request, in order. */
export function unansweredRequests(events: readonly LedgerEvent[]): string[] {
  const open: string[] = [];
  for (const { body } of events) {
    if (body.kind === 'action.requested') open.push(body.action);
    if (body.kind === 'action.completed') {
      const i = open.indexOf(body.action);
      if (i >= 0) open.splice(i, 1);
    }
  }
  return open;
}

/** An event that ends the step's start: after it, the start has its answer. */
function answersStep(b: EventBody, step: { phase: string; step: string }): boolean {
  const ends = b.kind === 'step.result' || b.kind === 'step.confirmed' || b.kind === 'step.skipped' || b.kind === 'step.retried';
  return ends && b.phase === step.phase && b.step === step.step;
}

/** Whether the action's request at seq `since` has no outcome yet. */
function actionOpen(events: readonly LedgerEvent[], since: number, action: string): boolean {
  const count = (kind: string, upTo = Infinity) => events.filter((e) => e.seq <= upTo && e.body.kind === kind && (e.body as { action: string }).action === action).length;
  // Outcomes answer the earliest request still open: this one is open while fewer outcomes of
  // the action were recorded than requests up to and with it.
  return count('action.completed') < count('action.requested', since);
}

/**
 * The intents recorded after seq `after` whose outcome the run still owes (a step's start, an
 * action's request, nothing answered it), since the run last resumed: what the process that
 * recorded them has to answer.
 */
export function owedIntents(events: readonly LedgerEvent[], after = 0): LedgerEvent[] {
  const resumed = events.reduce((at, e) => (e.body.kind === 'run.resumed' ? e.seq : at), 0);
  return events.filter(({ seq, body: b }) => {
    if (seq <= Math.max(after, resumed)) return false;
    if (b.kind === 'action.requested') return actionOpen(events, seq, b.action);
    return b.kind === 'step.started' && !events.some((e) => e.seq > seq && answersStep(e.body, b));
  });
}

/**
 * Whether the run still owes `outcome`, an answer to the intent recorded at seq `since` (a
 * step's start, an action's request): nothing answered it yet, and no process resumed the run
 * after it (a resume records what it finds unanswered as unknown, and walks the step again).
 * Only outcomes are owed: a step's result or note, an action's outcome or cancellation; and
 * what a successful action's outcome (the event at `since`) brings about in the run: the stage
 * it moved, the run's end (an abort's, a rollback's), each once.
 */
export function stillOwed(events: readonly LedgerEvent[], since: number, outcome: EventBody): boolean {
  if (events.some((e) => e.seq > since && e.body.kind === 'run.resumed')) return false;
  const intent = events.find((e) => e.seq === since)?.body;
  switch (outcome.kind) {
    case 'step.result':
    case 'step.note': {
      if (intent?.kind !== 'step.started' || intent.phase !== outcome.phase || intent.step !== outcome.step) return false;
      return !events.some(({ seq, body: b }) => seq > since && answersStep(b, outcome));
    }
    case 'action.completed':
    case 'action.cancelled': {
      return intent?.kind === 'action.requested' && intent.action === outcome.action && actionOpen(events, since, outcome.action);
    }
    case 'stage.changed':
    case 'run.completed': {
      if (intent?.kind !== 'action.completed' || intent.status !== 'succeeded') return false;
      // Recorded once: the stage's move after this outcome, the run's end at all.
      return !events.some((e) => e.body.kind === outcome.kind && (outcome.kind === 'run.completed' || e.seq > since));
    }
    default:
      return false;
  }
}

/** Which actions' last outcome is unknown, and the mode each was last asked in. */
export interface UnknownOutcomes {
  unknown: readonly string[];
  modes: Readonly<Record<string, string | undefined>>;
}

export const NO_UNKNOWN: UnknownOutcomes = { unknown: [], modes: {} };

/**
 * One event's effect on which actions have an unknown outcome: the cockpit running one died
 * (status unknown), or the run started carrying them from the run before (`run.started.unknown`).
 * Only a real outcome makes one known again: a dry run or a mock says nothing of the real target.
 */
export function foldUnknown(u: UnknownOutcomes, b: EventBody): UnknownOutcomes {
  if (b.kind === 'run.started') return b.unknown?.length ? { ...u, unknown: [...b.unknown] } : u;
  if (b.kind === 'action.requested') return { ...u, modes: { ...u.modes, [b.action]: b.mode } };
  if (b.kind !== 'action.completed') return u;
  const others = u.unknown.filter((a) => a !== b.action);
  if (b.status === 'unknown') return { ...u, unknown: [...others, b.action] };
  return b.status !== 'dry-run' && u.modes[b.action] !== 'MOCK_ONLY' ? { ...u, unknown: others } : u;
}
