// The session's canary: its driver, made when the runbook has a canary section; and its start by
// the operator: its start action (if the runbook has one) must succeed first, then the analysis
// starts and the release's stage moves to canary.
import type { CanarySpec, Runbook } from '../runbook/model.js';
import { flash, type CockpitStore } from '../store/store.js';
import { CanaryDriver, type CanaryDriverDeps } from './canary-driver.js';
import { makeMetricReader, type ActionOutcome } from './runners.js';

/** The runbook's canary driver, its state in the store; none without a canary section. `read`: the metric reader (the runbook's by default). */
export function sessionCanary(
  runbook: Runbook,
  env: NodeJS.ProcessEnv,
  d: Pick<CanaryDriverDeps, 'clock' | 'record' | 'runAction'> & { store: CockpitStore; read?: CanaryDriverDeps['read'] },
): CanaryDriver | undefined {
  const spec = runbook.canary;
  if (!spec) return undefined;
  return new CanaryDriver({
    spec,
    clock: d.clock,
    read: d.read ?? makeMetricReader(runbook, env),
    state: () => d.store.getState().canary!,
    record: d.record,
    runAction: d.runAction,
    onSchedule: (at) => d.store.setState({ canaryNextAt: at }),
  });
}

export interface CanaryStartDeps {
  store: CockpitStore;
  spec?: CanarySpec;
  driver?: CanaryDriver;
  runAction(name: string, confirmedWith: string): Promise<ActionOutcome | undefined>;
  moveStage(to: string): Promise<void>;
}

export async function startCanary(d: CanaryStartDeps): Promise<void> {
  const { spec, driver, store } = d;
  if (!spec || !driver) return flash(store, 'This runbook has no canary section.', 'warn');
  if (store.getState().canary?.status !== 'idle') return flash(store, `The canary is ${store.getState().canary?.status}.`, 'warn');
  // The key asks for no word: a start action of unknown outcome (it may have run, or still run)
  // is not run again by it.
  if (spec.startAction && store.getState().outcomes.unknown.includes(spec.startAction)) {
    return flash(store, `The canary did not start: ${spec.startAction}'s last outcome is unknown (its cockpit stopped while it ran); c does not run it again: check by hand.`, 'error');
  }
  if (spec.startAction) {
    const outcome = await d.runAction(spec.startAction, 'canary start');
    if (outcome?.status !== 'succeeded') return flash(store, `The canary did not start: ${spec.startAction} ${outcome?.status ?? 'was refused'}.`, 'error');
  }
  if (await driver.start()) await d.moveStage('canary');
}
