// One HTTP request and its answer, for the checks, HTTP actions and metric readers. A cockpit
// polling twenty checks a second makes twenty of these a second for hours, so each is made with
// the least work for the process: a handler on undici's dispatcher collects the body (at most
// `maxBodyBytes`), one timer bounds the whole exchange (connect, answer and body) and is
// cleared when it ends, and the caller's signal cuts it short. No body stream, no promise per
// chunk and no AbortSignal per request, which is what `request()` adds to each one.
import type { Dispatcher } from 'undici';
import type { ReasonCode } from '../src/engine/types.js';

export interface ExchangeRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  maxBodyBytes: number;
}

export interface Answer {
  ok: true;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  latencyMs: number;
  /** The body, or its first `maxBodyBytes` when `tooLarge`. */
  body: Buffer;
  /** The body went past the cap: reading stopped and the connection was dropped. */
  tooLarge: boolean;
}

export interface Failure {
  ok: false;
  code: ReasonCode;
  reason: string;
}

/** What the exchange was doing when its time ran out. */
export type TimeoutPhase = 'connecting' | 'getting a connection' | 'waiting for an answer' | 'reading the body';

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

function errorCodes(err: unknown): string[] {
  // Node wraps happy-eyeballs failures in an AggregateError; look at the parts and causes too.
  const codes: string[] = [];
  const seen = new Set<unknown>();
  const visit = (e: unknown): void => {
    if (!e || typeof e !== 'object' || seen.has(e)) return;
    seen.add(e);
    const o = e as { code?: unknown; name?: unknown; cause?: unknown; errors?: unknown };
    if (typeof o.code === 'string') codes.push(o.code);
    if (typeof o.name === 'string') codes.push(o.name);
    visit(o.cause);
    if (Array.isArray(o.errors)) o.errors.forEach(visit);
  };
  visit(err);
  return codes;
}

/** Transport failures said in words rather than the library's code. */
const SAID: readonly (readonly [string, string])[] = [
  ['UND_ERR_RES_CONTENT_LENGTH_MISMATCH', 'the body did not match its Content-Length'],
  ['UND_ERR_SOCKET', 'the connection closed before the answer was complete'],
  ['ECONNRESET', 'the connection was reset'],
  ['UND_ERR_HEADERS_OVERFLOW', "the answer's headers are too large"],
];

const TLS_CODE = /^(ERR_SSL_|ERR_TLS_|ERR_OSSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|HOSTNAME_MISMATCH$)/;

/**
 * Map a transport error to a stable code and words. `timedOut`: our own deadline fired, in that
 * phase of the exchange.
 */
export function classifyHttpError(err: unknown, timeoutMs: number, timedOut?: TimeoutPhase): { code: ReasonCode; reason: string } {
  const codes = errorCodes(err);
  const has = (...c: string[]) => c.some((x) => codes.includes(x));
  if (timedOut || has('TimeoutError', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT')) {
    const phase = timedOut ?? (has('UND_ERR_CONNECT_TIMEOUT') ? 'connecting' : has('UND_ERR_BODY_TIMEOUT') ? 'reading the body' : 'waiting for an answer');
    return { code: 'timeout', reason: `timed out after ${seconds(timeoutMs)} ${phase}` };
  }
  if (has('ECONNREFUSED')) return { code: 'refused', reason: 'connection refused' };
  if (has('ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL')) return { code: 'dns', reason: 'host name does not resolve' };
  const tls = codes.find((c) => TLS_CODE.test(c));
  if (tls) return { code: 'tls', reason: `TLS failure: ${tls}` };
  if (has('AbortError')) return { code: 'network', reason: 'cancelled' };
  const said = SAID.find(([c]) => has(c));
  if (said) return { code: 'network', reason: said[1] };
  if (has('HTTPParserError')) {
    const hpe = codes.find((c) => c.startsWith('HPE_'));
    return { code: 'network', reason: hpe ? `malformed HTTP answer (${hpe})` : 'malformed HTTP answer' };
  }
  const first = codes.find((c) => c !== 'Error' && c !== 'AggregateError');
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'network', reason: `network error: ${first ?? message}` };
}

const CANCELLED: Failure = Object.freeze({ ok: false, code: 'network', reason: 'cancelled' });

/**
 * Send `req` through `dispatcher` and read its answer. Never rejects: a transport failure, the
 * deadline and the caller's cancel are Failures (the cancel wins: it is not the target's fault).
 * Once it has settled, the request is aborted if still going, so no connection is left pinned.
 */
export function exchange(dispatcher: Dispatcher, req: ExchangeRequest, signal: AbortSignal | undefined, now: () => number): Promise<Answer | Failure> {
  return new Promise((resolve) => {
    let target: URL;
    try {
      target = new URL(req.url);
    } catch (err) {
      return resolve({ ok: false, ...classifyHttpError(err, req.timeoutMs) });
    }
    if (signal?.aborted) return resolve(CANCELLED);
    const t0 = now();
    const chunks: Buffer[] = [];
    let size = 0;
    let answer: Pick<Answer, 'status' | 'headers' | 'latencyMs'> | undefined;
    // undici hands the controller over once the request is on a connection; until then, an
    // abort waits in `cut` for it.
    let controller: Dispatcher.DispatchController | undefined;
    let cut: Error | undefined;
    let settled = false;
    const settle = (r: Answer | Failure, stop?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onCancel);
      resolve(r);
      if (stop) {
        cut = stop;
        controller?.abort(stop);
      }
    };
    const body = (tooLarge: boolean): Answer => ({ ok: true, ...answer!, body: Buffer.concat(chunks), tooLarge });
    // Before undici hands the request a connection it is connecting, or waiting for one of the
    // pool's to be free: which of the two, it does not say.
    const phase = (): TimeoutPhase => (answer ? 'reading the body' : controller ? 'waiting for an answer' : 'getting a connection');
    const timer = setTimeout(() => {
      const why = new DOMException(`timed out after ${req.timeoutMs} ms`, 'TimeoutError');
      settle({ ok: false, ...classifyHttpError(why, req.timeoutMs, phase()) }, why);
    }, req.timeoutMs);
    const onCancel = (): void => settle(CANCELLED, new DOMException('cancelled', 'AbortError'));
    signal?.addEventListener('abort', onCancel, { once: true });
    dispatcher.dispatch(
      { origin: target.origin, path: target.pathname + target.search, method: req.method as Dispatcher.HttpMethod, headers: req.headers, body: req.body },
      {
        onRequestStart(c) {
          controller = c;
          if (cut) c.abort(cut);
        },
        onResponseStart(_c, status, headers) {
          // An informational answer (102, 103) comes before the real one.
          if (status < 200) return;
          answer = { status, headers, latencyMs: now() - t0 };
        },
        onResponseData(_c, chunk) {
          size += chunk.length;
          if (size > req.maxBodyBytes) return settle(body(true), new Error('the body is larger than the cap'));
          chunks.push(chunk);
        },
        onResponseEnd() {
          settle(body(false));
        },
        onResponseError(_c, err) {
          settle(signal?.aborted ? CANCELLED : { ok: false, ...classifyHttpError(err, req.timeoutMs) });
        },
      },
    );
  });
}
