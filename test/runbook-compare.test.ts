// The canary's compare metrics in the runbook: what loads and how it is normalised, and every
// mistake reported with its line and field path.
import { describe, expect, it } from 'vitest';
import { RunbookError, type RunbookIssue } from '../src/runbook/errors.js';
import { parseRunbook } from '../src/runbook/load.js';
import { runbookJsonSchema } from '../src/runbook/schema.js';

const FILE = '/srv/runbooks/canary.yaml'; // a name for inline runbooks; never read

/** Lines joined with "\n": line numbers are the array index + 1. */
const yaml = (...lines: string[]) => lines.join('\n') + '\n';

/** A runbook with one canary metric; its lines start at line 11 (`    - name: latency` is 10). */
const withMetric = (...metric: string[]) =>
  yaml(
    'version: 1', // 1
    'name: Compare', // 2
    'targets:', // 3
    '  app: http://127.0.0.1:9000/', // 4
    'actions:', // 5
    '  abort: { script: { command: ./abort.sh } }', // 6
    '  promote: { script: { command: ./promote.sh } }', // 7
    'canary:', // 8
    '  interval: 30s', // 9
    '  steps: [{ name: 10% }]', // 10
    '  metrics:', // 11
    '    - name: latency', // 12
    ...metric, // 13 …
  );

function issuesOf(text: string): RunbookIssue[] {
  try {
    parseRunbook(text, FILE, {});
  } catch (e) {
    expect(e).toBeInstanceOf(RunbookError);
    return [...(e as RunbookError).issues];
  }
  throw new Error('expected the runbook to be rejected');
}
const brief = (issues: RunbookIssue[]) => issues.map((i) => `${i.line} ${i.path}: ${i.message}`);

