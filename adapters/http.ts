// HTTP checks and actions over undici. One request, one verdict, one reason the operator can
// act on. Secrets are expanded only here, at the moment of use, and every text we return is
// passed through a Redactor so a value echoed by a server never reaches the ledger.
import { holds } from '../src/engine/conditions.js';
import { isDeepStrictEqual } from 'node:util';
import { request, type Dispatcher } from 'undici';
import { deadline, sharedPool } from './undici-pool.js';
import type { HttpActionSpec, HttpCheck } from '../src/runbook/model.js';
import type { CheckResult, ReasonCode } from '../src/engine/types.js';
import { expandRecord, expandTemplate, MissingSecretError, redactorFor } from '../src/runbook/secrets.js';

export interface HttpContext {
  env: NodeJS.ProcessEnv;
  /** Declared secret names; only these are expanded in templates. */
  secrets: readonly string[];
  /** Last ETag per check, kept by the caller across polls. */
  etags?: Map<string, string>;
  signal?: AbortSignal;
  now?: () => number;
}

export interface HttpActionResult {
  ok: boolean;
  httpStatus?: number;
  reason: string;
  output: string;
  durationMs: number;
}

const OUTPUT_BYTES = 2048;
/** Actions have no body cap in the runbook; their answer is only shown, never parsed. */
const ACTION_MAX_BODY = 1024 * 1024;
/**
 * Connect timeout of the shared agent. Undici fixes it per agent, not per request, so one
 * agent cannot follow each check's timeout; the per-request deadline bounds the
 * connect phase of shorter checks, this only catches checks with very long timeouts.
 */
const CONNECT_TIMEOUT_MS = 10_000;

/** One pool per origin for the whole process: polls every second must reuse connections. */
const pool = sharedPool({ connections: 8, connectTimeoutMs: CONNECT_TIMEOUT_MS });

/** Close the shared agent (on exit, or between test files). A later request creates a new one. */
export const closeHttpAgent = (): Promise<void> => pool.close();

interface Failure {
  ok: false;
  code: ReasonCode;
  reason: string;
}

interface Exchange {
  ok: true;
  status: number;
  headers: Dispatcher.ResponseData['headers'];
  latencyMs: number;
  body: Buffer;
  tooLarge: boolean;
}

interface ExchangeRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  maxBodyBytes: number;
}

/** Scheme, host and path only: queries may carry tokens. */
export function displayUrl(raw: string): string {
  try {
    const u = new URL(raw);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return raw.split('?')[0];
  }
}

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

const TLS_CODE = /^(ERR_SSL_|ERR_TLS_|ERR_OSSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|HOSTNAME_MISMATCH$)/;

/**
 * Map a transport error to a stable code and words. `timedOut` says our own deadline fired,
 * which undici reports as the abort reason rather than as a timeout error.
 */
export function classifyHttpError(err: unknown, timeoutMs: number, timedOut = false): { code: ReasonCode; reason: string } {
  const codes = errorCodes(err);
  const has = (...c: string[]) => c.some((x) => codes.includes(x));
  if (timedOut || has('TimeoutError', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT')) {
    const phase = has('UND_ERR_CONNECT_TIMEOUT') ? 'connecting' : has('UND_ERR_BODY_TIMEOUT') ? 'reading the body' : 'waiting for an answer';
    return { code: 'timeout', reason: `timed out after ${seconds(timeoutMs)} ${phase}` };
  }
  if (has('ECONNREFUSED')) return { code: 'refused', reason: 'connection refused' };
  if (has('ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL')) return { code: 'dns', reason: 'host name does not resolve' };
  const tls = codes.find((c) => TLS_CODE.test(c));
  if (tls) return { code: 'tls', reason: `TLS failure: ${tls}` };
  if (has('AbortError')) return { code: 'network', reason: 'cancelled' };
  const first = codes.find((c) => c !== 'Error' && c !== 'AggregateError');
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'network', reason: `network error: ${first ?? message}` };
}

/**
 * Read at most `cap` bytes; past it, stop and destroy the stream so the socket is dropped.
 * Events rather than an async iterator: a check polled every second reads a small body each
 * time, and the iterator's promise per chunk is most of what reading it costs.
 */
const ignore = (): void => undefined;

