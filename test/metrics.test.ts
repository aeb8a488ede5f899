// Metric readers against real things on loopback: the fixture server (its fault switch serves
// any JSON, status or delay), CSV files in a temp dir, shell scripts. The rule under test
// throughout: a provider that cannot answer is a provider error, never a number.
import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clearFaults, setFault } from '../adapters/fixture-control.js';
import { closeMetricsAgent, metricQueryOf, readMetric, type CsvCursor, type CsvQuery, type MetricContext, type MetricReading } from '../adapters/metrics/index.js';
import { splitCsvLine } from '../adapters/metrics/csv-tail.js';
import { queryUrl } from '../adapters/metrics/prometheus.js';
import { startFixtureServer, type FixtureServer } from '../fixtures/server.js';
import type { CanaryMetric, ScriptSpec } from '../src/runbook/model.js';

const TOKEN = 'metrics-token-5c1f';
let srv: FixtureServer;
let dir: string;

beforeAll(async () => {
  srv = await startFixtureServer({ token: TOKEN });
  dir = mkdtempSync(join(tmpdir(), 'oc-metrics-'));
});
afterAll(async () => {
  await srv.close();
  await closeMetricsAgent();
  rmSync(dir, { recursive: true, force: true });
});

const ctx = (extra: Partial<MetricContext> = {}): MetricContext => ({ env: {}, secrets: [], ...extra });
const valueOf = (r: MetricReading) => (r.ok ? r.value : `provider-error: ${r.reason}`);
const reasonOf = (r: MetricReading) => (r.ok ? `value ${r.value}` : r.reason);

