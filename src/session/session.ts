// A cockpit session: one run of one runbook. It owns the poller and the ledger writes, turns
// operator intents into recorded events, and feeds the store. Screens never call adapters;
// they call `command`, `type` and `submit` here.
import type { Runbook } from '../runbook/model.js';
import { Redactor } from '../runbook/secrets.js';
import { currentStep, decideStepIntent, type StepIntent } from '../engine/checklist.js';
import { Poller } from '../engine/poller.js';
import { finishRun } from './finish-run.js';
import { systemClock, type Clock, type LedgerPort, type RunRecord } from '../engine/ports.js';
import type { CheckResult, EventBody, LedgerEvent } from '../engine/types.js';
import { computeVerdict, gatingChecks, resultChanged, sameVerdict } from '../engine/verdict.js';
import { parseScopes } from '../engine/safety.js';
import { CONTROL_RUNBOOK, Controls } from './controls.js';
import { StageTracker, stagePathFor } from './stage.js';
import {
  createCockpitStore, flash, markRunning, observeCheck, recordInStore, setModal,
  type CockpitStore,
} from '../store/store.js';
import { makeCheckRunner, makeMetricReader, warmActionRunners, type ActionOutcome } from './runners.js';
import { ACTION_BUSY, executeAction } from './actions.js';
import { CanaryDriver } from './canary-driver.js';
import { observeTrigger, type TriggerState } from '../engine/triggers.js';
import type { CanaryMetric } from '../runbook/model.js';
import type { MetricReading } from '../engine/canary.js';
import { operatorName } from './operator.js';
import { Notifications, appendLate, watchLedger } from './notifications.js';
import { LedgerScreenController } from './ledger-screen.js';
import { Intents, type IntentHost } from './intents.js';

export interface SessionOptions {
  runbook: Runbook;
  ledger: LedgerPort;
  ledgerPath: string;
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
  /** Demo mode: the fault key talks to the fixture targets at this URL. */
  demo?: { fixtureUrl: string; faultRoute?: string; faultStatus?: number; faultText?: string; toggleFault: (on: boolean) => Promise<void> };
  runCheck?: (check: import('../runbook/model.js').Check) => Promise<CheckResult>;
  readMetric?: (metric: CanaryMetric) => Promise<MetricReading>;
  onExit?: () => void;
}

export class Session {
  readonly store: CockpitStore;
  readonly operator: string;
  private readonly clock: Clock;
  private readonly env: NodeJS.ProcessEnv;
  private readonly poller: Poller;
  private readonly redactor: Redactor;
  private run: RunRecord;
  private tick?: unknown;
  private stepRunning = new Set<string>();
  private closed = false;
  private readonly canary?: CanaryDriver;
  private readonly controls: Controls;
  private readonly stage: StageTracker;
  private readonly scopes: ReadonlySet<string>;
  private readonly triggerStates = new Map<string, TriggerState>();
  /** Automatic actions (a trigger's, a canary rule's) decided while another action ran, in order. */
  private readonly waiting: { name: string; why: string }[] = [];
  /** The action this session is running (its outcome not yet back), if any. */
  private acting?: string;
  private readonly notifications?: Notifications;
  private readonly ledgerScreen: LedgerScreenController;
  private readonly intents: Intents;

