// A cockpit session: one run of one runbook. It owns the poller and the ledger writes, turns
// operator intents into recorded events, and feeds the store. Screens never call adapters;
// they call `command`, `type` and `submit` here. Each concern lives beside it: steps.ts,
// action-queue.ts (and actions.ts), trigger-watch.ts, canary-driver.ts, intents.ts, and who
// drives the run (driver-seat.ts: an observer's session records nothing in it).
import type { Check } from '../runbook/model.js';
import { Redactor } from '../runbook/secrets.js';
import { Poller } from '../engine/poller.js';
import { systemClock, type Clock, type RunRecord } from '../engine/ports.js';
import type { IdentityKind, LedgerStore } from '../engine/ledger-store.js';
import type { CheckResult, LedgerEvent } from '../engine/types.js';
import type { StepIntent } from '../engine/checklist.js';
import { parseScopes } from '../engine/safety.js';
import { createCockpitStore, flash, type CockpitStore } from '../store/store.js';
import { RunEnd } from './run-end.js';
import { Controls } from './controls.js';
import { ReleaseStage } from './release-stage.js';
import { makeCheckRunner, warmActionRunners, type ActionOutcome } from './runners.js';
import type { ActionHost } from './actions.js';
import { SessionSafety } from './session-safety.js';
import { ActionQueue } from './action-queue.js';
import type { CanaryDriver } from './canary-driver.js';
import { sessionCanary, startCanary } from './canary-start.js';
import { toggleDemoFault } from './demo-fault.js';
import { operatorName } from './operator.js';
import { watchLedger, type Notifications } from './notifications.js';
import { sessionNotifications, settleNotices } from './session-notices.js';
import { LedgerScreenController } from './ledger-screen.js';
import { Intents, type IntentHost } from './intents.js';
import { RunRecorder } from './recorder.js';
import { openRun, recentRuns, recordedStart, silentResume, type OpenedRun } from './run-lifecycle.js';
import { followLedger } from './ledger-follow.js';
import { LedgerLink } from './ledger-link.js';
import { LiveRecord } from './live-record.js';
import { HeldRun } from './run-lease.js';
import { DriverSeat } from './driver-seat.js';
import { recordCancelled } from './cancel-in-flight.js';
import { Steps } from './steps.js';
import { StepValues } from './step-values.js';
import { RunShell } from './run-shell.js';
import type { StepStop } from './step-gate.js';
import { describeCommand } from './dry-run.js';
import { TriggerWatch } from './trigger-watch.js';
import type { SessionOptions } from './session-options.js';

export type { SessionOptions } from './session-options.js';

/** Open a session: its run resumed or started, its first events recorded, the ledger followed. */
export async function openSession(opts: SessionOptions): Promise<Session> {
  const clock = opts.clock ?? systemClock;
  const driver = opts.ledger.stampedOperator ?? operatorName(opts.env ?? process.env);
  const seat = { wish: opts.seat, claim: { driver, reason: opts.reason }, asserted: operatorName(opts.env ?? process.env), takeOver: opts.takeOver, runId: opts.watchRun };
  const opened = await openRun(opts.ledger, opts.runbook, clock, seat, opts.actionOnly);
  const session = new Session(opts, opened, await recentRuns(opts.ledger));
  await session.begin();
  return session;
}

