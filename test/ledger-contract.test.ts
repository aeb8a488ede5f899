// One contract for the ledger, run against both backends: the SQLite file (sqlite-store.ts) and
// PostgreSQL (pg-ledger.ts, on the real server the test setup starts). Then what only
// PostgreSQL promises: the login is the operator, operators cannot change events, and an
// owner's tampering is found by verify.
import { afterEach, describe, expect, inject, it } from 'vitest';
import pg from 'pg';
import type { LedgerStore } from '../src/engine/ledger-store.js';
import type { EventBody, LedgerEvent } from '../src/engine/types.js';
import { postgresLedger, sqliteLedger, type LedgerUnderTest } from './support/ledger-stores.js';
import { openPgLedger } from '../adapters/pg-ledger.js';
import { heldGate } from './support/held-gate.js';
import { Redactor } from '../src/runbook/secrets.js';

const RUNBOOK = '/ops/cutover.yaml';
const note = (n: string): EventBody => ({ kind: 'step.note', phase: 'postflight', step: 's', note: n });
const T0 = Date.UTC(2026, 10, 23, 11, 22, 33);

const open: LedgerStore[] = [];
async function track(p: Promise<LedgerStore>): Promise<LedgerStore> {
  const s = await p;
  open.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

const backends: [string, () => Promise<LedgerUnderTest>][] = [
  ['SQLite', async () => sqliteLedger()],
  ['PostgreSQL', () => postgresLedger(inject('postgres'))],
];

describe.each(backends)('ledger contract: %s', (_name, make) => {
  it('runs and events round-trip in order; a completed run is no longer open', async () => {
    const l = await make();
    const s = await track(l.open());
    const run = await s.startRun({ runbook: RUNBOOK, name: 'cutover v2.3', branch: 'main' }, T0);
    expect(await s.getRun(run.runId)).toEqual(run);
    expect(run).toMatchObject({ runbook: RUNBOOK, name: 'cutover v2.3', branch: 'main', status: 'running', startedAt: T0 });
    expect((await s.openRun(RUNBOOK))?.runId).toBe(run.runId);
    for (const n of ['one', 'two', 'three']) await s.append(run.runId, 'ana', note(n), T0 + 1);
    const events = await s.events(run.runId);
    expect(events.map((e) => [e.seq, (e.body as { note: string }).note])).toEqual([[1, 'one'], [2, 'two'], [3, 'three']]);
    expect((await s.recentEvents(run.runId, 2)).map((e) => e.seq)).toEqual([3, 2]);
    await s.completeRun(run.runId, 'succeeded', T0 + 5, 'done');
    expect(await s.getRun(run.runId)).toMatchObject({ status: 'succeeded', completedAt: T0 + 5, releasedAt: T0 + 5, note: 'done' });
    expect(await s.openRun(RUNBOOK)).toBeUndefined();
    expect((await s.listRuns(10)).map((r) => r.runId)).toEqual([run.runId]);
    await expect(s.append('r-nope', 'ana', note('x'), T0)).rejects.toThrow(/no run r-nope/);
    expect((await l.verify()).ok).toBe(true);
  });

  it('atomically stores all of its appends or, when it throws, none', async () => {
    const l = await make();
    const s = await track(l.open());
    const run = await s.startRun({ runbook: RUNBOOK, name: 'tx' }, T0);
    await expect(s.atomically(async () => {
      await s.append(run.runId, 'ana', note('a'), T0);
      await s.append(run.runId, 'ana', note('b'), T0);
      throw new Error('changed my mind');
    })).rejects.toThrow('changed my mind');
    expect(await s.events(run.runId)).toEqual([]);
    const n = await s.atomically(async () => {
      await s.append(run.runId, 'ana', note('a'), T0);
      await new Promise((r) => setTimeout(r, 10));
      await s.append(run.runId, 'ana', note('b'), T0);
      return (await s.events(run.runId)).length;
    });
    expect(n).toBe(2);
    expect((await s.events(run.runId)).map((e) => e.seq)).toEqual([1, 2]);
    expect((await l.verify()).ok).toBe(true);
  });

  it('an append from elsewhere in the process waits until a running transaction ends', async () => {
    const l = await make();
    const s = await track(l.open());
    const run = await s.startRun({ runbook: RUNBOOK, name: 'wait' }, T0);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let inside!: () => void;
    const started = new Promise<void>((r) => (inside = r));
    const tx = s.atomically(async () => {
      await s.append(run.runId, 'ana', note('inside'), T0);
      inside();
      await held;
    });
    await started;
    let outsideDone = false;
    const outside = s.append(run.runId, 'bo', note('outside'), T0).then((e) => ((outsideDone = true), e));
    await new Promise((r) => setTimeout(r, 300));
    expect(outsideDone).toBe(false);
    release();
    await tx;
    expect((await outside).seq).toBe(2);
    expect((await s.events(run.runId)).map((e) => (e.body as { note: string }).note)).toEqual(['inside', 'outside']);
  });

  it('eight concurrent writers, each on a connection of its own, keep one intact chain', async () => {
    const l = await make();
    const s = await track(l.open());
    const run = await s.startRun({ runbook: RUNBOOK, name: 'many' }, T0);
    await l.writeConcurrently(run.runId, 8, 40);
    const events = await s.events(run.runId);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 320 }, (_, i) => i + 1));
    const v = await l.verify();
    expect(v).toMatchObject({ ok: true, events: 320 });
  }, 60_000);

  it('a retried append with the same idempotency key is stored once and returns the stored event', async () => {
    const l = await make();
    const s = await track(l.open());
    const run = await s.startRun({ runbook: RUNBOOK, name: 'retry' }, T0);
    const first = await s.append(run.runId, 'ana', note('intent'), T0, { durable: true, idempotencyKey: 'k-1' });
    const again = await s.append(run.runId, 'ana', note('intent'), T0 + 9, { durable: true, idempotencyKey: 'k-1' });
    expect(again).toEqual(first);
    await s.append(run.runId, 'ana', note('next'), T0, { idempotencyKey: 'k-2' });
    expect((await s.events(run.runId)).map((e) => e.seq)).toEqual([1, 2]);
    expect((await l.verify()).ok).toBe(true);
  });

  it('a subscriber hears of an append made on another connection', async () => {
    const l = await make();
    const watcher = await track(l.open());
    const writer = await track(l.another());
    const run = await writer.startRun({ runbook: RUNBOOK, name: 'live' }, T0);
    let t0 = 0;
    const heard = new Promise<number>((ok) => {
      // What comes before the append (PostgreSQL's catch-up once its LISTEN is in place) is not it.
      const stop = watcher.subscribe(() => {
        if (!t0) return;
        stop();
        ok(Date.now() - t0);
      });
    });
    await new Promise((r) => setTimeout(r, 300)); // listening
    t0 = Date.now();
    await writer.append(run.runId, 'bo', note('hello'), T0);
    expect(await heard).toBeLessThan(1_000);
    expect((await watcher.events(run.runId)).length).toBe(1);
  });

  it('browse: filtered pages by offset and by cursor, summaries, events in pages, the change mark', async () => {
    const l = await make();
    const s = await track(l.open());
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const run = await s.startRun({ runbook: RUNBOOK, name: `r${i}`, branch: i % 2 ? 'main' : 'dev', releaseType: 'cutover', commitSha: `c${i}` }, T0 + i * 1000);
      ids.push(run.runId);
      await s.append(run.runId, 'ana', { kind: 'step.skipped', phase: 'postflight', step: 's', reason: `n${i}` } as EventBody, T0 + i * 1000 + 1);
      await s.append(run.runId, 'ana', { kind: 'run.completed', status: 'succeeded' } as EventBody, T0 + i * 1000 + 2);
      await s.completeRun(run.runId, i === 3 ? 'failed' : 'succeeded', T0 + i * 1000 + 2);
    }
    const b = s.browse();
    const newestFirst = [...ids].reverse();
    const first = await b.page({}, 1, 3);
    expect(first).toMatchObject({ page: 1, pages: 3, total: 7, counts: { succeeded: 6, failed: 1, running: 0 } });
    expect(first.runs.map((r) => r.runId)).toEqual(newestFirst.slice(0, 3));
    // The operator is the name given on SQLite, the login on PostgreSQL.
    expect(first.runs[0]).toMatchObject({ events: 2, operator: s.identity === 'database' ? 'alice' : 'ana', lastAt: T0 + 6002, headline: { seq: 1 } });
    const key = (r: { startedAt: number; runId: string }) => [r.startedAt, r.runId] as const;
    const second = await b.page({}, 2, 3, { after: key(first.runs[2]) });
    expect(second.runs.map((r) => r.runId)).toEqual(newestFirst.slice(3, 6));
    expect((await b.page({}, 1, 3, { before: key(second.runs[0]) })).runs.map((r) => r.runId)).toEqual(newestFirst.slice(0, 3));
    expect((await b.page({}, 2, 3, { from: key(second.runs[0]) })).runs.map((r) => r.runId)).toEqual(newestFirst.slice(3, 6));
    expect((await b.page({ branch: 'main', status: ['succeeded'] }, 1, 10)).runs.map((r) => r.runId)).toEqual([ids[5], ids[1]]);
    expect((await b.page({ since: T0 + 2000, until: T0 + 4000 }, 1, 10)).runs.map((r) => r.runId)).toEqual([ids[3], ids[2]]);
    expect((await b.newest())?.runId).toBe(ids[6]);
    expect((await b.previousRelease((await b.run(ids[6]))!))?.runId).toBe(ids[5]);
    expect((await b.eventsAfter(ids[0], 1, 10)).map((e) => e.seq)).toEqual([2]);
    expect((await b.eventsBefore(ids[0], 3, 10)).map((e) => e.seq)).toEqual([1, 2]);
    const all: string[] = [];
    for await (const r of b.runs({ type: 'cutover' })) all.push(r.runId);
    expect(all).toEqual(newestFirst);
    // The mark moves with an append and with a run's end (no event), and holds otherwise.
    const mark = await b.changeMark();
    expect(await b.changeMark()).toBe(mark);
    const open = await s.startRun({ runbook: RUNBOOK, name: 'later' }, T0 + 9000);
    const afterStart = await b.changeMark();
    expect(afterStart).not.toBe(mark);
    await s.append(open.runId, 'ana', note('x'), T0 + 9001);
    const afterAppend = await b.changeMark();
    expect(afterAppend).not.toBe(afterStart);
    await s.completeRun(open.runId, 'aborted', T0 + 9002);
    expect(await b.changeMark()).not.toBe(afterAppend);
  });

  it('leases: taken, refreshed by their holder only, listed with the open runs, released', async () => {
    const l = await make();
    const s = await track(l.open());
    const run = await s.startRun({ runbook: RUNBOOK, name: 'lease' }, T0);
    const me = { pid: 101, host: 'h1', token: 'a' };
    const other = { pid: 102, host: 'h1', token: 'b' };
    expect(await s.leases.get(run.runId)).toBeUndefined();
    await s.atomically(() => s.leases.take(run.runId, me, T0));
    expect(await s.leases.get(run.runId)).toEqual({ runId: run.runId, ...me, takenAt: T0, heartbeatAt: T0 });
    expect(await s.leases.beat(run.runId, me, T0 + 5)).toBe(true);
    expect(await s.leases.beat(run.runId, other, T0 + 6)).toBe(false);
    const [open1] = await s.leases.openRuns(RUNBOOK);
    expect(open1).toMatchObject({ run: { runId: run.runId }, lease: { token: 'a', heartbeatAt: T0 + 5 } });
    await s.leases.release(run.runId, other);
    expect(await s.leases.get(run.runId)).toBeDefined();
    await s.leases.release(run.runId, me);
    expect(await s.leases.get(run.runId)).toBeUndefined();
    expect(await s.leases.openRuns(RUNBOOK)).toEqual([{ run: expect.objectContaining({ runId: run.runId }) }]);
  });

  it('evidenceEvents: the evidence events, of one file or all, by time, then run (older first), then seq', async () => {
    const l = await make();
    const s = await track(l.open());
    // Started in reverse order, in one second: their ids do not say which is older.
    const later = await s.startRun({ runbook: RUNBOOK, name: 'later' }, T0 + 20);
    const older = await s.startRun({ runbook: RUNBOOK, name: 'older' }, T0 + 10);
    const recorded = (path: string, version: number): EventBody => ({ kind: 'evidence.recorded', path, sha256: String(version).repeat(64), version, state: 'WIP', samples: 9 });
    // Appended out of time order; at T0+100 the later run's first.
    await s.append(later.runId, 'ana', recorded('/ev/a.json', 2), T0 + 100);
    await s.append(later.runId, 'ana', note('not evidence'), T0 + 100);
    await s.append(older.runId, 'bo', recorded('/ev/a.json', 1), T0 + 100);
    await s.append(older.runId, 'bo', { kind: 'evidence.tampered', path: '/ev/a.json', expected: '1'.repeat(64), actual: null }, T0 + 100);
    await s.append(older.runId, 'bo', recorded('/ev/b.json', 1), T0 + 50);
    await s.append(later.runId, 'ana', recorded('/ev/a.json', 3), T0 + 40);
    await s.append(later.runId, 'ana', { kind: 'gate.judged', gate: 'g', result: { verdict: 'GO' } as never, evidence: { path: '/ev/a.json', sha256: 'x' } }, T0 + 1);
    const shown = (events: LedgerEvent[]) => events.map((e) => [e.runId === older.runId ? 'older' : 'later', e.seq, e.at - T0, e.body.kind, (e.body as { version?: number }).version]);
    expect(shown(await s.evidenceEvents('/ev/a.json'))).toEqual([
      ['later', 3, 40, 'evidence.recorded', 3],
      ['older', 1, 100, 'evidence.recorded', 1],
      ['older', 2, 100, 'evidence.tampered', undefined],
      ['later', 1, 100, 'evidence.recorded', 2],
    ]);
    const all = await s.evidenceEvents();
    expect(shown(all)).toEqual([
      ['later', 3, 40, 'evidence.recorded', 3],
      ['older', 3, 50, 'evidence.recorded', 1],
      ['older', 1, 100, 'evidence.recorded', 1],
      ['older', 2, 100, 'evidence.tampered', undefined],
      ['later', 1, 100, 'evidence.recorded', 2],
    ]);
    // The order reading every run gives (runs oldest first, each in seq order, then by time).
    const everyRun = (await Promise.all((await s.listRuns(100)).reverse().map((r) => s.events(r.runId)))).flat();
    expect(all).toEqual(everyRun.filter((e) => e.body.kind.startsWith('evidence.')).sort((a, b) => a.at - b.at));
    expect(await s.evidenceEvents('/ev/none.json')).toEqual([]);
  });
});

