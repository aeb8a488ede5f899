// Where a session's run comes from: the runbook's open run resumed, or a new one started.
import type { Runbook } from '../runbook/model.js';
import type { Clock, RunRecord } from '../engine/ports.js';
import type { LedgerStore } from '../engine/ledger-store.js';
import type { EventBody, LedgerEvent } from '../engine/types.js';
import { leaseState, type DriverClaim, type LeaseHolder, type OpenRun, type RunLease } from '../engine/lease.js';
import { chooseSeat, driverName, drivingLine, hourMinute, silentDriver, silentLine, takeOver, type SeatWish } from '../engine/driver.js';
import { NO_UNKNOWN, foldUnknown, owedIntents, unansweredRequests } from '../engine/action-pairs.js';
import { localHolder, localView } from '../../adapters/ledger-leases.js';
import { CONTROL_RUNBOOK } from './controls.js';
import { lockOf } from './runbook-lock.js';
import { keepOwed } from './owed-elsewhere.js';
import { backsOut, lockedText, type RunbookLock } from '../engine/safety.js';
import { recordedParams } from '../runbook/params.js';
import { recordedChoices } from '../runbook/choices.js';
import { MASK } from '../runbook/secrets.js';
import { runbookNames } from '../runbook/identity.js';

/** How a session's run was opened: the run, its events, this process's lease on it. */
export interface OpenedRun {
  run: RunRecord;
  events: LedgerEvent[];
  holder: LeaseHolder;
  /** Another process drives the run: this one observes it and holds no lease (driver-seat.ts). */
  observing?: boolean;
  /** Taken over from its live driver (headless --take-over): run.driver is its last event. */
  tookOver?: boolean;
  /** The events this start appended in the transaction that opened the run (its start or resume, a take-over). */
  appended: LedgerEvent[];
}

/** How a start sits: its wish, `takeOver` (the reason a headless command takes the run over), the run to watch. */
export interface SeatRequest {
  wish?: SeatWish;
  claim?: DriverClaim;
  /** The name this process gives with its appends (run.driver of a take-over). */
  asserted?: string;
  takeOver?: string;
  runId?: string;
}

/** `opscockpit watch` on a runbook none of whose runs is open. */
export class NothingToWatchError extends Error {}

/** A headless command on a runbook whose run someone drives: nothing is run or recorded. */
export class DrivenElsewhereError extends Error {
  readonly exitCode = 3;
  constructor(runbook: Pick<Runbook, 'file'>, open: OpenRun & { lease: RunLease }) {
    super(
      `${drivingLine(open.lease)} (run ${open.run.runId}); nothing was run or recorded. ` +
        `Follow it with "opscockpit watch ${runbook.file}", stop it from anywhere with "opscockpit stop on", or take it over: --take-over "reason".`,
    );
  }
}

/**
 * Where this start sits in the runbook's runs (engine/driver.ts chooseSeat): an observer of the
 * run a live driver holds, its driver by take-over, the driver of its newest open run (its owner
 * gone: resumed) or of a new run. Decided, checked against what the run recorded, the lease
 * taken and the run's first events (started or resumed, its values) appended in one write
 * transaction: two processes starting together never both take one, and the one that observes
 * reads the values the other started with.
 */
