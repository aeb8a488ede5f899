// http-json: GET a URL, pick a number out of the JSON answer by a dot path.
//
// A path that is missing from the answer is a provider error (it names where the walk
// stopped): a typo or a changed API must surface, not read as "no data" window after window.
// An explicit JSON null (or "NaN") at the path is no data.
import { expandHeaders, getText } from './fetch.js';
import { DEFAULT_METRIC_TIMEOUT_MS, type HttpJsonQuery, type MetricContext, type MetricReading } from './types.js';
import { pickPath, toMetricValue } from './values.js';

export async function readHttpJson(q: HttpJsonQuery, ctx: MetricContext): Promise<MetricReading> {
  const now = ctx.now ?? Date.now;
  const fail = (reason: string): MetricReading => ({ ok: false, kind: 'provider-error', reason, at: now() });

  const headers = expandHeaders(q.headers, ctx.env, ctx.secrets);
  if (!headers.ok) return fail(headers.reason);
  const res = await getText(q.url, { headers: headers.headers, timeoutMs: q.timeoutMs ?? DEFAULT_METRIC_TIMEOUT_MS, signal: ctx.signal });
  if (!res.ok) return fail(res.reason);
  if (res.status < 200 || res.status > 299) return fail(`answered HTTP ${res.status} (${res.where})`);

  let doc: unknown;
  try {
    doc = JSON.parse(res.body);
  } catch {
    return fail(`answer is not valid JSON (${res.where})`);
  }
  const picked = pickPath(doc, q.path);
  if (!picked.found) return fail(`path ${q.path}: ${picked.reason} (${res.where})`);
  const v = toMetricValue(picked.value);
  if (!v.ok) return fail(`path ${q.path}: ${v.reason} (${res.where})`);
  return { ok: true, value: v.value, at: now(), ...(v.value === null ? { detail: `${q.path} is null: no data` } : {}) };
}