describe('compare metrics in a runbook', () => {
  it('normalises both sides, with the defaults filled in', () => {
    const rb = parseRunbook(
      withMetric(
        '      compare:',
        '        baseline: { csv: { file: data/baseline.csv, column: latency_ms } }',
        '        canary:',
        '          http: { target: app, path: /samples, json: data.latency_ms, timeout: 2s }',
        '    - name: throughput',
        '      compare:',
        '        baseline: { csv: { file: /var/log/base.csv, column: rps } }',
        '        canary: { csv: { file: /var/log/canary.csv, column: rps } }',
        '        direction: decrease',
        '        confidence: 0.99',
        '        effectSize: 0.1',
        '        minSamples: 10',
      ),
      FILE,
      {},
    );
    expect(rb.canary?.metrics).toEqual([
      {
        name: 'latency',
        compare: {
          baseline: { provider: 'csv', file: '/srv/runbooks/data/baseline.csv', column: 'latency_ms' },
          canary: { provider: 'http-json', url: 'http://127.0.0.1:9000/samples', path: 'data.latency_ms', headers: {}, timeoutMs: 2000 },
          direction: 'increase',
          confidence: 0.95,
          effectSize: 0,
          minSamples: 3,
        },
      },
      {
        name: 'throughput',
        compare: {
          baseline: { provider: 'csv', file: '/var/log/base.csv', column: 'rps' },
          canary: { provider: 'csv', file: '/var/log/canary.csv', column: 'rps' },
          direction: 'decrease',
          confidence: 0.99,
          effectSize: 0.1,
          minSamples: 10,
        },
      },
    ]);
  });

  it('each side needs exactly one source', () => {
    const issues = issuesOf(
      withMetric(
        '      compare:',
        '        baseline:',
        '          csv: { file: b.csv, column: ms }',
        '          http: { target: app, json: ms }',
        '        canary: {}',
      ),
    );
    expect(brief(issues)).toEqual([
      '16 canary.metrics[0].compare.baseline.http: baseline has both csv: and http:; keep one',
      '17 canary.metrics[0].compare.canary: canary needs its samples from csv: or http:',
    ]);
  });

  it('a missing side, an unknown field and a typo in a source are named with their line', () => {
    const issues = issuesOf(
      withMetric(
        '      compare:',
        '        baseline: { cvs: { file: b.csv, column: ms } }',
        '        confidense: 0.9',
      ),
    );
    expect(brief(issues)).toEqual([
      '13 canary.metrics[0].compare.canary: missing required field "canary"',
      '14 canary.metrics[0].compare.baseline.cvs: unknown field "cvs" — did you mean "csv"?',
      '15 canary.metrics[0].compare.confidense: unknown field "confidense" — did you mean "confidence"?',
    ]);
  });

  it('checks the http side like any http metric: the target exists, secrets are declared', () => {
    const issues = issuesOf(
      withMetric(
        '      compare:',
        '        baseline: { csv: { file: b.csv, column: ms } }',
        '        canary:',
        '          http:',
        '            target: ap',
        '            json: samples',
        '            headers: { Authorization: "Bearer ${SAMPLES_TOKEN}" }',
      ),
    );
    expect(brief(issues)).toEqual([
      '17 canary.metrics[0].compare.canary.http.target: no target named "ap" — did you mean "app"?',
      '19 canary.metrics[0].compare.canary.http.headers.Authorization: SAMPLES_TOKEN is not declared under secrets:',
    ]);
  });

  it('refuses thresholds on a compare metric, and a second source beside compare:', () => {
    const issues = issuesOf(
      withMetric(
        '      csv: { file: a.csv, column: ms }',
        '      compare:',
        '        baseline: { csv: { file: b.csv, column: ms } }',
        '        canary: { csv: { file: c.csv, column: ms } }',
        '      failure: "> 300"',
      ),
    );
    expect(brief(issues)).toEqual([
      '12 canary.metrics[0]: metric has csv and compare; keep one source',
      '17 canary.metrics[0].failure: a compare metric is judged by the Mann-Whitney test, not by failure:; remove it',
    ]);
    expect(issues[1].hint).toMatch(/confidence:, effectSize: and minSamples:/);
  });

  it('a compare metric needs no success, failure or burst; a metric without any source says compare: is one', () => {
    expect(brief(issuesOf(withMetric('      success: "< 1"')))).toEqual([
      '12 canary.metrics[0]: metric needs one source: prometheus:, http:, csv:, script: or compare:',
    ]);
  });

  it('range and enum errors on the test settings', () => {
    const issues = issuesOf(
      withMetric(
        '      compare:',
        '        baseline: { csv: { file: b.csv, column: ms } }',
        '        canary: { csv: { file: c.csv, column: ms } }',
        '        direction: up',
        '        confidence: 95',
        '        effectSize: -0.1',
        '        minSamples: 0',
      ),
    );
    expect(issues.map((i) => [i.line, i.path])).toEqual([
      [16, 'canary.metrics[0].compare.direction'],
      [17, 'canary.metrics[0].compare.confidence'],
      [18, 'canary.metrics[0].compare.effectSize'],
      [19, 'canary.metrics[0].compare.minSamples'],
    ]);
    expect(issues[0].message).toMatch(/increase.*decrease.*either/);
    expect(issues[1].message).toBe('confidence is a probability between 0 and 1, such as 0.95');
    expect(issues[2].message).toBe('effectSize is a relative change of 0 or more, such as 0.1 for 10%');
    expect(issues[3].message).toBe('must be more than 0');
  });

  it('is described in the JSON Schema', () => {
    const schema = runbookJsonSchema() as { properties: Record<string, any> };
    const metric = schema.properties.canary.properties.metrics.items;
    expect(metric.description).toMatch(/or compare: \(baseline against canary samples\)/);
    const compare = metric.properties.compare;
    expect(compare.description).toBe('Compare baseline and canary samples each window with the Mann-Whitney U test.');
    expect(compare.additionalProperties).toBe(false);
    expect(compare.required).toEqual(['baseline', 'canary']);
    expect(compare.properties.baseline).toMatchObject({
      description: 'Samples of the stable version: exactly one of csv: or http:.',
      oneOf: [{ required: ['csv'] }, { required: ['http'] }],
    });
    expect(compare.properties.canary.properties.http.properties.json.description).toMatch(/array of numbers/);
    expect(compare.properties.confidence).toMatchObject({ exclusiveMinimum: 0, exclusiveMaximum: 1 });
    expect(compare.properties.direction.enum).toEqual(['increase', 'decrease', 'either']);
  });
});
