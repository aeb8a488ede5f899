// One entry point for canary metrics: dispatch by provider, and make sure whatever happens in
// a provider comes back as a reading (an unexpected throw is a provider error too) with
// secret values masked.
import type { CanaryMetric } from '../../src/runbook/model.js';
import { Redactor } from '../../src/runbook/secrets.js';
import { readCsvTail } from './csv-tail.js';
import { readHttpJson } from './http-json.js';
import { readPrometheus } from './prometheus.js';
import { readScriptJson } from './script-json.js';
import type { MetricContext, MetricQuery, MetricReading } from './types.js';

export type { CsvCursor } from './csv-tail.js';
export { closeMetricsAgent } from './fetch.js';
export type * from './types.js';

/** A runbook's canary metric as a query (the loader's MetricSource has the same fields). */
export function metricQueryOf(m: CanaryMetric): MetricQuery {
  return { name: m.name, ...m.source };
}

function dispatch(q: MetricQuery, ctx: MetricContext): Promise<MetricReading> {
  switch (q.provider) {
    case 'http-json':
      return readHttpJson(q, ctx);
    case 'csv':
      return readCsvTail(q, ctx);
    case 'script':
      return readScriptJson(q, ctx);
    case 'prometheus':
      return readPrometheus(q, ctx);
    default: {
      const provider = (q as { provider?: unknown }).provider;
      throw new Error(`unknown metric provider ${JSON.stringify(provider)}`);
    }
  }
}

export async function readMetric(query: MetricQuery, ctx: MetricContext): Promise<MetricReading> {
  const now = ctx.now ?? Date.now;
  let reading: MetricReading;
  try {
    reading = await dispatch(query, ctx);
  } catch (err) {
    reading = { ok: false, kind: 'provider-error', reason: `${query.name}: ${err instanceof Error ? err.message : String(err)}`, at: now() };
  }
  // Mask the texts only: a JSON round trip would turn an Infinity value into null.
  const redact = new Redactor(ctx.secrets, ctx.env);
  if (!reading.ok) return { ...reading, reason: redact.text(reading.reason) };
  return reading.detail === undefined ? reading : { ...reading, detail: redact.text(reading.detail) };
}
