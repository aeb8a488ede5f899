// Wires a runbook to a session and mounts the screens. Loaded lazily by the CLI.
import type { Runbook } from '../runbook/model.js';
import { Redactor } from '../runbook/secrets.js';
import { chainKeyFrom } from '../../adapters/ledger-key.js';
import { openLedgerStore } from '../../adapters/ledger-store-open.js';
import { openSession, type SessionOptions } from '../session/session.js';
import { flash } from '../store/store.js';
import { silentLine } from '../engine/driver.js';

/** `ledgerPath`: a SQLite file, or a PostgreSQL ledger's postgres:// URL. */
export async function runTui(opts: { runbook: Runbook; ledgerPath: string; env: NodeJS.ProcessEnv; demo?: SessionOptions['demo']; signal?: AbortSignal; notice?: string; seat?: SessionOptions['seat']; reason?: string; watchRun?: string }): Promise<void> {
  const ledger = await openLedgerStore(opts.ledgerPath, { redactor: new Redactor(opts.runbook.secrets, opts.env), chainKey: chainKeyFrom(opts.env) });
  try {
    // SIGINT/SIGTERM shut the session down as the operator's quit does.
    const session = await openSession({ runbook: opts.runbook, ledger, ledgerPath: opts.ledgerPath, env: opts.env, demo: opts.demo, signal: opts.signal, seat: opts.seat ?? 'join', reason: opts.reason, watchRun: opts.watchRun });
    const silent = session.resumedFromSilent;
    const notice = [opts.notice, silent && `You resumed the run: ${silentLine(silent.lapsed)}.`].filter(Boolean).join(' ');
    if (notice) flash(session.store, notice, 'warn');
    const { runCockpit } = await import('../../screens/run.js');
    await runCockpit(session, { demo: !!opts.demo, watch: opts.seat === 'watch' });
    // An alert about the last thing that happened must not be lost because the operator quit.
    if (session.notificationsInFlight) {
      process.stderr.write(`opscockpit: sending ${session.notificationsInFlight} notification(s) before exiting (at most a minute; Ctrl-C skips)…\n`);
      await session.settleNotifications();
    }
    await session.stop();
  } finally {
    await ledger.close();
    // Said again once the screen is gone, even when the loss was found only as it closed:
    // where what the lost ledger held was saved.
    if (ledger.lostReason) process.stderr.write(`opscockpit: the ledger was lost: ${ledger.lostReason}\n`);
    await (await import('../../adapters/http.js')).closeHttpAgent();
    await (await import('../session/notifications.js')).closeWebhookClient();
  }
}