  constructor(private readonly opts: SessionOptions) {
    this.clock = opts.clock ?? systemClock;
    // Scripts may ask for the ledger's path by name (passEnv: [OPSCOCKPIT_LEDGER]).
    this.env = { ...(opts.env ?? process.env), OPSCOCKPIT_LEDGER: opts.ledgerPath };
    this.operator = operatorName(this.env);
    this.redactor = new Redactor(opts.runbook.secrets, this.env);
    // Every event written through this session (the safety controls' too) is seen once by the
    // notifications; sending happens in the background.
    if (opts.runbook.notify?.slack) {
      this.notifications = this.makeNotifications();
      opts = this.opts = { ...opts, ledger: watchLedger(opts.ledger, (evs) => this.notifications?.observe(evs)) };
    }
    this.scopes = parseScopes(this.env.OPSCOCKPIT_ALLOW_SCOPES);
    this.controls = new Controls(opts.ledger, opts.runbook.safety, this.operator, () => this.clock.now());
    const { run, events } = this.openRun();
    this.run = run;
    this.env.OPSCOCKPIT_RUN = run.runId; // scripts that record into this run (harvest --run)
    this.store = createCockpitStore({
      runbook: opts.runbook,
      ledgerPath: opts.ledgerPath,
      demo: !!opts.demo,
      run,
      events,
      runs: opts.ledger.listRuns(9).filter((r) => r.runbook !== CONTROL_RUNBOOK).slice(0, 8),
      now: this.clock.now(),
    });
    this.settleResume(events);
    this.stage = new StageTracker(stagePathFor(opts.ledgerPath), this.env, this.operator, () => this.clock.now());
    const stage = this.stage.read();
    if (stage.problem && stage.problem !== 'missing' && stage.problem !== 'unsigned') {
      this.tryRecord({ kind: 'stage.fallback', problem: stage.problem, detail: stage.detail ?? '' }, true);
      flash(this.store, `Stage file ${stage.problem}: the stage fell back to stable (${stage.detail ?? ''}).`, 'error');
    }
    this.store.setState({ stage });
    this.store.setState({ controls: this.controls.view(), scopes: [...this.scopes], operator: this.operator });
    this.ledgerScreen = new LedgerScreenController(this.store, () => this.opts.ledger.browse?.());
    this.intents = new Intents(this.intentHost());
    const notifyProblem = this.notifications?.problem();
    if (notifyProblem) flash(this.store, `Notifications are off: ${notifyProblem}. Failures are still recorded in the ledger.`, 'warn');
    this.poller = new Poller({
      clock: this.clock,
      run: opts.runCheck ?? makeCheckRunner(opts.runbook, this.env, opts.ledger),
      onResult: (r) => this.onCheckResult(r),
    });
    // Steps can run checks as soon as the session exists, before live polling starts.
    this.poller.register(Object.values(opts.runbook.checks));
    const spec = opts.runbook.canary;
    if (spec) {
      this.canary = new CanaryDriver({
        spec,
        clock: this.clock,
        read: opts.readMetric ?? makeMetricReader(opts.runbook, this.env),
        state: () => this.store.getState().canary!,
        record: (body, durable) => this.tryRecord(body, durable),
        runAction: (name, why) => this.executeAction(name, why, true),
        onSchedule: (at) => this.store.setState({ canaryNextAt: at }),
      });
    }
  }

  /** Called when the operator quits; the TUI sets this to unmount. */
  setExitHandler(fn: () => void): void {
    this.opts.onExit = fn;
  }

  get runId(): string {
    return this.run.runId;
  }

  start(): void {
    // After the first frame, not before it: startup stays fast and the first action is too.
    setTimeout(() => void warmActionRunners(), 200).unref();
    this.poller.start();
    this.canary?.resume();
    this.updateVerdict();
    const beat = () => {
      // Another process (a second operator, `opscockpit stop`) may have changed the controls.
      this.store.setState({ now: this.clock.now(), controls: this.controls.view() });
      this.ledgerScreen.refresh();
      this.tick = this.clock.setTimeout(beat, 1000);
    };
    this.tick = this.clock.setTimeout(beat, 1000);
  }

  stop(): void {
    // Nothing waits silently: an automatic action still waiting is on record as not run.
    for (const w of this.waiting.splice(0)) this.skip(w, `the cockpit was closed before ${this.acting ?? 'the action before it'} finished`);
    this.closed = true;
    this.poller.stop();
    this.canary?.stop();
    if (this.tick !== undefined) this.clock.clearTimeout(this.tick);
  }

  // ---- notifications -----------------------------------------------------------------

  private makeNotifications(): Notifications {
    return new Notifications({
      runbook: this.opts.runbook,
      env: this.env,
      clock: this.clock,
      redactor: this.redactor,
      ledgerPath: this.opts.ledgerPath,
      run: (runId) => (runId === this.run?.runId ? this.run : this.opts.ledger.getRun(runId)),
      why: () => {
        const v = this.store?.getState().verdict;
        return v?.verdict === 'NO-GO' ? v.reasons[0] : undefined;
      },
      record: (runId, body) => this.recordNotice(runId, body),
    });
  }

