// The operator starts the canary: its start action (if the runbook has one) must succeed first,
// then the analysis starts and the release's stage moves to canary.
import type { CanarySpec } from '../runbook/model.js';
import { flash, type CockpitStore } from '../store/store.js';
import type { CanaryDriver } from './canary-driver.js';
import type { ActionOutcome } from './runners.js';

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
  if (spec.startAction) {
    const outcome = await d.runAction(spec.startAction, 'canary start');
    if (outcome?.status !== 'succeeded') return flash(store, `The canary did not start: ${spec.startAction} ${outcome?.status ?? 'was refused'}.`, 'error');
  }
  if (await driver.start()) await d.moveStage('canary');
}
