// A run's end, as every writer records it: the run.completed event and the runs table's status
// in one ledger transaction. Apart, a crash between the two would leave a finished run listed
// as running, `ledger verify` failing and the next start resuming it. Written through the
// ledger port, so a ledger watched by the notifications reports the event after the commit.
import type { LedgerPort, RunStatus } from '../engine/ports.js';
import type { LedgerEvent } from '../engine/types.js';

export function finishRun(
  ledger: LedgerPort,
  run: { runId: string; operator: string; status: Exclude<RunStatus, 'running'>; at: number; note?: string; durable?: boolean },
): LedgerEvent {
  const durable = !!run.durable;
  return ledger.atomically(() => {
    const ev = ledger.append(run.runId, run.operator, { kind: 'run.completed', status: run.status }, run.at, { durable });
    ledger.completeRun(run.runId, run.status, ev.at, run.note);
    return ev;
  }, { durable });
}