describe('ledger contract: what only PostgreSQL vouches for', () => {
  it('the operator on an event is the login: alice cannot write an event as bob, whatever she sends', async () => {
    const l = await postgresLedger(inject('postgres'));
    const alice = await track(l.open());
    expect(alice.identity).toBe('database');
    expect(alice.location).toMatch(/^postgres:\/\/alice@127\.0\.0\.1:\d+\/ledger_/);
    expect(alice.location).not.toContain(inject('postgres').passwords.alice);
    const run = await alice.startRun({ runbook: RUNBOOK, name: 'who' }, T0);
    expect((await alice.append(run.runId, 'bob', note('as bob?'), T0)).operator).toBe('alice');
    // Straight SQL, past the client: the database stamps the login all the same.
    const c = new pg.Client({ connectionString: l.urls.alice });
    await c.connect();
    await c.query("INSERT INTO opscockpit.events (id, run_id, seq, at, kind, operator, payload, hash) VALUES (99, $1, 99, 0, 'step.note', 'bob', '{}', '\\x00')", [run.runId]);
    const { rows } = await c.query('SELECT id::int AS id, operator, display_name FROM opscockpit.events ORDER BY id');
    await c.end();
    expect(rows).toEqual([{ id: 1, operator: 'alice', display_name: 'bob' }, { id: 99, operator: 'alice', display_name: null }]);
    // That row was not appended through the ledger: verify says so.
    const v = await l.verify();
    expect(v.ok).toBe(false);
    expect(v.firstBroken).toMatchObject({ id: 99, reason: 'missing row' });
  });

  it('a secret value is masked in what is appended, by the group commit and inside a transaction', async () => {
    const l = await postgresLedger(inject('postgres'));
    const secret = 'tok-S3cr3t-9f8e7d';
    const s = await track(openPgLedger(l.urls.alice, { redactor: new Redactor(['DEPLOY_TOKEN'], { DEPLOY_TOKEN: secret }) }));
    const run = await s.startRun({ runbook: RUNBOOK, name: 'secret' }, T0);
    expect((await s.append(run.runId, 'ana', note(`curl -H "Authorization: ${secret}"`), T0)).body).toEqual(note('curl -H "Authorization: ***"'));
    await s.atomically(() => s.append(run.runId, 'ana', note(`again ${secret}`), T0));
    expect((await s.events(run.runId)).map((e) => (e.body as { note: string }).note)).toEqual(['curl -H "Authorization: ***"', 'again ***']);
    expect((await l.verify()).ok).toBe(true);
  });

  it('an operator login gets "permission denied" changing or removing events', async () => {
    const l = await postgresLedger(inject('postgres'));
    const bob = await track(l.another());
    const run = await bob.startRun({ runbook: RUNBOOK, name: 'locked' }, T0);
    await bob.append(run.runId, 'bo', note('kept'), T0);
    const c = new pg.Client({ connectionString: l.urls.bob });
    await c.connect();
    try {
      await expect(c.query("UPDATE opscockpit.events SET payload = '{}'")).rejects.toThrow(/permission denied for table events/);
      await expect(c.query('DELETE FROM opscockpit.events')).rejects.toThrow(/permission denied for table events/);
      await expect(c.query('TRUNCATE opscockpit.events')).rejects.toThrow(/permission denied for table events/);
    } finally {
      await c.end();
    }
    expect((await bob.events(run.runId)).length).toBe(1);
  });

  it("an owner's tampering (UPDATE as admin) is found by verify, naming the first broken event", async () => {
    const l = await postgresLedger(inject('postgres'));
    const s = await track(l.open());
    const run = await s.startRun({ runbook: RUNBOOK, name: 'tamper' }, T0);
    for (const n of ['a', 'b', 'c', 'd']) await s.append(run.runId, 'ana', note(n), T0);
    expect((await l.verify()).ok).toBe(true);
    const admin = new pg.Client({ connectionString: l.urls.admin });
    await admin.connect();
    await admin.query(`UPDATE opscockpit.events SET payload = replace(payload, '"c"', '"C"') WHERE seq = 3`);
    await admin.end();
    const v = await l.verify();
    expect(v.ok).toBe(false);
    expect(v.firstBroken).toMatchObject({ id: 3, runId: run.runId, seq: 3, reason: 'hash mismatch' });
  });

  it('a subscriber whose connection is cut is told at once, reconnects, says to catch up, and hears later appends', async () => {
    const l = await postgresLedger(inject('postgres'));
    const watcher = await track(l.open());
    const writer = await track(l.another());
    const run = await writer.startRun({ runbook: RUNBOOK, name: 'cut' }, T0);
    const changes: (string | undefined)[] = [];
    watcher.subscribe((c) => changes.push(c.unreachable ? 'lost' : c.runId));
    const admin = new pg.Client({ connectionString: l.urls.postgres });
    await admin.connect();
    const listening = async () => (await admin.query("SELECT pid FROM pg_stat_activity WHERE usename = 'alice' AND query LIKE 'LISTEN%'")).rows;
    const until = async (ok: () => Promise<boolean> | boolean) => {
      for (const end = Date.now() + 5_000; !(await ok()) && Date.now() < end; ) await new Promise((r) => setTimeout(r, 50));
    };
    await until(async () => (await listening()).length === 1);
    // Once listening, the first time too, it says to read again (see the next test: an append
    // made before the LISTEN is in place is announced to nobody).
    await until(() => changes.length === 1);
    expect(changes).toEqual([undefined]);
    await writer.append(run.runId, 'bo', note('before'), T0);
    await until(() => changes.includes(run.runId));
    expect(changes).toEqual([undefined, run.runId]);
    // Cut the listener's connection; meanwhile an event is appended that nobody announces to it.
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1 AND query LIKE $2', ['alice', 'LISTEN%']);
    await writer.append(run.runId, 'bo', note('while cut'), T0);
    await until(() => changes.length >= 4);
    expect(changes[2]).toBe('lost'); // the connection is gone: a cockpit says the ledger is unreachable
    expect(changes[3]).toBeUndefined(); // the catch-up: read again
    await until(async () => (await listening()).length === 1);
    await writer.append(run.runId, 'bo', note('after'), T0);
    await until(() => changes.length >= 5);
    await admin.end();
    expect(changes.slice(4)).toEqual([run.runId]);
  });

  it('an append made after the caller read, before its first LISTEN is in place, is not missed: it says to read again once listening', async () => {
    const l = await postgresLedger(inject('postgres'));
    const writer = await track(l.another());
    const run = await writer.startRun({ runbook: RUNBOOK, name: 'gap' }, T0);
    // alice's connections pass through a gate the test holds: her LISTEN waits behind it.
    const gate = await heldGate(new URL(l.urls.alice));
    const watcher = await track(openPgLedger(gate.url));
    try {
      expect(await watcher.events(run.runId)).toEqual([]); // the caller read the run
      gate.hold();
      const seen: string[] = [];
      const changes: (string | undefined)[] = [];
      watcher.subscribe((c) => {
        changes.push(c.unreachable ? 'lost' : c.runId);
        void watcher.events(run.runId).then((evs) => seen.push(...evs.map((e) => (e.body as { note: string }).note)));
      });
      await writer.append(run.runId, 'bo', note('in the gap'), T0); // announced before anyone listens
      gate.open();
      for (const end = Date.now() + 3_000; !seen.includes('in the gap') && Date.now() < end; ) await new Promise((r) => setTimeout(r, 50));
      expect(changes).toEqual([undefined]);
      expect(seen).toContain('in the gap');
    } finally {
      await gate.close();
    }
  });
});
