// readSamples, one side of a compare metric, against real things: CSV files in a temp dir
// being appended to, and the fixture server answering JSON. A side that cannot be read is a
// provider error, never an empty sample (which the judge would call no data).
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clearFaults, setFault } from '../adapters/fixture-control.js';
import {
  closeMetricsAgent, readMetric, readSamples, sampleQueriesOf,
  type CsvCursor, type CsvSamplesQuery, type MetricContext, type SampleReading,
} from '../adapters/metrics/index.js';
import { startFixtureServer, type FixtureServer } from '../fixtures/server.js';
import type { CompareCanaryMetric } from '../src/runbook/model.js';

let srv: FixtureServer;
let dir: string;
beforeAll(async () => {
  srv = await startFixtureServer({});
  dir = mkdtempSync(join(tmpdir(), 'oc-samples-'));
});
afterAll(async () => {
  await clearFaults(srv.url);
  await srv.close();
  await closeMetricsAgent();
  rmSync(dir, { recursive: true, force: true });
});

const ctx = (extra: Partial<MetricContext> = {}): MetricContext => ({ env: {}, secrets: [], ...extra });
const reasonOf = (r: SampleReading) => (r.ok ? `values ${r.values.join(',')}` : r.reason);
let n = 0;
const newFile = (content: string) => {
  const file = join(dir, `samples-${++n}.csv`);
  writeFileSync(file, content);
  return file;
};

describe('csv samples', () => {
  const q = (file: string, extra: Partial<CsvSamplesQuery> = {}): CsvSamplesQuery => ({ name: 'latency.canary', provider: 'csv', file, column: 'ms', ...extra });

  it('returns every value of the rows appended since the previous read', async () => {
    const file = newFile('ts,ms\n1,120\n2,130\n3,1');
    const c = ctx({ csvCursors: new Map<string, CsvCursor>() });
    expect(await readSamples(q(file), c)).toMatchObject({ ok: true, values: [120, 130], detail: '2 sample(s) in 2 new row(s)' });
    appendFileSync(file, '10\n4,n/a\n5,90\n');
    const next = await readSamples(q(file), c);
    expect(next).toMatchObject({ ok: true, values: [110, 90] });
    expect(next.ok && next.detail).toBe('2 sample(s) in 3 new row(s); 1 non-numeric ms cell(s) skipped');
    expect(await readSamples(q(file), c)).toMatchObject({ ok: true, values: [] });
  });

  it('shares the cursor logic with the aggregate reader: truncation reads from the start', async () => {
    const file = newFile('ts,ms\n1,10\n2,20\n3,30\n');
    const c = ctx({ csvCursors: new Map<string, CsvCursor>() });
    await readSamples(q(file), c);
    writeFileSync(file, 'ts,ms\n4,7\n');
    const r = await readSamples(q(file), c);
    expect(r).toMatchObject({ ok: true, values: [7] });
    expect(r.ok && r.detail).toMatch(/file was truncated; read from the start/);
    // The aggregate reader of another metric keeps its own place in the same file.
    expect(await readMetric({ name: 'avg', provider: 'csv', file, column: 'ms', aggregate: 'avg' }, c)).toMatchObject({ ok: true, value: 7 });
  });

  it('reports a missing file, a missing column and a column without numbers as provider errors', async () => {
    expect(reasonOf(await readSamples(q(join(dir, 'none.csv')), ctx()))).toBe(`file ${join(dir, 'none.csv')} does not exist`);
    const file = newFile('ts,latency\n1,fast\n');
    expect(reasonOf(await readSamples(q(file), ctx()))).toBe(`column ms is not in ${file} (columns: ts, latency)`);
    expect(reasonOf(await readSamples(q(file, { column: 'latency' }), ctx()))).toMatch(/has no numbers in 1 new row\(s\) \(e\.g\. "fast"\)/);
  });

  it('gives the two sides of a compare metric their own cursors, even on one file', async () => {
    const file = newFile('ts,base_ms,canary_ms\n1,100,150\n2,110,160\n');
    const m: CompareCanaryMetric = {
      name: 'latency',
      compare: {
        baseline: { provider: 'csv', file, column: 'base_ms' },
        canary: { provider: 'csv', file, column: 'canary_ms' },
        direction: 'increase',
        confidence: 0.95,
        effectSize: 0,
        minSamples: 3,
      },
    };
    const sides = sampleQueriesOf(m);
    const c = ctx({ csvCursors: new Map<string, CsvCursor>() });
    const [b, k] = await Promise.all([readSamples(sides.baseline, c), readSamples(sides.canary, c)]);
    expect([b, k]).toMatchObject([{ ok: true, values: [100, 110] }, { ok: true, values: [150, 160] }]);
  });
});

describe('http samples', () => {
  const read = (path: string, route = '/samples') => readSamples({ name: 'latency.baseline', provider: 'http-json', url: srv.url + route, path, timeoutMs: 2_000 }, ctx());

  it('reads an array of numbers at the path; numeric strings count, gaps are skipped', async () => {
    await setFault(srv.url, { route: '/samples', body: JSON.stringify({ data: { ms: [120, '130.5', null, 'NaN', 140], none: null, one: 3, words: [1, 'fast'] } }) });
    const r = await read('data.ms');
    expect(r).toMatchObject({ ok: true, values: [120, 130.5, 140], detail: '3 sample(s); 2 null or non-finite value(s) skipped' });
    expect(await read('data.none')).toMatchObject({ ok: true, values: [] });
    expect(reasonOf(await read('data.one'))).toBe(`path data.one: value is number 3, not an array of numbers (GET ${srv.url}/samples)`);
    expect(reasonOf(await read('data.words'))).toBe(`path data.words: item 1: value is the string "fast", not a number (GET ${srv.url}/samples)`);
    expect(reasonOf(await read('data.p99'))).toBe(`path data.p99: data has no field "p99" (GET ${srv.url}/samples)`);
  });

  it('turns an error status into a provider error', async () => {
    await setFault(srv.url, { route: '/samples503', status: 503, body: '{"ms":[1,2,3]}' });
    expect(reasonOf(await read('ms', '/samples503'))).toBe(`answered HTTP 503 (GET ${srv.url}/samples503)`);
  });
});
