// The ledger's hash chain: what each event's hash covers, keyed chains, and every kind of tampering verify must notice.
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LedgerError, MIGRATIONS, openLedger } from '../adapters/ledger.js';
import { GENESIS, HASH_BYTES, chainBytes, referenceHmac } from '../adapters/ledger-chain.js';
import { hexRowHasher, rowHasher } from '../adapters/ledger-hasher.js';
import { verifyLedger } from '../adapters/ledger-verify.js';
import { useLedgerDir, T0, RUNBOOK, dir, ledgerAt, note, type StoredEvent, sha256 } from './support/ledger-files.js';

useLedgerDir();

/** Run SQL through the sqlite3 command-line shell, the way someone editing the file would. */
function sqlite3(file: string, sql: string): string {
  return execFileSync('sqlite3', [file, sql], { encoding: 'utf8' });
}

function storedEvents(file: string): StoredEvent[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT * FROM events ORDER BY id').all() as StoredEvent[];
  } finally {
    db.close();
  }
}

/** A ledger as written while every event stored its prev_hash: schema v2, `n` events of one run. */
function v2Ledger(file: string, n: number): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec(MIGRATIONS[0] as string);
  (MIGRATIONS[1] as (db: Database.Database, opts: object) => void)(db, {});
  db.pragma('user_version = 2');
  db.prepare("INSERT INTO runs (run_id, runbook, name, status, started_at) VALUES ('r-v2', ?, 'v2', 'running', ?)").run(RUNBOOK, T0);
  const insert = db.prepare('INSERT INTO events (id, run_id, seq, at, kind, step, operator, payload, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  let prev = GENESIS;
  for (let id = 1; id <= n; id++) {
    const payload = JSON.stringify(note(`v2 ${id}`));
    const hash = sha256(chainBytes(id, 'r-v2', id, T0 + id, 'step.note', 'db', 'ana', payload, prev));
    insert.run(id, 'r-v2', id, T0 + id, 'step.note', 'db', 'ana', payload, prev, hash);
    prev = hash;
  }
  db.close();
}

/** A small ledger: two runs, events interleaved, single, durable and batched appends. */
function smallLedger(file: string, opts?: Parameters<typeof openLedger>[1]) {
  const l = ledgerAt(file, opts);
  const a = l.startRun({ runbook: RUNBOOK, name: 'a' }, T0).runId;
  const b = l.startRun({ runbook: RUNBOOK, name: 'b' }, T0).runId;
  l.append(a, 'ana', note('1'), T0 + 1);
  l.append(b, 'bo', { kind: 'run.resumed' }, T0 + 2, { durable: true });
  l.appendMany(a, 'ana', [note('2'), note('3'), note('4')], T0 + 3);
  l.append(b, 'bo', note('x'), T0 + 4);
  l.append(a, 'ana', { kind: 'run.completed', status: 'aborted' }, T0 + 5, { durable: true });
  l.completeRun(a, 'aborted', T0 + 5);
  return { l, a, b };
}