  /** A notification's outcome, in the run of the event it was about. */
  private recordNotice(runId: string, body: EventBody): void {
    try {
      if (runId === this.run.runId) this.record(body);
      else this.opts.ledger.append(runId, this.operator, body, this.clock.now());
      if (body.kind === 'notify.failed') flash(this.store, `Slack notification failed (${body.trigger.replace('_', ' ')}): ${body.reason}`, 'warn');
    } catch (err) {
      // A headless command may have closed its ledger before a delivery ended: record it
      // through a connection of our own rather than lose it.
      if (ledgerWasClosed(err)) void appendLate(this.opts.ledgerPath, { redactor: this.redactor, env: this.env }, runId, this.operator, body, this.clock.now());
      else flash(this.store, `Could not write the ledger: ${err instanceof Error ? err.message : String(err)}`, 'error');
    }
  }

  /** Notifications still being delivered. */
  get notificationsInFlight(): number {
    return this.notifications?.inFlight ?? 0;
  }

  /** Wait (at most `timeoutMs`) for notifications under way, e.g. before closing the ledger. */
  settleNotifications(timeoutMs?: number): Promise<void> {
    return this.notifications?.settle(timeoutMs) ?? Promise.resolve();
  }

  // ---- recording ---------------------------------------------------------------------

  private record(body: EventBody, durable = false): LedgerEvent {
    const ev = this.opts.ledger.append(this.run.runId, this.operator, body, this.clock.now(), { durable });
    this.show(ev);
    return ev;
  }

  /** A recorded event on screen (after its transaction committed). */
  private show(ev: LedgerEvent): void {
    const { body } = ev;
    recordInStore(this.store, ev);
    // Nobody waits forever, but the operator is asked at once.
    if (body.kind === 'canary.decision' && body.decision === 'ask') setModal(this.store, { kind: 'canary' });
    if (body.kind === 'canary.decision' && body.decision !== 'ask' && this.store.getState().modal?.kind === 'canary') setModal(this.store, undefined);
  }

  /** Record, or tell the operator why it could not be recorded. Returns false on failure. */
  private tryRecord(body: EventBody, durable = false): boolean {
    return this.tryLedger(() => this.record(body, durable));
  }

  /** A ledger write, or tell the operator why it could not be made. Returns false on failure. */
  private tryLedger(write: () => unknown): boolean {
    try {
      write();
      return true;
    } catch (err) {
      flash(this.store, `Could not write the ledger: ${err instanceof Error ? err.message : String(err)}`, 'error');
      return false;
    }
  }

  private openRun(): { run: RunRecord; events: LedgerEvent[] } {
    const { ledger, runbook } = this.opts;
    const open = ledger.openRun(runbook.file);
    if (open) {
      const events = ledger.events(open.runId);
      const done = lastCompletion(events);
      if (!done) return { run: open, events };
      // Listed as running, but its events say it ended (a ledger written before the two were
      // one transaction, cut off between them): the events are the record, so the runs table
      // follows them and this start is a new run.
      ledger.completeRun(open.runId, done.status, done.at);
    }
    const run = ledger.startRun(
      { runbook: runbook.file, name: runbook.name, branch: runbook.release.branch, commitSha: runbook.release.commitSha, backlogId: runbook.release.backlogId, releaseType: runbook.release.type },
      this.clock.now(),
    );
    return { run, events: [] };
  }

  /** After a restart: close actions that never recorded an outcome, then mark the resume. */
  private settleResume(events: LedgerEvent[]): void {
    if (events.length === 0) {
      this.record({ kind: 'run.started', runbook: this.opts.runbook.file, name: this.opts.runbook.name });
      return;
    }
    const open = new Set<string>();
    for (const e of events) {
      if (e.body.kind === 'action.requested') open.add(e.body.action);
      if (e.body.kind === 'action.completed') open.delete(e.body.action);
    }
    for (const action of open) {
      this.record(
        { kind: 'action.completed', action, status: 'unknown', reason: 'the cockpit stopped before the outcome was recorded; check the target by hand', output: '', durationMs: 0 },
        true,
      );
    }
    this.record({ kind: 'run.resumed' });
  }

