// Where a session's run comes from: the runbook's open run resumed, or a new one started.
import type { Runbook } from '../runbook/model.js';
import type { Clock, LedgerPort, RunRecord } from '../engine/ports.js';
import type { EventBody, LedgerEvent } from '../engine/types.js';
import { chooseRun, describeHolder, type LeaseHolder, type OpenRun } from '../engine/lease.js';
import { unansweredRequests } from '../engine/action-pairs.js';
import { localHolder, localView } from '../../adapters/ledger-leases.js';
import { CONTROL_RUNBOOK } from './controls.js';
import { recordedParams } from '../runbook/params.js';

/** How a session's run was opened: the run, its events, this process's lease on it. */
export interface OpenedRun {
  run: RunRecord;
  events: LedgerEvent[];
  holder: LeaseHolder;
  /** Open runs of the runbook that live processes hold (so this one started its own). */
  held: OpenRun[];
}

/**
 * The runbook's newest open run whose owner is gone, resumed; else a new run. Decided and the
 * lease taken in one write transaction, so two processes starting together never both take one.
 */
export function openRun(ledger: LedgerPort, runbook: Runbook, clock: Clock): OpenedRun {
  const holder = localHolder();
  const { leases } = ledger;
  return ledger.atomically(() => {
    const now = clock.now();
    const single = leases ? undefined : ledger.openRun(runbook.file);
    const choice = leases ? chooseRun(leases.openRuns(runbook.file), localView(now)) : single ? { resume: { run: single }, held: [] } : { held: [] };
    const open = choice.resume?.run;
    if (open) {
      const events = ledger.events(open.runId);
      const done = lastCompletion(events);
      if (!done) {
        leases?.take(open.runId, holder, now);
        return { run: open, events, holder, held: [] };
      }
      // Listed as running, but its events say it ended (a ledger written before the two were
      // one transaction, cut off between them): the events are the record, so the runs table
      // follows them and this start is a new run.
      ledger.completeRun(open.runId, done.status, done.at);
    }
    const run = ledger.startRun(
      { runbook: runbook.file, name: runbook.name, branch: runbook.release.branch, commitSha: runbook.release.commitSha, backlogId: runbook.release.backlogId, releaseType: runbook.release.type },
      now,
    );
    leases?.take(run.runId, holder, now);
    return { run, events: [], holder, held: choice.held };
  });
}

/** What to tell the operator when open runs of the runbook belong to other live processes. */
export function heldNotice(opened: OpenedRun, now: number): string | undefined {
  const [newest, ...more] = opened.held;
  if (!newest?.lease) return undefined;
  const others = more.length ? ` (and ${more.length} more open run${more.length > 1 ? 's' : ''} held elsewhere)` : '';
  return `Run ${newest.run.runId} of this runbook is open in another process (${describeHolder(newest.lease, now)})${others}: this is a new run, ${opened.run.runId}.`;
}

/** After a restart: close actions that never recorded an outcome, then mark the resume. */
export function settleResume(runbook: Runbook, events: readonly LedgerEvent[], record: (body: EventBody, durable?: boolean) => unknown): void {
  if (events.length === 0) {
    record({ kind: 'run.started', runbook: runbook.file, name: runbook.name });
    recordParams(runbook, record);
    return;
  }
  // The run's owner is gone (or this is its own restart): its unanswered actions are unknown.
  for (const action of unansweredRequests(events)) {
    record(
      { kind: 'action.completed', action, status: 'unknown', reason: 'the cockpit stopped before the outcome was recorded; check the target by hand', output: '', durationMs: 0 },
      true,
    );
  }
  record({ kind: 'run.resumed' });
  recordParams(runbook, record);
}

/** The run's parameters, once it has started or resumed: what it goes on with. */
export function recordParams(runbook: Runbook, record: (body: EventBody) => unknown): void {
  if (runbook.params.length > 0) record({ kind: 'run.params', params: recordedParams(runbook.params) });
}

/** The runs the cockpit lists: the latest eight, without the safety controls' own run. */
export function recentRuns(ledger: LedgerPort): RunRecord[] {
  return ledger.listRuns(9).filter((r) => r.runbook !== CONTROL_RUNBOOK).slice(0, 8);
}

/** The run's last run.completed event, if it has one. */
function lastCompletion(events: readonly LedgerEvent[]): { status: Extract<EventBody, { kind: 'run.completed' }>['status']; at: number } | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    const body = events[i].body;
    if (body.kind === 'run.completed') return { status: body.status, at: events[i].at };
  }
  return undefined;
}
