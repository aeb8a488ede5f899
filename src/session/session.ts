// A cockpit session: one run of one runbook. It owns the poller and the ledger writes, turns
// operator intents into recorded events, and feeds the store. Screens never call adapters;
// they call `command`, `type` and `submit` here. Each concern lives beside it: steps.ts,
// action-queue.ts (and actions.ts), trigger-watch.ts, canary-driver.ts, intents.ts.
import type { CanaryMetric, Check, Runbook } from '../runbook/model.js';
import { Redactor } from '../runbook/secrets.js';
import { Poller } from '../engine/poller.js';
import { systemClock, type Clock, type LedgerPort, type RunRecord } from '../engine/ports.js';
import type { CheckResult } from '../engine/types.js';
import type { MetricReading } from '../engine/canary.js';
import type { StepIntent } from '../engine/checklist.js';
import { computeVerdict, emptyMeans, gatingChecks, resultChanged, sameVerdict } from '../engine/verdict.js';
import { parseScopes } from '../engine/safety.js';
import { createCockpitStore, flash, observeCheck, type CockpitStore } from '../store/store.js';
import { finishRun } from './finish-run.js';
import { Controls } from './controls.js';
import { ReleaseStage } from './release-stage.js';
import { makeCheckRunner, makeMetricReader, warmActionRunners, type ActionOutcome } from './runners.js';
import { preflightGo, type ActionHost } from './actions.js';
import { ActionQueue } from './action-queue.js';
import { CanaryDriver } from './canary-driver.js';
import { startCanary } from './canary-start.js';
import { toggleDemoFault, type DemoFault } from './demo-fault.js';
import { operatorName } from './operator.js';
import { watchLedger, type Notifications } from './notifications.js';
import { sessionNotifications, settleNotices } from './session-notices.js';
import { LedgerScreenController } from './ledger-screen.js';
import { Intents, type IntentHost } from './intents.js';
import { RunRecorder } from './recorder.js';
import { heldNotice, openRun, recentRuns, settleResume } from './run-lifecycle.js';
import { HeldRun } from './run-lease.js';
import { Steps } from './steps.js';
import { StepValues } from './step-values.js';
import { RunShell } from './run-shell.js';
import type { StepStop } from './step-gate.js';
import { describeCommand } from './dry-run.js';
import { TriggerWatch } from './trigger-watch.js';

export interface SessionOptions {
  runbook: Runbook;
  ledger: LedgerPort;
  ledgerPath: string;
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
  /** Demo mode: the fault key talks to the fixture targets at this URL. */
  demo?: DemoFault;
  runCheck?: (check: Check) => Promise<CheckResult>;
  readMetric?: (metric: CanaryMetric) => Promise<MetricReading>;
  onExit?: () => void;
  /** false: the caller completes the run once its actions are done too (`opscockpit run`). */
  completeWithChecklist?: boolean;
  /**
   * SIGINT or SIGTERM (aborted with the reason, "the process got SIGTERM"): the session shuts
   * down as when the operator quits (`shutdown`), then calls onExit.
   */
  signal?: AbortSignal;
}

export class Session {
  readonly store: CockpitStore;
  readonly operator: string;
  private readonly clock: Clock;
  private readonly env: NodeJS.ProcessEnv;
  private readonly poller: Poller<Check>;
  private readonly redactor: Redactor;
  private run: RunRecord;
  private tick?: unknown;
  private closed = false;
  private readonly shutdownSignal = new AbortController(); // aborted by the shutdown, with why
  private stopping?: Promise<void>;
  private readonly canary?: CanaryDriver;
  private readonly controls: Controls;
  private readonly stage: ReleaseStage;
  private readonly scopes: ReadonlySet<string>;
  private readonly notifications?: Notifications;
  private readonly recorder: RunRecorder;
  private readonly ledgerScreen: LedgerScreenController;
  private readonly intents: Intents;
  private readonly steps: Steps;
  private readonly actions: ActionQueue;
  private readonly triggers: TriggerWatch;
  /** The run's one shell for its blocks; its process group goes with the shutdown. */
  private shell?: RunShell;
  /** This process's lease on the run: no other live process writes it while this one holds it. */
  private readonly owner: HeldRun;