describe('ledger hash chain', () => {
  it('links every event to the one before it and hashes what is stored', () => {
    const file = path.join(dir, 'ledger.db');
    smallLedger(file);
    const rows = storedEvents(file);
    expect(rows.map((r) => r.id)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    rows.forEach((r, i) => {
      // The hash stored as a 32-byte blob, not text; prev_hash left empty: the link is the
      // hash of the row before, stored once, in that row.
      expect(Buffer.isBuffer(r.hash) && r.hash.length).toBe(HASH_BYTES);
      expect(r.prev_hash).toEqual(Buffer.alloc(0));
      // Recomputed here with createHash, not the adapter's hasher: the format is the contract.
      const bytes = chainBytes(r.id, r.run_id, r.seq, r.at, r.kind, r.step, r.operator, r.payload, i === 0 ? GENESIS : rows[i - 1].hash);
      expect(r.hash).toEqual(sha256(bytes));
    });
    expect(GENESIS).toEqual(Buffer.alloc(32));
    // The encoding spelled out once: prev_hash's raw bytes, id/seq/at as float64 BE,
    // uint32-BE-length-prefixed strings (0xFFFFFFFF for a NULL step), the payload as stored.
    const u32 = (n: number) => Buffer.from([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
    const f64 = (n: number) => {
      const b = Buffer.alloc(8);
      b.writeDoubleBE(n);
      return b;
    };
    const str = (s: string) => Buffer.concat([u32(Buffer.byteLength(s)), Buffer.from(s)]);
    const first = rows[0];
    expect(chainBytes(first.id, first.run_id, first.seq, first.at, first.kind, first.step, first.operator, first.payload, GENESIS)).toEqual(
      Buffer.concat([GENESIS, f64(1), f64(1), f64(T0 + 1), str(first.run_id), str('ana'), str('step.note'), str('db'), Buffer.from(first.payload)]),
    );
    const prev = Buffer.alloc(32, 0xab);
    expect(chainBytes(2, 'r', 1, 5, 'run.resumed', null, 'bö', '{}', prev)).toEqual(
      Buffer.concat([prev, f64(2), f64(1), f64(5), u32(1), Buffer.from('r'), u32(3), Buffer.from('bö'), u32(11), Buffer.from('run.resumed'), u32(0xffffffff), Buffer.from('{}')]),
    );
    // The adapter's hasher agrees with the reference, multi-byte text and payloads bigger than its buffer included.
    const big = JSON.stringify({ note: 'ü日'.repeat(20_000) });
    for (const [step, payload] of [[null, '{}'], ['日本', big], ['db', '{"n":"ä"}']] as const)
    {
      const reference = createHash('sha256').update(chainBytes(9, 'r-ü', 3, 7, 'step.note', step, 'ø', payload, prev)).digest();
      expect(rowHasher()(9, 'r-ü', 3, 7, 'step.note', step, 'ø', payload, prev, Buffer.alloc(32))).toEqual(reference);
      expect(hexRowHasher()(9, 'r-ü', 3, 7, 'step.note', step, 'ø', payload, prev.toString('hex'))).toBe(reference.toString('hex'));
    }
    expect(verifyLedger(file)).toMatchObject({ ok: true, events: 7, runMismatches: [], chain: { algorithm: 'sha256', legacyThrough: 0 } });
  });

  it('stores and hashes lone surrogates the way SQLite gives them back', () => {
    const file = path.join(dir, 'ledger.db');
    const l = ledgerAt(file);
    const run = l.startRun({ runbook: RUNBOOK, name: 'odd' }, T0).runId;
    const stored = l.append(run, 'an\uD800a', { kind: 'step.note', phase: 'preflight', step: 'd\uDC00b', note: 'x\uD83D' }, T0);
    expect(stored.operator).toBe('an\uFFFDa');
    expect(storedEvents(file)[0]).toMatchObject({ operator: 'an\uFFFDa', step: 'd\uFFFDb' });
    expect(verifyLedger(file).ok).toBe(true);
  });

  it('keys the chain with OPSCOCKPIT_LEDGER_KEY and never stores the key', () => {
    const key = 'k3y-"only-in-the-env"-5e6f';
    const file = path.join(dir, 'ledger.db');
    const { l, b } = smallLedger(file, { chainKey: key });
    const rows = storedEvents(file);
    rows.forEach((r, i) =>
      expect(r.hash).toEqual(referenceHmac(key, chainBytes(r.id, r.run_id, r.seq, r.at, r.kind, r.step, r.operator, r.payload, i === 0 ? GENESIS : rows[i - 1].hash))),
    );
    // The fast HMAC agrees with createHmac on multi-byte text and on payloads bigger than its buffer too.
    const hasher = rowHasher(key);
    const hex = hexRowHasher(key);
    const prev = Buffer.alloc(32, 0xc4);
    for (const payload of ['{"n":"ä"}', JSON.stringify({ n: 'ä日'.repeat(20_000) }), '{}']) {
      const reference = referenceHmac(key, chainBytes(9, 'r-ü', 3, 7, 'step.note', '日本', 'ø', payload, prev));
      expect(hasher(9, 'r-ü', 3, 7, 'step.note', '日本', 'ø', payload, prev, Buffer.alloc(32))).toEqual(reference);
      // verify's hex form, from SQLite's upper-case hex() as well.
      expect(hex(9, 'r-ü', 3, 7, 'step.note', '日本', 'ø', payload, prev.toString('hex').toUpperCase())).toBe(reference.toString('hex'));
    }
    expect(hex(9, 'r', 3, 7, 'k', null, 'o', '{}', 'zz'.repeat(32))).toBe('');
    expect(hex(9, 'r', 3, 7, 'k', null, 'o', '{}', '00')).toBe('');
    expect(verifyLedger(file, { chainKey: key })).toMatchObject({ ok: true, events: 7, chain: { algorithm: 'hmac-sha256' } });
    expect(() => verifyLedger(file)).toThrow(/sealed with a key: set OPSCOCKPIT_LEDGER_KEY/);
    expect(verifyLedger(file, { chainKey: 'guess' })).toMatchObject({ ok: false, problems: [expect.stringContaining('sealed with another key')] });
    // Writers without the key (or with another) are refused rather than breaking the chain.
    for (const chainKey of [undefined, 'guess']) {
      const other = ledgerAt(file, { chainKey });
      expect(other.listRuns(5)).toHaveLength(2);
      expect(() => other.append(b, 'eve', note('forged'), T0)).toThrow(LedgerError);
    }
    // A key set later does not change how an unkeyed ledger is sealed.
    const plainFile = path.join(dir, 'plain.db');
    const plain = smallLedger(plainFile);
    ledgerAt(plainFile, { chainKey: key }).append(plain.b, 'bo', note('later'), T0 + 9);
    expect(verifyLedger(plainFile)).toMatchObject({ ok: true, events: 8, chain: { algorithm: 'sha256' } });
    l.close();
    for (const f of [file, `${file}-wal`]) {
      if (!fs.existsSync(f)) continue;
      const bytes = fs.readFileSync(f).toString('latin1');
      expect(bytes.includes(key)).toBe(false);
      expect(bytes.includes('only-in-the-env')).toBe(false);
    }
  });

  it('names the edited event when a payload is changed behind its back', () => {
    const file = path.join(dir, 'ledger.db');
    const { a } = smallLedger(file);
    // The trigger stops an UPDATE, so an attacker drops it first, in the same session.
    sqlite3(file, `DROP TRIGGER events_no_update; UPDATE events SET payload = replace(payload, '"4"', '"four"') WHERE id = 5;`);
    expect(storedEvents(file)[4]).toMatchObject({ run_id: a, seq: 4, payload: expect.stringContaining('"four"') });
    expect(verifyLedger(file)).toMatchObject({ ok: false, events: 7, firstBroken: { id: 5, runId: a, seq: 4, reason: 'hash mismatch' } });
  });

  it('notices an edit whose hash was recomputed: the next event no longer links to it', () => {
    const file = path.join(dir, 'ledger.db');
    const { b } = smallLedger(file);
    const [before, r] = storedEvents(file);
    const payload = JSON.stringify({ kind: 'run.resumed', by: 'eve' });
    const forged = sha256(chainBytes(r.id, r.run_id, r.seq, r.at, r.kind, r.step, r.operator, payload, before.hash)).toString('hex');
    sqlite3(file, `DROP TRIGGER events_no_update; UPDATE events SET payload = '${payload}', hash = X'${forged}' WHERE id = 2;`);
    // The next event's hash covers the hash the edited one had.
    const next = storedEvents(file)[2];
    expect(verifyLedger(file).firstBroken).toEqual({ id: 3, runId: next.run_id, seq: next.seq, reason: 'hash mismatch' });
    expect(b).toBe(r.run_id);
  });

  it('keeps verifying a ledger written while every event stored its prev_hash, and holds those events to it', () => {
    const file = path.join(dir, 'v2.db');
    v2Ledger(file, 4);
    // Opening it upgrades it: events from now on leave prev_hash empty.
    ledgerAt(file).append('r-v2', 'bo', note('new'), T0 + 10);
    expect(verifyLedger(file)).toMatchObject({ ok: true, events: 5, chain: { prevHashThrough: 4 } });
    const rows = storedEvents(file);
    expect(rows.map((r) => r.prev_hash.length)).toEqual([32, 32, 32, 32, 0]);
    // An edit with its hash recomputed over its stored prev_hash: the next event's stored link gives it away.
    const r = rows[1];
    const payload = JSON.stringify({ kind: 'run.resumed', by: 'eve' });
    const forged = sha256(chainBytes(r.id, r.run_id, r.seq, r.at, r.kind, r.step, r.operator, payload, r.prev_hash)).toString('hex');
    sqlite3(file, `DROP TRIGGER events_no_update; UPDATE events SET payload = '${payload}', hash = X'${forged}' WHERE id = 2;`);
    expect(verifyLedger(file).firstBroken).toEqual({ id: 3, runId: 'r-v2', seq: 3, reason: 'prev_hash mismatch' });
  });

  it('treats a hash column holding anything but the 32 hash bytes as a break', () => {
    const file = path.join(dir, 'ledger.db');
    const { a } = smallLedger(file);
    // The same bytes as hex text: equal to a person, not to the chain.
    sqlite3(file, 'DROP TRIGGER events_no_update; UPDATE events SET hash = hex(hash) WHERE id = 3;');
    expect(verifyLedger(file).firstBroken).toEqual({ id: 3, runId: a, seq: 2, reason: 'hash mismatch' });
    const other = path.join(dir, 'other.db');
    const o = smallLedger(other);
    sqlite3(other, "DROP TRIGGER events_no_update; UPDATE events SET prev_hash = X'00' WHERE id = 4;");
    expect(verifyLedger(other).firstBroken).toEqual({ id: 4, runId: o.a, seq: 3, reason: 'hash mismatch' });
  });

  it('detects deleted events, in the middle and at the end', () => {
    const file = path.join(dir, 'ledger.db');
    const { l, a, b } = smallLedger(file);
    sqlite3(file, 'DROP TRIGGER events_no_delete; DELETE FROM events WHERE id IN (3, 4);');
    expect(verifyLedger(file).firstBroken).toEqual({ id: 5, runId: a, seq: 4, reason: 'missing row', missing: { from: 3, to: 4 } });

    const tail = path.join(dir, 'tail.db');
    const t = smallLedger(tail);
    sqlite3(tail, 'DROP TRIGGER events_no_delete; DELETE FROM events WHERE id >= 6;');
    expect(verifyLedger(tail).firstBroken).toEqual({ id: 5, runId: t.a, seq: 4, reason: 'missing row', missing: { from: 6, to: 7 } });
    // Appending afterwards does not paper over the hole.
    t.l.append(t.b, 'bo', note('after'), T0 + 9);
    expect(verifyLedger(tail).firstBroken).toMatchObject({ id: 8, reason: 'missing row', missing: { from: 6, to: 7 } });
    expect(l.events(b)).toHaveLength(2);
  });

  it('detects a run missing an event even when the ids were closed up and rehashed', () => {
    const file = path.join(dir, 'ledger.db');
    const l = ledgerAt(file);
    const run = l.startRun({ runbook: RUNBOOK, name: 'r' }, T0).runId;
    l.appendMany(run, 'ana', [note('1'), note('2'), note('3')], T0);
    // Rebuild the events without seq 2, renumbered and rechained: only possible without a key.
    const rows = storedEvents(file).filter((r) => r.seq !== 2);
    let prev = GENESIS;
    const sql = ['DROP TRIGGER events_no_delete; DELETE FROM events;'];
    rows.forEach((r, i) => {
      const hash = Buffer.from(rowHasher()(i + 1, r.run_id, r.seq, r.at, r.kind, r.step, r.operator, r.payload, prev, Buffer.alloc(32)));
      sql.push(`INSERT INTO events (id, run_id, seq, at, kind, step, operator, payload, prev_hash, hash) VALUES (${i + 1}, '${r.run_id}', ${r.seq}, ${r.at}, '${r.kind}', '${r.step}', '${r.operator}', '${r.payload}', X'${prev.toString('hex')}', X'${hash.toString('hex')}');`);
      prev = hash;
    });
    sql.push("UPDATE sqlite_sequence SET seq = 2 WHERE name = 'events';");
    sqlite3(file, sql.join('\n'));
    expect(verifyLedger(file).firstBroken).toEqual({ id: 2, runId: run, seq: 3, reason: 'gap', expectedSeq: 2 });
  });

  it("checks each run's status against its last run.completed event", () => {
    const file = path.join(dir, 'ledger.db');
    const { a, b } = smallLedger(file);
    expect(verifyLedger(file).runMismatches).toEqual([]);
    sqlite3(file, `UPDATE runs SET status = 'succeeded' WHERE run_id = '${a}'; UPDATE runs SET status = 'failed' WHERE run_id = '${b}';`);
    const v = verifyLedger(file);
    // b has no run.completed event: nothing to compare its status with.
    expect(v).toMatchObject({ ok: false, firstBroken: undefined, runMismatches: [{ runId: a, status: 'succeeded', completedAs: 'aborted', eventId: 7, seq: 5 }] });
  });

  it('chains the events of a v1 ledger when it upgrades, in id order', () => {
    const file = path.join(dir, 'v1.db');
    const v1 = new Database(file);
    v1.pragma('journal_mode = WAL');
    v1.exec(MIGRATIONS[0] as string);
    v1.pragma('user_version = 1');
    v1.prepare("INSERT INTO runs (run_id, runbook, name, status, started_at) VALUES ('r-old', ?, 'old', 'running', ?)").run(RUNBOOK, T0);
    const insert = v1.prepare('INSERT INTO events (run_id, seq, at, kind, step, operator, payload) VALUES (?, ?, ?, ?, ?, ?, ?)');
    for (let seq = 1; seq <= 5; seq++) insert.run('r-old', seq, T0 + seq, 'step.note', 'db', 'ana', JSON.stringify(note(`old ${seq}`)));
    v1.close();

    const l = ledgerAt(file);
    expect(verifyLedger(file)).toMatchObject({ ok: true, events: 5, chain: { algorithm: 'sha256', legacyThrough: 5 } });
    l.append('r-old', 'bo', note('new'), T0 + 10);
    l.append(l.startRun({ runbook: RUNBOOK, name: 'new' }, T0).runId, 'bo', note('other run'), T0 + 11);
    expect(verifyLedger(file)).toMatchObject({ ok: true, events: 7 });
    expect(l.events('r-old').map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    // The old rows are covered: editing one is caught like any other.
    sqlite3(file, `DROP TRIGGER events_no_update; UPDATE events SET operator = 'eve' WHERE id = 2;`);
    expect(verifyLedger(file).firstBroken).toEqual({ id: 2, runId: 'r-old', seq: 2, reason: 'hash mismatch' });
  });

  it('refuses a v1 ledger given as an open connection rather than upgrading it', () => {
    const db = new Database(path.join(dir, 'v1.db'));
    db.exec(MIGRATIONS[0] as string);
    db.pragma('user_version = 1');
    expect(() => verifyLedger(db)).toThrow(/no hash chain yet/);
    db.close();
    expect(() => verifyLedger(path.join(dir, 'nothing-here.db'))).toThrow(/no ledger at/);
    expect(fs.existsSync(path.join(dir, 'nothing-here.db'))).toBe(false);
  });
});
