// Prometheus HTTP API instant query (GET /api/v1/query). One metric is one number: a vector
// with one sample gives its value, an empty vector gives no data, several series are refused
// with a hint to aggregate, since picking one of them would judge the canary on a guess.
import { expandHeaders, getText } from './fetch.js';
import { DEFAULT_METRIC_TIMEOUT_MS, type MetricContext, type MetricReading, type PrometheusQuery } from './types.js';
import { describe, toMetricValue } from './values.js';

interface ApiAnswer {
  status?: unknown;
  errorType?: unknown;
  error?: unknown;
  warnings?: unknown;
  data?: { resultType?: unknown; result?: unknown };
}

/** `http://prom:9090/sub` + `api/v1/query`, keeping any path prefix of the base. */
export function queryUrl(q: Pick<PrometheusQuery, 'url' | 'query' | 'time'>): string {
  const base = q.url.endsWith('/') ? q.url : `${q.url}/`;
  const url = new URL('api/v1/query', base);
  url.searchParams.set('query', q.query);
  if (q.time !== undefined) url.searchParams.set('time', typeof q.time === 'number' ? String(q.time / 1000) : q.time);
  return url.toString();
}

function labels(metric: unknown): string {
  if (!metric || typeof metric !== 'object') return '{}';
  const parts = Object.entries(metric as Record<string, unknown>).map(([k, v]) => `${k}="${String(v)}"`);
  return `{${parts.join(',')}}`;
}

/** `[unixSeconds, "value"]` → a reading's value. */
function sampleValue(sample: unknown): { ok: true; value: number | null } | { ok: false; reason: string } {
  if (!Array.isArray(sample) || sample.length !== 2) return { ok: false, reason: `sample is ${describe(sample)}, not [time, value]` };
  return toMetricValue(sample[1]);
}

export async function readPrometheus(q: PrometheusQuery, ctx: MetricContext): Promise<MetricReading> {
  const now = ctx.now ?? Date.now;
  const fail = (reason: string): MetricReading => ({ ok: false, kind: 'provider-error', reason, at: now() });
  const ok = (value: number | null, detail: string): MetricReading => ({ ok: true, value, at: now(), detail });

  let url: string;
  try {
    url = queryUrl(q);
  } catch {
    return fail(`Prometheus URL ${JSON.stringify(q.url)} is not a valid URL`);
  }
  const headers = expandHeaders(q.headers, ctx.env, ctx.secrets);
  if (!headers.ok) return fail(headers.reason);
  const res = await getText(url, { headers: headers.headers, timeoutMs: q.timeoutMs ?? DEFAULT_METRIC_TIMEOUT_MS, signal: ctx.signal });
  if (!res.ok) return fail(res.reason);

  // Query errors come back as 400/422/503 with a JSON body that says why: read it first.
  let doc: ApiAnswer;
  try {
    doc = JSON.parse(res.body) as ApiAnswer;
  } catch {
    return fail(res.status >= 300 ? `answered HTTP ${res.status} (${res.where})` : `answer is not valid JSON (${res.where})`);
  }
  if (doc?.status === 'error') {
    return fail(`query ${q.query} failed: ${String(doc.errorType ?? 'error')}: ${String(doc.error ?? 'no message')} (HTTP ${res.status})`);
  }
  if (doc?.status !== 'success' || !doc.data || typeof doc.data !== 'object') {
    return fail(`answer is not a Prometheus API response (HTTP ${res.status}, ${res.where})`);
  }
  const warnings = Array.isArray(doc.warnings) && doc.warnings.length ? `; warnings: ${doc.warnings.join('; ')}` : '';
  const { resultType, result } = doc.data;

  if (resultType === 'scalar') {
    const v = sampleValue(result);
    if (!v.ok) return fail(`scalar result: ${v.reason}`);
    return ok(v.value, `scalar${v.value === null ? ' NaN: no data' : ''}${warnings}`);
  }
  if (resultType === 'vector') {
    if (!Array.isArray(result)) return fail(`vector result is ${describe(result)}, not a list`);
    if (result.length === 0) return ok(null, `empty vector: no data${warnings}`);
    if (result.length > 1) {
      return fail(`query returned ${result.length} series; aggregate it (e.g. sum(...)) so it yields one: ${q.query}`);
    }
    const series = result[0] as { metric?: unknown; value?: unknown };
    const v = sampleValue(series?.value);
    if (!v.ok) return fail(`vector sample: ${v.reason}`);
    return ok(v.value, `${labels(series?.metric)}${v.value === null ? ' NaN: no data' : ''}${warnings}`);
  }
  if (resultType === 'matrix') return fail(`query returned a range vector; use an instant query, e.g. rate(${q.query}) or last_over_time(...)`);
  return fail(`query returned a ${String(resultType)} result, not a number`);
}
