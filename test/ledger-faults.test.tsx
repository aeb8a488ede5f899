// The team ledger going away mid-run: a PostgreSQL server of this file's own, killed with
// SIGKILL in the middle of a stream of appends and actions, then started again on the same data
// folder and port (crash recovery). Nothing acknowledged is lost, nothing is stored twice, the
// chain verifies; meanwhile the cockpit says the ledger is unreachable, keeps showing its live
// checks, and runs nothing whose intent it cannot record.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { connect, createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openPgLedger, type PgLedger } from '../adapters/pg-ledger.js';
import { loadRunbook } from '../src/runbook/load.js';
import { systemClock } from '../src/engine/ports.js';
import type { LedgerEvent } from '../src/engine/types.js';
import { createCockpitStore } from '../src/store/store.js';
import { RunRecorder } from '../src/session/recorder.js';
import { LedgerLink } from '../src/session/ledger-link.js';
import { cli } from './support/cli.js';
import { waitFor } from './support/cockpit.js';
import { mountCockpitOn, unmountAll } from './support/mount.js';
import { OPERATORS, pgUrl, startPostgres, type PgLogin, type RunningPostgres } from './support/postgres.js';

let pgs: RunningPostgres;
let urls: Record<PgLogin, string>;
const open: PgLedger[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Until the asynchronous probe holds. */
async function until(probe: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function sql<T extends pg.QueryResultRow = pg.QueryResultRow>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(text, params)).rows;
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  pgs = await startPostgres();
  await sql(pgUrl(pgs.server, 'admin'), 'CREATE DATABASE faults');
  const init = await cli(['ledger', 'init', '--ledger', pgUrl(pgs.server, 'admin', 'faults')]);
  expect(init.code).toBe(0);
  await sql(pgUrl(pgs.server, 'admin', 'faults'), `GRANT opscockpit_operator TO ${OPERATORS.join(', ')}`);
  urls = Object.fromEntries((['postgres', 'admin', ...OPERATORS] as const).map((l) => [l, pgUrl(pgs.server, l, 'faults')])) as Record<PgLogin, string>;
}, 60_000);

afterAll(async () => {
  await pgs?.stop();
});

afterEach(async () => {
  await unmountAll();
  for (const l of open.splice(0)) await l.close().catch(() => {});
});

async function ledgerAs(login: PgLogin): Promise<PgLedger> {
  const l = await openPgLedger(urls[login]);
  open.push(l);
  return l;
}

/** Kill the server now; start it again after `downMs`. Resolves once it answers again. */
async function outage(downMs: number): Promise<void> {
  await pgs.kill();
  await sleep(downMs);
  await pgs.restart();
}

/** How many events and distinct idempotency keys a run has, as the database counts them. */
async function keyCounts(runId: string): Promise<{ events: number; keys: number; keyed: number }> {
  const [row] = await sql<{ events: string; keys: string; keyed: string }>(
    urls.postgres,
    'SELECT count(*) AS events, count(DISTINCT idempotency_key) AS keys, count(idempotency_key) AS keyed FROM opscockpit.events WHERE run_id = $1',
    [runId],
  );
  return { events: Number(row.events), keys: Number(row.keys), keyed: Number(row.keyed) };
}

/**
 * A TCP proxy in front of the server that, when armed, cuts the connection at the moment the
 * server acknowledges a COMMIT: the transaction is stored, the client never hears so.
 */
async function ackCutter(port: number) {
  const state = { armed: false, cut: 0 };
  const sockets = new Set<Socket>();
  const server = createTcpServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => (sockets.delete(s), client.destroy(), upstream.destroy()));
    }
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d) => {
      if (state.armed && d.includes('COMMIT\0')) {
        state.armed = false;
        state.cut++;
        client.destroy();
        upstream.destroy();
        return;
      }
      client.write(d);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const close = () => new Promise<void>((r) => (sockets.forEach((s) => s.destroy()), server.close(() => r())));
  return { state, port: (server.address() as AddressInfo).port, close };
}

function writeRunbook(dir: string, port: number): string {
  const file = join(dir, 'faults.yaml');
  const act = (marker: string, sleepS = 0) => `{ command: bash, args: [-c, 'sleep ${sleepS}; echo ran >> ${join(dir, marker)}; echo ran'] }`;
  writeFileSync(
    file,
    `version: 1\nname: Faults\ntargets:\n  app: http://127.0.0.1:${port}\n` +
      `checks:\n  web:\n    every: 1s\n    http: { target: app, path: /health, expect: { json: { ok: true } } }\n  ok: { script: { command: /bin/true } }\n` +
      `checklists:\n  preflight:\n    - { id: ready, check: ok }\n    - { id: verify, check: ok }\n` +
      `actions:\n  ship:\n    title: Ship it\n    script: ${act('ship.txt')}\n  slow:\n    title: Slow one\n    script: ${act('slow.txt', 1.5)}\n`,
  );
  return file;
}

