// `opscockpit run`: the whole procedure headless, for cron and CI. It drives the same Session
// the cockpit drives: preflight steps in order, then the named actions through the safety
// controls, then postflight. It stops at the first failed step (NO-GO), at a refusal, at a
// failed action, or at a step that needs a person, and says which.
import { FRESH_SHELL_AHEAD } from '../store/project.js';
import type { Phase, Runbook } from '../runbook/model.js';
import type { LedgerStore } from '../engine/ledger-store.js';
import { UNKNOWN_OUTCOME, currentStep } from '../engine/checklist.js';
import { UNKNOWN_ACTION } from './action-queue.js';
import type { StepState } from '../engine/types.js';
import { openSession, type Session } from './session.js';
import type { ActionOutcome } from './runners.js';

export type RunOutcome = 'completed' | 'no-go' | 'needs-operator' | 'refused' | 'action-failed' | 'cancelled';

/**
 * Exit codes: 0 completed, 1 an action failed (or the run was cancelled: the entry exits
 * 128 + the signal's number then), 2 NO-GO or a step waits for a person, 3 refused.
 */
export const RUN_EXIT: Record<RunOutcome, number> = { completed: 0, 'action-failed': 1, cancelled: 1, 'no-go': 2, 'needs-operator': 2, refused: 3 };

export interface RunStepReport {
  phase: Phase;
  id: string;
  title: string;
  kind: 'auto' | 'manual';
  state: StepState;
  reason?: string;
  failure?: { class: string; remedy: string[] };
}

export interface RunActionReport {
  action: string;
  status: ActionOutcome['status'] | 'refused';
  reason: string;
  failure?: { class: string; remedy: string[] };
  remedy?: string;
}

export interface RunReport {
  schema: 'opscockpit.run/v1';
  runbook: string;
  name: string;
  runId: string;
  ledger: string;
  /** The ledger's file was deleted or replaced during the run: why, and where its copy is. */
  ledgerLost?: string;
  outcome: RunOutcome;
  /** Where and why it stopped, when it did not complete. */
  stopped?: string;
  steps: RunStepReport[];
  actions: RunActionReport[];
}