export class Session {
  readonly store: CockpitStore;
  /** Who acts: the database login on PostgreSQL, else the asserted name (OPSCOCKPIT_OPERATOR, the OS user). */
  readonly operator: string;
  readonly identity: IdentityKind;
  private readonly ledger: LedgerStore;
  private readonly opened: OpenedRun;
  private unfollow?: () => void;
  private readonly live: LiveRecord;
  private readonly clock: Clock;
  private readonly env: NodeJS.ProcessEnv;
  private readonly poller: Poller<Check>;
  private readonly redactor: Redactor;
  private readonly end: RunEnd;
  private tick?: unknown;
  private closed = false;
  private readonly shutdownSignal = new AbortController(); // aborted by the shutdown, with why
  private stopping?: Promise<void>;
  private readonly canary?: CanaryDriver;
  private readonly safety: SessionSafety;
  private readonly stage: ReleaseStage;
  private readonly notifications?: Notifications;
  private readonly recorder: RunRecorder;
  /** Whether the ledger answers: while it does not, live checks go on and nothing that needs a record runs. */
  private readonly link: LedgerLink;
  private readonly ledgerScreen: LedgerScreenController;
  private readonly intents: Intents;
  private readonly steps: Steps;
  private readonly actions: ActionQueue;
  private readonly triggers: TriggerWatch;
  /** The run's one shell for its blocks; its process group goes with the shutdown. */
  private shell?: RunShell;
  /** This process's lease on the run: no other live process writes it while this one holds it. */
  private readonly owner: HeldRun;
  /** Driving the run, or observing it (driver-seat.ts). */
  private readonly seat: DriverSeat;

