// Zod schemas of a runbook's canary: section (windows, metrics and the rules that promote or
// abort), part of runbook format v1 (schema.ts).
import * as z from 'zod';
import { CONDITION_PATTERN, Name, Duration, Headers, scriptFields } from './schema-fields.js';

const ConditionText = z
  .string()
  .regex(CONDITION_PATTERN, { error: 'expected a condition such as "<= 0.01" or "> 300"' })
  .meta({ examples: ['<= 0.01', '> 300'] });

export const METRIC_SOURCES = ['prometheus', 'http', 'csv', 'script', 'compare'] as const;

// A compare metric (Kayenta's approach) reads no single value: each window it takes the
// samples of the baseline and of the canary (the rows appended to a CSV since the previous
// window, or an array of numbers in a JSON answer) and the Mann-Whitney U test judges them.
// The window fails for it when the canary is worse with p < 1 - confidence and its median moved
// by more than effectSize; too few samples are inconclusive; a side that cannot be read is a
// provider error. It takes no success:, failure: or burst:.
export const SampleSourceSchema = z
  .strictObject({
    csv: z
      .strictObject({
        file: z.string().min(1).describe('CSV file being appended to; relative to the runbook.'),
        column: z.string().min(1).describe('Column whose values in the rows added in the window are the samples.'),
      })
      .optional()
      .describe('Every value of the column in the rows appended since the previous window.'),
    http: z
      .strictObject({
        target: Name.describe('Name of an entry under targets:.'),
        path: z.string().optional().describe('Path appended to the target URL (default "/").'),
        json: z.string().min(1).describe('Dot path of an array of numbers in the JSON answer, e.g. data.latencies_ms.'),
        headers: Headers.optional(),
        timeout: Duration.optional().describe('Default 5s.'),
      })
      .optional()
      .describe('GET a URL each window; the samples are an array of numbers in its JSON answer.'),
  })
  .meta({ description: 'Where one side gets its samples: exactly one of csv: or http:.', oneOf: [{ required: ['csv'] }, { required: ['http'] }] });

export const CompareSchema = z.strictObject({
  baseline: SampleSourceSchema.describe('Samples of the stable version: exactly one of csv: or http:.'),
  canary: SampleSourceSchema.describe('Samples of the canary: exactly one of csv: or http:.'),
  direction: z
    .enum(['increase', 'decrease', 'either'])
    .optional()
    .describe('Which change is bad: increase (default; latency, errors), decrease (throughput) or either.'),
  confidence: z
    .number()
    .gt(0, { error: 'confidence is a probability between 0 and 1, such as 0.95' })
    .lt(1, { error: 'confidence is a probability between 0 and 1, such as 0.95' })
    .optional()
    .describe('A difference counts when p < 1 - confidence (default 0.95).'),
  effectSize: z
    .number()
    .min(0, { error: 'effectSize is a relative change of 0 or more, such as 0.1 for 10%' })
    .optional()
    .describe('Smallest relative change of the medians that counts, e.g. 0.1 for 10% (default 0).'),
  minSamples: z.number().int().positive().optional().describe('Fewer samples on either side make the window inconclusive (default 3).'),
});

export const CanaryMetricSchema = z
  .strictObject({
    name: Name.describe('Metric name, shown in windows and reasons.'),
    prometheus: z
      .strictObject({
        target: Name.describe('Target whose URL is the Prometheus server.'),
        query: z.string().min(1).describe('PromQL instant query returning one series, e.g. sum(rate(...[1m])).'),
        timeout: Duration.optional(),
      })
      .optional(),
    http: z
      .strictObject({
        target: Name,
        path: z.string().optional(),
        json: z.string().min(1).describe('Dot path of the value in the JSON answer, e.g. data.error_rate.'),
        headers: Headers.optional(),
        timeout: Duration.optional(),
      })
      .optional(),
    csv: z
      .strictObject({
        file: z.string().min(1).describe('CSV file being appended to; relative to the runbook.'),
        column: z.string().min(1),
        aggregate: z.enum(['last', 'avg', 'max', 'min', 'sum', 'count', 'rate']).optional().describe('Over the rows added in the window (default avg).'),
        where: ConditionText.optional().describe('For rate: the share of new rows whose column meets this condition.'),
      })
      .optional(),
    script: z
      .strictObject({ ...scriptFields, json: z.string().min(1).describe('Dot path of the value in the JSON the script prints.') })
      .optional(),
    compare: CompareSchema.optional().describe('Compare baseline and canary samples each window with the Mann-Whitney U test.'),
    success: ConditionText.optional().describe('The window passes for this metric when the value meets this.'),
    failure: ConditionText.optional().describe('The window fails when the value meets this; between success and failure is inconclusive.'),
    burst: ConditionText.optional().describe('A single window meeting this is a burst: abort at once.'),
  })
  .meta({ description: 'A canary metric: exactly one of prometheus:, http:, csv:, script: (one value per window, judged by success:/failure:/burst:) or compare: (baseline against canary samples).' });

export const CanarySchema = z.strictObject({
  interval: Duration.describe('Length of one analysis window.'),
  steps: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        weight: z.number().min(0).max(100).optional().describe('Traffic share in percent, shown in the cockpit.'),
        windows: z.number().int().positive().optional().describe('Windows before the operator must decide (default 10).'),
      }),
    )
    .min(1),
  metrics: z.array(CanaryMetricSchema).min(1),
  rules: z
    .strictObject({
      consecutiveSuccesses: z.number().int().positive().optional().describe('Passing windows in a row (burst 0) that promote a step (default 3).'),
      failureLimit: z.number().int().min(0).optional().describe('Failing windows allowed; one more aborts (default 0).'),
      consecutiveErrorLimit: z.number().int().min(0).optional().describe('Provider errors in a row allowed; one more aborts (default 4).'),
      inconclusiveLimit: z.number().int().min(0).optional().describe('Inconclusive windows allowed before the operator is asked (default 1).'),
    })
    .optional(),
  decision: z
    .strictObject({
      deadline: Duration.optional().describe('How long the operator has to decide an inconclusive canary (default 5m).'),
      default: z.enum(['abort', 'continue']).optional().describe('Taken when the deadline passes (default abort).'),
    })
    .optional(),
  actions: z
    .strictObject({
      promote: Name.optional().describe('Action run on promotion (default promote).'),
      abort: Name.optional().describe('Action run on a violated rule (default abort).'),
      start: Name.optional().describe('Action that starts the canary, run before the first window.'),
    })
    .optional(),
});
