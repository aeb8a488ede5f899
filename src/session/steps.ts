// The checklist's steps in a session: an operator's step intent decided by the engine and
// recorded, and an automatic step's check run now, its result recorded as the step's. A
// confirm-first step (a script the operator starts) is an action: the safety controls decide
// it and its intent is on record before it runs, its outcome after (step-gate.ts). A step's
// outcome is recorded by the process that started it, even after another took the seat over
// (HeldRun.answer); the emergency stop and the shutdown kill its block.
import { currentStep, decideStepIntent, type StepIntent, type StepView } from '../engine/checklist.js';
import type { Poller } from '../engine/poller.js';
import type { EventBody, LedgerEvent } from '../engine/types.js';
import type { Check } from '../runbook/model.js';
import type { Redactor } from '../runbook/secrets.js';
import { flash, markRunning, type CockpitStore } from '../store/store.js';
import { cutShort } from './runners.js';
import { gateStep, stepOutcome, type StepGateHost, type StepStop } from './step-gate.js';

export interface StepDeps extends StepGateHost {
  store: CockpitStore;
  poller: Poller<Check>;
  redactor: Redactor;
  closed(): boolean;
  /** Why the session is shutting down, once it is: a step cut short says so. */
  cancelled(): string | undefined;
  tryRecord(body: EventBody, durable?: boolean): Promise<boolean>;
  /** Record a step's own event (its start: the intent its result answers); undefined when it could not be. */
  recordStep(body: EventBody): Promise<LedgerEvent | undefined>;
  /** Record the outcome of the intent this process recorded at seq `intent`, seat or no seat. */
  answer(intent: number, body: EventBody, durable?: boolean): Promise<boolean>;
  /** The outcome of the intent at seq `intent` is this process's to record until `answered` settles (HeldRun.owe). */
  owe(intent: number, answered: Promise<unknown>): void;
  /** This cockpit drives the run: it moves the verdict and ends the run; an observer does not. */
  driving(): boolean;
  /** What kills a step's block as it runs: the shutdown, and the emergency stop coming on. */
  stopSignal(): AbortSignal;
  updateVerdict(): void;
  /** Why no step may go on now (the ledger is unreachable: its intent cannot be recorded). */
  refusal?(what: string): string | undefined;
  /** The last step done: the run succeeded. */
  succeed(): Promise<void> | void;
}

/** A confirm-first step's action and the seq of its recorded intent. */
type StepAction = { action: string; intent: number };

/** The step running now: its start's seq (the intent its result answers), its action's, its end. */
export interface StepInFlight {
  phase: StepView['phase'];
  step: string;
  intent: number;
  action?: string;
  actionIntent?: number;
  done: Promise<void>;
}

export class Steps {
  /** Checks a step is running now: their results are the step's, not live changes. */
  readonly running = new Set<string>();
  /** The step whose check runs now (its action, when confirm-first), and its end, for the shutdown. */
  inFlight?: StepInFlight;

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
    if (d.run && d.started) await this.runStep(d.started, d.action, d.signal);
    else await this.afterStep();
    return undefined;
  }

  private async decide(intent: StepIntent): Promise<{ stop: StepStop } | { run: boolean; started?: LedgerEvent; action?: StepAction; signal: AbortSignal } | undefined> {
    const s = this.d.store.getState();
    // Taken before the controls decide: a stop that comes on after they let the step run kills it.
    const signal = this.d.stopSignal();
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
    let action: StepAction | undefined;
    if (decision.run && step?.confirm) {
      const gate = await gateStep(this.d, step, intent.kind === 'advance' ? intent.typed : undefined);
      if ('stop' in gate) return gate;
      action = gate;
    }
    const started = await this.d.recordStep(decision.event);
    if (!started) return undefined;
    if (decision.event.kind === 'step.retried') return this.decide({ kind: 'advance' });
    return { run: !!decision.run, started, action, signal };
  }

  private async runStep(started: LedgerEvent, action: StepAction | undefined, signal: AbortSignal): Promise<void> {
    const { store } = this.d;
    const step: StepView | undefined = currentStep(store.getState().checklist);
    if (!step?.check) return;
    const done = this.runCheck(step, step.check, started.seq, action, signal);
    for (const intent of [started.seq, action?.intent]) if (intent !== undefined) this.d.owe(intent, done);
    this.inFlight = { phase: step.phase, step: step.id, intent: started.seq, action: action?.action, actionIntent: action?.intent, done };
    try {
      await done;
    } finally {
      this.inFlight = undefined;
    }
  }

  private async runCheck(step: StepView, check: string, intent: number, action: StepAction | undefined, signal: AbortSignal): Promise<void> {
    this.running.add(check);
    markRunning(this.d.store, check);
    try {
      const ran = this.d.redactor.value(await this.d.poller.runNow(check, signal));
      if (this.d.closed()) return;
      // Cut short by the shutdown or the stop: the result says so, not only "killed by SIGTERM".
      const result = signal.aborted && ran.status !== 'healthy' ? { ...ran, reason: cutShort(signal.reason, ran.reason) } : ran;
      await this.d.answer(intent, { kind: 'step.result', phase: step.phase, step: step.id, result });
      if (action) await this.d.answer(action.intent, stepOutcome(action.action, result), true);
    } finally {
      this.running.delete(check);
    }
    await this.afterStep();
  }

  /**
   * Read another process's events (`read`). A step they move (its former driver's process
   * recorded its result after a take-over) is done here too: the driver moves on from it.
   */
  async readOthers(read: () => Promise<void>): Promise<void> {
    const before = this.d.store.getState().checklist;
    await read();
    if (this.d.store.getState().checklist !== before) await this.afterStep();
  }

  /** After a step's result: the verdict and, the checklist done, the run's end; the driver's to record. */
  private async afterStep(): Promise<void> {
    if (!this.d.driving()) return;
    this.d.updateVerdict();
    const s = this.d.store.getState();
    if (s.checklist.complete && s.run?.status === 'running') await this.d.succeed();
  }
}