  /** Use openSession: the run is opened first. */
  constructor(private readonly opts: SessionOptions, opened: OpenedRun, runs: RunRecord[]) {
    this.clock = opts.clock ?? systemClock;
    this.env = { ...(opts.env ?? process.env), OPSCOCKPIT_LEDGER: opts.ledgerPath }; // passEnv: [OPSCOCKPIT_LEDGER]
    const asserted = operatorName(this.env);
    this.operator = opts.ledger.stampedOperator ?? asserted;
    this.identity = opts.ledger.identity;
    this.opened = opened;
    this.redactor = new Redactor(opts.runbook.secrets, this.env);
    // Every event written through this session (the safety controls' too) is seen once by the
    // notifications; sending happens in the background.
    if (opts.runbook.notify?.slack) {
      this.notifications = sessionNotifications({
        runbook: opts.runbook, env: this.env, clock: this.clock, redactor: this.redactor, ledgerPath: opts.ledgerPath, location: opts.ledger.location, operator: this.operator,
        ledger: () => this.ledger,
        run: () => this.end?.run,
        store: () => this.store,
        record: (body) => this.recorder.record(body),
      });
    }
    const ledger = (this.ledger = this.notifications ? watchLedger(opts.ledger, (evs) => this.notifications?.observe(evs)) : opts.ledger);
    const { run, events } = opened;
    this.owner = new HeldRun(ledger, run.runId, opened.holder, this.clock, () => void this.seat.refresh().catch(() => undefined), !opened.observing);
    this.env.OPSCOCKPIT_RUN = run.runId; // scripts that record into this run (harvest --run)
    this.store = createCockpitStore({ runbook: opts.runbook, ledgerPath: ledger.location, demo: !!opts.demo, run, events, runs, now: this.clock.now() });
    this.link = new LedgerLink({ clock: this.clock, store: this.store, onBack: () => void this.recorder.catchUp().then(() => (this.safety.refresh(), this.ledgerScreen.refresh())) });
    this.recorder = new RunRecorder(ledger, run.runId, asserted, this.clock, this.store, this.owner, events.at(-1)?.seq ?? 0, this.link);
    this.live = new LiveRecord({ store: this.store, runbook: opts.runbook, redactor: this.redactor, recorder: this.recorder, stepRuns: (check) => this.steps.running.has(check) });
    const tryRecord = this.recorder.tryRecord.bind(this.recorder);
    const values = new StepValues(this.store, this.env, tryRecord, this.redactor);
    const [onDrive, onObserve] = [() => this.drive(), () => (this.poller.stop(), this.canary?.stop())];
    const adoptRunValues = (evs: readonly LedgerEvent[]) => values.adopt(recordedStart(evs).params ?? {});
    this.seat = new DriverSeat({ ledger, runId: run.runId, runbook: opts.runbook, owner: this.owner, store: this.store, clock: this.clock, recorder: this.recorder, operator: this.operator, asserted, watch: opts.seat === 'watch', adoptRunValues, onDrive, onObserve });
    this.end = new RunEnd(run, { ledger, recorder: this.recorder, owner: this.owner, store: this.store, clock: this.clock, operator: asserted });
    const scopes = parseScopes(this.env.OPSCOCKPIT_ALLOW_SCOPES), controls = new Controls(ledger, opts.runbook.safety, this.operator, () => this.clock.now(), asserted, scopes);
    this.safety = new SessionSafety(controls, { store: this.store, runbook: opts.runbook, scopes, recorder: this.recorder, owner: this.owner, runId: () => this.end.run.runId, link: this.link, now: () => this.clock.now() });
    this.stage = new ReleaseStage(opts.ledger, opts.ledgerPath, this.env, this.operator, this.clock, this.store, tryRecord);
    this.store.setState({ controls: controls.view(), scopes: [...scopes], operator: this.operator, identity: this.identity });
    this.ledgerScreen = new LedgerScreenController(this.store, () => ledger.browse());
    this.intents = new Intents(this.intentHost(), values);
    this.actions = new ActionQueue({
      host: this.actionHost(), closed: () => this.closed || this.stopping !== undefined, runStatus: () => this.end.run.status,
      refusal: (name) => this.safety.refusal(name) ?? this.link.refusal(name), unknownOutcome: (name) => this.store.getState().outcomes.unknown.includes(name),
      owe: (seq, answered) => this.owner.owe(seq, answered),
    });
    const automatic = (name: string, why: string) => this.actions.run(name, why, true);
    this.triggers = new TriggerWatch({
      store: this.store, runbook: opts.runbook, clock: this.clock, redactor: this.redactor, tryRecord,
      running: () => this.end.run.status === 'running',
      runAction: (name, why) => void automatic(name, why),
    });
    this.poller = new Poller({
      clock: this.clock,
      run: opts.runCheck ?? makeCheckRunner(opts.runbook, this.env, ledger, this.shutdownSignal.signal, (this.shell = new RunShell(opts.runbook, this.env, this.store, (body, durable) => this.recorder.tryOwn(body, durable)))),
      onResult: (r) => this.onCheckResult(r),
    });
    // Steps can run checks as soon as the session exists, before live polling starts.
    this.poller.register(Object.values(opts.runbook.checks));
    this.steps = new Steps({
      store: this.store, poller: this.poller, redactor: this.redactor, tryRecord,
      recordStep: (body) => this.recorder.tryEvent(body), answer: (intent, body, durable) => this.recorder.tryRecord(body, durable, intent), owe: (seq, answered) => this.owner.owe(seq, answered),
      // A stop already on lets automatic steps (checks) run, as before; one that comes on kills them.
      driving: () => this.seat.driving, stopSignal: () => (this.safety.stopSignal.aborted ? this.shutdownSignal.signal : this.stopSignal),
      closed: () => this.closed,
      cancelled: () => this.cancelled,
      updateVerdict: () => this.live.verdict(),
      refusal: (what) => this.safety.refusal(what) ?? this.link.refusal(what),
      succeed: () => (opts.completeWithChecklist !== false ? this.end.complete(this.end.checklistStatus()) : undefined),
      claimStep: (req, typed) => this.safety.claim(req, typed),
      stepScope: (phase, id) => opts.runbook.checklists[phase].find((st) => st.id === id)?.scope,
      missingValues: (phase, id) => values.missing(phase, id),
      stepCommand: (check) => describeCommand(check ? opts.runbook.checks[check] : undefined),
      refreshControls: () => this.safety.refresh(),
    });
    this.canary = sessionCanary(opts.runbook, this.env, { clock: this.clock, read: opts.readMetric, store: this.store, record: tryRecord, runAction: automatic });
    // With screens (an exit handler) the signal quits; a headless caller records the run's end
    // after the shutdown, then stops the session itself.
    opts.signal?.addEventListener('abort', () => (this.opts.onExit ? this.quit(String(opts.signal?.reason)) : void this.shutdown(String(opts.signal?.reason))), { once: true });
  }