  constructor(private readonly opts: SessionOptions) {
    this.clock = opts.clock ?? systemClock;
    this.env = { ...(opts.env ?? process.env), OPSCOCKPIT_LEDGER: opts.ledgerPath }; // passEnv: [OPSCOCKPIT_LEDGER]
    this.operator = operatorName(this.env);
    this.redactor = new Redactor(opts.runbook.secrets, this.env);
    // Every event written through this session (the safety controls' too) is seen once by the
    // notifications; sending happens in the background.
    if (opts.runbook.notify?.slack) {
      this.notifications = sessionNotifications({
        runbook: opts.runbook, env: this.env, clock: this.clock, redactor: this.redactor, ledgerPath: opts.ledgerPath, operator: this.operator,
        ledger: () => this.opts.ledger,
        run: () => this.run,
        store: () => this.store,
        record: (body) => this.recorder.record(body),
      });
      opts = this.opts = { ...opts, ledger: watchLedger(opts.ledger, (evs) => this.notifications?.observe(evs)) };
    }
    this.scopes = parseScopes(this.env.OPSCOCKPIT_ALLOW_SCOPES);
    this.controls = new Controls(opts.ledger, opts.runbook.safety, this.operator, () => this.clock.now());
    const opened = openRun(opts.ledger, opts.runbook, this.clock);
    const { run, events } = opened;
    this.run = run;
    this.owner = new HeldRun(opts.ledger, run.runId, opened.holder, this.clock, (why) => flash(this.store, `${why} Quit and open the runbook again.`, 'error'));
    this.env.OPSCOCKPIT_RUN = run.runId; // scripts that record into this run (harvest --run)
    this.store = createCockpitStore({
      runbook: opts.runbook, ledgerPath: opts.ledgerPath, demo: !!opts.demo, run, events, runs: recentRuns(opts.ledger), now: this.clock.now(),
    });
    this.recorder = new RunRecorder(opts.ledger, run.runId, this.operator, this.clock, this.store, this.owner);
    settleResume(opts.runbook, events, (body, durable) => this.recorder.record(body, durable));
    const held = heldNotice(opened, this.clock.now());
    const tryRecord = this.recorder.tryRecord.bind(this.recorder);
    this.stage = new ReleaseStage(opts.ledgerPath, this.env, this.operator, this.clock, this.store, tryRecord);
    this.store.setState({ controls: this.controls.view(), scopes: [...this.scopes], operator: this.operator });
    this.ledgerScreen = new LedgerScreenController(this.store, () => this.opts.ledger.browse?.());
    const values = new StepValues(this.store, this.env, tryRecord, this.redactor);
    this.intents = new Intents(this.intentHost(), values);
    const notifyProblem = this.notifications?.problem();
    if (notifyProblem) flash(this.store, `Notifications are off: ${notifyProblem}. Failures are still recorded in the ledger.`, 'warn');
    else if (held) flash(this.store, held, 'warn');
    this.actions = new ActionQueue({ host: this.actionHost(), closed: () => this.closed || this.stopping !== undefined, runStatus: () => this.run.status });
    const automatic = (name: string, why: string) => this.actions.run(name, why, true);
    this.triggers = new TriggerWatch({
      store: this.store, runbook: opts.runbook, clock: this.clock, redactor: this.redactor, tryRecord,
      running: () => this.run.status === 'running',
      runAction: (name, why) => void automatic(name, why),
    });
    this.poller = new Poller({
      clock: this.clock,
      run: opts.runCheck ?? makeCheckRunner(opts.runbook, this.env, opts.ledger, this.shutdownSignal.signal, (this.shell = new RunShell(opts.runbook, this.env, this.store, tryRecord))),
      onResult: (r) => this.onCheckResult(r),
    });
    // Steps can run checks as soon as the session exists, before live polling starts.
    this.poller.register(Object.values(opts.runbook.checks));
    this.steps = new Steps({
      store: this.store, poller: this.poller, redactor: this.redactor, tryRecord,
      closed: () => this.closed,
      cancelled: () => this.cancelled,
      updateVerdict: () => this.updateVerdict(),
      succeed: () => {
        if (opts.completeWithChecklist !== false) this.completeRun(this.endStatus());
      },
      claimStep: (req, typed) => this.claim(req, typed),
      stepScope: (phase, id) => opts.runbook.checklists[phase].find((st) => st.id === id)?.scope,
      missingValues: (phase, id) => values.missing(phase, id),
      stepCommand: (check) => describeCommand(check ? opts.runbook.checks[check] : undefined),
      refreshControls: () => this.refreshControls(),
    });
    const spec = opts.runbook.canary;
    if (spec) {
      this.canary = new CanaryDriver({
        spec,
        clock: this.clock,
        read: opts.readMetric ?? makeMetricReader(opts.runbook, this.env),
        state: () => this.store.getState().canary!,
        record: tryRecord,
        runAction: automatic,
        onSchedule: (at) => this.store.setState({ canaryNextAt: at }),
      });
    }
    opts.signal?.addEventListener('abort', () => this.quit(String(opts.signal?.reason)), { once: true });
  }

