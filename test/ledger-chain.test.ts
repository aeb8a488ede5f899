// The ledger's row hasher (adapters/ledger-hasher.ts) against the reference layout
// (chainBytes, referenceHmac) on rows of every shape, and verify's first break wherever an
// edit falls relative to its pages.
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLedger } from '../adapters/ledger.js';
import { GENESIS, HASH_BYTES, chainBytes, referenceHmac } from '../adapters/ledger-chain.js';
import { hexRowHasher, rowHasher } from '../adapters/ledger-hasher.js';
import { verifyLedger } from '../adapters/ledger-verify.js';
import type { EventBody } from '../src/engine/types.js';
import { seeded } from './support/random.js';

type Row = [id: number, runId: string, seq: number, at: number, kind: string, step: string | null, operator: string, payload: string];

/** Rows from a seeded generator (a failure can be run again): odd characters, NULs, now and then a payload larger than the hasher's first buffer. */
function rows(seed: number, count: number): Row[] {
  const { next, pick } = seeded(seed);
  const text = (max: number) => {
    const alphabet = ['a', 'Z', '0', ' ', '"', '\\', 'é', 'ø', '운', '영', '😀', '\u0000', '\n', '{', '}'];
    let out = '';
    for (let i = Math.floor(next() * max); i > 0; i--) out += pick(alphabet);
    return out;
  };
  return Array.from({ length: count }, (_, i): Row => [
    i + 1,
    next() < 0.8 ? 'r-20261123-010203-abcd' : `r-${text(12)}`,
    i + 1,
    1_763_900_000_000 + Math.floor(next() * 1e9),
    pick(['check.changed', 'step.note', 'action.requested', text(20)]),
    next() < 0.4 ? null : pick(['db', 'ready', text(30)]),
    pick(['ana', 'root', text(10)]),
    next() < 0.01 ? JSON.stringify({ big: 'x'.repeat(100_000) + text(50) }) : JSON.stringify({ note: text(300) }),
  ]);
}

const reference = (key: string | undefined, bytes: Buffer) => (key === undefined ? createHash('sha256').update(bytes).digest() : referenceHmac(key, bytes));

describe('row hasher', () => {
  for (const key of [undefined, 'k', 'a much longer ledger key, past one SHA-256 block of sixty-four bytes…']) {
    it(`chains rows of every shape as the reference layout does (${key === undefined ? 'plain' : `keyed, ${key.length} characters`})`, () => {
      for (const seed of [1, 2, 3]) {
        const list = rows(seed, 700);
        const hash = rowHasher(key);
        const hex = hexRowHasher(key);
        let link: Buffer = seed === 1 ? GENESIS : Buffer.alloc(HASH_BYTES, seed);
        for (const row of list) {
          const expected = reference(key, chainBytes(...row, link));
          expect(Buffer.from(hash(...row, link, Buffer.alloc(HASH_BYTES))), `seed ${seed}, row ${row[0]}`).toEqual(expected);
          expect(hex(...row, link.toString('hex').toUpperCase()), `seed ${seed}, row ${row[0]}`).toBe(expected.toString('hex'));
          link = expected;
        }
      }
    });
  }

  it('refuses a prev_hash that is not 32 bytes', () => {
    const row = rows(4, 1)[0];
    expect(() => rowHasher()(...row, Buffer.alloc(31), Buffer.alloc(HASH_BYTES))).toThrow(RangeError);
    expect(hexRowHasher()(...row, '00ff')).toBe('');
  });
});

describe('verify names the first edited event', () => {
  const bodies = (n: number, from: number) =>
    Array.from({ length: n }, (_, i) => (i % 3 ? { kind: 'check.changed', check: 'readyz', n: from + i, note: 'ü😀' } : { kind: 'step.note', phase: 'preflight', step: `s${i % 5}`, note: `n${from + i}` }) as EventBody);

  /** A ledger of 2,599 events in three interleaved runs (pages of 1,000 in verify), with `sql` run on it. */
  function edited(sql: string, key?: string) {
    const file = join(mkdtempSync(join(tmpdir(), 'oc-chain-')), 'l.db');
    const ledger = openLedger(file, { chainKey: key });
    const runs = ['a', 'b', 'c'].map((name, i) => ledger.startRun({ runbook: `/rb/${name}.yaml`, name }, 1_763_900_000_000 + i).runId);
    for (let i = 0; i < 25; i++) ledger.appendMany(runs[i % 3], 'ana', bodies(i % 2 ? 1 : 199, i * 200), 1_763_900_000_000 + i);
    ledger.close();
    expect(verifyLedger(file, { chainKey: key })).toMatchObject({ ok: true, events: 2_599 });
    const db = new Database(file);
    db.exec(`DROP TRIGGER events_no_update; ${sql}`);
    db.close();
    return verifyLedger(file, { chainKey: key }).firstBroken;
  }

  it('wherever it falls: the first row, either side of a page, a hash not 32 bytes, a column of another type', () => {
    expect(edited(`UPDATE events SET payload = payload || ' ' WHERE id = 1`)).toMatchObject({ id: 1, reason: 'hash mismatch' });
    expect(edited(`UPDATE events SET payload = payload || ' ' WHERE id = 1000`)).toMatchObject({ id: 1000, reason: 'hash mismatch' });
    expect(edited(`UPDATE events SET payload = payload || ' ' WHERE id = 1001`, 'ledger-key')).toMatchObject({ id: 1001, reason: 'hash mismatch' });
    expect(edited(`UPDATE events SET hash = X'00ff' WHERE id = 1500`)).toMatchObject({ id: 1500, reason: 'hash mismatch' });
    expect(edited(`UPDATE events SET hash = X'' WHERE id = 1501`)).toMatchObject({ id: 1501, reason: 'hash mismatch' });
    expect(edited(`UPDATE events SET prev_hash = X'00ff' WHERE id = 1502`)).toMatchObject({ id: 1502, reason: 'hash mismatch' });
    // A BLOB where the payload was: a break there, and no error when an earlier row broke first.
    expect(edited(`UPDATE events SET payload = CAST(payload AS BLOB) WHERE id = 1600`)).toMatchObject({ id: 1600, reason: 'hash mismatch' });
    expect(edited(`UPDATE events SET payload = payload || ' ' WHERE id = 1700; UPDATE events SET payload = CAST(payload AS BLOB) WHERE id = 1800`)).toMatchObject({ id: 1700 });
    expect(edited(`UPDATE events SET seq = 'x' WHERE id = 1900`)).toMatchObject({ id: 1900, reason: 'hash mismatch' });
  });
});
