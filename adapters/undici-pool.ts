// One undici Agent per adapter, made on first use and shared by all its requests (a check
// polled every second must reuse its connections), with the timeouts every adapter uses.
import { Agent } from 'undici';

export interface Pool {
  /** The agent, made on first use. */
  get(): Agent;
  /** Closes the agent (on exit, or between test files); a later get() makes a new one. */
  close(): Promise<void>;
}

export function sharedPool(opts: { connections: number; connectTimeoutMs?: number }): Pool {
  let agent: Agent | undefined;
  return {
    get: () =>
      (agent ??= new Agent({
        connect: { timeout: opts.connectTimeoutMs ?? 10_000 },
        keepAliveTimeout: 4_000,
        connections: opts.connections,
        // Off: every request carries its own deadline for the whole exchange (http-exchange.ts),
        // which always fires first, and undici keeps timers this long on a coarse tick that
        // would wake the process twice a second while a check is polled.
        headersTimeout: 0,
        bodyTimeout: 0,
      })),
    async close() {
      const a = agent;
      agent = undefined;
      await a?.close();
    },
  };
}