export function openRun(ledger: LedgerStore, runbook: Runbook, clock: Clock, seat: SeatRequest = {}, actionOnly?: string): Promise<OpenedRun> {
  const holder = localHolder();
  const { leases } = ledger;
  const operator = seat.asserted ?? seat.claim?.driver ?? 'someone';
  return ledger.atomically(async () => {
    const now = clock.now();
    let runId = '';
    const appended: LedgerEvent[] = [];
    const record = async (body: EventBody) => void appended.push(await ledger.append(runId, operator, body, now, { durable: true }));
    const runs = (await openRunsOf(ledger, runbook)).filter((o) => seat.runId === undefined || o.run.runId === seat.runId);
    const choice = chooseSeat(runs, localView(now), seat.wish ?? 'headless', seat.takeOver !== undefined);
    if (!choice) throw new NothingToWatchError(`No run of ${runbook.file} is open to watch: its driver opens one with "opscockpit open ${runbook.file}".`);
    if (choice.role === 'refused') throw new DrivenElsewhereError(runbook, choice.run);
    if (choice.role === 'observer') {
      const events = await ledger.events(choice.run.run.runId);
      // Joining a run someone drives shows its values: other ones given are refused, here,
      // where a run another start began a moment ago has recorded its own.
      if (seat.wish === 'join' && choice.run.lease) refuseOtherValues(runbook, choice.run.run.runId, choice.run.lease, events);
      return { run: choice.run.run, events, holder, observing: true, appended };
    }
    if (choice.takeOver) {
      // The same take-over the cockpit's T makes (driver-seat.ts): the lease and run.driver together.
      const { run, lease } = choice.takeOver;
      runId = run.runId;
      const driver = seat.claim?.driver ?? 'someone';
      const decided = takeOver(lease, driver, seat.takeOver ?? '');
      if (!decided.ok) throw new DrivenElsewhereError(runbook, choice.takeOver);
      const events = await ledger.events(run.runId);
      refuseOtherValues(runbook, run.runId, lease, events);
      // A headless command goes on from the run's current step: not while a block or an action
      // another process started there still runs (its outcome is that process's to record).
      const running = owedIntents(events);
      if (running.length > 0) throw new StillRunningError(runbook, run.runId, running);
      await keepOwed(ledger, run.runId, lease, events);
      await leases.take(run.runId, holder, now, { driver, reason: decided.event.reason });
      await record(decided.event);
      return { run, events: [...events, ...appended], holder, tookOver: true, appended };
    }
    const open = choice.resume?.run;
    if (open) {
      const events = await ledger.events(open.runId);
      const done = lastCompletion(events);
      if (!done) {
        // A run walks the options it started with: other ones would change its checklist under
        // the steps it has recorded. (Other parameter values are recorded when it resumes.)
        const differ = startDifferences(runbook, recordedStart(events)).choices;
        if (differ.length > 0) throw new ResumeConflictError(open.runId, recordedStart(events), differ);
        await leases.take(open.runId, holder, now, seat.claim);
        runId = open.runId;
        await settleResume(runbook, events, record, silentDriver(choice.resume?.lease, localView(now)));
        return { run: open, events: [...events, ...appended], holder, appended };
      }
      // Listed as running, but its events say it ended (a ledger written before the two were
      // one transaction, cut off between them): the events are the record, so the runs table
      // follows them and this start is a new run.
      await ledger.completeRun(open.runId, done.status, done.at);
    }
    // Locked after a rollback: no new run, unless it is opened only to abort or roll back.
    const lock = await lockOf(ledger, runbook);
    if (lock && !backsOut(actionOnly === undefined ? undefined : runbook.actions[actionOnly]?.type)) throw new RunbookLockedError(runbook, lock);
    const run = await ledger.startRun(
      { runbook: runbook.key, name: runbook.name, branch: runbook.release.branch, commitSha: runbook.release.commitSha, backlogId: runbook.release.backlogId, releaseType: runbook.release.type },
      now,
    );
    await leases.take(run.runId, holder, now, seat.claim);
    runId = run.runId;
    await settleResume(runbook, [], record, undefined, await unknownFromBefore(ledger, runbook, run.runId));
    return { run, events: appended, holder, appended };
  }, { durable: true });
}

/** A join or take-over with other values than the run recorded (JoinConflictError). */
function refuseOtherValues(runbook: Runbook, runId: string, lease: RunLease, events: readonly LedgerEvent[]): void {
  const differ = startDifferences(runbook, recordedStart(events));
  if (differ.choices.length + differ.params.length > 0) throw new JoinConflictError(runId, lease, [...differ.params, ...differ.choices]);
}

/**
 * The runbook's runs still running, newest first: those kept under its key, and those an older
 * ledger recorded under this copy's absolute path (rows are never rewritten: the chain covers them).
 */
export async function openRunsOf(ledger: LedgerStore, runbook: Pick<Runbook, 'file' | 'key'>): Promise<OpenRun[]> {
  const names = runbookNames(runbook);
  if (names.length === 1) return ledger.leases.openRuns(names[0]);
  const all = (await Promise.all(names.map((n) => ledger.leases.openRuns(n)))).flat();
  return all.sort((a, b) => b.run.startedAt - a.run.startedAt || (a.run.runId < b.run.runId ? 1 : a.run.runId > b.run.runId ? -1 : 0));
}

/** A run's first event: the key it is kept under, and this copy's path for the people reading it. */
export function runStarted(runbook: Pick<Runbook, 'file' | 'key' | 'name'>): EventBody {
  return runbook.key === runbook.file ? { kind: 'run.started', runbook: runbook.key, name: runbook.name } : { kind: 'run.started', runbook: runbook.key, name: runbook.name, file: runbook.file };
}

