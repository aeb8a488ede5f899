// Running an action: the safety controls decide and the intent is recorded (one transaction),
// then the mode says what runs (DRY_RUN shows, MOCK_ONLY runs the mock, REAL_ENABLED runs it),
// and the outcome is recorded before the stage moves or the run closes. The process that ran
// the action records all of it, what a success brings about too (the stage back to stable, the
// run aborted or rolled back, the runbook locked), even after another cockpit took the seat
// over: they answer the outcome it owed (HeldRun.answer), each once. The driver that took over
// only shows them as they arrive; it records none of them.
import type { Runbook } from '../runbook/model.js';
import type { Redactor } from '../runbook/secrets.js';
import type { EventBody, LedgerEvent } from '../engine/types.js';
import { computeVerdict, emptyMeans, gatingChecks } from '../engine/verdict.js';
import type { ActionClaim } from './controls.js';
import { dryRun } from './dry-run.js';
import { runAction, type ActionOutcome } from './runners.js';
import type { RunShell } from './run-shell.js';
import { ledgerWasClosed } from './recorder.js';
import { isLedgerUnreachable } from '../engine/ledger-store.js';
import { flash, streamActionOutput, type CockpitStore } from '../store/store.js';
import { ownValue } from '../own.js';

const TERMINAL_ON_SUCCESS: Record<string, 'aborted' | 'rolled_back' | undefined> = { abort: 'aborted', rollback: 'rolled_back' };
/** Where a successful action leaves the release (seed 001: abort and rollback return to stable). */
const STAGE_AFTER: Record<string, string | undefined> = { abort: 'stable', rollback: 'stable', promote: 'promoted' };

/** By type first, so `abort_on_gate_fail` (type abort) returns the stage to stable like abort. */
const byTypeOrName = <T>(map: Record<string, T | undefined>, type: string, name: string): T | undefined =>
  ownValue(map, type) ?? ownValue(map, name);

export interface ActionHost {
  store: CockpitStore;
  runbook: Runbook;
  env: NodeJS.ProcessEnv;
  redactor: Redactor;
  /** The shutdown (quit, SIGINT, SIGTERM) and the emergency stop: each kills the running action's process group. */
  signal: AbortSignal;
  /** The run's shell, once the session has one: where an action's script with a shell runs. */
  shell?: () => Pick<RunShell, 'runAction'> | undefined;
  /** The safety controls' decision and the recorded intent (or refusal), in one transaction, stored and on screen. */
  claim(request: { action: string; type: string; scope: string; needsPreflight: boolean }, confirmedWith: string): Promise<ActionClaim>;
  running(): boolean;
  tryRecord(body: EventBody, durable: boolean): Promise<boolean>;
  /** Record, or throw why not; `answers`: the seq of the intent it is the outcome of (recorded even after the seat was taken over). */
  record(body: EventBody, durable: boolean, answers?: number): Promise<LedgerEvent>;
  refreshControls(): void;
  /** Move the release stage (the move recorded, answering the outcome at seq `answers`); resolves once moved. */
  moveStage(to: string | undefined, answers: number): Promise<void>;
  /** End the run, answering the action's successful outcome at seq `answers`. */
  completeRun(status: 'aborted' | 'rolled_back', answers: number): Promise<void>;
  /** After a rollback succeeded: the runbook locked (in the safety controls) until someone unlocks it; once. */
  lockRunbook(action: string): Promise<void>;
}

/** Preflight complete, and its blocking checks GO right now (what a forward action needs). */
export function preflightGo(store: CockpitStore, runbook: Runbook): boolean {
  const s = store.getState();
  if (!s.checklist.phases.preflight.complete) return false;
  const names = gatingChecks(s.checklist, 'preflight', emptyMeans(runbook));
  return computeVerdict('preflight', names, runbook.checks, s.live).verdict === 'GO';
}

/** Shown when an action is asked for while one runs (one action at a time). */
export const ACTION_BUSY = 'An action is already running; wait for it to finish.';

