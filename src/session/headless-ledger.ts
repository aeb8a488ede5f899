// The ledger of a headless command that records as the cockpit does (check, stop): opened with
// the runbook's secrets masked and the chain key, watched by the notifications when the
// runbook's notify: asks for them, and closed only after every notification was sent.
import { chainKeyFrom, openLedger, type SqliteLedger } from '../../adapters/ledger.js';
import type { Runbook } from '../runbook/model.js';
import { Redactor } from '../runbook/secrets.js';
import { operatorName } from './operator.js';

export async function withRecordingLedger<T>(opts: { runbook: Runbook; ledgerPath: string; env: NodeJS.ProcessEnv }, fn: (ledger: SqliteLedger) => T | Promise<T>): Promise<T> {
  const { runbook, ledgerPath, env } = opts;
  const redactor = new Redactor(runbook.secrets, env);
  const ledger = openLedger(ledgerPath, { redactor, chainKey: chainKeyFrom(env) });
  try {
    // The notifications (and the webhook client under them) load only when a runbook asks.
    const notify = runbook.notify?.slack ? (await import('./notifications.js')).headlessNotifications({ runbook, ledger, ledgerPath, env, operator: operatorName(env), redactor }) : undefined;
    try {
      return await fn(notify?.ledger ?? ledger);
    } finally {
      await notify?.settle();
    }
  } finally {
    ledger.close();
  }
}
