import type { Clock } from '../../src/engine/ports.js';

/** A clock the test moves by hand: timers fire only inside `advance`. */
export class ManualClock implements Clock {
  private t: number;
  private timers = new Map<number, { at: number; fn: () => void }>();
  private nextId = 1;

  constructor(start = 1_700_000_000_000) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  pending(): number {
    return this.timers.size;
  }

  /** Move time forward, firing due timers in order; lets promise chains settle before and between them. */
  async advance(ms: number): Promise<void> {
    // What was set going before (a key's ledger write, then its timer) settles first.
    await flush();
    const end = this.t + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, v]) => v.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.t = Math.max(this.t, due[1].at);
      due[1].fn();
      await flush();
    }
    this.t = end;
    await flush();
  }

  /**
   * Move time forward in small steps until `done()` holds; for what a polled check sees, since
   * after a slow run the next poll may be up to 1.1 intervals after that run ended.
   */
  async advanceUntil(done: () => boolean, what: string, limitMs = 10_000, stepMs = 100): Promise<void> {
    for (let moved = 0; !done(); moved += stepMs) {
      if (moved >= limitMs) throw new Error(`timed out after ${limitMs} ms of clock time waiting for ${what}`);
      await this.advance(stepMs);
    }
  }
}

/**
 * Let what the fired timers started settle: every pending promise chain (the ledger's writes
 * are promise chains over a synchronous SQLite), not a fixed number of hops.
 */
export async function flush(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}
