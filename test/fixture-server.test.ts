import { execFile } from 'node:child_process';
import { request as httpRequest, Agent } from 'node:http';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serveFixtures } from '../fixtures/serve.js';
import { startFixtureServer, type FixtureServer } from '../fixtures/server.js';
import { talkativeRoutes } from '../fixtures/systems/talkative/system.js';
import { newsbotRoutes } from '../fixtures/systems/newsbot/system.js';
import { decisionOsRoutes } from '../fixtures/systems/decisionos/system.js';
import { dailyOpsRoutes } from '../fixtures/systems/daily-ops/system.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';

const TOKEN = 'test-token';
const run = promisify(execFile);
const scripts = join(import.meta.dirname, '..', 'fixtures', 'scripts');

let srv: FixtureServer;
// Only the server suites get a fresh server; the script suite runs concurrently without one.
function withServer() {
  beforeEach(async () => {
    srv = await startFixtureServer({ port: 0, token: TOKEN });
  });
  afterEach(async () => {
    await srv.close();
  });
}

const get = (path: string, headers?: Record<string, string>) => fetch(srv.url + path, { headers });
const setFault = (fault: object) =>
  fetch(srv.url + '/__fault', { method: 'POST', body: JSON.stringify(fault) });

describe('fixture server routes', () => {
  withServer();

  it('listens on a free port at the default host', () => {
    expect(srv.port).toBeGreaterThan(0);
    expect(srv.url).toBe(`http://127.0.0.1:${srv.port}`);
  });

  it.each([
    ['/readyz', { status: 'ready' }],
    ['/health', { ok: true }],
    ['/api/emergency_stop', { enabled: false, reason: null }],
    ['/api/execution_gate', { mode: 'DRY_RUN' }],
  ])('GET %s answers 200 JSON', async (path, body) => {
    const res = await get(path);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual(body);
  });

  it('answers 404 JSON for unknown routes and 405 for wrong methods', async () => {
    const res = await get('/nope?x=1');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'not found', path: '/nope' });
    const post = await fetch(srv.url + '/readyz', { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('requires the bearer token for reason-trends', async () => {
    for (const headers of [undefined, { authorization: 'Bearer wrong' }, { authorization: TOKEN }]) {
      const res = await get('/ops/cards/reason-trends', headers);
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: 'unauthorized' });
    }
    const ok = await get('/ops/cards/reason-trends', { authorization: `Bearer ${TOKEN}` });
    expect(ok.status).toBe(200);
    expect((await ok.json()).card).toBe('reason-trends');
  });

  it('serves reason-trends without auth when no token is configured', async () => {
    const open = await startFixtureServer({});
    try {
      expect((await fetch(open.url + '/ops/cards/reason-trends')).status).toBe(200);
    } finally {
      await open.close();
    }
  });

  it('round-trips the ETag to a bodiless 304', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const first = await get('/ops/cards/reason-trends', auth);
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/); // strong: no W/ prefix
    await first.text();

    const again = await get('/ops/cards/reason-trends', { ...auth, 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.headers.get('etag')).toBe(etag);
    expect(await again.text()).toBe('');

    const weak = await get('/ops/cards/reason-trends', { ...auth, 'if-none-match': `"other", W/${etag}` });
    expect(weak.status).toBe(304);
    const stale = await get('/ops/cards/reason-trends', { ...auth, 'if-none-match': '"stale"' });
    expect(stale.status).toBe(200);
    expect(stale.headers.get('etag')).toBe(etag); // same data, same tag
  });

  it('counts requests per route and status in /metrics', async () => {
    await get('/readyz');
    await get('/readyz');
    await get('/nope');
    await get('/ops/cards/reason-trends');
    const res = await get('/metrics');
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toContain('# TYPE fixture_requests_total counter');
    expect(text).toContain('fixture_requests_total{route="/readyz",status="200"} 2');
    expect(text).toContain('fixture_requests_total{route="unmatched",status="404"} 1');
    expect(text).toContain('fixture_requests_total{route="/ops/cards/reason-trends",status="401"} 1');
    expect(text).toContain('fixture_faults_active 0');
  });
});