describe('the PostgreSQL ledger killed mid-run (SIGKILL) and started again', () => {
  it('streams of appends from two writers through the recorder: every one acknowledged, each stored once, in order; verify passes', { timeout: 90_000 }, async () => {
    const runbook = loadRunbook(writeRunbook(mkdtempSync(join(tmpdir(), 'oc-faults-')), 9), {});
    // alice and bob, each on a pool of their own, each writing a run of their own.
    const writer = async (login: 'alice' | 'bob') => {
      const ledger = await ledgerAs(login);
      const run = await ledger.startRun({ runbook: `faults-${login}`, name: 'Faults' }, Date.now());
      const store = createCockpitStore({ runbook, ledgerPath: ledger.location, demo: false, run, events: [], runs: [run], now: Date.now() });
      const seen = { down: 0, back: 0 };
      store.subscribe((st, prev) => (seen.down += st.ledgerDown !== undefined && prev.ledgerDown === undefined ? 1 : 0));
      const link = new LedgerLink({ clock: systemClock, store, onBack: () => seen.back++ });
      return { run, store, seen, recorder: new RunRecorder(ledger, run.runId, 'ops', systemClock, store, undefined, 0, link), acked: [] as Array<Promise<LedgerEvent>>, asked: [] as number[] };
    };
    const writers = [await writer('alice'), await writer('bob')];
    const N = 400;
    const notes = Array.from({ length: N }, (_, i) => `n${i}`);
    let down: Promise<void> | undefined;
    // About 4 s of appends: before the kill, while the server is gone, and after it is back.
    for (let i = 0; i < N; i++) {
      for (const w of writers) w.asked.push(Date.now()), w.acked.push(w.recorder.record({ kind: 'step.note', phase: 'preflight', step: 'ready', note: notes[i] }));
      if (i === N / 4) down = outage(1500);
      await sleep(10);
    }
    await down;
    const reader = await ledgerAs('carol');
    for (const w of writers) {
      const stored = await Promise.all(w.acked);
      // It said the ledger was unreachable, and that it was back.
      expect(w.seen.down).toBeGreaterThanOrEqual(1);
      expect(w.seen.back).toBe(w.seen.down);
      expect(w.store.getState().ledgerDown).toBeUndefined();
      // Each acknowledged in the order asked for, with its own place in the run.
      expect(stored.map((e) => (e.body as { note: string }).note)).toEqual(notes);
      expect(stored.map((e) => e.seq)).toEqual(notes.map((_, i) => i + 1));
      // Each stamped when it was asked for, not when the ledger was back to store it.
      expect(stored.filter((e, i) => e.at < w.asked[i] || e.at > w.asked[i] + 100).map((e) => e.seq)).toEqual([]);
      // What the database holds: every note once, in order; one event per idempotency key.
      expect((await reader.events(w.run.runId)).map((e) => (e.body as { note: string }).note)).toEqual(notes);
      expect(await keyCounts(w.run.runId)).toEqual({ events: N, keys: N, keyed: N });
    }
    const verify = await cli(['ledger', 'verify', '--ledger', urls.carol]);
    expect(verify.stderr).toBe('');
    expect(verify.code).toBe(0);
  });

  it('a commit whose acknowledgement is lost: the append is tried again with its key and stored once', { timeout: 30_000 }, async () => {
    const proxy = await ackCutter(pgs.server.port);
    try {
      const url = urls.alice.replace(`:${pgs.server.port}/`, `:${proxy.port}/`);
      const ledger = await openPgLedger(url);
      open.push(ledger);
      const run = await ledger.startRun({ runbook: 'faults-ack', name: 'Lost acknowledgement' }, Date.now());
      const runbook = loadRunbook(writeRunbook(mkdtempSync(join(tmpdir(), 'oc-faults-')), 9), {});
      const store = createCockpitStore({ runbook, ledgerPath: ledger.location, demo: false, run, events: [], runs: [run], now: Date.now() });
      const link = new LedgerLink({ clock: systemClock, store, onBack: () => {} });
      const recorder = new RunRecorder(ledger, run.runId, 'ops', systemClock, store, undefined, 0, link);
      await recorder.record({ kind: 'step.note', phase: 'preflight', step: 'ready', note: 'before' });
      proxy.state.armed = true;
      const once = await recorder.record({ kind: 'step.note', phase: 'preflight', step: 'ready', note: 'once' });
      expect(proxy.state.cut).toBe(1);
      const after = await recorder.record({ kind: 'step.note', phase: 'preflight', step: 'ready', note: 'after' });
      expect([once.seq, after.seq]).toEqual([2, 3]);
      const notes = (await (await ledgerAs('bob')).events(run.runId)).map((e) => (e.body as { note: string }).note);
      expect(notes).toEqual(['before', 'once', 'after']);
      expect(await keyCounts(run.runId)).toEqual({ events: 3, keys: 3, keyed: 3 });
    } finally {
      await proxy.close();
    }
  });

  it('the cockpit: banner within seconds, live checks go on, an action refused and not run, an action under way recorded once; back: banner gone, queue recorded', { timeout: 90_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oc-faults-'));
    let healthy = true;
    const http: Server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: healthy })));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    try {
      const runbook = loadRunbook(writeRunbook(dir, (http.address() as AddressInfo).port), {});
      const ledger = await ledgerAs('alice');
      const m = await mountCockpitOn(runbook, ledger, urls.alice, { env: { PATH: process.env.PATH, OPSCOCKPIT_OPERATOR: 'ops', OPSCOCKPIT_ALLOW_SCOPES: 'deploy:ship,deploy:slow' } });
      const state = () => m.session.store.getState();
      await waitFor(() => state().live.web?.status === 'healthy' && /✔ healthy +web/.test(m.frame()), 'web healthy', 8000);

      // An action under way when the server dies: its intent is stored, its outcome waits.
      const slow = m.session.runAction('slow', 'slow');
      await waitFor(() => state().action?.state === 'running', 'slow running', 5000);
      await pgs.kill();
      const killed = Date.now();
      await waitFor(() => m.frame().includes('LEDGER UNREACHABLE since'), 'the unreachable banner', 5000);
      expect(Date.now() - killed).toBeLessThan(5000);
      expect(m.frame()).toContain('nothing that needs a record runs; live checks go on');

      // Live checks keep polling and showing: unhealthy, healthy, unhealthy again.
      const shows = (status: 'healthy' | 'unhealthy') =>
        waitFor(() => state().live.web?.status === status && new RegExp(`${status === 'healthy' ? '✔' : '✘'} ${status} +web`).test(m.frame()), `web ${status} on screen while the ledger is away`, 8000);
      healthy = false;
      await shows('unhealthy');
      healthy = true;
      await shows('healthy');
      healthy = false;
      await shows('unhealthy');
      expect(m.frame()).toContain('LEDGER UNREACHABLE');

      // Nothing that needs a recorded intent runs (the ledger's reason comes before "busy").
      expect(await m.session.runAction('ship', 'ship')).toBeUndefined();
      expect(state().flash?.text).toMatch(/^ship not run: the ledger is unreachable since \d\d:\d\d:\d\d and its intent cannot be recorded/);
      await waitFor(() => existsSync(join(dir, 'slow.txt')), 'the slow action done', 5000);

      await pgs.restart();
      await waitFor(() => !m.frame().includes('LEDGER UNREACHABLE'), 'the banner gone', 15_000);
      await slow;
      // A step after it is back: its events go behind everything that waited.
      await m.session.advance();
      const reader = await ledgerAs('carol');
      const kinds = (evs: LedgerEvent[], kind: string) => evs.filter((e) => e.body.kind === kind);
      let events = await reader.events(m.session.runId);
      expect(kinds(events, 'step.result')).toHaveLength(1);
      // Bounded: the first result was being written when the others came; of those only the
      // newest waited (healthy in between was shown, not recorded).
      const afterKill = events.filter((e) => e.seq > kinds(events, 'action.requested')[0].seq);
      const webResults = kinds(afterKill, 'check.changed').map((e) => (e.body as { result: { status: string } }).result.status);
      expect(webResults).toEqual(['unhealthy', 'unhealthy']);
      // The slow action: one intent, one outcome, run once; the refused one: nothing at all.
      expect(kinds(events, 'action.requested').map((e) => (e.body as { action: string }).action)).toEqual(['slow']);
      expect(kinds(events, 'action.completed').map((e) => [(e.body as { action: string }).action, (e.body as { status: string }).status])).toEqual([['slow', 'succeeded']]);
      expect(readFileSync(join(dir, 'slow.txt'), 'utf8')).toBe('ran\n');
      expect(existsSync(join(dir, 'ship.txt'))).toBe(false);

      // A second outage with nothing running: steps and actions refused, nothing runs; bob
      // appends into the run as the server comes back, and the cockpit's catch-up shows it.
      await pgs.kill();
      await waitFor(() => m.frame().includes('LEDGER UNREACHABLE since'), 'the unreachable banner again', 5000);
      expect(await m.session.runAction('ship', 'ship')).toBeUndefined();
      expect(state().flash?.text).toMatch(/^ship not run: the ledger is unreachable since/);
      await m.session.advance();
      expect(state().flash?.text).toMatch(/^Step verify not run: the ledger is unreachable since \d\d:\d\d:\d\d and its intent cannot be recorded/);
      expect(existsSync(join(dir, 'ship.txt'))).toBe(false);
      await pgs.restart();
      const bob = await ledgerAs('bob');
      await bob.append(m.session.runId, 'bob', { kind: 'step.note', phase: 'preflight', step: 'ready', note: 'written while alice was away' }, Date.now());
      await waitFor(() => !m.frame().includes('LEDGER UNREACHABLE'), 'the banner gone again', 15_000);
      await waitFor(() => state().events.some((e) => e.body.kind === 'step.note' && e.operator === 'bob'), 'bob’s note in the cockpit', 5000);

      // Back: actions run again; the screen shows what the ledger holds, in its order.
      const shipped = await m.session.runAction('ship', 'ship');
      expect(shipped?.status).toBe('succeeded');
      expect(readFileSync(join(dir, 'ship.txt'), 'utf8')).toBe('ran\n');
      events = await reader.events(m.session.runId);
      expect(state().events.map((e) => e.seq)).toEqual(events.map((e) => e.seq));
      const counts = await keyCounts(m.session.runId);
      expect(counts.keys).toBe(counts.keyed);
      const verify = await cli(['ledger', 'verify', '--ledger', urls.carol]);
      expect(verify.stderr).toBe('');
      expect(verify.code).toBe(0);
    } finally {
      http.close();
    }
  });
  it('quitting while the ledger is unreachable does not wait for it: what waited is said not recorded', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oc-faults-'));
    let healthy = true;
    const http: Server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: healthy })));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    try {
      const ledger = await ledgerAs('alice');
      const m = await mountCockpitOn(loadRunbook(writeRunbook(dir, (http.address() as AddressInfo).port), {}), ledger, urls.alice, { env: { PATH: process.env.PATH } });
      const state = () => m.session.store.getState();
      await waitFor(() => state().live.web?.status === 'healthy', 'web healthy', 8000);
      await pgs.kill();
      await waitFor(() => m.frame().includes('LEDGER UNREACHABLE since'), 'the unreachable banner', 5000);
      healthy = false;
      await waitFor(() => state().live.web?.status === 'unhealthy', 'web unhealthy', 8000);
      const quit = Date.now();
      await m.session.shutdown('the operator quit');
      await m.session.stop();
      expect(Date.now() - quit).toBeLessThan(3000);
      expect(state().flash?.text).toMatch(/^Closed while the ledger was unreachable: an event was not recorded/);
    } finally {
      http.close();
      await pgs.restart();
    }
  });
});

