// The native batch hasher (native/chain.c, built by `npm ci`) against the JavaScript one: the
// same hashes for any row, keyed or not, and ledgers written by either verify with either,
// finding the same first break after the same edit.
import { describe, expect, it } from 'vitest';
import { seeded } from './support/random.js';
import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChainBatch, GENESIS, HASH_BYTES, hexRowHasher, nativeChain, rowHasher } from '../adapters/ledger-chain.js';
import { SqliteLedger, openLedger, openLedgerDatabase } from '../adapters/ledger.js';
import { rowCheck, scanRange, verifyLedger } from '../adapters/ledger-verify.js';
import type { EventBody } from '../src/engine/types.js';
import { withNative } from './support/native.js';

type Row = [id: number, runId: string, seq: number, at: number, kind: string, step: string | null, operator: string, payload: string];

/** A seeded generator, so a failure can be run again. */
function random(seed: number) {
  const { next, pick } = seeded(seed);
  const text = (max: number) => {
    const alphabet = ['a', 'Z', '0', ' ', '"', '\\', 'é', 'ø', '운', '영', '😀', '\u0000', '\n', '{', '}'];
    let out = '';
    for (let i = Math.floor(next() * max); i > 0; i--) out += pick(alphabet);
    return out;
  };
  return { next, pick, text };
}

function rows(seed: number, count: number): Row[] {
  const r = random(seed);
  return Array.from({ length: count }, (_, i): Row => [
    i + 1,
    r.next() < 0.8 ? 'r-20261123-010203-abcd' : `r-${r.text(12)}`,
    i + 1,
    1_763_900_000_000 + Math.floor(r.next() * 1e9),
    r.pick(['check.changed', 'step.note', 'action.requested', r.text(20)]),
    r.next() < 0.4 ? null : r.pick(['db', 'ready', r.text(30)]),
    r.pick(['ana', 'root', r.text(10)]),
    // Now and then a payload larger than the batch buffer's first size.
    r.next() < 0.01 ? JSON.stringify({ big: 'x'.repeat(100_000) + r.text(50) }) : JSON.stringify({ note: r.text(300) }),
  ]);
}

/** The chain as the JavaScript hasher makes it, row by row. */
function chainedInJs(list: Row[], prev: Buffer, key?: string): Buffer {
  const hash = rowHasher(key);
  const out = Buffer.alloc(list.length * HASH_BYTES);
  let link: Buffer = prev;
  list.forEach((row, i) => {
    link = Buffer.from(hash(...row, link, Buffer.alloc(HASH_BYTES)));
    link.copy(out, i * HASH_BYTES);
  });
  return out;
}

const native = nativeChain();

describe('native chain hasher', () => {
  it('is built here, and loads', () => {
    // CI builds it with `npm ci`; without it every test below would run the JavaScript hasher only.
    expect(native).not.toBeNull();
  });

  for (const key of [undefined, 'k', 'a much longer ledger key, past one SHA-256 block of sixty-four bytes…']) {
    it(`hashes every row as the JavaScript hasher does (${key === undefined ? 'plain' : `keyed, ${key.length} characters`})`, () => {
      for (const seed of [1, 2, 3]) {
        const list = rows(seed, 700); // past the first room for row ends (256)
        const prev = seed === 1 ? GENESIS : Buffer.alloc(HASH_BYTES, seed);
        const batch = new ChainBatch(native!, key);
        for (const row of list) batch.add(...row);
        const out = Buffer.alloc(list.length * HASH_BYTES);
        batch.chainInto(prev, out);
        expect(out.equals(chainedInJs(list, prev, key))).toBe(true);
        // The same batch checked against those hashes: all match; one changed byte stops the count there.
        expect(batch.countMatching(out)).toBe(list.length);
        out[123 * HASH_BYTES + 7] ^= 1;
        expect(batch.countMatching(out)).toBe(123);
        // Cleared, it starts again from nothing.
        batch.clear();
        batch.add(...list[0]);
        const one = Buffer.alloc(HASH_BYTES);
        batch.chainInto(prev, one);
        expect(one.equals(chainedInJs(list.slice(0, 1), prev, key))).toBe(true);
      }
    });
  }

  it('refuses a call that would read or write outside its buffers, and does not crash', () => {
    const n = native!;
    const batch = Buffer.alloc(100);
    expect(() => n.chainRows(batch, Uint32Array.of(200), 1, null, GENESIS, Buffer.alloc(32))).toThrow(RangeError);
    expect(() => n.chainRows(batch, Uint32Array.of(10), 1, null, GENESIS, Buffer.alloc(32))).toThrow(RangeError); // shorter than its link
    expect(() => n.chainRows(batch, Uint32Array.of(50), 2, null, GENESIS, Buffer.alloc(64))).toThrow(RangeError); // more rows than ends
    expect(() => n.chainRows(batch, Uint32Array.of(50), 1, null, GENESIS, Buffer.alloc(16))).toThrow(RangeError);
    expect(() => n.chainRows(batch, Uint32Array.of(50), 1, Buffer.alloc(10), GENESIS, Buffer.alloc(32))).toThrow(RangeError);
    expect(() => n.checkRows(batch, Uint32Array.of(50), 1, null, Buffer.alloc(8))).toThrow(RangeError);
    expect(() => n.checkRows(batch, [50] as unknown as Uint32Array, 1, null, Buffer.alloc(32))).toThrow(TypeError);
    expect(() => n.chainRows(batch, Uint32Array.of(60, 40), 2, null, GENESIS, Buffer.alloc(64))).toThrow(RangeError); // ends out of order
    expect(() => n.chainRows(batch, new Uint32Array(0), 0, null, GENESIS, Buffer.alloc(0))).not.toThrow(); // nothing to do
    expect(n.checkRows(batch, new Uint32Array(0), 0, null, Buffer.alloc(0))).toBe(0);
  });
});

