// Group commit (adapters/append-group.ts) on both ledgers, the SQLite file and PostgreSQL (the
// real server the test setup starts): appends a process asks for at once share transactions,
// land in the order asked with an intact chain, from one process and from two; a transaction
// that fails rejects every append in it and stores none; a batch retried with its keys is
// stored once.
import { afterEach, describe, expect, inject, it } from 'vitest';
import pg from 'pg';
import type { LedgerStore } from '../src/engine/ledger-store.js';
import type { EventBody, LedgerEvent } from '../src/engine/types.js';
import type { SqliteStore } from '../adapters/sqlite-store.js';
import { postgresLedger, sqliteLedger, type LedgerUnderTest } from './support/ledger-stores.js';
import { burstsFromProcesses, poisonTrigger } from './support/ledger-bursts.js';

const RUNBOOK = '/ops/burst.yaml';
const T0 = Date.UTC(2026, 11, 7, 9, 0, 0);
const note = (n: string): EventBody => ({ kind: 'step.note', phase: 'postflight', step: 's', note: n });
const noteOf = (e: LedgerEvent) => (e.body as { note: string }).note;
const range = (n: number, from = 1) => Array.from({ length: n }, (_, i) => i + from);

interface Backend {
  l: LedgerUnderTest;
  /** Where another process opens it. */
  where: string;
  /** The owner's URL on PostgreSQL (to add a trigger); none for SQLite. */
  owner?: string;
  /** How many transactions wrote the run's events (PostgreSQL: their xmin) or `store` committed (SQLite). */
  transactions(store: LedgerStore, runId: string): Promise<number>;
}

const backends: [string, () => Promise<Backend>][] = [
  ['SQLite', async () => {
    const l = sqliteLedger();
    return { l, where: l.file, transactions: async (s) => Number((s as SqliteStore).ledger.changeToken().split(':')[1]) };
  }],
  ['PostgreSQL', async () => {
    const l = await postgresLedger(inject('postgres'));
    return {
      l, where: l.urls.alice, owner: l.urls.admin,
      async transactions(_s, runId) {
        const c = new pg.Client({ connectionString: l.urls.admin });
        await c.connect();
        try {
          return Number((await c.query('SELECT count(DISTINCT xmin::text) AS n FROM opscockpit.events WHERE run_id = $1', [runId])).rows[0].n);
        } finally {
          await c.end();
        }
      },
    };
  }],
];