describe('http-json', () => {
  const STATS = {
    status: 'success',
    data: { result: [{ metric: {}, value: [1700000000.5, '0.25'] }] },
    requests: 1200,
    p99: null,
    quantile: 'NaN',
    label: 'fast',
    healthy: true,
    big: '1e3',
  };
  beforeAll(() => setFault(srv.url, { route: '/stats', body: JSON.stringify(STATS) }));
  afterAll(() => clearFaults(srv.url));

  const read = (path: string, extra: Record<string, unknown> = {}, route = '/stats', c = ctx()) =>
    readMetric({ name: 'm', provider: 'http-json', url: srv.url + route, path, timeoutMs: 2_000, ...extra }, c);

  it('picks a value by dot path with array indices and coerces numeric strings', async () => {
    expect(await read('data.result.0.value.1')).toMatchObject({ ok: true, value: 0.25 });
    expect(await read('requests')).toMatchObject({ ok: true, value: 1200 });
    expect(valueOf(await read('big'))).toBe(1000);
    const r = await read('requests');
    expect(r.at).toBeGreaterThan(Date.now() - 5_000);
  });

  it('reads an explicit null or "NaN" as no data (value null), not as an error', async () => {
    expect(await read('p99')).toMatchObject({ ok: true, value: null, detail: 'p99 is null: no data' });
    expect(await read('quantile')).toMatchObject({ ok: true, value: null });
  });

  it('reports a path missing from the answer as a provider error saying where the walk stopped', async () => {
    // Decision: a missing path is an error, so a typo or a changed API cannot pass for "no data".
    const missing = await read('data.results.0');
    expect(missing).toMatchObject({ ok: false, kind: 'provider-error' });
    expect(reasonOf(missing)).toBe(`path data.results.0: data has no field "results" (GET ${srv.url}/stats)`);
    expect(reasonOf(await read('data.result.3.value'))).toMatch(/data\.result has 1 item\(s\), no index 3/);
    expect(reasonOf(await read('requests.count'))).toMatch(/requests is number 1200, not an object/);
  });

  it('refuses values that are not numbers', async () => {
    expect(reasonOf(await read('label'))).toMatch(/value is the string "fast", not a number/);
    expect(reasonOf(await read('healthy'))).toMatch(/value is boolean true, not a number/);
    expect(reasonOf(await read('data'))).toMatch(/value is an object, not a number/);
  });

  it('turns a 500 into a provider error, even when its body has the path', async () => {
    await setFault(srv.url, { route: '/stats500', status: 500, body: JSON.stringify(STATS) });
    const r = await read('requests', {}, '/stats500');
    expect(r).toMatchObject({ ok: false, kind: 'provider-error', reason: `answered HTTP 500 (GET ${srv.url}/stats500)` });
  });

  it('turns invalid JSON into a provider error', async () => {
    await setFault(srv.url, { route: '/text', body: 'not json' });
    expect(reasonOf(await read('x', {}, '/text'))).toMatch(/^answer is not valid JSON/);
  });

  it('turns a refused connection and a timeout into provider errors', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const refused = await readMetric({ name: 'm', provider: 'http-json', url: `http://127.0.0.1:${port}/stats`, path: 'x' }, ctx());
    expect(refused).toMatchObject({ ok: false, kind: 'provider-error' });
    expect(reasonOf(refused)).toMatch(/^connection refused \(GET http:\/\/127\.0\.0\.1:\d+\/stats\)$/);

    await setFault(srv.url, { route: '/slow', delayMs: 2_000, body: '{"x":1}' });
    const t0 = performance.now();
    const slow = await read('x', { timeoutMs: 200 }, '/slow');
    expect(performance.now() - t0).toBeLessThan(1_500);
    expect(reasonOf(slow)).toMatch(/^timed out after 200 ms/);
  });

  it('expands secrets in headers, names a missing one, and masks secret values in reasons', async () => {
    const headers = { authorization: 'Bearer ${TOKEN}' };
    const ok = await read('series.0.counts.6', { headers }, '/ops/cards/reason-trends', ctx({ env: { TOKEN }, secrets: ['TOKEN'] }));
    expect(ok).toMatchObject({ ok: true, value: 2 });
    const unset = await read('series.0.counts.6', { headers }, '/ops/cards/reason-trends', ctx({ secrets: ['TOKEN'] }));
    expect(reasonOf(unset)).toBe('secret TOKEN is not set in the environment');
    // A URL that carries a secret value (a target built from the environment) is masked.
    const leaky = await read('x', {}, `/by-token/${TOKEN}`, ctx({ env: { TOKEN }, secrets: ['TOKEN'] }));
    expect(reasonOf(leaky)).toBe(`answered HTTP 404 (GET ${srv.url}/by-token/***)`);
  });

  it("reads a runbook metric through metricQueryOf (the loader's source has the query's fields)", async () => {
    const m: CanaryMetric = { name: 'reqs', source: { provider: 'http-json', url: srv.url + '/stats', path: 'requests', headers: {}, timeoutMs: 2_000 } };
    expect(await readMetric(metricQueryOf(m), ctx())).toMatchObject({ ok: true, value: 1200 });
  });
});

