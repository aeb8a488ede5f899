// Live polling of checks. The same check never runs twice at once, and a slow check never
// delays the others. A quick run (half its interval or less) keeps its check's rhythm: the
// next run is due one interval after the previous one started. A slower run is followed by a
// full interval of rest, as a struggling target deserves, give or take a tenth so that the
// check joins a wake-up already planned. The poller keeps one timer, for the earliest due
// check, and each wake runs every check then due: twenty checks polled every second cost the
// process one wake-up a second, not twenty, which is most of what an open cockpit costs when
// nobody is at the keys.
import type { Clock } from './ports.js';
import type { CheckIdentity, CheckResult } from './types.js';

/**
 * Runs one check; the engine knows only its name and interval, the runner the rest. `signal`:
 * what cuts this run short (a step's block: the emergency stop), beside the runner's own.
 */
export type CheckRunner<C extends CheckIdentity = CheckIdentity> = (check: C, signal?: AbortSignal) => Promise<CheckResult>;

interface Slot<C> {
  check: C;
  /** When the next poll is due; undefined while the check runs, or when it is not polled. */
  dueAt?: number;
  inFlight?: Promise<CheckResult>;
}

export interface PollerOptions<C extends CheckIdentity> {
  clock: Clock;
  run: CheckRunner<C>;
  onResult: (result: CheckResult) => void;
  /** After a slow run, how far (a fraction of the interval) the next may move to share a wake-up; default 0.1. */
  slack?: number;
}

/** A run this long or shorter (a fraction of the interval) keeps its check's rhythm. */
const QUICK = 0.5;

/** The first runs come this soon after `start` (or one interval, when shorter). */
const FIRST_RUN_MS = 250;

export class Poller<C extends CheckIdentity = CheckIdentity> {
  private readonly slots = new Map<string, Slot<C>>();
  private stopped = false;
  private timer?: unknown;
  private timerAt?: number;

  constructor(private readonly opts: PollerOptions<C>) {}

  /** Register checks so steps can run them; nothing is polled until `start`. */
  register(checks: Iterable<C>): void {
    for (const check of checks) if (!this.slots.has(check.name)) this.slots.set(check.name, { check });
  }

  /** Poll the registered checks that have `everyMs`, the first runs shortly after. */
  start(checks: Iterable<C> = []): void {
    this.stopped = false;
    this.register(checks);
    const now = this.opts.clock.now();
    for (const slot of this.slots.values()) {
      if (slot.check.everyMs && slot.dueAt === undefined && !slot.inFlight) slot.dueAt = now + Math.min(slot.check.everyMs, FIRST_RUN_MS);
    }
    this.arm();
  }

  /**
   * Run a check now (a checklist step, or a retry). When the check is already running, the
   * caller shares that run instead of starting a second one. `signal` cuts a run started here short.
   */
  runNow(name: string, signal?: AbortSignal): Promise<CheckResult> {
    const slot = this.slots.get(name);
    if (!slot) throw new Error(`unknown check ${name}`);
    return this.execute(slot, signal);
  }

  inFlight(name: string): boolean {
    return !!this.slots.get(name)?.inFlight;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.opts.clock.clearTimeout(this.timer);
    this.timer = this.timerAt = undefined;
  }

  /** One timer, for the earliest due check; re-armed only when that moment changes. */
  private arm(): void {
    if (this.stopped) return;
    let next: number | undefined;
    for (const slot of this.slots.values()) if (slot.dueAt !== undefined && (next === undefined || slot.dueAt < next)) next = slot.dueAt;
    if (next === this.timerAt) return;
    if (this.timer !== undefined) this.opts.clock.clearTimeout(this.timer);
    this.timer = this.timerAt = undefined;
    if (next === undefined) return;
    this.timerAt = next;
    this.timer = this.opts.clock.setTimeout(() => this.wake(), Math.max(0, next - this.opts.clock.now()));
  }

  private wake(): void {
    this.timer = this.timerAt = undefined;
    const now = this.opts.clock.now();
    for (const slot of this.slots.values()) {
      const every = slot.check.everyMs;
      if (slot.dueAt === undefined || !every || slot.dueAt > now) continue;
      slot.dueAt = undefined;
      void this.execute(slot).finally(() => {
        if (this.stopped || slot.dueAt !== undefined) return;
        slot.dueAt = this.nextDue(now, this.opts.clock.now(), every);
        this.arm();
      });
    }
    this.arm();
  }

  /**
   * After a quick run, one interval after the wake that started it: every check that wake ran
   * shares it, so checks polled together stay together. After a slow one, a full interval of
   * rest, moved by up to the slack to a wake already planned for other checks.
   */
  private nextDue(woke: number, done: number, every: number): number {
    if (done - woke <= every * QUICK) return woke + every;
    const rested = done + every;
    const slack = every * (this.opts.slack ?? 0.1);
    let join: number | undefined;
    for (const s of this.slots.values()) {
      if (s.dueAt !== undefined && Math.abs(s.dueAt - rested) <= slack && (join === undefined || s.dueAt < join)) join = s.dueAt;
    }
    return join ?? rested;
  }

  private execute(slot: Slot<C>, signal?: AbortSignal): Promise<CheckResult> {
    if (slot.inFlight) return slot.inFlight;
    const started = this.opts.clock.now();
    const p = this.opts
      .run(slot.check, signal)
      .catch((err: unknown): CheckResult => ({
        // Adapters report failures as results; this is the last guard so a bug in one
        // check shows as that check failing rather than stopping the cockpit.
        check: slot.check.name,
        status: 'error',
        code: 'network',
        reason: `check crashed: ${err instanceof Error ? err.message : String(err)}`,
        startedAt: started,
        durationMs: this.opts.clock.now() - started,
      }))
      .then((result) => {
        slot.inFlight = undefined;
        if (!this.stopped) this.opts.onResult(result);
        return result;
      });
    slot.inFlight = p;
    return p;
  }
}