/** The values a run goes on with: its last run.params and run.choices (secret ones ***). */
export interface RecordedStart {
  params?: Record<string, string>;
  choices?: Record<string, string>;
}

export function recordedStart(events: readonly LedgerEvent[]): RecordedStart {
  const out: RecordedStart = {};
  for (const { body } of events) {
    if (body.kind === 'run.params') out.params = body.params;
    else if (body.kind === 'run.choices') out.choices = body.choices;
  }
  return out;
}

/**
 * The open run a start of this runbook file would sit in, read only, with what it recorded:
 * `driven` when a live driver holds it (this start observes or takes it over: its values are
 * the run's); a headless start refused throws DrivenElsewhereError before anything is asked.
 */
export async function seatRunValues(ledger: LedgerStore, runbook: Pick<Runbook, 'file' | 'key'>, now: number, seat: SeatRequest): Promise<{ runId: string; recorded: RecordedStart; driven?: RunLease } | undefined> {
  const runs = (await openRunsOf(ledger, runbook)).filter((o) => seat.runId === undefined || o.run.runId === seat.runId);
  const choice = chooseSeat(runs, localView(now), seat.wish ?? 'headless', seat.takeOver !== undefined);
  if (!choice) return undefined;
  if (choice.role === 'refused') throw new DrivenElsewhereError(runbook, choice.run);
  const at = choice.role === 'observer' ? choice.run : (choice.takeOver ?? choice.resume);
  if (!at) return undefined;
  const events = await ledger.events(at.run.runId);
  if (lastCompletion(events)) return undefined;
  const driven = at.lease && !leaseState(at.lease, localView(now)).lapsed ? at.lease : undefined;
  return { runId: at.run.runId, recorded: recordedStart(events), ...(driven ? { driven } : {}) };
}

/** `choice=macos (the run has choice=linux)` for each option or value this start gives otherwise; secrets are not compared. */
export function startDifferences(runbook: Runbook, recorded: RecordedStart): { choices: string[]; params: string[] } {
  const differ = (now: Record<string, string>, then: Record<string, string> | undefined) =>
    Object.entries(then ?? {})
      .filter(([k, v]) => v !== MASK && Object.hasOwn(now, k) && now[k] !== v)
      .map(([k, v]) => `${k}=${now[k]} (the run has ${k}=${v})`);
  return { choices: differ(recordedChoices(runbook.choices), recorded.choices), params: differ(recordedParams(runbook.params), recorded.params) };
}

/** A start that would resume an open run with other options than it walks. */
export class ResumeConflictError extends Error {
  constructor(readonly runId: string, readonly recorded: RecordedStart, differ: string[]) {
    const flags = Object.entries(recorded.choices ?? {}).map(([k, v]) => `--choose ${k}=${v}`);
    super(
      `run ${runId} of this runbook is still open, and a run walks the options it started with.\n` +
        `This start gives ${differ.join(', ')}.\n` +
        `To go on with it, give its options (${flags.join(' ')}) or none; to walk another, end that run first (its last step, abort or rollback in the cockpit).`,
    );
  }
}

/**
 * A start that joins a run someone drives (observes it, or takes it over) with other values
 * than the run recorded: it would show, and after a take-over walk, values nobody recorded.
 */
export class JoinConflictError extends Error {
  constructor(readonly runId: string, lease: RunLease, differ: string[]) {
    super(
      `run ${runId} of this runbook is driven by ${driverName(lease)}, and this start gives ${differ.join(', ')}: whoever joins a run goes on with the values it recorded. ` +
        `Open it without these values to follow it with the run's, or start a run with yours once that one has ended (its last step, abort or rollback).`,
    );
  }
}

/**
 * A headless take-over while a step's block or an action another process started in the run
 * still runs: nothing is run or recorded (exit 3); it is taken over once that has its outcome.
 */
export class StillRunningError extends Error {
  readonly exitCode = 3;
  constructor(runbook: Pick<Runbook, 'file' | 'checklists'>, runId: string, running: readonly LedgerEvent[]) {
    const what = running.map(({ body: b, operator, at }) => {
      const title = b.kind === 'step.started' ? runbook.checklists[b.phase].find((st) => st.id === b.step)?.title : undefined;
      const name = b.kind === 'step.started' ? `${b.phase} step "${b.step}"${title && title !== b.step ? ` (${title})` : ''}` : b.kind === 'action.requested' ? `action ${b.action}` : b.kind;
      return `${name}, started by ${operator} at ${hourMinute(at)}`;
    });
    super(
      `run ${runId} is still running ${what.join('; ')}; nothing was run or recorded. ` +
        `Take it over once that has ended (its outcome is recorded by the process that started it), or stop it from anywhere with "opscockpit stop on".`,
    );
  }
}

