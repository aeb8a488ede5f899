// The fixture server under load and faults, closing, `fixtures serve`, /stats, and the demo's scripts.
import { execFile } from 'node:child_process';
import { request as httpRequest, Agent } from 'node:http';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { serveFixtures } from '../fixtures/serve.js';
import { startFixtureServer } from '../fixtures/server.js';
import { TOKEN, srv, withServer, get, setFault, scrape, H } from './support/fixture-server.js';

const run = promisify(execFile);
const scripts = join(import.meta.dirname, '..', 'fixtures', 'scripts');

describe('self traffic', () => {
  it('moves the metrics without a client and stops on close', async () => {
    const s = await startFixtureServer({ selfTraffic: { everyMs: 20, routes: ['/readyz', '/health'] } });
    try {
      await expect.poll(async () => (await scrape(s.url)).get('fixture_http_requests_total{route="/health",status="200"}') ?? 0).toBeGreaterThanOrEqual(5);
      expect((await scrape(s.url)).get('fixture_http_requests_total{route="/readyz",status="200"}')).toBeGreaterThanOrEqual(5);
      // A fault on the route shows up in the self traffic too.
      await fetch(s.url + '/__fault', { method: 'POST', body: JSON.stringify({ route: '/readyz', status: 503 }) });
      await expect.poll(async () => (await scrape(s.url)).get('fixture_http_requests_total{route="/readyz",status="503"}') ?? 0).toBeGreaterThan(0);
    } finally {
      await s.close();
    }
  });

  it('keeps a bounded number of requests in flight under a delay fault', async () => {
    const s = await startFixtureServer({ selfTraffic: { everyMs: 10, routes: ['/readyz'], maxInFlight: 3 } });
    try {
      await fetch(s.url + '/__fault', { method: 'POST', body: JSON.stringify({ route: '/readyz', delayMs: 200 }) });
      // Unbounded, a request every 10 ms would answer ~50 in 700 ms; with 3 in flight, ~12.
      const before = (await scrape(s.url)).get(`${H}_count{route="/readyz"}`) ?? 0;
      await new Promise((r) => setTimeout(r, 700));
      const after = (await scrape(s.url)).get(`${H}_count{route="/readyz"}`) ?? 0;
      expect(after - before).toBeGreaterThan(0);
      expect(after - before).toBeLessThanOrEqual(3 * Math.ceil(700 / 200) + 3);
    } finally {
      const t0 = performance.now();
      await s.close();
      expect(performance.now() - t0).toBeLessThan(500); // pending delayed requests do not hold it
    }
  });

  it('rejects options that would flood it or reach beyond loopback', async () => {
    const bad = [
      { everyMs: 1, routes: ['/readyz'] },
      { everyMs: 50, routes: [] },
      { everyMs: 50, routes: ['readyz'] },
      { everyMs: 50, routes: ['/__fault'] },
      { everyMs: 50, routes: ['/readyz'], maxInFlight: 0 },
    ];
    for (const selfTraffic of bad) {
      await expect(startFixtureServer({ selfTraffic }), JSON.stringify(selfTraffic)).rejects.toThrow(/selfTraffic/);
    }
    await expect(startFixtureServer({ host: '192.0.2.1', selfTraffic: { everyMs: 50, routes: ['/readyz'] } })).rejects.toThrow(/loopback/);
  });
});

describe('fault switch', () => {
  withServer();

  it('makes /readyz answer 503 until DELETE restores it', async () => {
    expect((await setFault({ route: '/readyz', status: 503 })).status).toBe(200);
    const res = await get('/readyz');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'unavailable', fault: true });

    const list = await (await get('/__fault')).json();
    expect(list).toEqual({ faults: [{ route: '/readyz', status: 503 }] });

    await fetch(srv.url + '/__fault', { method: 'DELETE' });
    expect((await get('/readyz')).status).toBe(200);
    expect(await (await get('/__fault')).json()).toEqual({ faults: [] });
  });

  it('delays the answer by at least delayMs', async () => {
    await setFault({ route: '/health', delayMs: 300 });
    const t0 = performance.now();
    const res = await get('/health');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(300);
    expect(await res.json()).toEqual({ ok: true }); // delay alone keeps the normal answer
  });

  it('replaces the body, including on unknown routes', async () => {
    await setFault({ route: '/readyz', status: 200, body: '{"status":"draining"}' });
    await setFault({ route: '/brand-new', body: 'hello' });
    const ready = await get('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'draining' });
    const fresh = await get('/brand-new');
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await fresh.text()).toBe('hello');
  });

  it('DELETE ?route= restores only that route', async () => {
    await setFault({ route: '/readyz', status: 500 });
    await setFault({ route: '/health', status: 502 });
    await fetch(srv.url + '/__fault?route=/readyz', { method: 'DELETE' });
    expect((await get('/readyz')).status).toBe(200);
    expect((await get('/health')).status).toBe(502);
  });

  it('rejects malformed faults with 400', async () => {
    for (const bad of [{ status: 503 }, { route: 'readyz' }, { route: '/x', status: 99 }, { route: '/x', delayMs: -1 }, { route: '/__fault', status: 500 }]) {
      const res = await setFault(bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
    }
    const notJson = await fetch(srv.url + '/__fault', { method: 'POST', body: '{' });
    expect(notJson.status).toBe(400);
  });
});