describe('csv tail', () => {
  let n = 0;
  const newFile = (content: string) => {
    const file = join(dir, `log-${++n}.csv`);
    writeFileSync(file, content);
    return file;
  };
  const q = (file: string, extra: Partial<CsvQuery> = {}): CsvQuery => ({ name: 'latency', provider: 'csv', file, column: 'ms', aggregate: 'avg', ...extra });

  it('reads only the rows appended since the last read', async () => {
    const file = newFile('ts,ms,status\n1,100,200\n2,300,200\n');
    const c = ctx({ csvCursors: new Map<string, CsvCursor>() });
    expect(await readMetric(q(file), c)).toMatchObject({ ok: true, value: 200, detail: '2 new row(s)' });
    appendFileSync(file, '3,50,200\n');
    expect(await readMetric(q(file), c)).toMatchObject({ ok: true, value: 50, detail: '1 new row(s)' });
    // Nothing new: no data, not zero.
    expect(await readMetric(q(file), c)).toMatchObject({ ok: true, value: null, detail: '0 new row(s): no data' });
    // The same metric counting: zero new rows is a count of 0, a fact rather than no data.
    expect(await readMetric(q(file, { aggregate: 'count' }), c)).toMatchObject({ ok: true, value: 0 });
  });

  it('keeps a cursor per metric name and file', async () => {
    const file = newFile('ts,ms\n1,10\n2,20\n');
    const c = ctx({ csvCursors: new Map<string, CsvCursor>() });
    expect(valueOf(await readMetric(q(file, { name: 'a' }), c))).toBe(15);
    expect(valueOf(await readMetric(q(file, { name: 'b', aggregate: 'max' }), c))).toBe(20);
    expect(valueOf(await readMetric(q(file, { name: 'a' }), c))).toBe(null);
  });

  it('keeps a partial last line for the next read', async () => {
    const file = newFile('ts,ms\n1,10\n2,1');
    const c = ctx({ csvCursors: new Map<string, CsvCursor>() });
    expect(await readMetric(q(file, { aggregate: 'sum' }), c)).toMatchObject({ ok: true, value: 10 });
    appendFileSync(file, '20\n3,');
    expect(await readMetric(q(file, { aggregate: 'sum' }), c)).toMatchObject({ ok: true, value: 120 });
    appendFileSync(file, '5\n');
    expect(await readMetric(q(file, { aggregate: 'sum' }), c)).toMatchObject({ ok: true, value: 5 });
  });

  it('waits for a header that is still being written', async () => {
    const file = newFile('ts,m');
    const c = ctx({ csvCursors: new Map<string, CsvCursor>() });
    expect(await readMetric(q(file), c)).toMatchObject({ ok: true, value: null });
    appendFileSync(file, 's\n1,40\n');
    expect(await readMetric(q(file), c)).toMatchObject({ ok: true, value: 40 });
  });

  it('starts again at 0 after truncation and after rotation', async () => {
    const file = newFile('ts,ms\n1,10\n2,20\n3,30\n');
    const c = ctx({ csvCursors: new Map<string, CsvCursor>() });
    expect(valueOf(await readMetric(q(file), c))).toBe(20);
    writeFileSync(file, 'ts,ms\n4,7\n'); // shorter than the offset: truncated
    const truncated = await readMetric(q(file), c);
    expect(truncated).toMatchObject({ ok: true, value: 7 });
    expect(truncated.ok && truncated.detail).toMatch(/truncated; read from the start/);

    // Rotation: the old file moves away, a new (and longer) one takes its name.
    renameSync(file, file + '.1');
    writeFileSync(file, 'ts,ms\n' + Array.from({ length: 10 }, (_, i) => `${i},1000`).join('\n') + '\n');
    const rotated = await readMetric(q(file), c);
    expect(rotated).toMatchObject({ ok: true, value: 1000 });
    expect(rotated.ok && rotated.detail).toMatch(/^10 new row\(s\); file was replaced; read from the start$/);
  });

  it('aggregates last, avg, max, min, sum, count and rate', async () => {
    const file = newFile('ts,status,ms\n1,200,10\n2,503,40\n3,200,30\n4,500,20\n5,200,50\n');
    const read = async (extra: Partial<CsvQuery>) => valueOf(await readMetric(q(file, extra), ctx())); // no cursors: whole file
    expect(await read({ aggregate: 'last' })).toBe(50);
    expect(await read({ aggregate: 'avg' })).toBe(30);
    expect(await read({ aggregate: 'max' })).toBe(50);
    expect(await read({ aggregate: 'min' })).toBe(10);
    expect(await read({ aggregate: 'sum' })).toBe(150);
    expect(await read({ aggregate: 'count' })).toBe(5);
    expect(await read({ column: 'status', aggregate: 'rate', where: '>= 500' })).toBe(0.4);
    expect(await read({ column: 'status', aggregate: 'count', where: '>= 500' })).toBe(2);
    expect(await read({ aggregate: 'avg', where: '> 25' })).toBe(40); // where filters the other aggregates
  });

  it('reports a missing column, a missing file and a rate without a condition as provider errors', async () => {
    const file = newFile('ts,ms\n1,10\n');
    const missing = await readMetric(q(file, { column: 'latency' }), ctx());
    expect(missing).toMatchObject({ ok: false, kind: 'provider-error', reason: `column latency is not in ${file} (columns: ts, ms)` });
    expect(reasonOf(await readMetric(q(join(dir, 'nope.csv')), ctx()))).toBe(`file ${join(dir, 'nope.csv')} does not exist`);
    expect(reasonOf(await readMetric(q(file, { aggregate: 'rate' }), ctx()))).toMatch(/rate needs a where condition/);
    expect(reasonOf(await readMetric(q(file, { aggregate: 'rate', where: 'over 5' }), ctx()))).toMatch(/"over 5" is not a condition/);
  });

  it('skips cells that are not numbers, and errors when none is', async () => {
    const file = newFile('ts,ms\r\n1,10\r\n2,n/a\r\n3,30\r\n4\r\n');
    const r = await readMetric(q(file), ctx());
    expect(r).toMatchObject({ ok: true, value: 20 });
    expect(r.ok && r.detail).toBe('3 new row(s); 1 row(s) without a ms field skipped; 1 non-numeric ms cell(s) skipped');
    const none = await readMetric(q(newFile('ts,ms\n1,fast\n2,slow\n')), ctx());
    expect(reasonOf(none)).toMatch(/column ms in .* has no numbers in 2 new row\(s\) \(e\.g\. "fast"\)/);
  });

  it('understands quoted fields', async () => {
    expect(splitCsvLine('a,"b,c","say ""hi""",')).toEqual(['a', 'b,c', 'say "hi"', '']);
    const file = newFile('path,ms\n"/a,b",10\n"/c",20\n');
    expect(valueOf(await readMetric(q(file, { aggregate: 'max' }), ctx()))).toBe(20);
  });
});

