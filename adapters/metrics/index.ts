// One entry point for canary metrics: dispatch by provider, and make sure whatever happens in
// a provider comes back as a reading (an unexpected throw is a provider error too) with
// secret values masked. readMetric gives one number; readSamples gives the window's numbers
// for one side of a compare metric.
import type { CompareCanaryMetric, ValueCanaryMetric } from '../../src/runbook/model.js';
import { redactorFor } from '../../src/runbook/secrets.js';
import { readCsvSamples, readCsvTail } from './csv-tail.js';
import { readHttpJson, readHttpJsonSamples } from './http-json.js';
import { readPrometheus } from './prometheus.js';
import { readScriptJson } from './script-json.js';
import type { MetricContext, MetricQuery, MetricReading, ProviderError, SampleQuery, SampleReading } from './types.js';

export type { CsvCursor } from './csv-tail.js';
export { closeMetricsAgent } from './fetch.js';
export type * from './types.js';

/** A runbook's canary metric as a query (the loader's MetricSource has the same fields). */
export function metricQueryOf(m: ValueCanaryMetric): MetricQuery {
  return { name: m.name, ...m.source };
}

/**
 * A compare metric's two sides as sample queries. Each side has a name of its own, so two
 * sides reading one CSV file keep separate cursors.
 */
export function sampleQueriesOf(m: CompareCanaryMetric): { baseline: SampleQuery; canary: SampleQuery } {
  return { baseline: { name: `${m.name}.baseline`, ...m.compare.baseline }, canary: { name: `${m.name}.canary`, ...m.compare.canary } };
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
    default:
      return unknownProvider(q);
  }
}

function dispatchSamples(q: SampleQuery, ctx: MetricContext): Promise<SampleReading> {
  switch (q.provider) {
    case 'http-json':
      return readHttpJsonSamples(q, ctx);
    case 'csv':
      return readCsvSamples(q, ctx);
    default:
      return unknownProvider(q);
  }
}

function unknownProvider(q: never): never {
  throw new Error(`unknown metric provider ${JSON.stringify((q as { provider?: unknown }).provider)}`);
}

export function readMetric(query: MetricQuery, ctx: MetricContext): Promise<MetricReading> {
  return guarded(query.name, ctx, () => dispatch(query, ctx));
}

export function readSamples(query: SampleQuery, ctx: MetricContext): Promise<SampleReading> {
  return guarded(query.name, ctx, () => dispatchSamples(query, ctx));
}

/** A throw becomes a provider error; secret values are masked in the reason and the detail. */
async function guarded<R extends { ok: true; detail?: string }>(name: string, ctx: MetricContext, read: () => Promise<R | ProviderError>): Promise<R | ProviderError> {
  const now = ctx.now ?? Date.now;
  let reading: R | ProviderError;
  try {
    reading = await read();
  } catch (err) {
    reading = { ok: false, kind: 'provider-error', reason: `${name}: ${err instanceof Error ? err.message : String(err)}`, at: now() };
  }
  // Mask the texts only: a JSON round trip would turn an Infinity value into null.
  const redact = redactorFor(ctx.secrets, ctx.env);
  if (!reading.ok) return { ...reading, reason: redact.text(reading.reason) };
  return reading.detail === undefined ? reading : { ...reading, detail: redact.text(reading.detail) };
}
