// The checklist's steps in a session: an operator's step intent decided by the engine and
// recorded, and an automatic step's check run now, its result recorded as the step's.
import { currentStep, decideStepIntent, type StepIntent } from '../engine/checklist.js';
import type { Poller } from '../engine/poller.js';
import type { EventBody } from '../engine/types.js';
import type { Check } from '../runbook/model.js';
import type { Redactor } from '../runbook/secrets.js';
import { flash, markRunning, type CockpitStore } from '../store/store.js';

export interface StepDeps {
  store: CockpitStore;
  poller: Poller<Check>;
  redactor: Redactor;
  closed(): boolean;
  tryRecord(body: EventBody): boolean;
  updateVerdict(): void;
  /** The last step done: the run succeeded. */
  succeed(): void;
}

export class Steps {
  /** Checks a step is running now: their results are the step's, not live changes. */
  readonly running = new Set<string>();

  constructor(private readonly d: StepDeps) {}

  intent(intent: StepIntent): void | Promise<void> {
    const s = this.d.store.getState();
    if (s.run?.status && s.run.status !== 'running') {
      flash(this.d.store, `This run is ${s.run.status.replace('_', ' ')}; quit and open the runbook again for a new run.`, 'warn');
      return;
    }
    const decision = decideStepIntent(s.checklist, intent);
    if (!decision.ok) {
      flash(this.d.store, decision.refusal, 'warn');
      return;
    }
    if (!this.d.tryRecord(decision.event)) return;
    if (decision.event.kind === 'step.retried') return this.intent({ kind: 'advance' });
    if (decision.run) return this.runStep();
    this.afterStep();
  }

  private async runStep(): Promise<void> {
    const { store } = this.d;
    const step = currentStep(store.getState().checklist);
    if (!step?.check) return;
    this.running.add(step.check);
    markRunning(store, step.check);
    try {
      const result = await this.d.poller.runNow(step.check);
      if (this.d.closed()) return;
      this.d.tryRecord({ kind: 'step.result', phase: step.phase, step: step.id, result: this.d.redactor.value(result) });
    } finally {
      this.running.delete(step.check);
    }
    this.afterStep();
  }

  private afterStep(): void {
    this.d.updateVerdict();
    const s = this.d.store.getState();
    if (s.checklist.complete && s.run?.status === 'running') this.d.succeed();
  }
}
