// One GET for the HTTP-based metric readers, made as the readiness checks make theirs
// (http-exchange.ts): one deadline, a capped body, transport errors in the same words.
import { sharedPool } from '../undici-pool.js';
import { exchange } from '../http-exchange.js';
import { displayUrl } from '../http.js';
import { expandRecord, MissingSecretError } from '../../src/runbook/secrets.js';

export const MAX_METRIC_BODY_BYTES = 1024 * 1024;

export type Fetched =
  | { ok: true; status: number; body: string; where: string }
  | { ok: false; reason: string };

/** Metrics are read once per canary window per metric: a small pool per origin is plenty. */
const pool = sharedPool({ connections: 4 });

/** Close the metric readers' agent (on exit, or between test files). */
export const closeMetricsAgent = (): Promise<void> => pool.close();

export async function getText(
  url: string,
  opts: { headers: Record<string, string>; timeoutMs: number; signal?: AbortSignal },
): Promise<Fetched> {
  const where = `GET ${displayUrl(url)}`;
  const req = { url, method: 'GET', headers: { accept: 'application/json', ...opts.headers }, timeoutMs: opts.timeoutMs, maxBodyBytes: MAX_METRIC_BODY_BYTES };
  const ex = await exchange(pool.get(), req, opts.signal, Date.now);
  if (!ex.ok) return { ok: false, reason: `${ex.reason} (${where})` };
  if (ex.tooLarge) return { ok: false, reason: `answer larger than ${MAX_METRIC_BODY_BYTES} bytes (${where})` };
  return { ok: true, status: ex.status, body: ex.body.toString('utf8'), where };
}

/** Expand `${SECRET}` references in headers; a missing secret is named, never guessed. */
export function expandHeaders(
  headers: Record<string, string> | undefined,
  env: NodeJS.ProcessEnv,
  secrets: readonly string[],
): { ok: true; headers: Record<string, string> } | { ok: false; reason: string } {
  try {
    return { ok: true, headers: expandRecord(headers ?? {}, env, secrets) };
  } catch (err) {
    if (err instanceof MissingSecretError) return { ok: false, reason: `secret ${err.secret} is not set in the environment` };
    throw err;
  }
}
