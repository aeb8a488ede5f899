// Notifications from a session: every event appended to the ledger through the session (its
// own, and the safety controls') is looked at once; the ones the runbook's notify: asks for are
// posted in the background and the outcome is recorded in the same run (notify.sent or
// notify.failed). Nothing here waits on the network in the caller's path: the cockpit keeps
// answering keys while a webhook is slow or down.
import type { Runbook } from '../runbook/model.js';
import type { Redactor } from '../runbook/secrets.js';
import { TransactionContext } from '../../adapters/transaction-context.js';
import { systemClock, type Clock, type RunRecord } from '../engine/ports.js';
import type { LedgerStore } from '../engine/ledger-store.js';
import type { EventBody, LedgerEvent, NotifyTrigger } from '../engine/types.js';
import { notifyTrigger, slackMessage, type TriggerContext } from '../engine/notify.js';
import type { DeliveryResult } from '../../adapters/notify.js';
import { webhookUrlProblem } from './webhook-url.js';

// undici loads with the first message, not with the cockpit: most sessions never send one.
let webhookLoaded = false;
const webhook = () => {
  webhookLoaded = true;
  return import('../../adapters/notify.js');
};

/** Close the webhook client's connections, if a message was ever sent (undici stays unloaded otherwise). */
export async function closeWebhookClient(): Promise<void> {
  if (webhookLoaded) await (await webhook()).closeNotifyAgent();
}

/** Seed 000: a failed release is known within a minute; retries stay inside it. */
export const NOTIFY_DEADLINE_MS = 60_000;

/**
 * The ledger, with every stored event reported to `onAppended` (a Proxy: nothing else changes).
 * Events appended inside `atomically()` are reported once its transaction has committed, and
 * not at all when it rolls back (the transaction's events are kept in its async context).
 */
export function watchLedger<L extends LedgerStore>(ledger: L, onAppended: (events: LedgerEvent[]) => void): L {
  const held = new TransactionContext<LedgerEvent[]>();
  const report = (events: LedgerEvent[]) => {
    const open = held.getStore();
    if (open) return void open.push(...events);
    try {
      onAppended(events);
    } catch {
      /* a watcher never breaks a ledger write */
    }
  };
  const wrapped: Record<PropertyKey, unknown> = {
    append: async (...args: Parameters<LedgerStore['append']>) => {
      const ev = await ledger.append(...args);
      report([ev]);
      return ev;
    },
    atomically: async <T>(fn: () => Promise<T>, opts?: { durable?: boolean }): Promise<T> => {
      if (held.getStore()) return ledger.atomically(fn, opts);
      const events: LedgerEvent[] = [];
      const out = await ledger.atomically(() => held.run(events, fn), opts);
      if (events.length) report(events);
      return out;
    },
  };
  return new Proxy(ledger, {
    get(t, prop) {
      if (Object.hasOwn(wrapped, prop)) return wrapped[prop];
      const v = Reflect.get(t, prop, t);
      return typeof v === 'function' ? v.bind(t) : v;
    },
  });
}

export interface NotificationsOptions {
  runbook: Runbook;
  env: NodeJS.ProcessEnv;
  clock: Clock;
  redactor: Redactor;
  ledgerPath: string;
  /** The run of an event (for the message's release fields). */
  run(runId: string): Promise<RunRecord | undefined>;
  /** Why, when the session knows (the current NO-GO reason). */
  why(): string | undefined;
  /** Record the outcome in the run the event belongs to. */
  record(runId: string, body: EventBody): Promise<unknown>;
}

export class Notifications {
  private readonly pending = new Set<Promise<void>>();
  private readonly failedRuns = new Set<string>();
  private readonly triggers: TriggerContext;
  private readonly on: ReadonlySet<NotifyTrigger>;

  constructor(private readonly opts: NotificationsOptions) {
    const rb = opts.runbook;
    const promote = new Set(Object.values(rb.actions).filter((a) => a.name === 'promote' || a.type === 'promote').map((a) => a.name));
    if (rb.canary?.promoteAction) promote.add(rb.canary.promoteAction);
    this.triggers = { promoteActions: promote };
    this.on = new Set(rb.notify?.slack?.on ?? []);
  }

