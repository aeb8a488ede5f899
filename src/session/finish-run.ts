// A run's end, as every writer records it: the run.completed event and the runs table's status
// in one ledger transaction. Apart, a crash between the two would leave a finished run listed
// as running, `ledger verify` failing and the next start resuming it. Written through the
// ledger port, so a ledger watched by the notifications reports the event after the commit.
// A run ends once, and only by the process that holds it.
import { LedgerError } from '../../adapters/ledger-open.js';
import type { LedgerPort, RunStatus } from '../engine/ports.js';
import type { LedgerEvent } from '../engine/types.js';
import type { HeldRun } from './run-lease.js';

export function finishRun(
  ledger: LedgerPort,
  run: { runId: string; operator: string; status: Exclude<RunStatus, 'running'>; at: number; note?: string; durable?: boolean },
  owner?: HeldRun,
): LedgerEvent {
  const durable = !!run.durable;
  const write = () => {
    const now = ledger.getRun(run.runId)?.status;
    if (now !== undefined && now !== 'running') throw new LedgerError(`run ${run.runId} has already ended (${now.replace('_', ' ')}); it is not completed again.`);
    const ev = ledger.append(run.runId, run.operator, { kind: 'run.completed', status: run.status }, run.at, { durable });
    ledger.completeRun(run.runId, run.status, ev.at, run.note);
    return ev;
  };
  return owner ? owner.within(write, { durable }) : ledger.atomically(write, { durable });
}