/** A new run of a runbook locked after a rollback. */
export class RunbookLockedError extends Error {
  /** Refused by a control, as the README's exit codes say (3). */
  readonly exitCode = 3;
  constructor(runbook: Runbook, lock: RunbookLock) {
    super(`runbook "${runbook.name}" is ${lockedText(lock)} (opscockpit unlock ${runbook.file} --reason TEXT), then start it again`);
  }
}

/**
 * When this start resumed the run from a driver that went silent (its lease lapsed; it may still
 * be alive): whom it took the run from, and the line a headless command says on stderr.
 */
export function silentResume(opened: OpenedRun): { lapsed: { driver: string; since: number }; line: string } | undefined {
  const ev = opened.appended.find((e) => e.body.kind === 'run.resumed');
  if (ev?.body.kind !== 'run.resumed' || !ev.body.lapsed) return undefined;
  return { lapsed: ev.body.lapsed, line: `opscockpit: resumed run ${opened.run.runId}: ${silentLine(ev.body.lapsed)}, so its lease lapsed; if it comes back, it only observes` };
}

/** After a restart: close actions that never recorded an outcome, then mark the resume. */
async function settleResume(
  runbook: Runbook,
  events: readonly LedgerEvent[],
  record: (body: EventBody, durable?: boolean) => Promise<unknown>,
  lapsed?: { driver: string; since: number },
  unknown: string[] = [],
): Promise<void> {
  if (events.length === 0) {
    const started = runStarted(runbook);
    await record(unknown.length > 0 && started.kind === 'run.started' ? { ...started, unknown } : started);
    await recordParams(runbook, record);
    return;
  }
  // The run's owner is gone (or this is its own restart): its unanswered actions are unknown.
  for (const action of unansweredRequests(events)) {
    await record(
      { kind: 'action.completed', action, status: 'unknown', reason: 'the cockpit stopped before the outcome was recorded; check the target by hand', output: '', durationMs: 0 },
      true,
    );
  }
  await record(lapsed ? { kind: 'run.resumed', lapsed } : { kind: 'run.resumed' });
  await recordParams(runbook, record);
}

/** The run's parameters and choices, once it has started or resumed: what it goes on with. */
export async function recordParams(runbook: Runbook, record: (body: EventBody) => unknown): Promise<void> {
  if (runbook.params.length > 0) await record({ kind: 'run.params', params: recordedParams(runbook.params) });
  if (runbook.choices.length > 0) await record({ kind: 'run.choices', choices: recordedChoices(runbook.choices) });
}

/**
 * The actions whose last outcome in the runbook's latest run before `runId` was unknown (that
 * run carried on what the one before it left unknown, in its run.started): a run that ended after
 * its cockpit died mid-action does not make the action safe to run again by itself in the next.
 */
async function unknownFromBefore(ledger: LedgerStore, runbook: Pick<Runbook, 'file' | 'key'>, runId: string): Promise<string[]> {
  const names = new Set(runbookNames(runbook));
  // Newest first, page by page, however many runs of other runbooks came between.
  let before: RunRecord | undefined;
  for await (const r of ledger.browse().runs({})) {
    if (names.has(r.runbook) && r.runId !== runId) {
      before = r;
      break;
    }
  }
  if (!before) return [];
  return [...(await ledger.events(before.runId)).reduce((u, e) => foldUnknown(u, e.body), NO_UNKNOWN).unknown];
}

/** The runs the cockpit lists: the latest eight, without the safety controls' own run. */
export async function recentRuns(ledger: LedgerStore): Promise<RunRecord[]> {
  return (await ledger.listRuns(9)).filter((r) => r.runbook !== CONTROL_RUNBOOK).slice(0, 8);
}

/** The run's last run.completed event, if it has one. */
function lastCompletion(events: readonly LedgerEvent[]): { status: Extract<EventBody, { kind: 'run.completed' }>['status']; at: number } | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    const body = events[i].body;
    if (body.kind === 'run.completed') return { status: body.status, at: events[i].at };
  }
  return undefined;
}