export async function runProcedure(opts: {
  runbook: Runbook;
  ledger: LedgerStore;
  ledgerPath: string;
  env: NodeJS.ProcessEnv;
  actions: string[];
  /** The person starting the run has confirmed confirm-first script steps in advance. */
  yes: boolean;
  /** Manual steps the person starting the run attests to (by step id); actions of unknown outcome to run again (by name). */
  confirm?: string[];
  /** SIGINT/SIGTERM: what runs is killed and recorded, and the run ends as failed. */
  signal?: AbortSignal;
  /** Take over the run someone drives, with this reason (--take-over); else refused while they drive. */
  takeOver?: string;
  /** Where a notice before a block goes (a resumed run's fresh shell); stderr by default. */
  notice?: (line: string) => void;
}): Promise<RunReport> {
  const { runbook } = opts;
  // The run ends here, not when the checklist does: an action after the preflight decides it too.
  const session = await openSession({ runbook, ledger: opts.ledger, ledgerPath: opts.ledgerPath, env: opts.env, completeWithChecklist: false, signal: opts.signal, takeOver: opts.takeOver });
  const actions: RunActionReport[] = [];
  let outcome: RunOutcome = 'completed';
  let stopped: string | undefined;
  let actionsDone = opts.actions.length === 0;
  // The last error the session showed (a ledger write that failed), for the stop reason.
  let lastError: string | undefined;
  const say = opts.notice ?? ((line: string) => process.stderr.write(`${line}\n`));
  const unsubscribe = session.store.subscribe((st, prev) => {
    if (st.flash !== prev.flash && st.flash?.level === 'error') lastError = st.flash.text;
    // Nobody watches a screen here: a run that waits on the ledger says so, and when it goes on.
    if (st.ledgerLost && st.ledgerLost !== prev.ledgerLost) say(`opscockpit: the ledger is lost: ${st.ledgerLost}`);
    else if (st.ledgerDown !== undefined && prev.ledgerDown === undefined) say(`opscockpit: the ledger is unreachable since ${new Date(st.ledgerDown).toISOString().slice(11, 19)} UTC: waiting for it, nothing runs meanwhile (Ctrl-C stops the run)`);
    if (st.ledgerDown === undefined && prev.ledgerDown !== undefined) say('opscockpit: the ledger is back: the run goes on');
  });
  if (session.resumedFromSilent) say(session.resumedFromSilent.line);
  try {
    for (;;) {
      const s = session.store.getState();
      const cl = s.checklist;
      const why = session.cancelled;
      if (why) {
        [outcome, stopped] = ['cancelled', `cancelled: ${why}`];
        await session.fail();
        break;
      }
      // An action named to run whose last outcome is unknown: it may still run. Only --confirm
      // NAME runs it again, never --yes; said before any step runs.
      const unsure = actionsDone ? undefined : opts.actions.find((a) => s.outcomes.unknown.includes(a) && !opts.confirm?.includes(a));
      if (unsure) {
        outcome = 'needs-operator';
        stopped = `action ${unsure}: ${UNKNOWN_ACTION}; pass --confirm ${unsure} to run it again; the run stays open`;
        actions.push({ action: unsure, status: 'refused', reason: `not run: ${UNKNOWN_ACTION}`, remedy: `once you know, pass --confirm ${unsure} to run it again` });
        break;
      }
      if (!actionsDone && cl.phases.preflight.complete) {
        actionsDone = true;
        const r = await runActions(session, runbook, opts.actions, actions);
        if (r && !session.cancelled) {
          [outcome, stopped] = r;
          await session.fail();
          break;
        }
        continue;
      }
      if (s.run?.status !== 'running') break;
      const step = currentStep(cl);
      if (!step) break;
      if (cl.phases[cl.active].blocked) {
        outcome = 'no-go';
        stopped = `${step.phase} step "${step.id}" failed: ${step.result?.reason ?? 'no result'}`;
        await session.fail();
        break;
      }
      if (step.kind === 'manual' && opts.confirm?.includes(step.id)) {
        if (!(await advanced(session, `confirmed on the command line (opscockpit run --confirm ${step.id})`))) {
          [outcome, stopped] = ['action-failed', `${step.phase} step "${step.id}" could not be recorded: ${lastError ?? session.store.getState().flash?.text}`];
          await session.fail();
          break;
        }
        continue;
      }
      // Its cockpit died while it ran: it may still run. Only --confirm ID runs it again, never --yes.
      if (step.unknown && !opts.confirm?.includes(step.id)) {
        outcome = 'needs-operator';
        stopped = `${step.phase} step "${step.id}": ${UNKNOWN_OUTCOME}; pass --confirm ${step.id} to run it again, or skip it in the cockpit; the run stays open`;
        break;
      }
      // --confirm ID names one confirm-first block as --yes names them all (naming it is typing its id).
      const confirmed = opts.yes || opts.confirm?.includes(step.id) === true;
      if (step.kind === 'manual' || (step.confirm && !confirmed)) {
        outcome = 'needs-operator';
        stopped = `${step.phase} step "${step.id}" waits for an operator (${step.kind === 'manual' ? `manual step; confirm it in the cockpit or pass --confirm ${step.id}` : `confirm-first script; pass --confirm ${step.id} or --yes`}); the run stays open for the cockpit`;
        break;
      }
      const before = session.store.getState().checklist;
      const check = step.check ? runbook.checks[step.check] : undefined;
      if (session.store.getState().freshShell && check?.kind === 'script' && check.shell && !check.readOnly) {
        say(`opscockpit: ${step.phase} step "${step.id}": ${FRESH_SHELL_AHEAD}`);
      }
      // --yes is the person's confirmation of every block, the destructive ones (typed) too.
      const refused = await session.advance(undefined, step.typed || step.unknown ? step.id : undefined);
      if (refused) {
        // The safety controls did not let the confirm-first step run (or only showed it).
        // A value only a person can give is waiting for a person (exit 2), not a refusal.
        [outcome, stopped] = [refused.failure === 'NEEDS_VALUE' ? 'needs-operator' : 'refused', `${step.phase} step "${step.id}" not run: ${refused.failure}: ${refused.reason}`];
        actions.push({ action: refused.step, status: 'refused', reason: `${refused.failure}: ${refused.reason}`, ...(refused.remedy ? { remedy: refused.remedy } : {}) });
        if (outcome === 'refused') await session.fail(); // else the run stays open for the person
        break;
      }
      if (session.store.getState().checklist === before) {
        // Nothing moved: the step's events could not be written. Stop rather than spin.
        [outcome, stopped] = ['action-failed', `${step.phase} step "${step.id}" could not be recorded: ${lastError ?? session.store.getState().flash?.text}`];
        await session.fail();
        break;
      }
    }
    if (outcome === 'completed') await session.succeed();
    const status = session.store.getState().run?.status;
    // The checklist is done, but the run ends as its last action did (run-end.ts): say so, as the ledger does.
    const last = session.store.getState().action;
    if (outcome === 'completed' && status === 'failed' && last && (last.state === 'failed' || last.state === 'unknown')) {
      outcome = 'action-failed';
      stopped = `the run ends failed: its last action, ${last.name}, is ${last.state}${last.reason ? ` (${last.reason})` : ''}`;
    }
    if (outcome === 'completed' && (status === 'aborted' || status === 'rolled_back')) stopped = `the run is ${status.replace('_', ' ')} by its action; postflight does not follow`;
    const cl = session.store.getState().checklist;
    const steps = (['preflight', 'postflight'] as const).flatMap((phase) =>
      cl.phases[phase].steps.map((st) => ({
        phase,
        id: st.id,
        title: st.title,
        kind: st.kind,
        state: st.state,
        ...(st.result ? { reason: st.result.reason } : {}),
        ...(st.result?.failure && st.state === 'failed' ? { failure: st.result.failure } : {}),
      })),
    );
    const lost = session.store.getState().ledgerLost;
    return { schema: 'opscockpit.run/v1', runbook: runbook.file, name: runbook.name, runId: session.runId, ledger: opts.ledger.location, ...(lost ? { ledgerLost: lost } : {}), outcome, ...(stopped ? { stopped } : {}), steps, actions };
  } finally {
    // Alerts about how the run went go out before the command closes its ledger.
    unsubscribe();
    await session.settleNotifications();
    await session.shutdown(session.cancelled ?? 'the run ended');
    await session.stop();
  }
}

/** Advance one step; false when the checklist did not move (a write the ledger refused). */
async function advanced(session: Session, note?: string): Promise<boolean> {
  const before = session.store.getState().checklist;
  await session.advance(note);
  return session.store.getState().checklist !== before;
}
async function runActions(session: Session, runbook: Runbook, names: string[], out: RunActionReport[]): Promise<[RunOutcome, string] | undefined> {
  for (const name of names) {
    if (session.cancelled) return undefined;
    const o = await session.runAction(name, runbook.actions[name].confirm);
    if (!o) {
      out.push({ action: name, status: 'failed', reason: 'could not be recorded in the ledger; nothing ran' });
      return ['action-failed', `action ${name} could not start`];
    }
    if (o.refused) {
      out.push({ action: name, status: 'refused', reason: `${o.refused.failure}: ${o.refused.reason}`, remedy: o.refused.remedy });
      return ['refused', `action ${name} refused by ${o.refused.failure}`];
    }
    out.push({ action: name, status: o.status, reason: o.reason, ...(o.failure ? { failure: o.failure } : {}) });
    if (o.status !== 'succeeded' && o.status !== 'dry-run') return ['action-failed', `action ${name} ${o.status}: ${o.reason}`];
  }
  return undefined;
}
