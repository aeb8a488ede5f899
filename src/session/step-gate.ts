// A confirm-first step passes the same safety controls as an action: the emergency stop, the
// operator's scopes (run:steps unless the step names its own), the mode, the real-enable
// window and the allowlist (as type "step"). The decision and the intent are recorded in one
// transaction before the step runs; in DRY_RUN or MOCK_ONLY the step is shown, not run.
import { RUN_STEPS_SCOPE, STEP_ACTION_TYPE, type StepView } from '../engine/checklist.js';
import type { ActionDecision } from '../engine/safety.js';
import type { CheckResult, EventBody } from '../engine/types.js';
import { flash, type CockpitStore } from '../store/store.js';
import type { ActionClaim } from './controls.js';

export interface StepGateHost {
  store: CockpitStore;
  /** The controls' decision on running this step, with its intent or refusal on record. */
  claimStep(request: { action: string; type: string; scope: string; needsPreflight: boolean }, confirmedWith: string): Promise<ActionClaim>;
  /** The step's scope as the runbook gives it. */
  stepScope(phase: StepView['phase'], id: string): string | undefined;
  /** The step's placeholders that have no value yet (`POD_NAME` unset). */
  missingValues?(phase: StepView['phase'], id: string): string[];
  /** What the step would run, for DRY_RUN. */
  stepCommand(check: string | undefined): string;
  refreshControls(): void;
  tryRecord(body: EventBody, durable?: boolean): Promise<boolean>;
}

/** Why a confirm-first step did not run: refused by a control, only shown (a mode), or not on record. */
export interface StepStop {
  step: string;
  failure: string;
  reason: string;
  remedy?: string;
}

/** The action name a step runs under in the ledger. */
export const stepAction = (step: Pick<StepView, 'phase' | 'id'>) => `step:${step.phase}.${step.id}`;

/**
 * The controls' decision on a confirm-first step, with the seq of its recorded intent. A step whose command needs a value nobody
 * gave is refused before anything is asked; a destructive one (typed) needs its id typed.
 */
export async function gateStep(host: StepGateHost, step: StepView, typed?: string): Promise<{ action: string; intent: number } | { stop: StepStop }> {
  const action = stepAction(step);
  const missing = host.missingValues?.(step.phase, step.id) ?? [];
  if (missing.length > 0) {
    const reason = `needs a value for ${missing.join(', ')}`;
    const remedy = `give ${missing.length === 1 ? 'it' : 'them'}: ${missing.map((n) => `--param ${n}=…`).join(' ')} headless; the cockpit asks when Enter is pressed on the step`;
    flash(host.store, `${step.title} refused — ${reason}: ${remedy}.`, 'error');
    return { stop: { step: action, failure: 'NEEDS_VALUE', reason, remedy } };
  }
  if (step.typed && typed !== step.id) {
    const reason = `looks destructive: type its id "${step.id}" to run it`;
    flash(host.store, `${step.title}: ${reason}.`, 'warn');
    return { stop: { step: action, failure: 'NEEDS_TYPED_CONFIRMATION', reason } };
  }
  const scope = host.stepScope(step.phase, step.id) ?? RUN_STEPS_SCOPE;
  let claim: ActionClaim;
  try {
    claim = await host.claimStep({ action, type: STEP_ACTION_TYPE, scope, needsPreflight: false }, typed ?? 'enter');
  } catch (err) {
    const reason = `could not write the ledger or read its safety controls: ${err instanceof Error ? err.message : String(err)}; nothing ran`;
    flash(host.store, `${step.title}: ${reason}.`, 'error');
    return { stop: { step: action, failure: 'LEDGER', reason } };
  }
  host.refreshControls();
  const decision: ActionDecision = claim.decision;
  if (!decision.allowed) {
    flash(host.store, `${step.title} refused — ${decision.failure}: ${decision.reason}. ${decision.remedy}`, 'error');
    return { stop: { step: action, failure: decision.failure, reason: decision.reason, remedy: decision.remedy } };
  }
  if (decision.mode !== 'REAL_ENABLED') {
    const reason = `${decision.mode}: the step was shown, not run (would run: ${host.stepCommand(step.check)})`;
    await host.tryRecord({ kind: 'action.completed', action, status: 'dry-run', reason, output: '', durationMs: 0 }, true);
    flash(host.store, `${step.title}: ${reason}.`, 'warn');
    return { stop: { step: action, failure: decision.mode, reason } };
  }
  return { action, intent: claim.recorded.seq };
}

/** The step's result as the outcome of its action. */
export function stepOutcome(action: string, r: CheckResult): EventBody {
  const status = r.status === 'healthy' ? 'succeeded' : 'failed';
  return { kind: 'action.completed', action, status, exitCode: r.exitCode, signal: r.signal, reason: r.reason, output: (r.output ?? '').slice(-8192), durationMs: r.durationMs };
}