function readCapped(body: Dispatcher.ResponseData['body'], cap: number): Promise<{ body: Buffer; tooLarge: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (): void => {
      // An error after the answer (the deadline's abort of a body left unread) has nobody to
      // tell: without a listener it would bring the process down.
      body.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose).on('error', ignore);
      // Covers the cap, a read error and the early exit alike: an unread body pins a connection.
      if (!body.readableEnded) body.destroy();
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > cap) return void (settle(), resolve({ body: Buffer.concat(chunks), tooLarge: true }));
      chunks.push(chunk);
    };
    const onEnd = (): void => (settle(), resolve({ body: Buffer.concat(chunks), tooLarge: false }));
    const onError = (err: Error): void => (settle(), reject(err));
    // Destroyed without an error (not by us): the body ended short.
    const onClose = (): void => (settle(), reject(Object.assign(new Error('the body ended before its end'), { code: 'UND_ERR_SOCKET' })));
    body.on('data', onData).once('end', onEnd).once('error', onError).once('close', onClose);
  });
}

async function exchange(req: ExchangeRequest, ctx: HttpContext, now: () => number): Promise<Exchange | Failure> {
  const limit = deadline(req.timeoutMs, ctx.signal);
  const t0 = now();
  let res: Dispatcher.ResponseData | undefined;
  try {
    res = await request(req.url, {
      method: req.method as Dispatcher.HttpMethod,
      headers: req.headers,
      body: req.body,
      dispatcher: pool.get(),
      signal: limit.signal,
    });
    const latencyMs = now() - t0;
    const { body, tooLarge } = await readCapped(res.body, req.maxBodyBytes);
    return { ok: true, status: res.statusCode, headers: res.headers, latencyMs, body, tooLarge };
  } catch (err) {
    if (res && !res.body.destroyed) res.body.destroy();
    // The operator's cancel wins over our deadline: it is not the target's fault.
    if (ctx.signal?.aborted) return { ok: false, code: 'network', reason: 'cancelled' };
    return { ok: false, ...classifyHttpError(err, req.timeoutMs, limit.expired) };
  } finally {
    limit.done();
  }
}

const hasTemplate = (s: string | undefined): boolean => s !== undefined && s.includes('${');

/** Expand templates; a missing secret names the variable, never a value. */
function expand(
  spec: { url: string; headers: Record<string, string>; body?: string },
  ctx: HttpContext,
): { url: string; headers: Record<string, string>; body?: string } | Failure {
  // A check polled every second most often has nothing to expand: its own strings, headers copied.
  if (!hasTemplate(spec.url) && !hasTemplate(spec.body) && !Object.values(spec.headers).some(hasTemplate)) {
    return { url: spec.url, headers: { ...spec.headers }, body: spec.body };
  }
  try {
    return {
      url: expandTemplate(spec.url, ctx.env, ctx.secrets),
      headers: expandRecord(spec.headers, ctx.env, ctx.secrets),
      body: spec.body === undefined ? undefined : expandTemplate(spec.body, ctx.env, ctx.secrets),
    };
  } catch (err) {
    if (err instanceof MissingSecretError) {
      return { ok: false, code: 'secret_missing', reason: `secret ${err.secret} is not set in the environment` };
    }
    throw err;
  }
}

/** One decoder for every answer: decoding without `stream` keeps no state between calls. */
const utf8 = new TextDecoder();

