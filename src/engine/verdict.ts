// GO / NO-GO / INSUFFICIENT for a phase, from the latest result of each blocking check.
import { isSettled, type ChecklistState } from './checklist.js';
import type { CheckIdentity, CheckResult, GateVerdict, Phase } from './types.js';

/**
 * The checks a phase's verdict depends on: those behind its blocking automatic steps. A
 * phase without any (say, a postflight of manual steps) is judged by every phase's, so the
 * verdict never turns GO just because the walk moved on. A runbook with none at all is judged
 * by its phase's steps: INSUFFICIENT until the blocking ones are done (STEPS_TO_DO).
 */
export function gatingChecks(state: ChecklistState, phase: Phase, empty: 'template' | 'judged' = 'template'): string[] {
  // A confirm-first script is something a person starts, not a read-only check: the Gate
  // never waits on it (its step still has to be walked before the phase is complete).
  const of = (steps: ChecklistState['phases'][Phase]['steps']) => steps.filter((s) => s.blocking && s.check && !s.confirm).map((s) => s.check!);
  const names = of(state.phases[phase].steps);
  if (empty === 'template' && Object.values(state.phases).every((p) => p.steps.length === 0)) return [NO_STEPS];
  const all = names.length ? names : Object.values(state.phases).flatMap((p) => of(p.steps));
  // Nothing automatic to judge (a Markdown runbook of confirm-first scripts and manual steps):
  // the Gate does not say GO before the phase's blocking steps are done.
  if (all.length === 0 && state.phases[phase].steps.some((s) => s.blocking && !isSettled(s))) return [STEPS_TO_DO];
  return [...new Set(all)];
}

/** What a phase with no automatic checks is judged by while its blocking steps are not done. */
export const STEPS_TO_DO = '(steps to do)';
export const STEPS_TO_DO_REASON = 'no automatic checks: the steps of this phase are not all done';

/**
 * What a runbook with no steps at all (a fill-in template) is judged by: a check that never
 * has a result, so its verdict is never GO. A runbook with no steps but with something to do
 * (checks, actions, a canary: `emptyMeans`) is judged as before.
 */
export const NO_STEPS = '(no steps)';
export const NO_STEPS_REASON = 'this runbook has no steps';

/** A runbook with no steps in any phase and nothing else to do: a fill-in template. */
export function stepless(runbook: { checklists: Record<Phase, readonly unknown[]>; checks: object; actions: object; canary?: unknown }): boolean {
  return Object.values(runbook.checklists).every((steps) => steps.length === 0) && emptyMeans(runbook) === 'template';
}

export function computeVerdict(
  phase: Phase,
  checkNames: readonly string[],
  checks: Readonly<Record<string, CheckIdentity>>,
  latest: Readonly<Record<string, CheckResult | undefined>>,
): GateVerdict {
  const noGo: string[] = [];
  const insufficient: string[] = [];
  const noGoClasses: string[] = [];
  const insufficientClasses: string[] = [];
  for (const name of checkNames) {
    const title = checks[name]?.title ?? name;
    const r = latest[name];
    if (name === NO_STEPS || name === STEPS_TO_DO) {
      insufficient.push(name === NO_STEPS ? NO_STEPS_REASON : STEPS_TO_DO_REASON);
      insufficientClasses.push(`${name}: none`);
    } else if (!r) {
      insufficient.push(`${title}: no result yet`);
      insufficientClasses.push(`${name}: none`);
    } else if (r.status === 'insufficient') {
      insufficient.push(`${title}: ${r.reason}`);
      insufficientClasses.push(`${name}: ${r.status} ${reasonClass(r)}`);
    } else if (r.status !== 'healthy') {
      noGo.push(`${title}: ${r.reason}`);
      noGoClasses.push(`${name}: ${r.status} ${reasonClass(r)}`);
    }
  }
  if (noGo.length) return { verdict: 'NO-GO', phase, reasons: [...noGo, ...insufficient], classes: [...noGoClasses, ...insufficientClasses] };
  if (insufficient.length) return { verdict: 'INSUFFICIENT', phase, reasons: insufficient, classes: insufficientClasses };
  return { verdict: 'GO', phase, reasons: [], classes: [] };
}

/** Codes of a target that cannot be reached: one class, whichever way the network failed. */
const UNREACHABLE = new Set<CheckResult['code']>(['refused', 'timeout', 'dns', 'tls', 'network']);

function reasonClass(r: CheckResult): string {
  return UNREACHABLE.has(r.code) ? 'unreachable' : r.code;
}

/**
 * The same verdict for the record: same verdict, phase and reasons by class (check, status and
 * reason code), not by their words. A target flapping between two network errors, whose
 * messages differ from poll to poll, is one NO-GO, not an event per poll.
 */
export function sameVerdict(a: GateVerdict | undefined, b: GateVerdict): boolean {
  if (!a || a.verdict !== b.verdict || a.phase !== b.phase) return false;
  if (a.classes && b.classes) return a.classes.join('\n') === b.classes.join('\n');
  return a.reasons.join('\n') === b.reasons.join('\n');
}

/** Whether a new result changes what the operator should know (state or reason class). */
export function resultChanged(prev: CheckResult | undefined, next: CheckResult): boolean {
  return !prev || prev.status !== next.status || prev.code !== next.code;
}

/** How a runbook without steps is judged: a template when it has nothing else either. */
export function emptyMeans(runbook: { checks: object; actions: object; canary?: unknown }): 'template' | 'judged' {
  return Object.keys(runbook.checks).length === 0 && Object.keys(runbook.actions).length === 0 && !runbook.canary ? 'template' : 'judged';
}