/** `name{labels} value` lines of an exposition, as a map from `name{labels}` to the value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    out.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return out;
}
const scrape = async (url = srv.url) => samples(await (await fetch(url + '/metrics')).text());
const H = 'fixture_http_request_duration_seconds';
const LES = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '+Inf'];

describe('Prometheus exposition', () => {
  withServer();

  it('exposes a request counter and a latency histogram with cumulative buckets', async () => {
    await get('/readyz');
    await get('/readyz');
    await get('/nope');
    const res = await get('/metrics');
    const text = await res.text();
    expect(text).toContain('# TYPE fixture_http_requests_total counter');
    expect(text).toContain(`# TYPE ${H} histogram`);
    const m = samples(text);
    expect(m.get('fixture_http_requests_total{route="/readyz",status="200"}')).toBe(2);
    expect(m.get('fixture_http_requests_total{route="unmatched",status="404"}')).toBe(1);
    const buckets = LES.map((le) => m.get(`${H}_bucket{route="/readyz",le="${le}"}`)!);
    expect(buckets.every((b) => Number.isInteger(b))).toBe(true);
    expect([...buckets].sort((a, b) => a - b)).toEqual(buckets); // cumulative: never decreasing
    expect(buckets.at(-1)).toBe(2);
    expect(m.get(`${H}_count{route="/readyz"}`)).toBe(2);
    expect(m.get(`${H}_sum{route="/readyz"}`)).toBeGreaterThan(0);
    // Every sample line parses: name{labels} number.
    for (const line of text.split('\n').filter((l) => l && !l.startsWith('#'))) {
      expect(line).toMatch(/^[a-z_]+(\{[a-z]+="[^"]*"(,[a-z]+="[^"]*")*\})? [0-9.e+-]+$/);
    }
  });

  it("shows a fault's status and delay, because they are observed requests", async () => {
    await setFault({ route: '/health', status: 503, delayMs: 120 });
    await (await get('/health')).text();
    await (await get('/health')).text();
    const m = await scrape();
    expect(m.get('fixture_http_requests_total{route="/health",status="503"}')).toBe(2);
    expect(m.get(`${H}_bucket{route="/health",le="0.1"}`)).toBe(0); // both took >= 120 ms
    expect(m.get(`${H}_bucket{route="/health",le="0.25"}`)).toBe(2);
    expect(m.get(`${H}_sum{route="/health"}`)).toBeGreaterThanOrEqual(0.24);
    expect(m.get('fixture_faults_active')).toBe(1);
  });
});

/** fixture_http_requests_total by "route status". */
const requestCounts = (m: Map<string, number>) =>
  Object.fromEntries(
    [...m].flatMap(([k, v]) => {
      const r = /^fixture_http_requests_total\{route="([^"]*)",status="(\d+)"\}$/.exec(k);
      return r ? [[`${r[1]} ${r[2]}`, v]] : [];
    }),
  );

describe("a seed system's routes in /metrics", () => {
  it('counts a path with an id under its route pattern, and an unanswered path as unmatched', async () => {
    // Seed 004's system: agents by id, and the orchestrator under a prefix.
    const home = mkdtempSync(join(tmpdir(), 'oc-fixture-system-'));
    const s = await startFixtureServer({ system: talkativeRoutes(home) });
    try {
      for (const id of ['a1', 'a2', 'a3']) {
        await (await fetch(s.url + '/agents', { method: 'POST', body: JSON.stringify({ id }) })).text();
        await (await fetch(`${s.url}/agents/${id}/start`, { method: 'POST' })).text();
      }
      await (await fetch(s.url + '/agents/nobody/start', { method: 'POST' })).text();
      await (await fetch(s.url + '/orchestrator/status')).text();
      await (await fetch(s.url + '/orchestrator/loop')).text();
      await (await fetch(s.url + '/no/such/path/42')).text();
      // Every label there is: none names an id or a path under the prefix.
      expect(requestCounts(await scrape(s.url))).toEqual({
        '/agents 201': 3,
        '/agents/:id/start 200': 3,
        '/agents/:id/start 404': 1,
        '/orchestrator/* 200': 2,
        'unmatched 404': 1,
      });
    } finally {
      await s.close();
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('seeds 000, 001 and 003: backlog ids and pipeline paths by pattern, a known route that answers 404 under its own path', async () => {
    const home = mkdtempSync(join(tmpdir(), 'oc-fixture-system-'));
    const routes = { newsbot: newsbotRoutes(home), decisionos: decisionOsRoutes(home), dailyOps: dailyOpsRoutes(home) };
    const s = await startFixtureServer({ system: (req) => routes.newsbot(req) ?? routes.decisionos(req) ?? routes.dailyOps(req) });
    try {
      mkdirSync(join(home, 'state'), { recursive: true });
      writeFileSync(join(home, 'state', 'backlog.json'), JSON.stringify({ 'BL-1': 'CONFIRMED', 'BL-2': 'DEVELOPING' }));
      for (const id of ['BL-1', 'BL-2', 'BL-9']) await (await fetch(`${s.url}/api/backlog/${id}`)).text();
      await (await fetch(`${s.url}/api/backlog/BL-1/status`, { method: 'POST', body: JSON.stringify({ status: 'DEPLOYED' }) })).text();
      await (await fetch(`${s.url}/pipeline/canary`, { method: 'POST', body: '{"weight": 10}' })).text();
      for (const p of ['/pipeline/x1', '/pipeline/x2']) await (await fetch(s.url + p, { method: 'POST' })).text();
      await (await fetch(s.url + '/api/ops/daily')).text(); // no ops cycle has run yet: 404
      expect(requestCounts(await scrape(s.url))).toEqual({
        '/api/backlog/:id 200': 2,
        '/api/backlog/:id 404': 1,
        '/api/backlog/:id/status 200': 1,
        '/pipeline/canary 200': 1,
        '/pipeline/* 404': 2,
        '/api/ops/daily 404': 1,
      });
    } finally {
      await s.close();
      rmSync(home, { recursive: true, force: true });
    }
  });
});

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
