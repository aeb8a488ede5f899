// The canary section, from validated YAML to the model: defaults filled in, durations in
// milliseconds, metric sources resolved against the targets and the runbook's folder.
import path from 'node:path';
import { durationMs } from './durations.js';
import { parseCondition } from '../engine/conditions.js';
import type { CanaryMetric, CanarySpec, MetricSource, SampleSource } from './model.js';
import type { CanaryInput, CanaryMetricInput, SampleSourceInput } from './schema.js';
import { joinUrl, scriptSpec, type NormalizeContext } from './normalize-parts.js';

export const CANARY_DEFAULTS = {
  windows: 10,
  consecutiveSuccesses: 3,
  failureLimit: 0,
  consecutiveErrorLimit: 4,
  inconclusiveLimit: 1,
  decisionDeadlineMs: 5 * 60_000,
  metricTimeoutMs: 5_000,
  compare: { direction: 'increase', confidence: 0.95, effectSize: 0, minSamples: 3 },
} as const;

export function normalizeCanary(c: CanaryInput, ctx: NormalizeContext): CanarySpec {
  return {
    intervalMs: durationMs(c.interval, 0),
    steps: c.steps.map((s) => ({ name: s.name, weight: s.weight, windows: s.windows ?? CANARY_DEFAULTS.windows })),
    metrics: c.metrics.map((m) => canaryMetric(m, ctx)),
    rules: {
      consecutiveSuccesses: c.rules?.consecutiveSuccesses ?? CANARY_DEFAULTS.consecutiveSuccesses,
      failureLimit: c.rules?.failureLimit ?? CANARY_DEFAULTS.failureLimit,
      consecutiveErrorLimit: c.rules?.consecutiveErrorLimit ?? CANARY_DEFAULTS.consecutiveErrorLimit,
      inconclusiveLimit: c.rules?.inconclusiveLimit ?? CANARY_DEFAULTS.inconclusiveLimit,
    },
    decisionDeadlineMs: durationMs(c.decision?.deadline, CANARY_DEFAULTS.decisionDeadlineMs),
    defaultDecision: c.decision?.default ?? 'abort',
    promoteAction: c.actions?.promote ?? 'promote',
    abortAction: c.actions?.abort ?? 'abort',
    startAction: c.actions?.start,
  };
}

function canaryMetric(m: CanaryMetricInput, ctx: NormalizeContext): CanaryMetric {
  if (m.compare) {
    const d = CANARY_DEFAULTS.compare;
    const c = m.compare;
    return {
      name: m.name,
      compare: {
        baseline: sampleSource(c.baseline, ctx),
        canary: sampleSource(c.canary, ctx),
        direction: c.direction ?? d.direction,
        confidence: c.confidence ?? d.confidence,
        effectSize: c.effectSize ?? d.effectSize,
        minSamples: c.minSamples ?? d.minSamples,
      },
    };
  }
  const cond = (t: string | undefined) => (t === undefined ? undefined : parseCondition(t));
  return { name: m.name, source: metricSource(m, ctx), success: cond(m.success), failure: cond(m.failure), burst: cond(m.burst) };
}

const metricTimeout = (t: string | number | undefined) => durationMs(t, CANARY_DEFAULTS.metricTimeoutMs);

function sampleSource(s: SampleSourceInput, ctx: NormalizeContext): SampleSource {
  if (s.csv) return { provider: 'csv', file: path.resolve(ctx.dir, s.csv.file), column: s.csv.column };
  const h = s.http!;
  return { provider: 'http-json', url: joinUrl(ctx.targets[h.target], h.path), path: h.json, headers: { ...(h.headers ?? {}) }, timeoutMs: metricTimeout(h.timeout) };
}

function metricSource(m: CanaryMetricInput, ctx: NormalizeContext): MetricSource {
  if (m.prometheus) return { provider: 'prometheus', url: ctx.targets[m.prometheus.target], query: m.prometheus.query, timeoutMs: metricTimeout(m.prometheus.timeout) };
  if (m.http)
    return { provider: 'http-json', url: joinUrl(ctx.targets[m.http.target], m.http.path), path: m.http.json, headers: { ...(m.http.headers ?? {}) }, timeoutMs: metricTimeout(m.http.timeout) };
  if (m.csv) return { provider: 'csv', file: path.resolve(ctx.dir, m.csv.file), column: m.csv.column, aggregate: m.csv.aggregate ?? 'avg', where: m.csv.where };
  const { json, ...script } = m.script!;
  return { provider: 'script', script: scriptSpec(script, ctx), path: json };
}

