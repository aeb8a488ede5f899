// http-json: GET a URL, pick a number out of the JSON answer by a dot path (or, for one side
// of a compare metric, an array of numbers).
//
// A path that is missing from the answer is a provider error (it names where the walk
// stopped): a typo or a changed API must surface, not read as "no data" window after window.
// An explicit JSON null (or "NaN") at the path is no data.
import { expandHeaders, getText } from './fetch.js';
import { DEFAULT_METRIC_TIMEOUT_MS, type HttpJsonQuery, type MetricContext, type MetricReading, type SampleReading } from './types.js';
import { pickPath, toMetricValue, toSampleValues } from './values.js';

type Found = { ok: true; value: unknown; where: string } | { ok: false; reason: string };

/** GET the URL and walk the path: the JSON value there, or why there is none. */
async function fetchJsonAt(q: HttpJsonQuery, ctx: MetricContext): Promise<Found> {
  const headers = expandHeaders(q.headers, ctx.env, ctx.secrets);
  if (!headers.ok) return headers;
  const res = await getText(q.url, { headers: headers.headers, timeoutMs: q.timeoutMs ?? DEFAULT_METRIC_TIMEOUT_MS, signal: ctx.signal });
  if (!res.ok) return res;
  if (res.status < 200 || res.status > 299) return { ok: false, reason: `answered HTTP ${res.status} (${res.where})` };

  let doc: unknown;
  try {
    doc = JSON.parse(res.body);
  } catch {
    return { ok: false, reason: `answer is not valid JSON (${res.where})` };
  }
  const picked = pickPath(doc, q.path);
  if (!picked.found) return { ok: false, reason: `path ${q.path}: ${picked.reason} (${res.where})` };
  return { ok: true, value: picked.value, where: res.where };
}

export async function readHttpJson(q: HttpJsonQuery, ctx: MetricContext): Promise<MetricReading> {
  const now = ctx.now ?? Date.now;
  const fail = (reason: string): MetricReading => ({ ok: false, kind: 'provider-error', reason, at: now() });
  const found = await fetchJsonAt(q, ctx);
  if (!found.ok) return fail(found.reason);
  const v = toMetricValue(found.value);
  if (!v.ok) return fail(`path ${q.path}: ${v.reason} (${found.where})`);
  return { ok: true, value: v.value, at: now(), ...(v.value === null ? { detail: `${q.path} is null: no data` } : {}) };
}

/** The array of numbers at the path: the window's samples of one side. */
export async function readHttpJsonSamples(q: HttpJsonQuery, ctx: MetricContext): Promise<SampleReading> {
  const now = ctx.now ?? Date.now;
  const found = await fetchJsonAt(q, ctx);
  if (!found.ok) return { ok: false, kind: 'provider-error', reason: found.reason, at: now() };
  const v = toSampleValues(found.value);
  if (!v.ok) return { ok: false, kind: 'provider-error', reason: `path ${q.path}: ${v.reason} (${found.where})`, at: now() };
  const skipped = v.skipped ? `; ${v.skipped} null or non-finite value(s) skipped` : '';
  return { ok: true, values: v.values, at: now(), detail: `${v.values.length} sample(s)${skipped}` };
}