describe('script-json', () => {
  const sh = (script: string, extra: Partial<ScriptSpec> = {}): ScriptSpec => ({
    command: 'sh',
    args: ['-c', script],
    cwd: dir,
    env: {},
    timeoutMs: 5_000,
    maxOutputBytes: 64 * 1024,
    ...extra,
  });
  const read = (script: string, path: string, extra: Partial<ScriptSpec> = {}, c = ctx({ env: { PATH: process.env.PATH } })) =>
    readMetric({ name: 'p95', provider: 'script', script: sh(script, extra), path }, c);

  it('picks a value out of the printed JSON', async () => {
    expect(await read(`echo '{"latency":{"p95":"0.31"}}'`, 'latency.p95')).toMatchObject({ ok: true, value: 0.31 });
    expect(await read('echo 42', '')).toMatchObject({ ok: true, value: 42 });
    // Log lines first, the answer on the last line.
    expect(await read(`echo measuring...; echo '{"v": [1, 2, 3]}'`, 'v.2')).toMatchObject({ ok: true, value: 3 });
    expect(await read(`echo '{"v": null}'`, 'v')).toMatchObject({ ok: true, value: null });
  });

  it('passes declared env only, secrets expanded', async () => {
    // The script sees the secret (it prints its length); HOME from the test's env does not pass.
    const env = { PATH: process.env.PATH, HOME: '/root', API_KEY: 'k-123456789' };
    const r = await read('printf \'{"n": %d, "home": "%s"}\' "${#KEY}" "$HOME"', 'n', { env: { KEY: '${API_KEY}' } }, ctx({ env, secrets: ['API_KEY'] }));
    expect(r).toMatchObject({ ok: true, value: 11 });
    expect(reasonOf(await read('printf \'{"home": "%s"}\' "$HOME"', 'home', {}, ctx({ env })))).toBe('path home: value is the string "", not a number (sh)');
  });

  it('turns a non-zero exit into a provider error with the last stderr line', async () => {
    const r = await read(`echo '{"v":1}'; echo 'backend unreachable' >&2; exit 3`, 'v');
    expect(r).toMatchObject({ ok: false, kind: 'provider-error', reason: 'sh exited 3: backend unreachable' });
  });

  it('turns output that is not JSON into a provider error', async () => {
    expect(reasonOf(await read('echo p95=0.3', 'p95'))).toBe('sh printed "p95=0.3", which is not JSON');
    expect(reasonOf(await read('true', 'p95'))).toBe('sh printed nothing');
    expect(reasonOf(await read(`echo '{"v":1}'`, 'w'))).toBe('path w: (root) has no field "w" (sh)');
  });

  it('turns a timeout and a missing command into provider errors', async () => {
    expect(reasonOf(await read('sleep 5', 'v', { timeoutMs: 200 }))).toBe('sh timed out after 200 ms, process group killed');
    const missing = await readMetric({ name: 'x', provider: 'script', script: sh('', { command: join(dir, 'no-such-script'), args: [] }), path: 'v' }, ctx());
    expect(reasonOf(missing)).toMatch(/not found \(ENOENT\)/);
  });
});

