// HTTP checks and actions over undici. One request, one verdict, one reason the operator can
// act on. Secrets are expanded only here, at the moment of use, and every text we return is
// passed through a Redactor so a value echoed by a server never reaches the ledger.
import { holds } from '../src/engine/conditions.js';
import { isDeepStrictEqual } from 'node:util';
import { exchange, type Failure } from './http-exchange.js';
import { sharedPool } from './undici-pool.js';
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

/** Scheme, host and path only: queries may carry tokens. */
export function displayUrl(raw: string): string {
  try {
    const u = new URL(raw);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return raw.split('?')[0];
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
function judgeBody(check: HttpCheck, ex: { body: Buffer }): { code: ReasonCode; reason: string } | undefined {
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

  const ex = await exchange(pool.get(), { ...req, method: check.method, timeoutMs: check.timeoutMs, maxBodyBytes: check.maxBodyBytes }, ctx.signal, now);
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

  const ex = await exchange(pool.get(), { ...req, method: spec.method, timeoutMs: spec.timeoutMs, maxBodyBytes: ACTION_MAX_BODY }, ctx.signal, now);
  if (!ex.ok) return done({ ok: false, reason: `${ex.reason} (${where})`, output: '' });

  const output = textOf(ex.body);
  const ok = spec.expectStatus.includes(ex.status);
  const reason = ok
    ? `${where} answered ${ex.status} in ${ex.latencyMs} ms`
    : `expected ${spec.expectStatus.join(' or ')}, got ${ex.status} (${where})`;
  return done({ ok, httpStatus: ex.status, reason, output });
}
