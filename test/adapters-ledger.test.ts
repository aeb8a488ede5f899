// The SQLite ledger: schema, runs and events, atomic and durable writes, secrets, several writers.
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { LedgerError, MIGRATIONS, defaultLedgerPath, openLedger } from '../adapters/ledger.js';
import { GENESIS, chainBytes } from '../adapters/ledger-chain.js';
import { verifyLedger } from '../adapters/ledger-verify.js';
import { Redactor } from '../src/runbook/secrets.js';
import { useLedgerDir, T0, RUNBOOK, dir, ledgerAt, note, type StoredEvent, sha256 } from './support/ledger-files.js';

useLedgerDir();

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
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

    // A folder where the file goes: named as one, not as a permissions problem.
    const folder = path.join(dir, 'a-folder');
    fs.mkdirSync(folder);
    expect(() => openLedger(folder)).toThrow(`cannot open ledger ${folder}: it is a folder; a ledger is a file (e.g. ${path.join(folder, 'ledger.db')}).`);
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