// Answer shapes a live Prometheus rarely gives on demand (test/prometheus.test.ts runs the
// real one); the fixture's fault switch serves them at a path-prefixed API.
describe('prometheus answers', () => {
  const API = '/prom/api/v1/query';
  const answer = (body: unknown, status?: number) => setFault(srv.url, { route: API, body: JSON.stringify(body), status });
  const read = () => readMetric({ name: 'p', provider: 'prometheus', url: srv.url + '/prom', query: 'up' }, ctx());
  afterAll(() => clearFaults(srv.url));

  it('builds the query URL under a path prefix, time in seconds', () => {
    expect(queryUrl({ url: 'http://p:9090/sub/', query: 'sum(up{job="a"})', time: 1_700_000_000_500 })).toBe(
      'http://p:9090/sub/api/v1/query?query=sum%28up%7Bjob%3D%22a%22%7D%29&time=1700000000.5',
    );
    expect(queryUrl({ url: 'http://p:9090', query: 'up', time: '2024-01-01T00:00:00Z' })).toBe('http://p:9090/api/v1/query?query=up&time=2024-01-01T00%3A00%3A00Z');
  });

  it('reads one sample, NaN as no data, and refuses range vectors and strings', async () => {
    await answer({ status: 'success', data: { resultType: 'vector', result: [{ metric: { job: 'a' }, value: [1, '0.5'] }] } });
    expect(await read()).toMatchObject({ ok: true, value: 0.5, detail: '{job="a"}' });
    await answer({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [1, 'NaN'] }] } });
    expect(await read()).toMatchObject({ ok: true, value: null });
    await answer({ status: 'success', data: { resultType: 'matrix', result: [] } });
    expect(reasonOf(await read())).toMatch(/range vector; use an instant query/);
    await answer({ status: 'success', data: { resultType: 'string', result: [1, 'x'] } });
    expect(reasonOf(await read())).toBe('query returned a string result, not a number');
  });

  it('reports the error type of a failed query and a non-JSON error page', async () => {
    await answer({ status: 'error', errorType: 'timeout', error: 'query timed out in expression evaluation' }, 503);
    expect(reasonOf(await read())).toBe('query up failed: timeout: query timed out in expression evaluation (HTTP 503)');
    await setFault(srv.url, { route: API, status: 502, body: '<html>bad gateway</html>' });
    expect(reasonOf(await read())).toBe(`answered HTTP 502 (GET ${srv.url}/prom/api/v1/query)`);
    await answer({ hello: 'world' });
    expect(reasonOf(await read())).toMatch(/^answer is not a Prometheus API response/);
  });
});
