// A real Prometheus (the Debian package, installed by npm test: scripts/test-deps.mjs) scraping the fixture server
// while it sends traffic to itself; the queries go through adapters/metrics/prometheus.ts.
// No skip when prometheus is missing: a canary provider that was never run against the real
// thing is not tested.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onPath, sleep, startPrometheus, stopPrometheus, writePrometheusConfig, PROMETHEUS_MISSING, type RunningPrometheus } from './support/prometheus.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeMetricsAgent } from '../adapters/metrics/fetch.js';
import { readPrometheus } from '../adapters/metrics/prometheus.js';
import type { MetricContext, MetricReading, PrometheusQuery } from '../adapters/metrics/types.js';
import { setFault, clearFaults } from '../adapters/fixture-control.js';
import { startFixtureServer, type FixtureServer } from '../fixtures/server.js';

const RATE = 'sum(rate(fixture_http_requests_total[5s]))';
const ERROR_RATIO = 'sum(rate(fixture_http_requests_total{status=~"5.."}[5s])) / sum(rate(fixture_http_requests_total[5s]))';
const P95 = 'histogram_quantile(0.95, sum by (le) (rate(fixture_http_request_duration_seconds_bucket[5s])))';

const ctx: MetricContext = { env: {}, secrets: [] };

let fixture: FixtureServer | undefined;
let prom: RunningPrometheus | undefined;
const tmpDirs: string[] = [];

const query = (q: string, extra: Partial<PrometheusQuery> = {}) =>
  readPrometheus({ name: 'test', provider: 'prometheus', url: prom!.url, query: q, timeoutMs: 3_000, ...extra }, ctx);

/** Query until `ok` holds; the last reading goes into the failure message. */
async function waitFor(q: string, ok: (r: MetricReading) => boolean, what: string, timeoutMs = 12_000): Promise<MetricReading> {
  const until = Date.now() + timeoutMs;
  let last: MetricReading;
  do {
    last = await query(q);
    if (ok(last)) return last;
    await sleep(250);
  } while (Date.now() < until);
  throw new Error(`${what}: not seen within ${timeoutMs} ms; last reading ${JSON.stringify(last)}\nprometheus log:\n${prom?.log().slice(-2000)}`);
}

const value = (r: MetricReading) => (r.ok ? r.value : undefined);

// A setup failure (prometheus missing above all) fails every test with its message: a throw
// in beforeAll would only mark the tests skipped.
let setupError: Error | undefined;
function live(name: string, fn: () => Promise<void>, timeoutMs?: number): void {
  it(name, async () => {
    if (setupError) throw setupError;
    await fn();
  }, timeoutMs);
}

describe('Prometheus provider against a real Prometheus', () => {
  beforeAll(async () => {
    try {
      await setUp();
    } catch (err) {
      setupError = err as Error;
    }
  }, 30_000);

  async function setUp(): Promise<void> {
    if (!onPath('prometheus')) {
      throw new Error(PROMETHEUS_MISSING);
    }
    fixture = await startFixtureServer({ selfTraffic: { everyMs: 50, routes: ['/readyz', '/health'] } });
    const dir = mkdtempSync(join(tmpdir(), 'oc-prom-'));
    tmpDirs.push(dir);
    const config = writePrometheusConfig(dir, fixture.port);
    prom = await startPrometheus(config, join(dir, 'data'));
  }

  afterAll(async () => {
    if (prom) await stopPrometheus(prom);
    await fixture?.close();
    await closeMetricsAgent();
    for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
  }, 15_000);

  live('reads a request rate > 0 from the scraped self traffic', async () => {
    const r = await waitFor(RATE, (x) => (value(x) ?? 0) > 0, 'request rate > 0');
    expect(r).toMatchObject({ ok: true });
    expect(value(r)).toBeGreaterThan(5); // 2 routes every 50 ms is ~40/s; scrapes add 1/s
    // The fixture is the scrape target Prometheus sees as up.
    expect(value(await query('up{job="fixture"}'))).toBe(1);
  }, 20_000);

  live('says "no data" for an empty vector and for a time before any sample', async () => {
    // No 5xx series exists yet: the ratio's numerator is an empty vector.
    const ratio = await query(ERROR_RATIO);
    expect(ratio).toMatchObject({ ok: true, value: null });
    expect(ratio.ok && ratio.detail).toMatch(/empty vector/);
    const past = await query(RATE, { time: Date.now() - 3_600_000 });
    expect(past).toMatchObject({ ok: true, value: null });
  });

  live('sees the error ratio rise after a 503 fault on the self-traffic route', async () => {
    await setFault(fixture!.url, { route: '/readyz', status: 503 });
    try {
      const r = await waitFor(ERROR_RATIO, (x) => (value(x) ?? 0) > 0, 'error ratio > 0');
      expect(value(r)).toBeGreaterThan(0.1); // about half of the traffic fails
      expect(value(r)).toBeLessThan(1);
    } finally {
      await clearFaults(fixture!.url);
    }
  }, 20_000);

  live('sees p95 latency rise after a delay fault', async () => {
    const before = await waitFor(P95, (x) => value(x) != null, 'baseline p95');
    expect(value(before)).toBeLessThan(0.1);
    await setFault(fixture!.url, { route: '/health', delayMs: 300 });
    try {
      const after = await waitFor(P95, (x) => (value(x) ?? 0) > 0.25, 'p95 > 250 ms');
      expect(value(after)).toBeGreaterThan(value(before)!);
      expect(value(after)).toBeLessThanOrEqual(0.5); // 300 ms lands in the (0.25, 0.5] bucket
    } finally {
      await clearFaults(fixture!.url);
    }
  }, 20_000);

  live('reads a scalar result', async () => {
    const r = await query(`scalar(${RATE})`);
    expect(r.ok && r.detail).toMatch(/^scalar/);
    expect(value(r)).toBeGreaterThan(0);
  });

  live('refuses several series with a hint to aggregate', async () => {
    const r = await query('fixture_http_requests_total');
    expect(r).toMatchObject({ ok: false, kind: 'provider-error' });
    expect(!r.ok && r.reason).toMatch(/query returned \d+ series; aggregate it \(e\.g\. sum\(\.\.\.\)\)/);
  });

  live('turns a bad query into a provider error with the error type', async () => {
    const r = await query('sum(');
    expect(r).toMatchObject({ ok: false, kind: 'provider-error' });
    expect(!r.ok && r.reason).toMatch(/bad_data: .*parse error/);
  });

  live('reports a stopped Prometheus as a provider error (refused), never a value', async () => {
    await stopPrometheus(prom!);
    const r = await query(RATE);
    expect(r).toMatchObject({ ok: false, kind: 'provider-error' });
    expect(!r.ok && r.reason).toMatch(/connection refused \(GET http:\/\/127\.0\.0\.1:\d+\/api\/v1\/query\)/);
  }, 10_000);
});