describe('a headless run while the PostgreSQL ledger is away', () => {
  it('says it waits on the ledger, and when it goes on: never silent', { timeout: 60_000 }, async () => {
    const { runProcedure } = await import('../src/session/headless-run.js');
    const dir = mkdtempSync(join(tmpdir(), 'oc-faults-headless-'));
    const target = createServer((_q, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    try {
      const runbook = loadRunbook(writeRunbook(dir, (target.address() as AddressInfo).port), {});
      const ledger = await ledgerAs('alice');
      const said: string[] = [];
      const env = { PATH: process.env.PATH, OPSCOCKPIT_ALLOW_SCOPES: 'deploy:slow' };
      // The slow action runs 1.5 s; the server goes away meanwhile and comes back.
      const running = runProcedure({ runbook, ledger, ledgerPath: ledger.location, env, actions: ['slow'], yes: true, notice: (l) => said.push(l) });
      // Its outcome is to be recorded while the server is away.
      await sleep(500);
      await outage(2500);
      const report = await running;
      expect(report.actions.map((a) => a.action)).toEqual(['slow']);
      expect(said.find((l) => l.includes('the ledger is unreachable since'))).toMatch(/waiting for it, nothing runs meanwhile \(Ctrl-C stops the run\)$/);
      expect(said).toContain('opscockpit: the ledger is back: the run goes on');
    } finally {
      target.close();
    }
  });
});
