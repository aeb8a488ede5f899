// Live polling of checks. Each check has its own timer, so a slow check never delays the
// others; the next run is scheduled only after the previous one finished, so the same check
// never runs twice at once; a little jitter keeps checks from marching in lockstep.
import type { Clock } from './ports.js';
import type { CheckIdentity, CheckResult } from './types.js';

/** Runs one check; the engine knows only its name and interval, the runner the rest. */
export type CheckRunner<C extends CheckIdentity = CheckIdentity> = (check: C) => Promise<CheckResult>;

interface Slot<C> {
  check: C;
  timer?: unknown;
  inFlight?: Promise<CheckResult>;
}

export interface PollerOptions<C extends CheckIdentity> {
  clock: Clock;
  run: CheckRunner<C>;
  onResult: (result: CheckResult) => void;
  /** Fraction of the interval, ± (default 0.1). */
  jitter?: number;
  random?: () => number;
}

export class Poller<C extends CheckIdentity = CheckIdentity> {
  private readonly slots = new Map<string, Slot<C>>();
  private stopped = false;

  constructor(private readonly opts: PollerOptions<C>) {}

  /** Register checks so steps can run them; nothing is polled until `start`. */
  register(checks: Iterable<C>): void {
    for (const check of checks) if (!this.slots.has(check.name)) this.slots.set(check.name, { check });
  }

  /** Poll the registered checks that have `everyMs`, the first run after a short jittered delay. */
  start(checks: Iterable<C> = []): void {
    this.register(checks);
    for (const slot of this.slots.values()) {
      if (slot.check.everyMs && slot.timer === undefined) this.schedule(slot, this.jittered(Math.min(slot.check.everyMs, 250)));
    }
  }

  /**
   * Run a check now (a checklist step, or a retry). When the check is already running, the
   * caller shares that run instead of starting a second one.
   */
  runNow(name: string): Promise<CheckResult> {
    const slot = this.slots.get(name);
    if (!slot) throw new Error(`unknown check ${name}`);
    return this.execute(slot);
  }

  inFlight(name: string): boolean {
    return !!this.slots.get(name)?.inFlight;
  }

  stop(): void {
    this.stopped = true;
    for (const slot of this.slots.values()) if (slot.timer !== undefined) this.opts.clock.clearTimeout(slot.timer);
  }

  private jittered(ms: number): number {
    const j = this.opts.jitter ?? 0.1;
    const r = (this.opts.random ?? Math.random)();
    return Math.max(0, Math.round(ms * (1 + j * (2 * r - 1))));
  }

  private schedule(slot: Slot<C>, delay: number): void {
    if (this.stopped) return;
    slot.timer = this.opts.clock.setTimeout(() => {
      slot.timer = undefined;
      void this.execute(slot).finally(() => {
        if (slot.check.everyMs && slot.timer === undefined) this.schedule(slot, this.jittered(slot.check.everyMs));
      });
    }, delay);
  }

  private execute(slot: Slot<C>): Promise<CheckResult> {
    if (slot.inFlight) return slot.inFlight;
    const started = this.opts.clock.now();
    const p = this.opts
      .run(slot.check)
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
