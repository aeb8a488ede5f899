// Posting a message to a Slack-compatible incoming webhook through the one HTTP exchange
// (http-exchange.ts), with retries and exponential backoff, all inside a deadline (seed 000: a
// failed release is known within a minute). Time comes from the injected clock, so tests can
// shorten the minute. Every text this returns goes through `redact`: the webhook URL is a
// credential.
import { exchange } from './http-exchange.js';
import { sharedPool } from './undici-pool.js';
import type { Clock } from '../src/engine/ports.js';

export interface WebhookDelivery {
  url: string;
  /** JSON body. */
  body: string;
  clock: Clock;
  attempts: number;
  /** Per attempt. */
  timeoutMs: number;
  /** No attempt starts, and none runs on, past this many ms after the first. */
  deadlineMs: number;
  redact: (text: string) => string;
  /** Wait before attempt n + 1 (n from 1); default 1 s, 2 s, 4 s, … */
  backoffMs?: (n: number) => number;
}

export interface DeliveryResult {
  ok: boolean;
  attempts: number;
  httpStatus?: number;
  /** Why each failed attempt failed, in order. */
  errors: string[];
  /** Why it gave up (when not ok). */
  reason?: string;
}

export const defaultBackoff = (n: number): number => 1000 * 2 ** (n - 1);

const pool = sharedPool({ connections: 4 });

export const closeNotifyAgent = (): Promise<void> => pool.close();

interface Attempt {
  ok: boolean;
  status?: number;
  error?: string;
  /** Worth trying again (network trouble, timeouts, 5xx, 408, 429). */
  retry: boolean;
  retryAfterMs?: number;
}

const sleep = (clock: Clock, ms: number) => new Promise<void>((resolve) => clock.setTimeout(resolve, ms));

/** The most of a webhook's answer read: its first words go into the error. */
const ANSWER_CAP = 64 * 1024;

async function attempt(d: WebhookDelivery, timeoutMs: number): Promise<Attempt> {
  // The attempt's deadline runs on the injected clock (tests shorten the minute); the exchange's
  // own, in real time, is a backstop that the clock's comes before.
  const abort = new AbortController();
  const timer = d.clock.setTimeout(() => abort.abort(), timeoutMs);
  try {
    const req = { url: d.url, method: 'POST', headers: { 'content-type': 'application/json' }, body: d.body, timeoutMs: Math.max(timeoutMs, 60_000), maxBodyBytes: ANSWER_CAP };
    const res = await exchange(pool.get(), req, abort.signal, () => d.clock.now());
    if (!res.ok) return { ok: false, error: abort.signal.aborted ? `no answer within ${Math.round(timeoutMs / 100) / 10} s` : d.redact(res.reason), retry: true };
    if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status, retry: false };
    const text = res.body.toString('utf8').trim();
    const said = text ? ` ${d.redact(text).slice(0, 80)}` : '';
    const retry = res.status >= 500 || res.status === 408 || res.status === 429;
    const after = Number(res.headers['retry-after']);
    return { ok: false, status: res.status, error: `HTTP ${res.status}${said}`, retry, ...(Number.isFinite(after) && after >= 0 ? { retryAfterMs: after * 1000 } : {}) };
  } finally {
    d.clock.clearTimeout(timer);
  }
}

/** Try until one attempt succeeds, an answer says trying again is pointless, or time is up. */
export async function deliverWebhook(d: WebhookDelivery): Promise<DeliveryResult> {
  const backoff = d.backoffMs ?? defaultBackoff;
  const start = d.clock.now();
  const errors: string[] = [];
  // The clock's timers may not keep the process alive (they are unref'd): this does, so a
  // headless command that has finished its work still delivers before it exits.
  const hold = setInterval(() => undefined, 60_000);
  try {
    for (let n = 1; ; n++) {
      const left = d.deadlineMs - (d.clock.now() - start);
      const r = await attempt(d, Math.max(1, Math.min(d.timeoutMs, left)));
      if (r.ok) return { ok: true, attempts: n, httpStatus: r.status, errors };
      errors.push(r.error ?? 'failed');
      if (!r.retry) return { ok: false, attempts: n, errors, reason: `${r.error}: the webhook refused the message; trying again would not help` };
      if (n >= d.attempts) return { ok: false, attempts: n, errors, reason: `${r.error} (gave up after ${n} attempts)` };
      const wait = Math.max(backoff(n), r.retryAfterMs ?? 0);
      if (d.clock.now() - start + wait >= d.deadlineMs) {
        return { ok: false, attempts: n, errors, reason: `${r.error} (gave up after ${n} attempts: the next would start after the ${Math.round(d.deadlineMs / 1000)} s deadline)` };
      }
      await sleep(d.clock, wait);
    }
  } finally {
    clearInterval(hold);
  }
}