  // ---- checks and verdict ------------------------------------------------------------

  private onCheckResult(result: CheckResult): void {
    if (this.closed) return;
    const prev = this.store.getState().checks[result.check];
    observeCheck(this.store, result);
    if (!this.stepRunning.has(result.check) && resultChanged(prev, result)) {
      this.tryRecord({ kind: 'check.changed', check: result.check, result: this.redactor.value(result) });
    }
    this.updateVerdict();
    this.watchTriggers(result);
  }

  /** Seed 004's rollback triggers: a live check failing long enough runs its action. */
  private watchTriggers(result: CheckResult): void {
    for (const t of this.opts.runbook.triggers ?? []) {
      const step = observeTrigger(t, this.triggerStates.get(t.name) ?? {}, result, this.clock.now());
      this.triggerStates.set(t.name, step.state);
      if (step.state !== this.store.getState().triggers?.[t.name]) this.store.setState({ triggers: Object.fromEntries(this.triggerStates) });
      if (!step.fire || this.run.status !== 'running') continue;
      const reason = this.redactor.text(step.fire.reason);
      if (!this.tryRecord({ kind: 'trigger.fired', trigger: t.name, check: t.check, reason, action: t.action, auto: t.auto }, true)) continue;
      if (t.auto) {
        flash(this.store, `TRIGGER ${t.title}: running ${t.action} now — ${reason}`, 'error');
        void this.executeAction(t.action, `trigger ${t.name}`, true);
      } else {
        flash(this.store, `TRIGGER ${t.title}: ${t.action} is advised — ${reason}`, 'error');
        if (!this.store.getState().modal) setModal(this.store, { kind: 'confirm', action: t.action, input: '' });
      }
    }
  }

  private updateVerdict(): void {
    const s = this.store.getState();
    const phase = s.checklist.active;
    const v = computeVerdict(phase, gatingChecks(s.checklist, phase), this.opts.runbook.checks, s.live);
    if (!sameVerdict(s.verdict, v)) this.tryRecord({ kind: 'verdict.changed', ...v });
  }

  // ---- operator intents --------------------------------------------------------------

  private stepIntent(intent: StepIntent): void | Promise<void> {
    const s = this.store.getState();
    if (s.run?.status && s.run.status !== 'running') {
      flash(this.store, `This run is ${s.run.status.replace('_', ' ')}; quit and open the runbook again for a new run.`, 'warn');
      return;
    }
    const decision = decideStepIntent(s.checklist, intent);
    if (!decision.ok) {
      flash(this.store, decision.refusal, 'warn');
      return;
    }
    if (!this.tryRecord(decision.event)) return;
    if (decision.event.kind === 'step.retried') return this.stepIntent({ kind: 'advance' });
    if (decision.run) return this.runStep();
    this.afterStep();
  }

  private async runStep(): Promise<void> {
    const step = currentStep(this.store.getState().checklist);
    if (!step?.check) return;
    this.stepRunning.add(step.check);
    markRunning(this.store, step.check);
    try {
      const result = await this.poller.runNow(step.check);
      if (this.closed) return;
      this.tryRecord({ kind: 'step.result', phase: step.phase, step: step.id, result: this.redactor.value(result) });
    } finally {
      this.stepRunning.delete(step.check);
    }
    this.afterStep();
  }

  private afterStep(): void {
    this.updateVerdict();
    const s = this.store.getState();
    if (s.checklist.complete && s.run?.status === 'running') this.completeRun('succeeded');
  }

  private completeRun(status: 'succeeded' | 'failed' | 'aborted' | 'rolled_back'): void {
    const end = { runId: this.run.runId, operator: this.operator, status, at: this.clock.now(), durable: true };
    if (!this.tryLedger(() => this.show(finishRun(this.opts.ledger, end)))) return;
    this.run = { ...this.run, status };
    this.store.setState({ runs: this.opts.ledger.listRuns(9).filter((r) => r.runbook !== CONTROL_RUNBOOK).slice(0, 8) });
  }

