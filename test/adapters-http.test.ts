// Real node:http (and, when openssl exists, https) servers on 127.0.0.1; no mocks.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { getEventListeners, setMaxListeners } from 'node:events';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeHttpAgent, runHttpAction, runHttpCheck, type HttpContext } from '../adapters/http.js';
import { classifyHttpError, exchange } from '../adapters/http-exchange.js';
import { sharedPool } from '../adapters/undici-pool.js';
import type { HttpCheck } from '../src/runbook/model.js';

const TOKEN = 'tok-9f8e7d6c5b4a';
const MB = 1024 * 1024;

/** What the servers observed, for assertions from the server side. */
const seen = {
  ifNoneMatch: [] as (string | undefined)[],
  bigSent: 0,
  bigClosed: undefined as undefined | Promise<void>,
};

function big(req: IncomingMessage, res: ServerResponse): void {
  // Stream 50 MB honouring backpressure; a client that stops reading closes the socket.
  seen.bigClosed = new Promise((resolve) => res.on('close', () => resolve()));
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  const chunk = Buffer.alloc(64 * 1024, 'y');
  const pump = () => {
    while (seen.bigSent < 50 * MB && !res.destroyed) {
      seen.bigSent += chunk.length;
      if (!res.write(chunk)) return void res.once('drain', pump);
    }
    res.end();
  };
  pump();
}

const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
  '/readyz': (_q, res) => json(res, 200, { status: 'ready', db: { ok: true } }),
  '/starting': (_q, res) => json(res, 200, { status: 'starting' }),
  '/boom': (_q, res) => json(res, 500, { error: 'boom' }),
  '/not-json': (_q, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('<html>oops</html>'),
  '/hang': () => {}, // never answers
  '/stall-body': (_q, res) => void res.writeHead(200, { 'content-type': 'application/json' }).write('{"status":'), // headers, half a body, then nothing
  '/cut-body': (q, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' }).write('{"status":');
    setTimeout(() => q.socket.destroy(), 20); // the connection drops before the promised length
  },
  '/slow': (_q, res) => void setTimeout(() => json(res, 200, { status: 'ready' }), 150),
  '/big': big,
  '/etag': (req, res) => {
    seen.ifNoneMatch.push(req.headers['if-none-match']);
    if (req.headers['if-none-match'] === '"v1"') return void res.writeHead(304).end();
    res.writeHead(200, { etag: '"v1"', 'content-type': 'application/json' }).end('{"cards":3}');
  },
  '/secure': (req, res) => {
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return json(res, 401, { error: 'unauthorised' });
    // A careless server echoing the credential: the adapter must still not return it.
    json(res, 200, { status: 'ready', echo: req.headers.authorization });
  },
  '/deploy': (req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => json(res, req.method === 'POST' ? 202 : 405, { got: JSON.parse(body || 'null') }));
  },
};

function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
}

const handler = (req: IncomingMessage, res: ServerResponse) => (routes[new URL(req.url!, 'http://x').pathname] ?? ((_q, r) => json(r, 404, {})))(req, res);

let server: Server;
let base: string;
let closedPort: number;

function listen(s: Server): Promise<number> {
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));
}

beforeAll(async () => {
  server = createServer(handler);
  base = `http://127.0.0.1:${await listen(server)}`;
  // A port that was just free: nothing listens there any more.
  const tmp = createServer();
  closedPort = await listen(tmp);
  await new Promise((r) => tmp.close(r));
});