describe('close()', () => {
  withServer();

  it('returns promptly with a keep-alive client connected', async () => {
    const agent = new Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) => {
      httpRequest(srv.url + '/readyz', { agent }, (res) => {
        res.resume();
        res.on('end', resolve);
      }).on('error', reject).end();
    });
    const t0 = performance.now();
    await srv.close();
    // Waiting for the idle connection would take the keep-alive timeout (5 s); a loaded machine
    // may still need a while to close.
    expect(performance.now() - t0).toBeLessThan(3_000);
    agent.destroy();
  });

  it('returns promptly while a delayed request is pending', async () => {
    await setFault({ route: '/readyz', delayMs: 10_000 });
    const pending = get('/readyz').catch(() => 'aborted');
    await new Promise((r) => setTimeout(r, 50));
    const t0 = performance.now();
    await srv.close();
    expect(performance.now() - t0).toBeLessThan(3_000); // not the 10 s delay
    expect(await pending).toBe('aborted');
  });
});

describe('serveFixtures', () => {
  it('prints the URL first, then one line per request, and stops on abort', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (c) => (text += c));
    const ac = new AbortController();
    const done = serveFixtures({ port: 0, token: TOKEN }, out, { signal: ac.signal });
    await expect.poll(() => text).toMatch(/^listening http:\/\/127\.0\.0\.1:\d+\n/);
    const url = text.split('\n')[0].slice('listening '.length);
    await (await fetch(url + '/readyz')).text();
    await expect.poll(() => text).toMatch(/\nGET \/readyz 200 \d+ms\n/);
    ac.abort();
    await done;
    expect(text.endsWith('stopped\n')).toBe(true);
  });
});

// Each action script takes ~1 s; run them side by side.
describe.concurrent('demo scripts', () => {
  const sh = (name: string, env: Record<string, string> = {}) =>
    run(join(scripts, name), { env: { ...process.env, ...env } });
  const exitCode = (p: Promise<unknown>) => p.then(() => 0, (e: { code: number }) => e.code);

  it('clock_guard.sh passes within the SLA', async () => {
    const { stdout } = await sh('clock_guard.sh', { MAX_SKEW_MS: '500' });
    expect(stdout).toBe('skew_ms=0 max_ms=500\n');
    expect((await sh('clock_guard.sh', { MAX_SKEW_MS: '500', FAKE_SKEW_MS: '-500' })).stdout).toBe('skew_ms=-500 max_ms=500\n');
  });

  it('clock_guard.sh exits 2 beyond the SLA and 1 on bad input', async () => {
    expect(await exitCode(sh('clock_guard.sh', { MAX_SKEW_MS: '500', FAKE_SKEW_MS: '900' }))).toBe(2);
    expect(await exitCode(sh('clock_guard.sh', { MAX_SKEW_MS: '500', FAKE_SKEW_MS: '-501' }))).toBe(2);
    expect(await exitCode(sh('clock_guard.sh', { FAKE_SKEW_MS: 'soon' }))).toBe(1);
  });

  it.each([
    ['abort.sh', 'stage: canary -> stable', 'abort complete'],
    ['rollback.sh', 'traffic: 100% previous', 'rollback complete'],
    ['promote.sh', 'traffic: 100% canary', 'promote complete'],
  ])('%s streams progress lines and exits 0', async (name, line, last) => {
    const { stdout } = await sh(name);
    const lines = stdout.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(4);
    expect(lines).toContain(line);
    expect(lines.at(-1)).toBe(last);
  });
});

describe('/stats (recent error ratio for canary metrics)', () => {
  it('reports the error ratio and p95 of recent requests, leaving its own routes out', async () => {
    const srv = await startFixtureServer({ port: 0 });
    try {
      const empty = await (await fetch(`${srv.url}/stats`)).json();
      expect(empty).toMatchObject({ requests: 0, error_rate: null, p95_ms: null });
      for (let i = 0; i < 3; i++) await (await fetch(`${srv.url}/readyz`)).text();
      await fetch(`${srv.url}/__fault`, { method: 'POST', body: JSON.stringify({ route: '/readyz', status: 503 }) }).then((r) => r.text());
      await (await fetch(`${srv.url}/readyz`)).text();
      const s = await (await fetch(`${srv.url}/stats?window_ms=5000`)).json();
      expect(s).toMatchObject({ window_ms: 5000, requests: 4, errors: 1, error_rate: 0.25 });
      expect(typeof s.p95_ms).toBe('number');
    } finally {
      await srv.close();
    }
  });
});
