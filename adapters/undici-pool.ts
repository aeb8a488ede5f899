// One undici Agent per adapter, made on first use and shared by all its requests (a check
// polled every second must reuse its connections), with the timeouts every adapter uses, and
// the per-request deadline they share.
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
        // Off: every request carries a `deadline` for the whole exchange, which always fires
        // first, and undici keeps timers this long on a coarse tick that would wake the process
        // twice a second while a check is polled.
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

export interface Deadline {
  /** Aborts at the deadline, or with the caller's signal. */
  readonly signal: AbortSignal;
  /** The deadline fired (not the caller's cancel). */
  readonly expired: boolean;
  /** The request is over: clears the timer and lets go of the caller's signal. */
  done(): void;
}

/**
 * A request's deadline joined with the caller's cancel. Unlike AbortSignal.timeout, whose timer
 * always runs to its end, the timer is cleared when the request is over: checks polled every
 * second would otherwise leave one timer per request behind, each waking the process later
 * only to abort nothing; and unlike AbortSignal.any, the caller's long-lived signal keeps no
 * trace of the request once it is done.
 */
export function deadline(ms: number, cancel?: AbortSignal): Deadline {
  const ac = new AbortController();
  let expired = false;
  const timer = setTimeout(() => {
    expired = true;
    ac.abort(new DOMException(`timed out after ${ms} ms`, 'TimeoutError'));
  }, ms);
  timer.unref();
  const onCancel = (): void => ac.abort(cancel?.reason);
  if (cancel?.aborted) onCancel();
  else cancel?.addEventListener('abort', onCancel, { once: true });
  return {
    signal: ac.signal,
    get expired() {
      return expired;
    },
    done() {
      clearTimeout(timer);
      cancel?.removeEventListener('abort', onCancel);
    },
  };
}
