// The checklist's steps in a session: an operator's step intent decided by the engine and
// recorded, and an automatic step's check run now, its result recorded as the step's. A
// confirm-first step (a script the operator starts) is an action: the safety controls decide
// it and its intent is on record before it runs, its outcome after (step-gate.ts).
import { currentStep, decideStepIntent, type StepIntent, type StepView } from '../engine/checklist.js';
import type { Poller } from '../engine/poller.js';
import type { EventBody } from '../engine/types.js';
import type { Check } from '../runbook/model.js';
import type { Redactor } from '../runbook/secrets.js';
import { flash, markRunning, type CockpitStore } from '../store/store.js';
import { cancelledReason } from './runners.js';
import { gateStep, stepOutcome, type StepGateHost, type StepStop } from './step-gate.js';

export interface StepDeps extends StepGateHost {
  store: CockpitStore;
  poller: Poller<Check>;
  redactor: Redactor;
  closed(): boolean;
  /** Why the session is shutting down, once it is: a step cut short says so. */
  cancelled(): string | undefined;
  tryRecord(body: EventBody, durable?: boolean): Promise<boolean>;
  updateVerdict(): void;
  /** Why no step may go on now (the ledger is unreachable: its intent cannot be recorded). */
  refusal?(what: string): string | undefined;
  /** The last step done: the run succeeded. */
  succeed(): Promise<void> | void;
}

export class Steps {
  /** Checks a step is running now: their results are the step's, not live changes. */
  readonly running = new Set<string>();
  /** The step whose check runs now (its action, when confirm-first), and its end, for the shutdown. */
  inFlight?: { phase: StepView['phase']; step: string; action?: string; done: Promise<void> };

  constructor(private readonly d: StepDeps) {}

  /** The intent being decided and recorded, if any: the next one is decided after it. */
  private turn?: Promise<unknown>;

  /**
   * Decide and record an intent, then run the step it starts; a confirm-first step the controls
   * did not let run says why. Intents are decided one after another, each on the checklist as
   * the one before it left it (two quick Enters advance two steps); a refusal is told at once.
   */
  async intent(intent: StepIntent): Promise<StepStop | undefined> {
    const before = this.turn;
    const decided = before ? before.then(() => this.decide(intent)) : this.decide(intent);
    const settled: Promise<unknown> = decided.catch(() => undefined);
    this.turn = settled;
    void settled.then(() => {
      if (this.turn === settled) this.turn = undefined;
    });
    const d = await decided;
    if (!d) return undefined;
    if ('stop' in d) return d.stop;
    if (d.run) await this.runStep(d.action);
    else await this.afterStep();
    return undefined;
  }

  private async decide(intent: StepIntent): Promise<{ stop: StepStop } | { run: boolean; action?: string } | undefined> {
    const s = this.d.store.getState();
    const why = this.d.cancelled();
    if (why) {
      flash(this.d.store, `Shutting down (${why}): no new step starts.`, 'warn');
      return undefined;
    }
    if (s.run?.status && s.run.status !== 'running') {
      flash(this.d.store, `This run is ${s.run.status.replace('_', ' ')}; quit and open the runbook again for a new run.`, 'warn');
      return undefined;
    }
    const unrecordable = this.d.refusal?.(`Step ${currentStep(s.checklist)?.id ?? ''}`.trim());
    if (unrecordable) {
      flash(this.d.store, unrecordable, 'error');
      return undefined;
    }
    const decision = decideStepIntent(s.checklist, intent);
    if (!decision.ok) {
      flash(this.d.store, decision.refusal, 'warn');
      return undefined;
    }
    const step = currentStep(s.checklist);
    let action: string | undefined;
    if (decision.run && step?.confirm) {
      const gate = await gateStep(this.d, step, intent.kind === 'advance' ? intent.typed : undefined);
      if ('stop' in gate) return gate;
      action = gate.action;
    }
    if (!(await this.d.tryRecord(decision.event))) return undefined;
    if (decision.event.kind === 'step.retried') return this.decide({ kind: 'advance' });
    return { run: !!decision.run, action };
  }

  private async runStep(action: string | undefined): Promise<void> {
    const { store } = this.d;
    const step: StepView | undefined = currentStep(store.getState().checklist);
    if (!step?.check) return;
    const done = this.runCheck(step, step.check, action);
    this.inFlight = { phase: step.phase, step: step.id, action, done };
    try {
      await done;
    } finally {
      this.inFlight = undefined;
    }
  }

  private async runCheck(step: StepView, check: string, action: string | undefined): Promise<void> {
    this.running.add(check);
    markRunning(this.d.store, check);
    try {
      const ran = this.d.redactor.value(await this.d.poller.runNow(check));
      if (this.d.closed()) return;
      const why = this.d.cancelled();
      // Cut short by the shutdown: the result says so, not only "killed by SIGTERM".
      const result = why && ran.status !== 'healthy' ? { ...ran, reason: cancelledReason(why, ran.reason) } : ran;
      await this.d.tryRecord({ kind: 'step.result', phase: step.phase, step: step.id, result });
      if (action) await this.d.tryRecord(stepOutcome(action, result), true);
    } finally {
      this.running.delete(check);
    }
    await this.afterStep();
  }

  private async afterStep(): Promise<void> {
    this.d.updateVerdict();
    const s = this.d.store.getState();
    if (s.checklist.complete && s.run?.status === 'running') await this.d.succeed();
  }
}