  /** Called when the operator quits; the TUI sets this to unmount. */
  setExitHandler(fn: () => void): void {
    this.opts.onExit = fn;
    // A signal before the screens were up: they go as soon as the shutdown is done.
    void this.stopping?.then(fn);
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

  /** Why the session is shutting down, once it is. */
  get cancelled(): string | undefined {
    const s = this.shutdownSignal.signal;
    return s.aborted ? String(s.reason) : undefined;
  }

  /**
   * The one shutdown order, for the operator's quit and SIGINT/SIGTERM alike: what runs is on
   * record as cancelled (and why), then its process group is killed (TERM, then KILL after the
   * grace period), then its outcome is recorded as it ends, then polling stops. The caller
   * closes the ledger after this; the entry exits.
   */
  shutdown(why: string): Promise<void> {
    this.stopping ??= this.cancelAndStop(why);
    return this.stopping;
  }

  private async cancelAndStop(why: string): Promise<void> {
    // Nothing new starts: no waiting action, no poll (a step's own check still reports back).
    this.actions.close();
    this.poller.stop();
    this.canary?.stop();
    const action = this.actions.inFlight;
    const step = this.steps.inFlight;
    const cancelled = [action?.name, step?.action].filter((a): a is string => a !== undefined);
    for (const a of cancelled) this.recorder.tryRecord({ kind: 'action.cancelled', action: a, reason: `${why} while it ran` }, true);
    if (step && !step.action) this.recorder.tryRecord({ kind: 'step.note', phase: step.phase, step: step.step, note: `cancelled: ${why} while the step ran` }, true);
    if (action || step) flash(this.store, `Quitting (${why}): stopping ${cancelled.join(', ') || step?.step}…`, 'warn');
    this.shutdownSignal.abort(why);
    await Promise.allSettled([action?.done, step?.done, this.shell?.close()]);
    // Halted, the run still held: a headless caller records the run's end after this.
    this.halt();
  }

  /** Shut down, then let the screens go (the cockpit unmounts). */
  private quit(why: string): void {
    void this.shutdown(why).then(() => {
      this.stop();
      this.opts.onExit?.();
    });
  }

  /** Halt, and give the run up for another process to take over. */
  stop(): void {
    this.halt();
    // The run stays this process's until the action running has its outcome recorded; then
    // another process may take it over (and records as unknown what this one could not).
    this.actions.whenIdle(() => this.owner.release());
  }

  /** Nothing new starts and nothing polls; the run is still this process's. */
  private halt(): void {
    this.actions.close();
    this.closed = true;
    void this.shell?.close();
    this.poller.stop();
    this.canary?.stop();
    if (this.tick !== undefined) this.clock.clearTimeout(this.tick);
  }

  /** Notifications still being delivered. */
  get notificationsInFlight(): number {
    return this.notifications?.inFlight ?? 0;
  }

  /** Wait (at most `timeoutMs`) for notifications under way (session-notices.ts). */
  settleNotifications(timeoutMs?: number): Promise<void> {
    return settleNotices(this.notifications, this.opts.signal, timeoutMs);
  }

  private onCheckResult(result: CheckResult): void {
    if (this.closed) return;
    const prev = this.store.getState().checks[result.check];
    observeCheck(this.store, result);
    if (!this.steps.running.has(result.check) && resultChanged(prev, result)) {
      this.recorder.tryRecord({ kind: 'check.changed', check: result.check, result: this.redactor.value(result) });
    }
    this.updateVerdict();
    this.triggers.observe(result);
  }

  private updateVerdict(): void {
    const s = this.store.getState();
    const phase = s.checklist.active;
    const v = computeVerdict(phase, gatingChecks(s.checklist, phase, emptyMeans(this.opts.runbook)), this.opts.runbook.checks, s.live);
    if (!sameVerdict(s.verdict, v)) this.recorder.tryRecord({ kind: 'verdict.changed', ...v });
  }

  private completeRun(status: 'succeeded' | 'failed' | 'aborted' | 'rolled_back'): void {
    const end = { runId: this.run.runId, operator: this.operator, status, at: this.clock.now(), durable: true };
    if (!this.recorder.tryLedger(() => this.recorder.show(finishRun(this.opts.ledger, end, this.owner)))) return;
    this.run = { ...this.run, status };
    this.store.setState({ runs: recentRuns(this.opts.ledger) });
  }

  /** Run an action after the operator typed its confirmation. */
  async runAction(name: string, typed: string): Promise<ActionOutcome | undefined> {
    const action = this.opts.runbook.actions[name];
    if (!action) return void flash(this.store, `The runbook has no action "${name}".`, 'error');
    if (typed !== action.confirm) return void flash(this.store, `Type "${action.confirm}" to confirm ${name}.`, 'warn');
    return this.actions.run(name, typed);
  }

  private actionHost(): ActionHost {
    return {
      store: this.store,
      runbook: this.opts.runbook,
      env: this.env,
      redactor: this.redactor,
      signal: this.shutdownSignal.signal, shell: () => this.shell,
      claim: (req, typed) => this.claim(req, typed),
      running: () => this.run.status === 'running',
      tryRecord: (body, durable) => this.recorder.tryRecord(body, durable),
      refreshControls: () => this.refreshControls(),
      moveStage: (to) => this.stage.move(to),
      completeRun: (status) => this.completeRun(status),
    };
  }

  /** The controls' decision and the recorded intent, in a run this process still holds. */
  private claim(req: Parameters<ActionHost['claim']>[0], typed: string): ReturnType<ActionHost['claim']> {
    const request = { ...req, scopes: this.scopes, preflightGo: preflightGo(this.store, this.opts.runbook) };
    return this.owner.within(() => this.controls.claim(request, this.run.runId, typed), { durable: true });
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

  /** Advance the checklist by one step and wait for its result; why a confirm-first step did not run. */
  advance(note?: string, typed?: string): Promise<StepStop | undefined> {
    const intent: StepIntent = note === undefined ? { kind: 'advance' } : { kind: 'advance', note };
    if (typed !== undefined) intent.typed = typed;
    return this.steps.intent(intent);
  }

  /** Complete the run as failed (a headless run that stops short of the end). */
  fail(): void {
    if (this.run.status === 'running') this.completeRun('failed');
  }

  /** Complete the run as succeeded, when it still runs and its checklist is done (`completeWithChecklist: false`). */
  succeed(): void {
    if (this.run.status === 'running' && this.store.getState().checklist.complete) this.completeRun(this.endStatus());
  }

  /** A finished checklist ends the run as its last action did: failed or unknown is no success. */
  private endStatus(): 'succeeded' | 'failed' {
    return ['failed', 'unknown'].includes(this.store.getState().action?.state ?? '') ? 'failed' : 'succeeded';
  }

  // Keyboard intents: intents.ts decides; these are the screens' entry points.

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
    const demo = this.opts.demo;
    return {
      store: this.store,
      runbook: this.opts.runbook,
      stepIntent: (i) => this.steps.intent(i),
      runAction: (name, typed) => this.runAction(name, typed),
      setStop: (on, reason) => this.setStop(on, reason),
      startCanary: () =>
        startCanary({
          store: this.store, spec: this.opts.runbook.canary, driver: this.canary,
          runAction: (name, why) => this.actions.run(name, why),
          moveStage: (to) => this.stage.move(to),
        }),
      decideCanary: (d) => this.canary?.decide(d),
      toggleFault: async () => (demo ? toggleDemoFault(demo, this.store, (body) => this.recorder.tryRecord(body)) : undefined),
      busy: () => !this.stopping && (this.store.getState().action?.state === 'running' || this.steps.running.size > 0),
      exit: () => this.quit('the operator quit'),
      ledgerCommand: (id) => this.ledgerScreen.command(id),
      ledgerFilter: (text) => this.ledgerScreen.applyFilter(text, this.clock.now()),
    };
  }
}
