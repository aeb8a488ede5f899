// One action at a time. A person's action asked for while another runs is refused; an automatic
// one (a trigger's, a canary rule's: the decision is already recorded) is not dropped: it waits,
// and runs when that one ends. One that does not go forward takes the place of forward ones
// still waiting, which are skipped. An automatic action decided and not run is on record with
// why not; so is one whose last outcome is unknown, which only a person runs again.
import type { RunStatus } from '../engine/ports.js';
import { flash } from '../store/store.js';
import { ACTION_BUSY, executeAction, type ActionHost } from './actions.js';
import { ledgerWasClosed } from './recorder.js';
import type { ActionOutcome } from './runners.js';

export interface ActionQueueDeps {
  host: ActionHost;
  /** The cockpit is shutting down or was closed (the ledger may be too). */
  closed(): boolean;
  runStatus(): RunStatus;
  /** Why no action may start now (the ledger is unreachable: its intent cannot be recorded). */
  refusal?(name: string): string | undefined;
  /** The action's last outcome in this run is unknown: it may still run, so only a person runs it again. */
  unknownOutcome?(name: string): boolean;
  /** The outcome of the intent at seq `intent` is this process's to record until `answered` settles (HeldRun.owe). */
  owe?(intent: number, answered: Promise<unknown>): void;
}

/** Why an action of unknown outcome is not run again without a person naming it. */
export const UNKNOWN_ACTION = 'its last outcome is unknown: it may still have run or be running (the cockpit that ran it stopped before recording it); check its target by hand';

interface Decided {
  name: string;
  why: string;
}

export class ActionQueue {
  /** Automatic actions decided while another action ran, in order. */
  private readonly waiting: Decided[] = [];
  /** The action running (its outcome not yet back), if any. */
  private acting?: string;
  /** The seq of its recorded intent, once recorded: its cancellation answers it. */
  private intent?: number;
  /** Its end: settled once its outcome is on record. */
  private ending?: Promise<unknown>;
  /** Called once no action runs (see whenIdle). */
  private idle: Array<() => void> = [];

  constructor(private readonly d: ActionQueueDeps) {}

  /** Run an action; the intent is on disk before it starts, the outcome after it ends. */
  run(name: string, confirmedWith: string, automatic = false): Promise<ActionOutcome | undefined> {
    const { store } = this.d.host;
    if (this.d.closed()) {
      if (automatic) this.skip({ name, why: confirmedWith }, 'the cockpit was shutting down');
      else flash(store, 'Shutting down: no new action starts.', 'warn');
      return Promise.resolve(undefined);
    }
    const unrecordable = this.d.refusal?.(name);
    if (unrecordable) {
      if (automatic) this.skip({ name, why: confirmedWith }, 'the ledger was unreachable: its intent could not be recorded');
      else flash(store, unrecordable, 'error');
      return Promise.resolve(undefined);
    }
    if (automatic && this.d.unknownOutcome?.(name)) {
      // Short: the skip's line on screen has room for one line.
      this.skip({ name, why: confirmedWith }, 'its last outcome is unknown: run it by hand once checked');
      return Promise.resolve(undefined);
    }
    const running = this.acting;
    if (running !== undefined && !automatic) return Promise.resolve(void flash(store, ACTION_BUSY, 'warn'));
    if (running !== undefined) {
      this.enqueue({ name, why: confirmedWith }, running);
      return Promise.resolve(undefined);
    }
    this.acting = name;
    this.intent = undefined;
    const ending = executeAction(this.d.host, name, confirmedWith, (seq) => {
      this.intent = seq;
      this.d.owe?.(seq, ending);
    })
      .finally(() => {
        this.acting = undefined;
        this.intent = undefined;
        this.ending = undefined;
        this.runWaiting(name);
        if (this.acting === undefined) for (const fn of this.idle.splice(0)) fn();
      })
      .catch((err: unknown) => {
        // The operator quit and the ledger was closed while the action ran: its outcome cannot
        // be recorded now, and the next start records it as unknown (settleResume).
        if (this.d.closed() && ledgerWasClosed(err)) return undefined;
        throw err;
      });
    this.ending = ending;
    return ending;
  }

  /** The action running now, its recorded intent's seq and its end (its outcome on record), for the shutdown. */
  get inFlight(): { name: string; intent?: number; done: Promise<unknown> } | undefined {
    return this.acting === undefined || !this.ending ? undefined : { name: this.acting, intent: this.intent, done: this.ending };
  }

  /** `fn` now, or once the action running has its outcome recorded. */
  whenIdle(fn: () => void): void {
    if (this.acting === undefined) fn();
    else this.idle.push(fn);
  }

  /** Nothing waits silently: an automatic action still waiting is on record as not run. */
  close(): void {
    for (const w of this.waiting.splice(0)) this.skip(w, `the cockpit was closed before ${this.acting ?? 'the action before it'} finished`);
  }

  private enqueue(decided: Decided, running: string): void {
    const { name, why } = decided;
    // The same action is not run twice in a row by itself: not after the one running (it may
    // be a person's, who then decides), nor twice from the queue.
    if (running === name) this.skip(decided, `${name} was already running`);
    else if (this.waiting.some((w) => w.name === name)) this.skip(decided, `${name} was already waiting for ${running}`);
    else if (this.goesForward(name) && this.waiting.some((w) => !this.goesForward(w.name))) {
      const back = this.waiting.find((w) => !this.goesForward(w.name))!;
      this.skip(decided, `${back.name} (${back.why}) was already waiting to run`);
    } else {
      // A decision that does not go forward (an abort, a trigger's rollback) outranks a forward
      // one (a promote) still waiting: that was decided on what is no longer the whole story.
      if (!this.goesForward(name)) {
        for (const w of this.waiting.filter((x) => this.goesForward(x.name))) {
          this.waiting.splice(this.waiting.indexOf(w), 1);
          this.skip(w, `${name} (${why}) was decided while it waited`);
        }
      }
      this.waiting.push(decided);
      flash(this.d.host.store, `${name} (${why}) waits for ${running} to finish, then runs.`, 'error');
    }
  }

  /** After `finished`: the next waiting automatic action; none once the run has ended. */
  private runWaiting(finished: string): void {
    if (this.d.closed() || this.acting !== undefined) return;
    const next = this.waiting.shift();
    if (!next) return;
    const status = this.d.runStatus();
    if (status !== 'running') {
      this.skip(next, `the run had already ended (${status.replace('_', ' ')}) when ${finished} finished`);
      this.runWaiting(finished);
      return;
    }
    void this.run(next.name, next.why, true);
  }

  /** A forward action: the canary's promote, or one that needs a completed preflight with a GO verdict. */
  private goesForward(name: string): boolean {
    const { runbook } = this.d.host;
    return name === runbook.canary?.promoteAction || (runbook.actions[name]?.needsPreflight ?? false);
  }

  private skip(decided: Decided, reason: string): void {
    void this.d.host.tryRecord({ kind: 'action.skipped', action: decided.name, why: decided.why, reason }, true);
    flash(this.d.host.store, `${decided.name} (${decided.why}) not run: ${reason}.`, 'warn');
  }
}
