// The fixture server: its routes, its Prometheus exposition, and seed systems' routes in /metrics.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startFixtureServer } from '../fixtures/server.js';
import { talkativeRoutes } from '../fixtures/systems/talkative/system.js';
import { newsbotRoutes } from '../fixtures/systems/newsbot/system.js';
import { decisionOsRoutes } from '../fixtures/systems/decisionos/system.js';
import { dailyOpsRoutes } from '../fixtures/systems/daily-ops/system.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { TOKEN, srv, withServer, get, setFault, samples, scrape, H } from './support/fixture-server.js';

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
