// A run's end, as every writer records it: the run.completed event and the runs table's status
// in one ledger transaction. Apart, a crash between the two would leave a finished run listed
// as running, `ledger verify` failing and the next start resuming it. Written through the
// ledger store, so a ledger watched by the notifications reports the event after the commit.
// A run ends once, by the process that holds it, or by the one whose abort or rollback ended it
// (`answers`: the seq of that action's successful outcome), after another took the seat over.
import { LedgerError } from '../../adapters/ledger-errors.js';
import type { LedgerStore } from '../engine/ledger-store.js';
import type { RunStatus } from '../engine/ports.js';
import type { LedgerEvent } from '../engine/types.js';
import type { HeldRun } from './run-lease.js';

export function finishRun(
  ledger: LedgerStore,
  run: { runId: string; operator: string; status: Exclude<RunStatus, 'running'>; at: number; note?: string; durable?: boolean },
  owner?: HeldRun,
  answers?: number,
): Promise<LedgerEvent> {
  const durable = !!run.durable;
  const write = async () => {
    const now = (await ledger.getRun(run.runId))?.status;
    if (now !== undefined && now !== 'running') throw new LedgerError(`run ${run.runId} has already ended (${now.replace('_', ' ')}); it is not completed again.`);
    const ev = await ledger.append(run.runId, run.operator, { kind: 'run.completed', status: run.status }, run.at, { durable });
    await ledger.completeRun(run.runId, run.status, ev.at, run.note);
    return ev;
  };
  if (!owner) return ledger.atomically(write, { durable });
  return answers === undefined ? owner.within(write, { durable }) : owner.answer(answers, { kind: 'run.completed', status: run.status }, write, { durable });
}