  /** Run an action after the operator typed its confirmation. */
  async runAction(name: string, typed: string): Promise<ActionOutcome | undefined> {
    const action = this.opts.runbook.actions[name];
    if (!action) return void flash(this.store, `The runbook has no action "${name}".`, 'error');
    if (typed !== action.confirm) return void flash(this.store, `Type "${action.confirm}" to confirm ${name}.`, 'warn');
    return this.executeAction(name, typed);
  }

  /**
   * Run an action; the intent is on disk before it starts, the outcome after it ends. An
   * automatic one (a trigger's, a canary rule's: the decision is already recorded) that comes
   * while another action runs is not dropped: it waits, and runs when that one ends. One that
   * does not go forward takes the place of forward ones still waiting, which are skipped.
   */
  private executeAction(name: string, confirmedWith: string, automatic = false): Promise<ActionOutcome | undefined> {
    const running = this.acting;
    if (running !== undefined && !automatic) return Promise.resolve(void flash(this.store, ACTION_BUSY, 'warn'));
    if (running !== undefined) {
      const decided = { name, why: confirmedWith };
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
            this.skip(w, `${name} (${confirmedWith}) was decided while it waited`);
          }
        }
        this.waiting.push(decided);
        flash(this.store, `${name} (${confirmedWith}) waits for ${running} to finish, then runs.`, 'error');
      }
      return Promise.resolve(undefined);
    }
    this.acting = name;
    return executeAction(
      {
        store: this.store,
        runbook: this.opts.runbook,
        env: this.env,
        redactor: this.redactor,
        claim: (req, typed) => this.controls.claim({ ...req, scopes: this.scopes, preflightGo: this.preflightGo() }, this.run.runId, typed),
        running: () => this.run.status === 'running',
        tryRecord: (body, durable) => this.tryRecord(body, durable),
        refreshControls: () => this.refreshControls(),
        moveStage: (to) => this.moveStage(to),
        completeRun: (status) => this.completeRun(status),
      },
      name,
      confirmedWith,
    )
      .finally(() => {
        this.acting = undefined;
        this.runWaiting(name);
      })
      .catch((err: unknown) => {
        // The operator quit and the ledger was closed while the action ran: its outcome cannot
        // be recorded now, and the next start records it as unknown (settleResume).
        if (this.closed && ledgerWasClosed(err)) return undefined;
        throw err;
      });
  }

  /** After `finished`: the next waiting automatic action; none once the run has ended. */
  private runWaiting(finished: string): void {
    if (this.closed || this.acting !== undefined) return;
    const next = this.waiting.shift();
    if (!next) return;
    if (this.run.status !== 'running') {
      this.skip(next, `the run had already ended (${this.run.status.replace('_', ' ')}) when ${finished} finished`);
      this.runWaiting(finished);
      return;
    }
    void this.executeAction(next.name, next.why, true);
  }

  /** A forward action: the canary's promote, or one that needs a completed preflight with a GO verdict. */
  private goesForward(name: string): boolean {
    return name === this.opts.runbook.canary?.promoteAction || (this.opts.runbook.actions[name]?.needsPreflight ?? false);
  }

  /** An automatic action decided but not run, on record with why not. */
  private skip(decided: { name: string; why: string }, reason: string): void {
    this.tryRecord({ kind: 'action.skipped', action: decided.name, why: decided.why, reason }, true);
    flash(this.store, `${decided.name} (${decided.why}) not run: ${reason}.`, 'warn');
  }

  /** Preflight complete, and its blocking checks GO right now. */
  private preflightGo(): boolean {
    const s = this.store.getState();
    if (!s.checklist.phases.preflight.complete) return false;
    const names = gatingChecks(s.checklist, 'preflight');
    return computeVerdict('preflight', names, this.opts.runbook.checks, s.live).verdict === 'GO';
  }

  private moveStage(to: string | undefined): void {
    if (!to) return;
    const from = this.stage.read().stage;
    const r = this.stage.set(to);
    if (r.ok) this.tryRecord({ kind: 'stage.changed', from, to }, true);
    this.store.setState({ stage: this.stage.read() });
  }

  refreshControls(): void {
    this.store.setState({ controls: this.controls.view() });
  }

  /** The emergency stop: on at once; off only with a reason. */
  setStop(on: boolean, reason: string): boolean {
    const r = this.controls.setStop(on, reason);
    this.refreshControls();
    if (!r.ok) flash(this.store, r.reason, 'warn');
    else flash(this.store, on ? 'EMERGENCY STOP ON: no action will run until it is turned off with a reason.' : `Emergency stop off: ${reason}`, on ? 'error' : 'info');
    return r.ok;
  }

  private async startCanary(): Promise<void> {
    const spec = this.opts.runbook.canary;
    if (!spec || !this.canary) return flash(this.store, 'This runbook has no canary section.', 'warn');
    if (this.store.getState().canary?.status !== 'idle') return flash(this.store, `The canary is ${this.store.getState().canary?.status}.`, 'warn');
    if (spec.startAction) {
      const outcome = await this.executeAction(spec.startAction, 'canary start');
      if (outcome?.status !== 'succeeded') return flash(this.store, `The canary did not start: ${spec.startAction} ${outcome?.status ?? 'was refused'}.`, 'error');
    }
    if (this.canary.start()) this.moveStage('canary');
  }

  /** Advance the checklist by one step and wait for its result (the headless run's driver). */
  async advance(note?: string): Promise<void> {
    await this.stepIntent(note === undefined ? { kind: 'advance' } : { kind: 'advance', note });
  }

  /** Complete the run as failed (a headless run that stops short of the end). */
  fail(): void {
    if (this.run.status === 'running') this.completeRun('failed');
  }

  // ---- keyboard intents (src/session/intents.ts decides; these are the screens' entry points)

  command(id: string): void {
    this.intents.command(id);
  }

  type(text: string): void {
    this.intents.type(text);
  }

  erase(): void {
    this.intents.erase();
  }

  cancel(): void {
    this.intents.cancel();
  }

  submit(): void {
    this.intents.submit();
  }

  private intentHost(): IntentHost {
    return {
      store: this.store,
      runbook: this.opts.runbook,
      stepIntent: (i) => this.stepIntent(i),
      runAction: (name, typed) => this.runAction(name, typed),
      setStop: (on, reason) => this.setStop(on, reason),
      startCanary: () => this.startCanary(),
      decideCanary: (d) => this.canary?.decide(d),
      toggleFault: () => this.toggleFault(),
      busy: () => this.store.getState().action?.state === 'running' || this.stepRunning.size > 0,
      exit: () => this.opts.onExit?.(),
      ledgerCommand: (id) => this.ledgerScreen.command(id),
      ledgerFilter: (text) => this.ledgerScreen.applyFilter(text, this.clock.now()),
    };
  }

  private async toggleFault(): Promise<void> {
    const demo = this.opts.demo;
    if (!demo) return;
    const on = !this.store.getState().fault;
    try {
      await demo.toggleFault(on);
      this.store.setState({ fault: on });
      const route = demo.faultRoute ?? '/readyz';
      this.tryRecord(on ? { kind: 'fault.injected', route, status: demo.faultStatus ?? 503 } : { kind: 'fault.cleared' });
      flash(this.store, on ? `Demo fault injected: ${demo.faultText ?? `${route} now answers 503`}.` : `Demo fault cleared: ${route} restored.`, 'warn');
    } catch (err) {
      flash(this.store, `Could not reach the fixture targets: ${err instanceof Error ? err.message : String(err)}`, 'error');
    }
  }
}

/** The run's last run.completed event, if it has one. */
function lastCompletion(events: readonly LedgerEvent[]): { status: Extract<EventBody, { kind: 'run.completed' }>['status']; at: number } | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    const body = events[i].body;
    if (body.kind === 'run.completed') return { status: body.status, at: events[i].at };
  }
  return undefined;
}

/** better-sqlite3's error for a statement on a connection already closed. */
function ledgerWasClosed(err: unknown): boolean {
  return err instanceof TypeError && /not open/.test(err.message);
}