  /**
   * The stage and the safety controls as the ledger has them, the run's first events told to
   * the notifications (openRun recorded them); then the ledger is followed for changes.
   */
  async begin(): Promise<void> {
    // Its first events (started or resumed, a take-over) were appended as the run was opened.
    this.notifications?.observe(this.opened.appended);
    await this.stage.load();
    await Promise.all([this.safety.refreshNow(), this.seat.refresh()]);
    const notifyProblem = this.notifications?.problem();
    if (notifyProblem) flash(this.store, `Notifications are off: ${notifyProblem}. Failures are still recorded in the ledger.`, 'warn');
    this.unfollow = followLedger(this.ledger, {
      runId: () => this.end.run.runId,
      catchUp: () => this.steps.readOthers(() => this.recorder.catchUp()),
      refreshControls: async () => void (await Promise.all([this.safety.refreshNow(), this.stage.refresh()])),
      refreshOther: () => (this.ledgerScreen.refresh(), void this.seat.refresh().catch(() => undefined), void this.end.refreshRuns()),
      lost: (err) => this.link.lost(err),
      reached: () => this.link.reached(),
    });
  }

  /** Called when the operator quits; the TUI sets this to unmount. */
  setExitHandler(fn: () => void): void {
    this.opts.onExit = fn;
    // A signal before the screens were up: they go as soon as the shutdown is done.
    void this.stopping?.then(fn);
  }

  get runId(): string {
    return this.end.run.runId;
  }

  /** Whom this start resumed the run from, when that driver went silent (run-lifecycle.ts). */
  get resumedFromSilent(): ReturnType<typeof silentResume> {
    return silentResume(this.opened);
  }

  start(): void {
    // After the first frame, not before it: startup stays fast and the first action is too.
    setTimeout(() => void warmActionRunners(), 200).unref();
    if (this.seat.driving) this.drive();
    const beat = () => {
      // The clock moves the window's status; another process's changes arrive by followLedger.
      this.store.setState({ now: this.clock.now(), controls: this.safety.view() });
      this.tick = this.clock.setTimeout(beat, 1000);
    };
    this.tick = this.clock.setTimeout(beat, 1000);
  }

  /** What the driver runs: polling, the canary, the verdict; an observer shows the driver's. */
  private drive(): void {
    this.poller.start();
    this.canary?.resume();
    this.live.verdict();
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
    const ends = recordCancelled({ actions: this.actions, steps: this.steps, recorder: this.recorder, store: this.store }, why);
    this.shutdownSignal.abort(why);
    // Unreachable: what waits is not recorded (the next start records what ran as unknown).
    if (this.link.downSince !== undefined) this.link.close();
    await Promise.allSettled([...ends, this.shell?.close(), this.recorder.inOrder(async () => undefined)]);
    // Halted, the run still held: a headless caller records the run's end after this.
    this.halt();
  }

  /** Shut down, then let the screens go (the cockpit unmounts). */
  private quit(why: string): void {
    void this.shutdown(why)
      .then(() => this.stop())
      .then(() => this.opts.onExit?.());
  }

  /** Halt, and give the run up for another process to take over; resolves once it is given up. */
  stop(): Promise<void> {
    this.halt();
    // The run stays this process's until the action running has its outcome recorded; then
    // another process may take it over (and records as unknown what this one could not).
    return new Promise((resolve) => this.actions.whenIdle(() => void this.owner.release().then(resolve)));
  }

  /** Nothing new starts and nothing polls; the run is still this process's. */
  private halt(): void {
    this.actions.close();
    this.closed = true;
    this.seat.close();
    this.link.close();
    this.unfollow?.();
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
    this.live.check(result);
    this.live.verdict();
    this.triggers.observe(result);
  }

