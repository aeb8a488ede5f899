// A real Prometheus (the Debian package, installed by .ci/run) scraping the fixture server
// while it sends traffic to itself; the queries go through adapters/metrics/prometheus.ts.
// No skip when prometheus is missing: a canary provider that was never run against the real
// thing is not tested.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
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

function onPath(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const file = join(dir, cmd);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** A port that was free a moment ago; the caller retries if someone takes it meanwhile. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface RunningPrometheus {
  url: string;
  child: ChildProcess;
  log: () => string;
  exited: Promise<void>;
}

async function startPrometheus(configFile: string, dataDir: string): Promise<RunningPrometheus> {
  let lastLog = '';
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await freePort();
    const child = spawn(
      'prometheus',
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${dataDir}`,
        `--storage.tsdb.retention.time=1h`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=info',
      ],
      { detached: true, stdio: ['ignore', 'pipe', 'pipe'] }, // own group: afterAll kills it whole
    );
    let log = '';
    const keep = (c: Buffer) => (log = (log + c.toString()).slice(-8000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    let gone = false;
    const exited = new Promise<void>((resolve) => child.once('exit', () => ((gone = true), resolve())));
    const url = `http://127.0.0.1:${port}`;
    const until = Date.now() + 15_000;
    while (!gone && Date.now() < until) {
      const ready = await fetch(`${url}/-/ready`).then((r) => r.status === 200, () => false);
      if (ready) return { url, child, log: () => log, exited };
      await sleep(100);
    }
    lastLog = log;
    if (!gone) {
      killGroup(child);
      throw new Error(`prometheus did not become ready on ${url} within 15 s:\n${log}`);
    }
    if (!/address already in use/i.test(log)) throw new Error(`prometheus exited (${child.exitCode}):\n${log}`);
  }
  throw new Error(`prometheus could not find a free port in 3 attempts:\n${lastLog}`);
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

async function stopPrometheus(p: RunningPrometheus): Promise<void> {
  killGroup(p.child, 'SIGTERM');
  const t = setTimeout(() => killGroup(p.child, 'SIGKILL'), 5_000);
  await p.exited;
  clearTimeout(t);
}

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
      throw new Error(
        'prometheus is not on PATH. .ci/run installs it (apt-get install prometheus, Debian 12: 2.42); ' +
          'install it the same way to run this test locally.',
      );
    }
    fixture = await startFixtureServer({ selfTraffic: { everyMs: 50, routes: ['/readyz', '/health'] } });
    const dir = mkdtempSync(join(tmpdir(), 'oc-prom-'));
    tmpDirs.push(dir);
    const config = join(dir, 'prometheus.yml');
    // Only the fixture: no alertmanagers, no remote write, no self-scrape.
    writeFileSync(
      config,
      [
        'global:',
        '  scrape_interval: 1s',
        '  scrape_timeout: 1s',
        '  evaluation_interval: 1s',
        'scrape_configs:',
        '  - job_name: fixture',
        '    static_configs:',
        `      - targets: ['127.0.0.1:${fixture.port}']`,
        '',
      ].join('\n'),
    );
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
