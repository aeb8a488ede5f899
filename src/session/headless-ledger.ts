// The ledger of a headless command that records as the cockpit does (check, run, act, stop):
// opened with the runbook's secrets masked and the chain key (a SQLite file or a PostgreSQL
// ledger), watched by the notifications when the runbook's notify: asks for them, and closed
// only after every notification was sent.
import { chainKeyFrom } from '../../adapters/ledger-key.js';
import { openLedgerStore } from '../../adapters/ledger-store-open.js';
import type { LedgerStore } from '../engine/ledger-store.js';
import type { Runbook } from '../runbook/model.js';
import { Redactor } from '../runbook/secrets.js';
import { operatorName } from './operator.js';

export async function withRecordingLedger<T>(
  opts: { runbook?: Runbook; ledgerPath: string; env: NodeJS.ProcessEnv; notify?: boolean },
  fn: (ledger: LedgerStore) => T | Promise<T>,
): Promise<T> {
  const { runbook, ledgerPath, env } = opts;
  const redactor = new Redactor(runbook?.secrets ?? [], env);
  const ledger = await openLedgerStore(ledgerPath, { redactor, chainKey: chainKeyFrom(env) });
  try {
    // The notifications (and the webhook client under them) load only when a runbook asks.
    const notify =
      runbook?.notify?.slack && opts.notify !== false
        ? (await import('./notifications.js')).headlessNotifications({ runbook, ledger, ledgerPath, env, operator: ledger.stampedOperator ?? operatorName(env), redactor })
        : undefined;
    try {
      return await fn(notify?.ledger ?? ledger);
    } finally {
      await notify?.settle();
    }
  } finally {
    await ledger.close();
  }
}
