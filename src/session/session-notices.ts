// A session's notifications: the message's release fields and NO-GO reason come from the
// session, and each outcome is recorded in the run of the event it was about.
import type { Runbook } from '../runbook/model.js';
import type { Redactor } from '../runbook/secrets.js';
import type { Clock, RunRecord } from '../engine/ports.js';
import type { LedgerStore } from '../engine/ledger-store.js';
import type { EventBody } from '../engine/types.js';
import { flash, type CockpitStore } from '../store/store.js';
import { Notifications, appendLate } from './notifications.js';
import { ledgerWasClosed } from './recorder.js';

export interface SessionNoticeDeps {
  runbook: Runbook;
  env: NodeJS.ProcessEnv;
  clock: Clock;
  redactor: Redactor;
  /** Where the ledger is, to reopen it (a URL may hold a password). */
  ledgerPath: string;
  /** Where the ledger is, for messages (no password). */
  location: string;
  operator: string;
  /** The session's ledger (read when a notice is recorded). */
  ledger(): LedgerStore;
  /** The session's run, once it has one. */
  run(): RunRecord | undefined;
  /** The session's store, once it has one. */
  store(): CockpitStore | undefined;
  /** Record in the session's run. */
  record(body: EventBody): Promise<unknown>;
}

export function sessionNotifications(d: SessionNoticeDeps): Notifications {
  return new Notifications({
    runbook: d.runbook,
    env: d.env,
    clock: d.clock,
    redactor: d.redactor,
    ledgerPath: d.location,
    run: async (runId) => (runId === d.run()?.runId ? d.run() : d.ledger().getRun(runId)),
    why: () => {
      const v = d.store()?.getState().verdict;
      return v?.verdict === 'NO-GO' ? v.reasons[0] : undefined;
    },
    record: (runId, body) => recordNotice(d, runId, body),
  });
}

/** A notification's outcome, in the run of the event it was about. */
async function recordNotice(d: SessionNoticeDeps, runId: string, body: EventBody): Promise<void> {
  const store = d.store()!;
  try {
    if (runId === d.run()!.runId) await d.record(body);
    else await d.ledger().append(runId, d.operator, body, d.clock.now());
    if (body.kind === 'notify.failed') flash(store, `Slack notification failed (${body.trigger.replace('_', ' ')}): ${body.reason}`, 'warn');
  } catch (err) {
    // A headless command may have closed its ledger before a delivery ended: record it
    // through a connection of our own rather than lose it.
    if (ledgerWasClosed(err)) await appendLate(d.ledgerPath, { redactor: d.redactor, env: d.env }, runId, d.operator, body, d.clock.now());
    else flash(store, `Could not write the ledger: ${err instanceof Error ? err.message : String(err)}`, 'error');
  }
}

/** How long alerts may still take to go out after SIGINT/SIGTERM. */
const NOTIFY_AFTER_SIGNAL_MS = 1000;

/**
 * Wait (at most `timeoutMs`) for notifications under way. After SIGINT/SIGTERM the process is
 * to end: a short wait only, and a signal during the wait ends it.
 */
export function settleNotices(notifications: Notifications | undefined, signal: AbortSignal | undefined, timeoutMs?: number): Promise<void> {
  if (!notifications) return Promise.resolve();
  if (signal?.aborted) return notifications.settle(NOTIFY_AFTER_SIGNAL_MS);
  const settled = notifications.settle(timeoutMs);
  if (!signal) return settled;
  return Promise.race([settled, new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))]);
}