/** `onIntent`: told the seq of the recorded intent, once it is (a cancellation answers it). */
export async function executeAction(host: ActionHost, name: string, confirmedWith: string, onIntent?: (seq: number) => void): Promise<ActionOutcome | undefined> {
  const { store } = host;
  const action = host.runbook.actions[name];
  if (!action) return void flash(store, `The runbook has no action "${name}".`, 'error');
  if (store.getState().action?.state === 'running') return void flash(store, ACTION_BUSY, 'warn');
  // The same controls decide for the cockpit's keys, the canary's rules, triggers and
  // `opscockpit act`; the decision, the intent and the window's use are one transaction.
  let claim: ActionClaim;
  try {
    claim = await host.claim({ action: name, type: action.type, scope: action.scope, needsPreflight: action.needsPreflight }, confirmedWith);
  } catch (err) {
    // Without the controls' state nobody can say the action is allowed, and an action whose
    // intent is not on record must not start: nothing runs.
    if (isLedgerUnreachable(err)) {
      return void flash(store, `${name} not run: the ledger could not be reached to record its intent; nothing runs that needs a record until it is back. ${err instanceof Error ? err.message.split('\n')[0] : ''}`, 'error');
    }
    return void flash(store, `Could not write the ledger or read its safety controls: ${err instanceof Error ? err.message : String(err)}; nothing ran.`, 'error');
  }
  const { decision } = claim;
  if (!decision.allowed) {
    host.refreshControls();
    flash(store, `${name} refused — ${decision.failure}: ${decision.reason}. ${decision.remedy}`, 'error');
    return { status: 'failed', refused: decision, reason: `${decision.failure}: ${decision.reason}`, output: '', durationMs: 0 };
  }
  onIntent?.(claim.recorded.seq);
  const stream = (chunk: string) => streamActionOutput(store, host.redactor.text(chunk));
  const outcome =
    decision.mode === 'DRY_RUN'
      ? dryRun(action, stream)
      : decision.mode === 'MOCK_ONLY'
        ? action.mock
          ? await runAction({ ...action, script: action.mock, http: undefined }, host.runbook, host.env, stream, host.signal)
          : dryRun(action, stream, 'MOCK_ONLY and the action has no mock: command, so nothing ran')
        : await runAction(action, host.runbook, host.env, stream, host.signal, host.shell?.());
  const recording = await recordOutcome(host, claim.recorded.seq, {
    kind: 'action.completed', action: name, status: outcome.status, exitCode: outcome.exitCode, signal: outcome.signal, reason: outcome.reason, output: outcome.output.slice(-8192), durationMs: outcome.durationMs, ...(outcome.failure ? { failure: outcome.failure } : {}),
  });
  host.refreshControls();
  const recorded = typeof recording === 'string' ? undefined : recording;
  const succeeded = recorded && outcome.status === 'succeeded';
  if (succeeded && decision.mode === 'REAL_ENABLED') await host.moveStage(byTypeOrName(STAGE_AFTER, action.type, name), recorded.seq);
  const terminal = byTypeOrName(TERMINAL_ON_SUCCESS, action.type, name);
  if (succeeded && decision.mode !== 'DRY_RUN' && terminal) {
    if (host.running()) await host.completeRun(terminal, recorded.seq);
    // Rolling back a release that already finished is the usual case: the lock follows any rollback.
    if (terminal === 'rolled_back') await host.lockRunbook(name);
  }
  const remedy = outcome.failure ? ` — ${outcome.failure.class}; remedy: ${outcome.failure.remedy.join('; ')}` : '';
  // What ran is said either way; an outcome the ledger did not take is said to be not on record.
  if (typeof recording === 'string') flash(store, `${action.title}: ${outcome.status} (${outcome.reason}), NOT recorded: ${recording}`, 'error');
  else flash(store, `${action.title}: ${outcome.status} (${outcome.reason})${remedy}`, outcome.status === 'succeeded' || outcome.status === 'dry-run' ? 'info' : 'error');
  return outcome;
}

/**
 * The outcome on record, or why the ledger did not take it (another process resumed the run and
 * recorded it unknown, the ledger refused the write). A ledger closed under the action (the
 * cockpit quit while it ran) rejects: the action queue settles that as nothing, and the next
 * start records the outcome as unknown.
 */
async function recordOutcome(host: ActionHost, intent: number, body: EventBody): Promise<LedgerEvent | string> {
  try {
    return await host.record(body, true, intent);
  } catch (err) {
    if (ledgerWasClosed(err)) throw err;
    return err instanceof Error ? err.message : String(err);
  }
}
