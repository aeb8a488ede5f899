// The safety controls' state folded incrementally (control-fold.ts), on both backends: across
// many changes, from this connection and another, it equals a full fold while reading only the
// new events; what a transaction showed and then rolled back does not stay.
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { LedgerStore } from '../src/engine/ledger-store.js';
import type { SafetyPolicy } from '../src/engine/safety.js';
import type { LedgerEvent } from '../src/engine/types.js';
import { CONTROL_RUNBOOK, Controls } from '../src/session/controls.js';
import { postgresLedger, sqliteLedger, type LedgerUnderTest } from './support/ledger-stores.js';

const POLICY: SafetyPolicy = { guarded: true, initialMode: 'DRY_RUN', windowTtlMs: 60_000, approvals: 1 };
const ALL = new Set(['safety:stop-off', 'safety:unlock', 'safety:mode']);
const RUNBOOK = '/ops/ship.yaml';
const T0 = Date.UTC(2026, 10, 23, 11, 22, 33);

const open: LedgerStore[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

/** The store as it is, counting the events its reads return (of runs, and through browse()). */
function counting(store: LedgerStore): { store: LedgerStore; rows: () => number } {
  let rows = 0;
  const reads = new Set<PropertyKey>(['events', 'recentEvents', 'eventsAfter', 'eventsBefore']);
  const counted = <T extends object>(target: T, extra: Record<PropertyKey, unknown> = {}): T =>
    new Proxy(target, {
      get(t, key) {
        if (key in extra) return extra[key];
        const v = Reflect.get(t, key, t) as unknown;
        if (typeof v !== 'function') return v;
        if (!reads.has(key)) return v.bind(t);
        return async (...args: unknown[]) => {
          const events = (await v.apply(t, args)) as LedgerEvent[];
          rows += events.length;
          return events;
        };
      },
    });
  const browser = counted(store.browse());
  return { store: counted(store, { browse: () => browser }), rows: () => rows };
}

const controlsOn = (store: LedgerStore, name: string, scopes: ReadonlySet<string> = ALL) => new Controls(store, POLICY, store.stampedOperator ?? name, () => T0, name, scopes);

const backends: [string, () => Promise<LedgerUnderTest>][] = [
  ['SQLite', async () => sqliteLedger()],
  ['PostgreSQL', () => postgresLedger(inject('postgres'))],
];

describe.each(backends)('the safety controls folded incrementally: %s', (_name, make) => {
  it('across many changes, here and from another connection, equals a full fold and reads only the new events', async () => {
    const l = await make();
    const [mine, theirs, third] = [await l.open(), await l.another(), await l.open()];
    open.push(mine, theirs, third);
    const seen = counting(mine);
    const alice = controlsOn(seen.store, 'alice');
    const bob = controlsOn(theirs, 'bob');
    const refusedOne = controlsOn(theirs, 'bob', new Set());
    /** A full fold: a new instance has nothing kept. */
    const full = () => controlsOn(third, 'carol').state();
    const changes: (() => Promise<unknown>)[] = [
      () => alice.setStop(true, 'drill'),
      () => bob.setStop(false, 'drill over'),
      () => alice.setMode('MOCK_ONLY', 'rehearsal'),
      () => alice.requestWindow(),
      () => bob.approve(),
      () => alice.lock(RUNBOOK, 'run-1', 'rollback'),
      () => refusedOne.unlock(RUNBOOK, 'not mine to lift'),
      () => bob.unlock(RUNBOOK, 'fixed'),
      () => bob.setMode('REAL_ENABLED', 'go'),
      () => bob.setStop(true, 'pager'),
    ];
    for (let round = 0; round < 6; round++) {
      for (const change of changes) {
        await change();
        const expected = await full();
        expect(await alice.state()).toEqual(expected);
        expect(await bob.state()).toEqual(expected);
      }
    }
    const run = (await third.openRun(CONTROL_RUNBOOK))!;
    const total = (await third.events(run.runId)).length;
    expect(total).toBeGreaterThan(50);
    // One more change, from the other connection: alice reads it and the one before it (its mark), no more.
    await bob.setStop(false, 'all clear');
    const before = seen.rows();
    expect((await alice.state()).stop).toEqual({ on: false });
    expect(seen.rows() - before).toBe(1);
    // Her own change, and the state read after it, read only what is new too.
    const own = seen.rows();
    await alice.setStop(true, 'again');
    expect(seen.rows() - own).toBeLessThanOrEqual(2);
    expect(await alice.state()).toEqual(await full());
  });

  it('what a transaction showed and then rolled back does not stay: a new run, new events, or an event at the same place after another', async () => {
    const l = await make();
    const store = await l.open();
    open.push(store);
    const alice = controlsOn(store, 'alice');
    const full = () => controlsOn(store, 'carol').state();
    const rollBack = (fn: () => Promise<unknown>) => expect(store.atomically(async () => (await fn(), Promise.reject(new Error('rolled back'))), { durable: true })).rejects.toThrow('rolled back');

    // The controls' run itself started inside the transaction.
    await rollBack(async () => {
      expect(await alice.setStop(true, 'inside')).toEqual({ ok: true });
      expect((await alice.state()).stop.on).toBe(true);
    });
    expect(await store.openRun(CONTROL_RUNBOOK)).toBeUndefined();
    expect((await alice.state()).stop).toEqual({ on: false });

    // Events after the ones committed, seen inside, then gone.
    expect(await alice.setMode('MOCK_ONLY', 'rehearsal')).toEqual({ ok: true });
    const committed = await alice.state();
    const runId = (await store.openRun(CONTROL_RUNBOOK))!.runId;
    await rollBack(async () => {
      await store.append(runId, 'alice', { kind: 'control.mode', mode: 'REAL_ENABLED', reason: 'never' }, T0);
      await store.append(runId, 'alice', { kind: 'control.stop', on: true, reason: 'never' }, T0);
      expect(await alice.state()).toMatchObject({ mode: 'REAL_ENABLED', stop: { on: true } });
    });
    expect(await alice.state()).toEqual(committed);

    // Rolled back again, and then committed: another event first, then one just like the last
    // one seen (same place, same body, time and operator). Only the chain tells them apart.
    await rollBack(async () => {
      await store.append(runId, 'alice', { kind: 'control.mode', mode: 'REAL_ENABLED', reason: 'never' }, T0);
      await store.append(runId, 'alice', { kind: 'control.stop', on: true, reason: 'same' }, T0);
      expect(await alice.state()).toMatchObject({ mode: 'REAL_ENABLED', stop: { on: true } });
    });
    await store.append(runId, 'alice', { kind: 'control.mode', mode: 'DRY_RUN', reason: 'for real this time' }, T0);
    await store.append(runId, 'alice', { kind: 'control.stop', on: true, reason: 'same' }, T0);
    expect(await alice.state()).toMatchObject({ mode: 'DRY_RUN', stop: { on: true, reason: 'same' } });
    expect(await alice.state()).toEqual(await full());
  });
});