afterAll(async () => {
  await closeHttpAgent();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function check(path: string, over: Partial<HttpCheck> = {}, expect: Partial<HttpCheck['expect']> = {}): HttpCheck {
  return {
    kind: 'http',
    name: path,
    title: path,
    target: 'app',
    url: path.startsWith('http') ? path : `${base}${path}`,
    method: 'GET',
    headers: {},
    timeoutMs: 2000,
    etag: false,
    maxBodyBytes: MB,
    ...over,
    expect: { status: [200], json: {}, jsonIn: {}, contains: [], ...expect },
  };
}

const ctx = (over: Partial<HttpContext> = {}): HttpContext => ({ env: {}, secrets: [], ...over });

describe('runHttpCheck answers', () => {
  it('healthy JSON', async () => {
    const r = await runHttpCheck(check('/readyz', {}, { json: { status: 'ready', 'db.ok': true } }), ctx());
    expect(r).toMatchObject({ check: '/readyz', status: 'healthy', code: 'ok', httpStatus: 200 });
    expect(r.reason).toMatch(/^200 in \d+ ms$/);
    expect(r.latencyMs).toBeGreaterThanOrEqual(0);
    expect(r.durationMs).toBeGreaterThanOrEqual(r.latencyMs!);
    expect(r.output).toContain('"status":"ready"');
  });

  it('500 is a status failure naming the URL', async () => {
    const r = await runHttpCheck(check('/boom'), ctx());
    expect(r).toMatchObject({ status: 'unhealthy', code: 'status', httpStatus: 500 });
    expect(r.reason).toBe(`expected 200, got 500 (GET ${base}/boom)`);
  });

  it('invalid JSON', async () => {
    const r = await runHttpCheck(check('/not-json', {}, { json: { status: 'ready' } }), ctx());
    expect(r).toMatchObject({ status: 'unhealthy', code: 'invalid_json' });
    expect(r.output).toContain('<html>');
  });

  it('JSON field mismatch', async () => {
    const r = await runHttpCheck(check('/starting', {}, { json: { status: 'ready' } }), ctx());
    expect(r).toMatchObject({ status: 'unhealthy', code: 'json_mismatch' });
    expect(r.reason).toContain('status: expected "ready", got "starting"');
  });

  it('jsonIn accepts any listed value and names the miss', async () => {
    expect((await runHttpCheck(check('/starting', {}, { jsonIn: { status: ['ready', 'starting'] } }), ctx())).status).toBe('healthy');
    const r = await runHttpCheck(check('/readyz', {}, { jsonIn: { 'db.missing': [1] } }), ctx());
    expect(r.reason).toContain('db.missing: expected one of [1], got nothing');
  });

  it('missing substring is body_mismatch', async () => {
    const r = await runHttpCheck(check('/readyz', {}, { contains: ['ready', 'green'] }), ctx());
    expect(r).toMatchObject({ status: 'unhealthy', code: 'body_mismatch' });
    expect(r.reason).toContain('"green"');
  });

  it('slow answers fail maxLatency', async () => {
    const r = await runHttpCheck(check('/slow', {}, { maxLatencyMs: 50 }), ctx());
    expect(r).toMatchObject({ status: 'unhealthy', code: 'latency' });
    expect(r.latencyMs).toBeGreaterThanOrEqual(100);
  });

  it('the reason leaves the query string out', async () => {
    const r = await runHttpCheck(check('/boom?api_key=hunter2'), ctx());
    expect(r.reason).not.toContain('hunter2');
    expect(r.reason).toContain('/boom');
  });
});

describe('runHttpCheck transport failures', () => {
  it('a server that never sends headers times out', async () => {
    const started = Date.now();
    const r = await runHttpCheck(check('/hang', { timeoutMs: 300 }), ctx());
    expect(r).toMatchObject({ status: 'error', code: 'timeout' });
    expect(r.reason).toContain(`${base}/hang`);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('a body that stalls after the headers times out, and one cut short is a network failure', async () => {
    const stalled = await runHttpCheck(check('/stall-body', { timeoutMs: 300 }), ctx());
    expect(stalled.status).toBe('error');
    expect(stalled.code).toBe('timeout');
    const cut = await runHttpCheck(check('/cut-body'), ctx());
    expect(cut.status).toBe('error');
    expect(cut.code).toBe('network');
  });

  it('a closed port is refused', async () => {
    const r = await runHttpCheck(check(`http://127.0.0.1:${closedPort}/readyz`), ctx());
    expect(r).toMatchObject({ status: 'error', code: 'refused' });
    expect(r.reason).toBe(`connection refused (GET http://127.0.0.1:${closedPort}/readyz)`);
  });

  it('an unresolvable host is a DNS failure', async () => {
    const r = await runHttpCheck(check('http://nonexistent.invalid/readyz'), ctx());
    expect(r).toMatchObject({ status: 'error', code: 'dns' });
  });

  it('https to a plain HTTP port is a TLS failure', async () => {
    const r = await runHttpCheck(check(base.replace('http:', 'https:') + '/readyz'), ctx());
    expect(r).toMatchObject({ status: 'error', code: 'tls' });
  });

  it('an ordinary cancel is not reported as a timeout', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const r = await runHttpCheck(check('/hang'), ctx({ signal: ac.signal }));
    expect(r).toMatchObject({ status: 'error', code: 'network' });
    expect(r.reason).toContain('cancelled');
  });

  it('classifies undici timeout and socket errors', () => {
    expect(classifyHttpError({ code: 'UND_ERR_BODY_TIMEOUT' }, 2000).code).toBe('timeout');
    expect(classifyHttpError({ code: 'UND_ERR_CONNECT_TIMEOUT' }, 2000).reason).toBe('timed out after 2 s connecting');
    expect(classifyHttpError({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }, 2000).code).toBe('tls');
    expect(classifyHttpError(new AggregateError([{ code: 'ECONNREFUSED' }]), 2000).code).toBe('refused');
    expect(classifyHttpError({ code: 'UND_ERR_SOCKET' }, 2000)).toEqual({ code: 'network', reason: 'the connection closed before the answer was complete' });
    expect(classifyHttpError(Object.assign(new Error('Response does not match the HTTP/1.1 protocol'), { name: 'HTTPParserError', code: 'HPE_INVALID_CONSTANT' }), 2000)).toEqual({ code: 'network', reason: 'malformed HTTP answer (HPE_INVALID_CONSTANT)' });
    // Without a parser code: the words alone, never Node's internal error name.
    expect(classifyHttpError(Object.assign(new Error('Response does not match the HTTP/1.1 protocol'), { name: 'HTTPParserError' }), 2000)).toEqual({ code: 'network', reason: 'malformed HTTP answer' });
    expect(classifyHttpError({ code: 'UND_ERR_HEADERS_OVERFLOW' }, 2000).reason).toBe("the answer's headers are too large");
    expect(classifyHttpError({ code: 'EPIPE' }, 2000).reason).toBe('network error: EPIPE');
  });
});

// openssl makes the certificate; npm test installs it when missing (scripts/test-deps.mjs).
describe('runHttpCheck against a self-signed certificate', () => {
  it('an untrusted certificate is a TLS failure', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opscockpit-tls-'));
    try {
      const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
      const tlsServer = createHttpsServer({ key: readFileSync(key), cert: readFileSync(cert) }, handler);
      const port = await listen(tlsServer);
      try {
        const r = await runHttpCheck(check(`https://127.0.0.1:${port}/readyz`), ctx());
        expect(r).toMatchObject({ status: 'error', code: 'tls' });
        expect(r.reason).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY/);
      } finally {
        tlsServer.closeAllConnections();
        await new Promise((res) => tlsServer.close(res));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('runHttpCheck body cap', () => {
  it('stops reading a 50 MB body at the cap and drops the connection', async () => {
    const r = await runHttpCheck(check('/big', { maxBodyBytes: MB }), ctx());
    expect(r).toMatchObject({ status: 'unhealthy', code: 'body_too_large', httpStatus: 200 });
    expect(r.output!.length).toBe(2048);
    // The server saw its response socket close, long before it could send 50 MB.
    await seen.bigClosed;
    expect(seen.bigSent).toBeLessThan(50 * MB);
  });
});

describe('runHttpCheck ETag', () => {
  it('sends If-None-Match after a 200 and treats 304 as fresh', async () => {
    const etags = new Map<string, string>();
    const c = check('/etag', { etag: true }, { json: { cards: 3 } });
    const first = await runHttpCheck(c, ctx({ etags }));
    expect(first).toMatchObject({ status: 'healthy', httpStatus: 200 });
    expect(first.fresh).toBeUndefined();
    expect(etags.get('/etag')).toBe('"v1"');

    const second = await runHttpCheck(c, ctx({ etags }));
    expect(second).toMatchObject({ status: 'healthy', code: 'ok', httpStatus: 304, fresh: true, reason: '304 not modified (ETag fresh)' });
    expect(seen.ifNoneMatch).toEqual([undefined, '"v1"']);
  });
});

describe('runHttpCheck secrets', () => {
  const env = { DEMO_TOKEN: TOKEN };
  const headers = { Authorization: 'Bearer ${DEMO_TOKEN}' };

  it('sends the expanded header and never returns the value', async () => {
    const r = await runHttpCheck(check('/secure', { headers }, { json: { status: 'ready' } }), ctx({ env, secrets: ['DEMO_TOKEN'] }));
    expect(r).toMatchObject({ status: 'healthy', httpStatus: 200 });
    expect(r.output).toContain('Bearer ***');
    expect(JSON.stringify(r)).not.toContain(TOKEN);
  });

  it('a missing secret is secret_missing, naming the variable', async () => {
    const r = await runHttpCheck(check('/secure', { headers }), ctx({ secrets: ['DEMO_TOKEN'] }));
    expect(r).toMatchObject({ status: 'error', code: 'secret_missing' });
    expect(r.reason).toContain('DEMO_TOKEN');
  });
});

describe('runHttpAction', () => {
  it('posts the expanded body and checks the status', async () => {
    const spec = { target: 'app', url: `${base}/deploy`, method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"token":"${DEMO_TOKEN}"}', timeoutMs: 2000, expectStatus: [202] };
    const r = await runHttpAction(spec, ctx({ env: { DEMO_TOKEN: TOKEN }, secrets: ['DEMO_TOKEN'] }));
    expect(r).toMatchObject({ ok: true, httpStatus: 202 });
    expect(r.output).toBe('{"got":{"token":"***"}}');
    expect(JSON.stringify(r)).not.toContain(TOKEN);

    const wrong = await runHttpAction({ ...spec, method: 'PUT' }, ctx({ env: { DEMO_TOKEN: TOKEN }, secrets: ['DEMO_TOKEN'] }));
    expect(wrong).toMatchObject({ ok: false, httpStatus: 405 });
    expect(wrong.reason).toBe(`expected 202, got 405 (PUT ${base}/deploy)`);
  });

  it('reports a refused connection as not ok', async () => {
    const r = await runHttpAction({ target: 'app', url: `http://127.0.0.1:${closedPort}/x`, method: 'POST', headers: {}, timeoutMs: 1000, expectStatus: [200] }, ctx());
    expect(r).toMatchObject({ ok: false, output: '' });
    expect(r.reason).toContain('connection refused');
  });
});

describe('exchange', () => {
  const pool = sharedPool({ connections: 4 });
  afterAll(() => pool.close());
  const req = (path: string, timeoutMs = 60_000) => ({ url: `${base}${path}`, method: 'GET', headers: {}, timeoutMs, maxBodyBytes: MB });
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

  it('says in which phase the deadline fired', async () => {
    const hang = await exchange(pool.get(), req('/hang', 200), undefined, Date.now);
    expect(hang).toEqual({ ok: false, code: 'timeout', reason: 'timed out after 200 ms waiting for an answer' });
    const stall = await exchange(pool.get(), req('/stall-body', 200), undefined, Date.now);
    expect(stall).toEqual({ ok: false, code: 'timeout', reason: 'timed out after 200 ms reading the body' });
  });

  it("ends at the caller's cancel, which is not the deadline, and before the request when already cancelled", async () => {
    const cancel = new AbortController();
    const pending = exchange(pool.get(), req('/hang'), cancel.signal, Date.now);
    setTimeout(() => cancel.abort('quit'), 50);
    expect(await pending).toEqual({ ok: false, code: 'network', reason: 'cancelled' });
    expect(await exchange(pool.get(), req('/readyz'), cancel.signal, Date.now)).toEqual({ ok: false, code: 'network', reason: 'cancelled' });
  });

  it('once over, leaves no timer behind to wake the process, and no hold on the caller', async () => {
    const cancel = new AbortController();
    setMaxListeners(0, cancel.signal); // as the check runner does with the shutdown signal
    const before = timers();
    const answers = await Promise.all(Array.from({ length: 20 }, () => exchange(pool.get(), req('/readyz'), cancel.signal, Date.now)));
    expect(answers.map((a) => a.ok && a.status)).toEqual(Array(20).fill(200));
    // Twenty one-minute deadlines left running would be twenty timers; undici may keep one tick.
    expect(timers() - before).toBeLessThanOrEqual(1);
    expect(getEventListeners(cancel.signal, 'abort')).toEqual([]);
  });

  it('an address that is not a URL is a failure, not a throw', async () => {
    const r = await exchange(pool.get(), { ...req('/x'), url: 'not a url' }, undefined, Date.now);
    expect(r).toMatchObject({ ok: false, code: 'network' });
  });
});

describe('checks polled on one tick', () => {
  it('twenty checks in flight on the shutdown signal print no listener-leak warning over the cockpit', async () => {
    const { makeCheckRunner } = await import('../src/session/runners.js');
    const runbook = { secrets: [] } as unknown as Parameters<typeof makeCheckRunner>[0];
    const shutdown = new AbortController();
    const run = makeCheckRunner(runbook, {}, undefined, shutdown.signal);
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      const results = await Promise.all(Array.from({ length: 20 }, () => run(check('/slow'))));
      expect(results.map((r) => r.status)).toEqual(Array(20).fill('healthy'));
      await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([]);
  });
});
