// What runs when the session shuts down is put on record as cancelled, and why, before its
// process group is killed: the action running, or the step (its action, or a note on it).
import { flash, type CockpitStore } from '../store/store.js';
import type { ActionQueue } from './action-queue.js';
import type { RunRecorder } from './recorder.js';
import type { Steps } from './steps.js';

/** Records the cancellations (in the background); the ends to wait for. */
export function recordCancelled(d: { actions: ActionQueue; steps: Steps; recorder: RunRecorder; store: CockpitStore }, why: string): Array<Promise<unknown> | undefined> {
  const action = d.actions.inFlight;
  const step = d.steps.inFlight;
  const cancelled = [action?.name, step?.action].filter((a): a is string => a !== undefined);
  const cancel = (a: string, intent?: number) => void d.recorder.tryRecord({ kind: 'action.cancelled', action: a, reason: `${why} while it ran` }, true, intent);
  // Answers to their intents: recorded even after another took the seat over.
  if (action) cancel(action.name, action.intent);
  if (step?.action) cancel(step.action, step.actionIntent);
  else if (step) void d.recorder.tryRecord({ kind: 'step.note', phase: step.phase, step: step.step, note: `cancelled: ${why} while the step ran` }, true, step.intent);
  if (action || step) flash(d.store, `Quitting (${why}): stopping ${cancelled.join(', ') || step?.step}…`, 'warn');
  return [action?.done, step?.done];
}
