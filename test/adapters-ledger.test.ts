import Database from 'better-sqlite3';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LedgerError, MIGRATIONS, defaultLedgerPath, openLedger, type SqliteLedger } from '../adapters/ledger.js';
import { GENESIS, HASH_BYTES, chainBytes, referenceHmac } from '../adapters/ledger-chain.js';
import { hexRowHasher, rowHasher } from '../adapters/ledger-hasher.js';
import { verifyLedger } from '../adapters/ledger-verify.js';
import { Redactor } from '../src/runbook/secrets.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const T0 = Date.UTC(2026, 10, 23, 11, 22, 33);
const RUNBOOK = '/srv/runbooks/release.yaml';

let dir: string;
const open: SqliteLedger[] = [];
function ledgerAt(file = path.join(dir, 'ledger.db'), opts?: Parameters<typeof openLedger>[1]) {
  const l = openLedger(file, opts);
  open.push(l);
  return l;
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opscockpit-ledger-'));
});
afterEach(() => {
  for (const l of open.splice(0)) l.close();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opscockpit-ledger-'));
});

const note = (n: string) => ({ kind: 'step.note', phase: 'preflight', step: 'db', note: n }) as const;

describe('sqlite ledger', () => {
  it('creates the schema and records the schema version', () => {
    const file = path.join(dir, 'nested', 'deeper', 'ledger.db');
    ledgerAt(file).close();
    const db = new Database(file, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const names = db.prepare("SELECT name FROM sqlite_master WHERE type IN ('table','index','trigger')").pluck().all();
    expect(names).toEqual(
      expect.arrayContaining(['runs', 'events', 'runs_started_at', 'runs_runbook_status', 'events_no_update', 'events_no_delete', 'ledger_meta']),
    );
    db.close();
  });

  it('keeps data across reopen and does not rerun migrations', () => {
    const file = path.join(dir, 'ledger.db');
    const a = ledgerAt(file);
    const run = a.startRun({ runbook: RUNBOOK, name: 'r1', branch: 'main' }, T0);
    a.append(run.runId, 'ana', note('one'), T0 + 1);
    a.close();
    // A rerun of v1 would fail on "table runs already exists"; this proves it is skipped.
    const b = ledgerAt(file);
    expect(b.getRun(run.runId)).toMatchObject({ name: 'r1', branch: 'main', status: 'running' });
    expect(b.events(run.runId).map((e) => e.body)).toEqual([note('one')]);
  });

  it('numbers events per run and reads them back in both orders', () => {
    const l = ledgerAt();
    const r1 = l.startRun({ runbook: RUNBOOK, name: 'a' }, T0);
    const r2 = l.startRun({ runbook: RUNBOOK, name: 'b' }, T0 + 1000);
    expect(r1.runId).toMatch(/^r-20261123-112233-[0-9a-f]{4}$/);
    expect(l.append(r1.runId, 'ana', note('1'), T0).seq).toBe(1);
    expect(l.append(r1.runId, 'ana', note('2'), T0).seq).toBe(2);
    expect(l.append(r2.runId, 'bo', note('x'), T0, { durable: true }).seq).toBe(1);
    const batch = l.appendMany(r1.runId, 'ana', [note('3'), note('4')], T0 + 5);
    expect(batch.map((e) => e.seq)).toEqual([3, 4]);
    expect(l.events(r1.runId).map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(l.recentEvents(r1.runId, 2).map((e) => e.seq)).toEqual([4, 3]);
    expect(l.listRuns(10).map((r) => r.name)).toEqual(['b', 'a']);
    expect(() => l.append('r-missing', 'ana', note('?'), T0)).toThrow(LedgerError);
  });

  it('tracks a run from start to completion', () => {
    const l = ledgerAt();
    const run = l.startRun({ runbook: RUNBOOK, name: 'cutover', releaseType: 'minor' }, T0);
    expect(l.openRun(RUNBOOK)?.runId).toBe(run.runId);
    expect(l.openRun('/other.yaml')).toBeUndefined();
    l.completeRun(run.runId, 'succeeded', T0 + 60_000, 'clean');
    expect(l.openRun(RUNBOOK)).toBeUndefined();
    expect(l.getRun(run.runId)).toMatchObject({
      status: 'succeeded',
      completedAt: T0 + 60_000,
      releasedAt: T0 + 60_000,
      note: 'clean',
    });
    const failed = l.startRun({ runbook: RUNBOOK, name: 'again' }, T0 + 120_000);
    l.completeRun(failed.runId, 'failed', T0 + 130_000);
    expect(l.getRun(failed.runId)?.releasedAt).toBeUndefined();
  });

  it('never writes a secret value to the database or its WAL', () => {
    const secret = 'tok-"S3cr3t\\value"-9f8e7d'; // quotes and backslash: escaped in JSON
    const redactor = new Redactor(['DEPLOY_TOKEN'], { DEPLOY_TOKEN: secret });
    const file = path.join(dir, 'ledger.db');
    const l = ledgerAt(file, { redactor });
    const run = l.startRun({ runbook: RUNBOOK, name: 'r' }, T0);
    const stored = l.append(run.runId, 'ana', note(`curl -H "Authorization: ${secret}"`), T0, { durable: true });
    expect(stored.body).toEqual(note('curl -H "Authorization: ***"'));
    l.completeRun(run.runId, 'failed', T0 + 1, `leaked ${secret}`);
    const needles = [secret, JSON.stringify(secret).slice(1, -1), 'S3cr3t'];
    for (const f of [file, `${file}-wal`]) {
      expect(fs.existsSync(f)).toBe(true);
      const bytes = fs.readFileSync(f).toString('latin1');
      for (const n of needles) expect(bytes.includes(n), `${n} in ${f}`).toBe(false);
    }
  });

  it('refuses to update or delete events', () => {
    const file = path.join(dir, 'ledger.db');
    const l = ledgerAt(file);
    const run = l.startRun({ runbook: RUNBOOK, name: 'r' }, T0);
    l.append(run.runId, 'ana', note('kept'), T0);
    const db = new Database(file);
    expect(() => db.prepare("UPDATE events SET operator = 'eve'").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM events').run()).toThrow(/append-only/);
    db.close();
    expect(l.events(run.runId)).toHaveLength(1);
  });

  it('runs atomically(): what it appends is stored together or not at all, under the write lock', () => {
    const file = path.join(dir, 'ledger.db');
    const l = ledgerAt(file);
    const a = l.startRun({ runbook: RUNBOOK, name: 'a' }, T0).runId;
    const b = l.atomically(() => {
      const run = l.startRun({ runbook: RUNBOOK, name: 'b' }, T0).runId;
      l.append(a, 'ana', note('1'), T0, { durable: true });
      l.appendMany(run, 'ana', [note('x'), note('y')], T0, { durable: true });
      return run;
    }, { durable: true });
    expect([l.events(a).length, l.events(b).length]).toEqual([1, 2]);
    // A throw undoes every append made inside, the run started there included.
    expect(() =>
      l.atomically(() => {
        l.append(a, 'ana', note('2'), T0);
        l.startRun({ runbook: RUNBOOK, name: 'c' }, T0);
        throw new Error('changed my mind');
      }),
    ).toThrow('changed my mind');
    expect(l.events(a)).toHaveLength(1);
    expect(l.listRuns(10).map((r) => r.name).sort()).toEqual(['a', 'b']);
    // Another connection cannot write while the transaction runs: it holds the lock from its start.
    const other = new Database(file, { timeout: 0 });
    l.atomically(() => {
      expect(() => other.prepare("INSERT INTO ledger_meta (name, value) VALUES ('x', 'y')").run()).toThrow(/locked|busy/i);
    });
    other.close();
    // A durable write inside a transaction that is not durable cannot be made durable: refused.
    expect(() => l.atomically(() => l.append(a, 'ana', note('3'), T0, { durable: true }))).toThrow(/durable/);
    expect(l.events(a)).toHaveLength(1);
    expect(verifyLedger(file).ok).toBe(true);
  });

  it('explains a path that cannot hold a ledger', () => {
    const blocker = path.join(dir, 'not-a-dir');
    fs.writeFileSync(blocker, 'x');
    const inside = path.join(blocker, 'ledger.db');
    expect(() => openLedger(inside)).toThrow(LedgerError);
    expect(() => openLedger(inside)).toThrow(inside);

    const garbage = path.join(dir, 'garbage.db');
    fs.writeFileSync(garbage, 'this is not sqlite, just some text long enough to have a header'.repeat(20));
    expect(() => openLedger(garbage)).toThrow(/garbage\.db.*not an opscockpit ledger/);
  });

  it('explains a folder it may not write to', () => {
    // Permission bits do not stop root (CI runs as root), so there the unwritable place is
    // sysfs, which refuses new folders to everyone.
    const root = process.getuid?.() === 0;
    const locked = root ? '/sys/opscockpit-test' : path.join(dir, 'locked');
    if (!root) fs.mkdirSync(locked, { mode: 0o500 });
    const file = path.join(locked, 'sub', 'ledger.db');
    expect(() => openLedger(file)).toThrow(LedgerError);
    expect(() => openLedger(file)).toThrow(/not writable/);
  });

  it('puts the default ledger next to the runbook', () => {
    expect(defaultLedgerPath('/srv/runbooks/release.yaml')).toBe('/srv/runbooks/.opscockpit/ledger.db');
  });

  it('lets two processes append to one run without gaps, duplicates or SQLITE_BUSY, in one hash chain', async () => {
    // Children run plain node, so they get the real adapter bundled to JS. The bundle lives
    // under the project so `better-sqlite3` (left external) resolves from node_modules.
    const bundle = path.join(root, 'node_modules', '.cache', 'opscockpit-test', `ledger-${process.pid}.mjs`);
    await build({
      entryPoints: [path.join(root, 'adapters', 'ledger.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      external: ['better-sqlite3'],
      outfile: bundle,
      logLevel: 'silent',
    });
    const file = path.join(dir, 'shared.db');
    const l = ledgerAt(file);
    const run = l.startRun({ runbook: RUNBOOK, name: 'shared' }, T0);
    const own = { ana: l.startRun({ runbook: RUNBOOK, name: 'ana' }, T0).runId, bo: l.startRun({ runbook: RUNBOOK, name: 'bo' }, T0).runId };
    const N = 10_000;

    const children = (['ana', 'bo'] as const).map((op) => {
      const writer = path.join(root, 'test/support/ledger-writer.mjs');
      const child = spawn(process.execPath, [writer, bundle, file, run.runId, String(N), op, own[op]]);
      let stdout = '';
      let stderr = '';
      const ready = new Promise<void>((res) =>
        child.stdout.on('data', (d) => {
          stdout += d;
          if (stdout.includes('ready')) res();
        }),
      );
      child.stderr.on('data', (d) => (stderr += d));
      const exit = new Promise<{ code: number | null; stderr: string }>((res) =>
        child.on('close', (code) => res({ code, stderr })),
      );
      return { child, ready, exit };
    });
    await Promise.all(children.map((c) => c.ready));
    for (const c of children) c.child.stdin.end('go\n');
    const results = await Promise.all(children.map((c) => c.exit));
    fs.rmSync(bundle, { force: true });

    for (const r of results) {
      expect(r.stderr).not.toMatch(/SQLITE_BUSY/);
      expect(r.code).toBe(0);
    }
    // Every fourth event of each writer went to its own run, the rest to the shared one.
    const shared = 2 * N - 2 * (N / 4);
    const events = l.events(run.runId);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: shared }, (_, i) => i + 1));
    expect(events.filter((e) => e.operator === 'ana')).toHaveLength(shared / 2);
    for (const op of ['ana', 'bo'] as const) expect(l.events(own[op]).map((e) => e.seq)).toEqual(Array.from({ length: N / 4 }, (_, i) => i + 1));
    // The writers really overlapped: their events interleave rather than follow each other.
    const switches = events.filter((e, i) => i > 0 && e.operator !== events[i - 1].operator).length;
    expect(switches).toBeGreaterThan(10);
    // One chain through all 20,000 events of both processes, in id order.
    expect(verifyLedger(file)).toMatchObject({ ok: true, events: 2 * N, runMismatches: [] });
    const db = new Database(file, { readonly: true });
    const rows = db.prepare('SELECT * FROM events ORDER BY id').all() as StoredEvent[];
    db.close();
    expect(rows.map((r) => r.id)).toEqual(Array.from({ length: 2 * N }, (_, i) => i + 1));
    expect(rows.every((r, i) => r.hash.equals(sha256(chainBytes(r.id, r.run_id, r.seq, r.at, r.kind, r.step, r.operator, r.payload, i === 0 ? GENESIS : rows[i - 1].hash))))).toBe(true);
  }, 60_000);
});

/** Run SQL through the sqlite3 command-line shell, the way someone editing the file would. */
function sqlite3(file: string, sql: string): string {
  return execFileSync('sqlite3', [file, sql], { encoding: 'utf8' });
}

interface StoredEvent {
  id: number;
  run_id: string;
  seq: number;
  at: number;
  kind: string;
  step: string | null;
  operator: string;
  payload: string;
  prev_hash: Buffer;
  hash: Buffer;
}
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest();

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
    expect(() => verifyLedger(file, { chainKey: 'guess' })).toThrow(/not the key/);
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