function textOf(body: Buffer): string {
  return utf8.decode(body.subarray(0, OUTPUT_BYTES));
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** `a.b.0.c` → value; undefined when any step is missing. */
export function getPath(value: unknown, path: string): unknown {
  let cur = value;
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** The first failed expectation on a full answer, or undefined when all hold. */
function judgeBody(check: HttpCheck, ex: Exchange): { code: ReasonCode; reason: string } | undefined {
  const { expect } = check;
  const needsJson = Object.keys(expect.json).length > 0 || Object.keys(expect.jsonIn).length > 0 || Object.keys(expect.jsonWhere ?? {}).length > 0;
  if (needsJson) {
    let doc: unknown;
    try {
      doc = JSON.parse(ex.body.toString('utf8'));
    } catch {
      return { code: 'invalid_json', reason: 'body is not valid JSON' };
    }
    for (const [path, want] of Object.entries(expect.json)) {
      const got = getPath(doc, path);
      if (!isDeepStrictEqual(got, want)) return { code: 'json_mismatch', reason: `${path}: expected ${show(want)}, got ${show(got)}` };
    }
    for (const [path, accepted] of Object.entries(expect.jsonIn)) {
      const got = getPath(doc, path);
      if (!accepted.some((a) => isDeepStrictEqual(got, a))) {
        return { code: 'json_mismatch', reason: `${path}: expected one of ${show(accepted)}, got ${show(got)}` };
      }
    }
    for (const [path, cond] of Object.entries(expect.jsonWhere ?? {})) {
      const got = getPath(doc, path);
      if (typeof got !== 'number') return { code: 'json_mismatch', reason: `${path}: expected a number ${cond.text}, got ${show(got)}` };
      if (!holds(cond, got)) return { code: 'json_mismatch', reason: `${path}: ${got} does not meet ${cond.text}` };
    }
  }
  if (expect.contains.length > 0) {
    const text = ex.body.toString('utf8');
    const missing = expect.contains.find((s) => !text.includes(s));
    if (missing !== undefined) return { code: 'body_mismatch', reason: `body does not contain ${show(missing)}` };
  }
  return undefined;
}

export async function runHttpCheck(check: HttpCheck, ctx: HttpContext): Promise<CheckResult> {
  const now = ctx.now ?? Date.now;
  const redact = redactorFor(ctx.secrets, ctx.env);
  const startedAt = now();
  // Only a failure names where (a URL parsed each time a healthy check answers is wasted).
  const where = (): string => `${check.method} ${displayUrl(check.url)}`;
  const done = (r: Omit<CheckResult, 'check' | 'startedAt' | 'durationMs'>): CheckResult =>
    redact.value({ check: check.name, startedAt, durationMs: now() - startedAt, ...r });

  const req = expand(check, ctx);
  if ('ok' in req) return done({ status: 'error', code: req.code, reason: `${req.reason} (${where()})` });

  const etagKey = check.name || check.url;
  const lastEtag = check.etag ? ctx.etags?.get(etagKey) : undefined;
  if (lastEtag) req.headers = { ...req.headers, 'if-none-match': lastEtag };

  const ex = await exchange({ ...req, method: check.method, timeoutMs: check.timeoutMs, maxBodyBytes: check.maxBodyBytes }, ctx, now);
  if (!ex.ok) return done({ status: 'error', code: ex.code, reason: `${ex.reason} (${where()})` });

  const base = { httpStatus: ex.status, latencyMs: ex.latencyMs, output: textOf(ex.body) };
  if (check.etag && ex.status === 304) {
    return done({ ...base, status: 'healthy', code: 'ok', fresh: true, reason: '304 not modified (ETag fresh)' });
  }
  const fail = (code: ReasonCode, reason: string): CheckResult => {
    // A failed answer must not be revalidated later as "fresh": forget its ETag.
    ctx.etags?.delete(etagKey);
    return done({ ...base, status: 'unhealthy', code, reason: `${reason} (${where()})` });
  };

  if (!check.expect.status.includes(ex.status)) return fail('status', `expected ${check.expect.status.join(' or ')}, got ${ex.status}`);
  if (ex.tooLarge) return fail('body_too_large', `body larger than ${check.maxBodyBytes} bytes, stopped reading`);
  const bad = judgeBody(check, ex);
  if (bad) return fail(bad.code, bad.reason);
  if (check.expect.maxLatencyMs !== undefined && ex.latencyMs > check.expect.maxLatencyMs) {
    return fail('latency', `answered in ${ex.latencyMs} ms, limit ${check.expect.maxLatencyMs} ms`);
  }

  const etag = ex.headers['etag'];
  if (check.etag && typeof etag === 'string') ctx.etags?.set(etagKey, etag);
  return done({ ...base, status: 'healthy', code: 'ok', reason: `${ex.status} in ${ex.latencyMs} ms` });
}

export async function runHttpAction(spec: HttpActionSpec, ctx: HttpContext): Promise<HttpActionResult> {
  const now = ctx.now ?? Date.now;
  const redact = redactorFor(ctx.secrets, ctx.env);
  const t0 = now();
  const where = `${spec.method} ${displayUrl(spec.url)}`;
  const done = (r: Omit<HttpActionResult, 'durationMs'>): HttpActionResult =>
    redact.value({ ...r, durationMs: now() - t0 });

  const req = expand(spec, ctx);
  if ('ok' in req) return done({ ok: false, reason: `${req.reason} (${where})`, output: '' });

  const ex = await exchange({ ...req, method: spec.method, timeoutMs: spec.timeoutMs, maxBodyBytes: ACTION_MAX_BODY }, ctx, now);
  if (!ex.ok) return done({ ok: false, reason: `${ex.reason} (${where})`, output: '' });

  const output = textOf(ex.body);
  const ok = spec.expectStatus.includes(ex.status);
  const reason = ok
    ? `${where} answered ${ex.status} in ${ex.latencyMs} ms`
    : `expected ${spec.expectStatus.join(' or ')}, got ${ex.status} (${where})`;
  return done({ ok, httpStatus: ex.status, reason, output });
}
