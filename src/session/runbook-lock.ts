// The lock after a rollback as one runbook sees it: kept under its key (identity.ts), found
// under the absolute path an older ledger locked it under too, and lifted wherever it was put.
import type { Runbook } from '../runbook/model.js';
import { runbookNames } from '../runbook/identity.js';
import type { LedgerStore } from '../engine/ledger-store.js';
import { lockOn, type RunbookLock } from '../engine/safety.js';
import { runbookLocks, type Controls } from './controls.js';

type Named = Pick<Runbook, 'file' | 'key'>;

/** The runbook's lock as the ledger has it now (inside a transaction: as of it): the control run read once for all its names. */
export async function lockOf(ledger: LedgerStore, runbook: Named): Promise<RunbookLock | undefined> {
  return lockOn(await runbookLocks(ledger), runbookNames(runbook));
}

/** Lock the runbook after its rollback in `runId`: under its key, where every copy looks. */
export function lockRunbook(controls: Controls, runbook: Named, runId: string, action: string): Promise<void> {
  return controls.lock(runbook.key, runId, action);
}

/** Unlock the runbook with a reason, under each name it is locked under (one, but for a ledger older than keys). */
export async function unlockRunbook(controls: Controls, runbook: Named, reason: string): ReturnType<Controls['unlock']> {
  const locks = (await controls.refresh()).locks;
  const locked = runbookNames(runbook).filter((n) => lockOn(locks, [n]));
  let result: Awaited<ReturnType<Controls['unlock']>> = { ok: false, reason: `${runbook.key} is not locked` };
  for (const name of locked.length > 0 ? locked : [runbook.key]) {
    result = await controls.unlock(name, reason);
    if (!result.ok) return result;
  }
  return result;
}