  /** Why notifications cannot be sent, if they cannot (shown when the session starts). */
  problem(): string | undefined {
    const slack = this.opts.runbook.notify?.slack;
    return slack && webhookUrlProblem(this.opts.env[slack.webhookEnv], slack.webhookEnv);
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** Called after events are stored; starts a delivery for each one the runbook asks for. */
  observe(events: readonly LedgerEvent[]): void {
    for (const ev of events) {
      const trigger = notifyTrigger(ev, this.triggers);
      if (!trigger || !this.on.has(trigger)) continue;
      // A failed action, then its run marked failed, is one failure told once; every failed
      // action is told (a rollback failing after a deploy did is news).
      if (trigger === 'failed') {
        if (ev.body.kind === 'run.completed' && this.failedRuns.has(ev.runId)) continue;
        this.failedRuns.add(ev.runId);
      }
      const p = this.send(trigger, ev).finally(() => this.pending.delete(p));
      this.pending.add(p);
    }
  }

  private async send(trigger: NotifyTrigger, ev: LedgerEvent): Promise<void> {
    const slack = this.opts.runbook.notify!.slack!;
    const url = this.opts.env[slack.webhookEnv];
    const problem = webhookUrlProblem(url, slack.webhookEnv);
    let result: DeliveryResult;
    if (problem) result = { ok: false, attempts: 0, errors: [], reason: `${problem}: nothing was sent` };
    else {
      const run = await this.opts.run(ev.runId).catch(() => undefined);
      const message = slackMessage(trigger, ev, {
        runbookName: this.opts.runbook.name,
        runId: ev.runId,
        releaseType: run?.releaseType,
        branch: run?.branch,
        commitSha: run?.commitSha,
        why: trigger === 'aborted' || trigger === 'rolled_back' ? this.opts.why() : undefined,
        ledgerPath: this.opts.ledgerPath,
      });
      const r = this.opts.redactor;
      result = await (await webhook()).deliverWebhook({
        url: url!,
        body: r.text(JSON.stringify(message)),
        clock: this.opts.clock,
        attempts: slack.attempts,
        timeoutMs: slack.timeoutMs,
        deadlineMs: NOTIFY_DEADLINE_MS - Math.max(0, this.opts.clock.now() - ev.at),
        redact: (t) => r.text(t),
      });
    }
    const common = { channel: 'slack' as const, trigger, about: ev.seq, attempts: result.attempts, errors: result.errors };
    try {
      await this.opts.record(
        ev.runId,
        result.ok ? { kind: 'notify.sent', ...common, httpStatus: result.httpStatus ?? 200 } : { kind: 'notify.failed', ...common, reason: result.reason ?? 'failed' },
      );
    } catch {
      /* the recorder reports its own trouble */
    }
  }

  /** Wait for deliveries under way, at most `timeoutMs` (a quitting cockpit, a finishing command). */
  async settle(timeoutMs = NOTIFY_DEADLINE_MS): Promise<void> {
    if (!this.pending.size) return;
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([Promise.allSettled([...this.pending]), limit]);
    clearTimeout(timer);
  }
}

/**
 * Notifications for a headless command that writes the ledger without a session (`check`):
 * the ledger to write through, and `settle` to await before closing it.
 */
export function headlessNotifications<L extends LedgerStore>(
  opts: { runbook: Runbook; ledger: L; ledgerPath: string; env: NodeJS.ProcessEnv; operator: string; clock?: Clock; redactor: Redactor },
): { ledger: L; settle(): Promise<void> } {
  if (!opts.runbook.notify?.slack) return { ledger: opts.ledger, settle: async () => undefined };
  const clock = opts.clock ?? systemClock;
  const notifications = new Notifications({
    runbook: opts.runbook,
    env: opts.env,
    clock,
    redactor: opts.redactor,
    ledgerPath: opts.ledger.location,
    run: (runId) => opts.ledger.getRun(runId),
    why: () => undefined,
    record: (runId, body) => opts.ledger.append(runId, opts.operator, body, clock.now()),
  });
  return { ledger: watchLedger(opts.ledger, (evs) => notifications.observe(evs)), settle: () => notifications.settle() };
}

/** Append through a connection of our own: the caller's ledger is already closed (a finishing command). */
export async function appendLate(location: string, opts: { redactor: Redactor; env: NodeJS.ProcessEnv }, runId: string, operator: string, body: EventBody, now: number): Promise<void> {
  const [{ openLedgerStore }, { chainKeyFrom }] = await Promise.all([import('../../adapters/ledger-store-open.js'), import('../../adapters/ledger-key.js')]);
  try {
    const ledger = await openLedgerStore(location, { redactor: opts.redactor, chainKey: chainKeyFrom(opts.env) });
    try {
      await ledger.append(runId, operator, body, now);
    } finally {
      await ledger.close();
    }
  } catch {
    /* nothing left to tell: the process is finishing */
  }
}
