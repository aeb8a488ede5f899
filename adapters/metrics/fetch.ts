// One GET for the HTTP-based metric readers: deadline, capped body that is always consumed or
// destroyed, transport errors classified the same way as the readiness checks.
import { request, type Dispatcher } from 'undici';
import { deadline, sharedPool } from '../undici-pool.js';
import { classifyHttpError, displayUrl } from '../http.js';
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
  const limit = deadline(opts.timeoutMs, opts.signal);
  let res: Dispatcher.ResponseData | undefined;
  try {
    res = await request(url, {
      method: 'GET',
      headers: { accept: 'application/json', ...opts.headers },
      dispatcher: pool.get(),
      signal: limit.signal,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_METRIC_BODY_BYTES) {
        return { ok: false, reason: `answer larger than ${MAX_METRIC_BODY_BYTES} bytes (${where})` };
      }
      chunks.push(chunk);
    }
    return { ok: true, status: res.statusCode, body: Buffer.concat(chunks).toString('utf8'), where };
  } catch (err) {
    if (opts.signal?.aborted) return { ok: false, reason: `cancelled (${where})` };
    return { ok: false, reason: `${classifyHttpError(err, opts.timeoutMs, limit.expired).reason} (${where})` };
  } finally {
    limit.done();
    // An unread or half-read body pins a pooled connection.
    if (res && !res.body.readableEnded && !res.body.destroyed) res.body.destroy();
  }
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
