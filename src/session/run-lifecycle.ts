// Where a session's run comes from: the runbook's open run resumed, or a new one started.
import type { Runbook } from '../runbook/model.js';
import type { Clock, LedgerPort, RunRecord } from '../engine/ports.js';
import type { EventBody, LedgerEvent } from '../engine/types.js';
import { CONTROL_RUNBOOK } from './controls.js';

/** The runbook's open run and its events, or a new run with none. */
export function openRun(ledger: LedgerPort, runbook: Runbook, clock: Clock): { run: RunRecord; events: LedgerEvent[] } {
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
    clock.now(),
  );
  return { run, events: [] };
}

/** After a restart: close actions that never recorded an outcome, then mark the resume. */
export function settleResume(runbook: Runbook, events: readonly LedgerEvent[], record: (body: EventBody, durable?: boolean) => unknown): void {
  if (events.length === 0) {
    record({ kind: 'run.started', runbook: runbook.file, name: runbook.name });
    return;
  }
  const open = new Set<string>();
  for (const e of events) {
    if (e.body.kind === 'action.requested') open.add(e.body.action);
    if (e.body.kind === 'action.completed') open.delete(e.body.action);
  }
  for (const action of open) {
    record(
      { kind: 'action.completed', action, status: 'unknown', reason: 'the cockpit stopped before the outcome was recorded; check the target by hand', output: '', durationMs: 0 },
      true,
    );
  }
  record({ kind: 'run.resumed' });
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
