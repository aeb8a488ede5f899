import { execFile } from 'node:child_process';
import { request as httpRequest, Agent } from 'node:http';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serveFixtures } from '../fixtures/serve.js';
import { startFixtureServer, type FixtureServer } from '../fixtures/server.js';

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
    expect(performance.now() - t0).toBeLessThan(500);
    agent.destroy();
  });

  it('returns promptly while a delayed request is pending', async () => {
    await setFault({ route: '/readyz', delayMs: 10_000 });
    const pending = get('/readyz').catch(() => 'aborted');
    await new Promise((r) => setTimeout(r, 50));
    const t0 = performance.now();
    await srv.close();
    expect(performance.now() - t0).toBeLessThan(500);
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