const open: LedgerStore[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

describe.each(backends)('group commit: %s', (_name, make) => {
  async function setup() {
    const b = await make();
    const s = await b.l.open();
    open.push(s);
    return { b, s, run: await s.startRun({ runbook: RUNBOOK, name: 'burst' }, T0) };
  }

  it('appends asked for at once in one process share commits, land in the order asked, and keep one intact chain', async () => {
    const { b, s, run } = await setup();
    const other = await s.startRun({ runbook: RUNBOOK, name: 'burst 2' }, T0);
    const ask = (from: number, n: number) => range(n, from).map((i) => s.append(i % 2 ? run.runId : other.runId, 'ana', note(`n${i}`), T0 + i, { durable: true }));
    const first = ask(0, 200);
    // More while the first ones are being written: they wait for the next transaction.
    await new Promise((r) => setImmediate(r));
    const second = ask(200, 200);
    const got = await Promise.all([...first, ...second]);
    // Each run's seqs follow the order the appends were asked for.
    expect(got.filter((e) => e.runId === run.runId).map((e) => e.seq)).toEqual(range(200));
    expect(got.filter((e) => e.runId === other.runId).map((e) => e.seq)).toEqual(range(200));
    expect((await s.events(run.runId)).map(noteOf)).toEqual(range(200).map((i) => `n${2 * i - 1}`));
    expect(got.map((e) => e.at)).toEqual(range(400, 0).map((i) => T0 + i));
    const written = (await b.transactions(s, run.runId)) + (b.owner ? await b.transactions(s, other.runId) : 0);
    expect(written).toBeLessThanOrEqual(8);
    expect(await b.l.verify()).toMatchObject({ ok: true, events: 400 });
  });

  it('two processes asking for many appends at once: each process’s in its order, every seq once, verify passes', async () => {
    const { b, s, run } = await setup();
    const seqs = await burstsFromProcesses(b.where, run.runId, 2, 40, 5);
    for (const mine of Object.values(seqs)) {
      expect(mine).toHaveLength(200);
      expect(mine).toEqual([...mine].sort((x, y) => x - y));
    }
    expect([...seqs.p1, ...seqs.p2].sort((x, y) => x - y)).toEqual(range(400));
    const events = await s.events(run.runId);
    for (const p of ['p1', 'p2'])
      expect(events.filter((e) => noteOf(e).startsWith(`${p} `)).map(noteOf)).toEqual(range(200, 0).map((i) => `${p} ${i}`));
    if (b.owner) expect(await b.transactions(s, run.runId)).toBeLessThan(100);
    expect(await b.l.verify()).toMatchObject({ ok: true, events: 400 });
  }, 60_000);

  it('a transaction that fails rejects every append in it and stores none of them; the next is stored', async () => {
    const { b, s, run } = await setup();
    await s.append(run.runId, 'ana', note('before'), T0);
    const remove = await poisonTrigger(b.where, b.owner);
    const asked = ['a', 'b', 'c', 'poison', 'd', 'e'].map((n) => s.append(run.runId, 'ana', note(n), T0, { durable: true }));
    const settled = await Promise.allSettled(asked);
    expect(settled.map((r) => r.status)).toEqual(Array(6).fill('rejected'));
    for (const r of settled) expect(String((r as PromiseRejectedResult).reason)).toMatch(/poisoned event/);
    expect((await s.events(run.runId)).map(noteOf)).toEqual(['before']);
    await remove();
    expect((await s.append(run.runId, 'ana', note('after'), T0)).seq).toBe(2);
    expect(await b.l.verify()).toMatchObject({ ok: true, events: 2 });
  });

  it('an append to a run that does not exist is refused alone: the others in its transaction are stored', async () => {
    const { b, s, run } = await setup();
    const asked = ['a', 'b', 'nope', 'c'].map((n) => s.append(n === 'nope' ? 'r-nope' : run.runId, 'ana', note(n), T0));
    const settled = await Promise.allSettled(asked);
    expect(settled.map((r) => (r.status === 'fulfilled' ? r.value.seq : String(r.reason)))).toEqual([1, 2, expect.stringMatching(/no run r-nope/), 3]);
    expect((await s.events(run.runId)).map(noteOf)).toEqual(['a', 'b', 'c']);
    expect((await b.l.verify()).ok).toBe(true);
  });

  it('a batch retried with its idempotency keys is stored once and returns the stored events; new keys in it are stored', async () => {
    const { b, s, run } = await setup();
    const keyed = (i: number, at = T0) => s.append(run.runId, 'ana', note(`k${i}`), at, { durable: true, idempotencyKey: `key-${i}` });
    const first = await Promise.all(range(20).map((i) => keyed(i)));
    expect(first.map((e) => e.seq)).toEqual(range(20));
    // The same batch again (its acknowledgement lost), later: the events stored the first time.
    expect(await Promise.all(range(20).map((i) => keyed(i, T0 + 99)))).toEqual(first);
    // Old keys, new ones, and one new key asked for twice in the same batch.
    const mixed = await Promise.all([...range(5, 16).map((i) => keyed(i)), ...range(5, 21).map((i) => keyed(i)), keyed(25)]);
    expect(mixed.slice(0, 5)).toEqual(first.slice(15));
    expect(mixed.slice(5).map((e) => e.seq)).toEqual([21, 22, 23, 24, 25, 25]);
    const events = await s.events(run.runId);
    expect(events.map((e) => e.seq)).toEqual(range(25));
    expect(events.map(noteOf)).toEqual(range(25).map((i) => `k${i}`));
    expect(await b.l.verify()).toMatchObject({ ok: true, events: 25 });
  });
});

describe('group commit: what only PostgreSQL checks', () => {
  it('a batch the database stamps with another login than its hashes cover is refused whole; nothing is stored', async () => {
    const l = await postgresLedger(inject('postgres'));
    const s = await l.open();
    open.push(s);
    const run = await s.startRun({ runbook: RUNBOOK, name: 'stamp' }, T0);
    const owner = new pg.Client({ connectionString: l.urls.admin });
    await owner.connect();
    const stampAs = (who: string) => owner.query(`CREATE OR REPLACE FUNCTION opscockpit.stamp_operator() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.operator := ${who}; RETURN NEW; END $$`);
    try {
      await stampAs("'bob'");
      const settled = await Promise.allSettled(['a', 'b', 'c'].map((n) => s.append(run.runId, 'ana', note(n), T0)));
      for (const r of settled) expect(String((r as PromiseRejectedResult).reason)).toMatch(/stamped with another login than alice/);
      expect(await s.events(run.runId)).toEqual([]);
      await stampAs('session_user');
      expect((await s.append(run.runId, 'ana', note('after'), T0)).seq).toBe(1);
    } finally {
      await owner.end();
    }
    expect(await l.verify()).toMatchObject({ ok: true, events: 1 });
  });

  it('an event time that is not a whole number of milliseconds is refused alone', async () => {
    const l = await postgresLedger(inject('postgres'));
    const s = await l.open();
    open.push(s);
    const run = await s.startRun({ runbook: RUNBOOK, name: 'times' }, T0);
    const settled = await Promise.allSettled([T0, T0 + 0.5, T0 + 1].map((at, i) => s.append(run.runId, 'ana', note(`t${i}`), at)));
    expect(settled.map((r) => (r.status === 'fulfilled' ? r.value.seq : String(r.reason)))).toEqual([1, expect.stringMatching(/not a whole number/), 2]);
    expect((await l.verify()).ok).toBe(true);
  });
});
