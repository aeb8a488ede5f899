import type { Clock } from '../../src/engine/ports.js';

/**
 * A real clock running `factor` times faster: a minute of retries and timeouts passes in
 * 60 / factor seconds, while HTTP servers and sockets stay real.
 */
export class ScaledClock implements Clock {
  private readonly origin = performance.now();
  constructor(
    readonly factor: number,
    private readonly start = Date.UTC(2026, 10, 23, 11, 0, 0),
  ) {}

  now(): number {
    return Math.round(this.start + (performance.now() - this.origin) * this.factor);
  }

  setTimeout(fn: () => void, ms: number): unknown {
    return setTimeout(fn, ms / this.factor);
  }

  clearTimeout(handle: unknown): void {
    clearTimeout(handle as NodeJS.Timeout);
  }
}