describe('ledgers hashed natively and in JavaScript', () => {
  const bodies = (n: number, from: number) =>
    Array.from({ length: n }, (_, i) => (i % 3 ? { kind: 'check.changed', check: 'readyz', n: from + i, note: 'ü😀' } : { kind: 'step.note', phase: 'preflight', step: `s${i % 5}`, note: `n${from + i}` }) as EventBody);

  /** A ledger of 2,599 events in three interleaved runs, written natively or row by row in JavaScript. */
  function write(file: string, how: 'native' | 'js', key?: string): void {
    const ledger = how === 'native' ? openLedger(file, { chainKey: key }) : new SqliteLedger(openLedgerDatabase(file, { chainKey: key }), undefined, { hashRow: rowHasher(key) });
    const runs = ['a', 'b', 'c'].map((name, i) => ledger.startRun({ runbook: `/rb/${name}.yaml`, name }, 1_763_900_000_000 + i).runId);
    for (let i = 0; i < 25; i++) ledger.appendMany(runs[i % 3], 'ana', bodies(i % 2 ? 1 : 199, i * 200), 1_763_900_000_000 + i);
    ledger.close();
  }

  /** The walk, natively (a page at a time) and in JavaScript (row by row). */
  function walkBoth(file: string, key?: string) {
    const db = new Database(file, { readonly: true });
    try {
      const start = GENESIS.toString('hex');
      const nativeWalk = rowCheck(key);
      expect(nativeWalk.batch).toBeDefined();
      const walked = scanRange(db, nativeWalk, 0, Number.MAX_SAFE_INTEGER, start);
      const inJs = scanRange(db, { hashRow: hexRowHasher(key) }, 0, Number.MAX_SAFE_INTEGER, start);
      expect(walked).toEqual(inJs);
      return walked;
    } finally {
      db.close();
    }
  }

  for (const key of [undefined, 'ledger-key']) {
    it(`either writes a chain the other verifies, and both name the same edited row (${key ? 'keyed' : 'plain'})`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'oc-native-chain-'));
      const files = { native: join(dir, 'native.db'), js: join(dir, 'js.db') };
      write(files.native, 'native', key);
      write(files.js, 'js', key);
      for (const file of Object.values(files)) {
        const intact = walkBoth(file, key);
        expect(intact.events).toBe(2_599);
        expect(intact.broken).toBeUndefined();
        const db = new Database(file);
        db.exec(`DROP TRIGGER events_no_update; UPDATE events SET payload = payload || ' ' WHERE id = 1205`);
        db.close();
        expect(walkBoth(file, key).broken).toMatchObject({ id: 1205, reason: 'hash mismatch' });
      }
    });
  }

  /** A fresh native ledger with `sql` run on it (its update trigger dropped first): what both walks find. */
  function edited(sql: string) {
    const file = join(mkdtempSync(join(tmpdir(), 'oc-native-chain-')), 'l.db');
    write(file, 'native');
    const db = new Database(file);
    db.exec(`DROP TRIGGER events_no_update; ${sql}`);
    db.close();
    return walkBoth(file).broken;
  }

  it('the same first break wherever it falls: the first row, either side of a page, a hash not 32 bytes, a column of another type', () => {
    expect(edited(`UPDATE events SET payload = payload || ' ' WHERE id = 1`)).toMatchObject({ id: 1, reason: 'hash mismatch' });
    expect(edited(`UPDATE events SET payload = payload || ' ' WHERE id = 1000`)).toMatchObject({ id: 1000, reason: 'hash mismatch' });
    expect(edited(`UPDATE events SET payload = payload || ' ' WHERE id = 1001`)).toMatchObject({ id: 1001, reason: 'hash mismatch' });
    expect(edited(`UPDATE events SET hash = X'00ff' WHERE id = 1500`)).toMatchObject({ id: 1500, reason: 'hash mismatch' });
    expect(edited(`UPDATE events SET hash = X'' WHERE id = 1501`)).toMatchObject({ id: 1501, reason: 'hash mismatch' });
    expect(edited(`UPDATE events SET prev_hash = X'00ff' WHERE id = 1502`)).toMatchObject({ id: 1502, reason: 'hash mismatch' });
    // A BLOB where the payload was: a break there, and no error when an earlier row broke first.
    expect(edited(`UPDATE events SET payload = CAST(payload AS BLOB) WHERE id = 1600`)).toMatchObject({ id: 1600, reason: 'hash mismatch' });
    expect(edited(`UPDATE events SET payload = payload || ' ' WHERE id = 1700; UPDATE events SET payload = CAST(payload AS BLOB) WHERE id = 1800`)).toMatchObject({ id: 1700 });
    expect(edited(`UPDATE events SET seq = 'x' WHERE id = 1900`)).toMatchObject({ id: 1900, reason: 'hash mismatch' });
  });

  it('with OPSCOCKPIT_NATIVE=off nothing native is used, and the ledger still chains and verifies', () => {
    withNative(false, () => {
      expect(nativeChain()).toBeNull();
      expect(rowCheck().batch).toBeUndefined();
      const file = join(mkdtempSync(join(tmpdir(), 'oc-native-chain-')), 'off.db');
      write(file, 'native'); // openLedger, which now hashes in JavaScript
      expect(verifyLedger(file)).toMatchObject({ ok: true, events: 2_599 });
    });
    expect(nativeChain()).not.toBeNull();
  });
});