  /** Run an action after the operator typed its confirmation. */
  async runAction(name: string, typed: string): Promise<ActionOutcome | undefined> {
    const action = this.opts.runbook.actions[name];
    if (!action) return void flash(this.store, `The runbook has no action "${name}".`, 'error');
    if (typed !== action.confirm) return void flash(this.store, `Type "${action.confirm}" to confirm ${name}.`, 'warn');
    return this.actions.run(name, typed);
  }

  /** What kills what this cockpit runs (an action, a step's block): the shutdown, and a stop from any terminal. */
  private get stopSignal(): AbortSignal {
    return AbortSignal.any([this.shutdownSignal.signal, this.safety.stopSignal]);
  }

  private actionHost(): ActionHost {
    const session = this;
    return {
      store: this.store,
      runbook: this.opts.runbook,
      env: this.env,
      redactor: this.redactor,
      get signal() {
        return session.stopSignal;
      },
      shell: () => this.shell,
      claim: (req, typed) => this.safety.claim(req, typed),
      running: () => this.end.running,
      tryRecord: (body, durable) => this.recorder.tryRecord(body, durable),
      record: (body, durable, answers) => this.recorder.record(body, durable, answers),
      refreshControls: () => this.safety.refresh(),
      moveStage: (to, answers) => this.stage.move(to, answers),
      completeRun: (status, answers) => this.end.complete(status, answers),
      lockRunbook: (action) => this.safety.lock(action),
    };
  }

  /** The emergency stop: on at once; off only with a reason. */
  setStop(on: boolean, reason: string): Promise<boolean> {
    return this.safety.setStop(on, reason);
  }

  /** Advance the checklist by one step and wait for its result; why a confirm-first step did not run. */
  advance(note?: string, typed?: string): Promise<StepStop | undefined> {
    const intent: StepIntent = note === undefined ? { kind: 'advance' } : { kind: 'advance', note };
    if (typed !== undefined) intent.typed = typed;
    return this.steps.intent(intent);
  }

  /** Complete the run as failed (a headless run that stops short of the end). */
  fail(): Promise<void> {
    return this.end.fail();
  }

  /** Complete the run as succeeded, when it still runs and its checklist is done (`completeWithChecklist: false`). */
  succeed(): Promise<void> {
    return this.end.succeed();
  }

  // Keyboard intents: intents.ts decides; these are the screens' entry points.
  readonly command = (id: string): void => this.intents.command(id);
  readonly type = (text: string): void => this.intents.type(text);
  readonly erase = (): void => this.intents.erase();
  readonly cancel = (): void => this.intents.cancel();
  readonly submit = (): void => this.intents.submit();

  private intentHost(): IntentHost {
    const demo = this.opts.demo;
    return {
      store: this.store,
      runbook: this.opts.runbook,
      stepIntent: (i) => this.steps.intent(i),
      runAction: (name, typed) => this.runAction(name, typed),
      setStop: (on, reason) => this.setStop(on, reason),
      approveWindow: () => this.safety.approve(),
      unlock: (reason) => this.safety.unlock(reason),
      startCanary: () =>
        startCanary({
          store: this.store, spec: this.opts.runbook.canary, driver: this.canary,
          runAction: (name, why) => this.actions.run(name, why),
          moveStage: (to) => this.stage.move(to),
        }),
      decideCanary: (d) => void this.canary?.decide(d),
      toggleFault: async () => (demo ? toggleDemoFault(demo, this.store, (body) => this.recorder.tryRecord(body)) : undefined),
      busy: () => !this.stopping && (this.store.getState().action?.state === 'running' || this.steps.running.size > 0),
      exit: () => this.quit('the operator quit'),
      ledgerCommand: (id) => this.ledgerScreen.command(id),
      ledgerFilter: (text) => this.ledgerScreen.applyFilter(text, this.clock.now()),
      notDriving: () => this.seat.notDriving(),
      takeOver: (reason) => this.seat.takeOver(reason),
    };
  }
}
