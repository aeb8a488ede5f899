// What a former driver still owes the run after another cockpit took the seat over: the outcome
// of a step or action its process started. The take-over keeps that process's lease for each
// such intent (keepOwed: its pid, host and last heartbeat); the process heartbeats it until it
// has recorded the outcome (HeldRun.owe). The driver looks every beat while something runs
// elsewhere: once that lease has lapsed (the process is gone on this host, or has not been heard
// from for LEASE_LAPSE_MS, or it let go without answering) nobody will record the outcome, and
// the driver records it as unknown, as a reopen does (settleResume), and says so on screen.
import { LEASE_BEAT_MS, LEASE_LAPSE_MS, leaseState, owedKey, type LeaseState, type RunLease } from '../engine/lease.js';
import { owedIntents } from '../engine/action-pairs.js';
import type { LedgerStore } from '../engine/ledger-store.js';
import type { Clock } from '../engine/ports.js';
import type { EventBody, LedgerEvent } from '../engine/types.js';
import type { Runbook } from '../runbook/model.js';
import { localView } from '../../adapters/ledger-leases.js';
import { flash, type CockpitStore } from '../store/store.js';
import type { HeldRun } from './run-lease.js';
import type { RunRecorder } from './recorder.js';

/**
 * Inside a take-over's transaction, before `lease` (the former holder's) is replaced: that
 * holder's lease kept for each intent it recorded whose outcome the run still owes.
 */
export async function keepOwed(ledger: LedgerStore, runId: string, lease: RunLease | undefined, events: readonly LedgerEvent[]): Promise<void> {
  if (!lease) return;
  // Its intents: those since the take-over that gave it the seat (older ones are another's).
  for (const intent of owedIntents(events, lastTakeOver(events))) {
    const key = owedKey(runId, intent.seq);
    if (!(await ledger.leases.get(key))) await ledger.leases.take(key, lease, lease.heartbeatAt, lease.driver ? { driver: lease.driver } : undefined);
  }
}

export interface OwedDeps {
  ledger: LedgerStore;
  runId: string;
  runbook: Runbook;
  owner: HeldRun;
  recorder: RunRecorder;
  store: CockpitStore;
  clock: Clock;
}

/** The driver's look at what former drivers owe: every beat, while something runs elsewhere. */
export class OwedElsewhere {
  private timer?: unknown;
  private stopped = false;

  constructor(private readonly d: OwedDeps) {}

  start(): void {
    const look = () => {
      this.timer = undefined;
      void this.look()
        .catch(() => undefined)
        .then(() => {
          if (!this.stopped) this.timer = this.d.clock.setTimeout(look, LEASE_BEAT_MS);
        });
    };
    if (!this.stopped && this.timer === undefined) this.timer = this.d.clock.setTimeout(look, LEASE_BEAT_MS);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.d.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Record as unknown what a former driver's process owes and will not record. */
  async look(): Promise<void> {
    const { ledger, runId, owner, store, clock } = this.d;
    const s = store.getState();
    const running = s.action?.state === 'running' || Object.values(s.checklist.phases).some((p) => p.steps.some((st) => st.state === 'running'));
    // Owed elsewhere only after a take-over since the last resume (owedIntents drops what a
    // resume settled): without one on screen, the run's events are not read every beat.
    if (!owner.driving || !running || !s.tookOverFrom) return;
    const events = await ledger.events(runId);
    const tookOver = lastTakeOver(events);
    for (const intent of owedIntents(events).filter((e) => e.seq < tookOver)) {
      const lease = await ledger.leases.get(owedKey(runId, intent.seq));
      const state = leaseState(lease, localView(clock.now()));
      if (state.lapsed) await this.settle(intent, gone(intent.operator, lease, state));
    }
  }

  private async settle(intent: LedgerEvent, why: string): Promise<void> {
    const { recorder, store } = this.d;
    const { body } = intent;
    const outcome = this.unknown(intent, why);
    if (!outcome) return;
    const ev = await recorder.settle(intent.seq, outcome);
    if (!ev) return;
    const what = body.kind === 'step.started' ? `"${this.title(body.phase, body.step)}"` : body.kind === 'action.requested' ? body.action : 'it';
    const next = body.kind === 'step.started' ? 'check by hand what it did, then retry (r, then Enter and its id typed) or skip (s)' : 'check the target by hand';
    flash(store, `${why}: ${what} is recorded as unknown; ${next}.`, 'error');
  }

  /** The outcome recorded for the intent: unknown, and why. */
  private unknown(intent: LedgerEvent, why: string): EventBody | undefined {
    const { body } = intent;
    const reason = `unknown: ${why} before its outcome was recorded; check by hand`;
    if (body.kind === 'action.requested') return { kind: 'action.completed', action: body.action, status: 'unknown', reason, output: '', durationMs: 0 };
    if (body.kind !== 'step.started') return undefined;
    const check = this.d.runbook.checklists[body.phase].find((st) => st.id === body.step)?.check ?? body.step;
    const result = { check, status: 'error' as const, code: 'outcome_unknown' as const, reason, startedAt: intent.at, durationMs: Math.max(0, this.d.clock.now() - intent.at) };
    return { kind: 'step.result', phase: body.phase, step: body.step, result };
  }

  private title(phase: keyof Runbook['checklists'], id: string): string {
    return this.d.runbook.checklists[phase].find((st) => st.id === id)?.title ?? id;
  }
}

/** The seq of the run's last take-over (`run.driver`); 0 without one. */
function lastTakeOver(events: readonly LedgerEvent[]): number {
  return events.reduce((at, e) => (e.body.kind === 'run.driver' ? e.seq : at), 0);
}

/** "alice's cockpit is gone (its process 4242 on ops-1 has ended)". */
function gone(who: string, lease: RunLease | undefined, state: Extract<LeaseState, { lapsed: true }>): string {
  const cause =
    state.why === 'owner gone' && lease
      ? `its process ${lease.pid} on ${lease.host} has ended`
      : state.why === 'heartbeat'
        ? `not heard from for more than ${LEASE_LAPSE_MS / 1000} s`
        : 'it let the run go';
  return `${who}'s cockpit is gone (${cause})`;
}
