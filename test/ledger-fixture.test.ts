// Ledgers written by an earlier version (test/fixtures/ledgers, see its README) still verify
// and take new events: the chain format is fixed. A change to what a hash covers, to how it is
// keyed or to how it is stored breaks the first event of these files.
import Database from 'better-sqlite3';
import { chmodSync, copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS, openLedger } from '../adapters/ledger.js';
import { openSqliteStore } from '../adapters/sqlite-store.js';
import { GENESIS, chainBytes, referenceHmac } from '../adapters/ledger-chain.js';
import { verifyLedger, verifyLedgerFile } from '../adapters/ledger-verify.js';
import { cli, root } from './support/cli.js';
import { createHash } from 'node:crypto';

const KEY = 'opscockpit-test-only-ledger-key';
const EVENTS = 16; // in each fixture (its README)
const T0 = Date.UTC(2026, 11, 8, 9, 0, 0);

const fixtures = [
  { name: 'unkeyed-v1.sqlite', key: undefined, chain: 'sha256', words: 'SHA-256 chain' },
  { name: 'keyed-v1.sqlite', key: KEY, chain: 'hmac-sha256', words: 'HMAC-SHA256 (keyed) chain' },
] as const;

/** A copy of the fixture in a folder of its own: the committed file is never opened for writing. */
function copy(name: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'oc-ledger-fixture-')), name);
  copyFileSync(join(root, 'test', 'fixtures', 'ledgers', name), file);
  return file;
}

const envFor = (key: string | undefined): NodeJS.ProcessEnv => (key === undefined ? {} : { OPSCOCKPIT_LEDGER_KEY: key });

/** `opscockpit ledger verify --json`, the built binary; OPSCOCKPIT_VERIFY_SPLIT_MIN=2 walks it in two halves. */
async function verifyByBinary(file: string, env: NodeJS.ProcessEnv) {
  const r = await cli(['ledger', 'verify', '--ledger', file, '--json'], { env });
  return { code: r.code, stderr: r.stderr, doc: r.stdout ? JSON.parse(r.stdout) : undefined };
}

describe.each(fixtures)('the committed ledger $name', ({ name, key, chain, words }) => {
  it('is read as it is by list, show, export and report, never upgraded (a read-only file)', async () => {
    const file = copy(name);
    chmodSync(file, 0o444);
    const env = envFor(key);
    for (const args of [['ledger', 'list'], ['ledger', 'show', 'last'], ['ledger', 'export', '--format', 'csv'], ['report', 'last', '--timeline'], ['ledger']]) {
      const r = await cli([...args, '--ledger', file], { env });
      expect(r.stderr, args.join(' ')).toBe('');
      expect(r.code, args.join(' ')).toBe(0);
    }
    const db = new Database(file, { readonly: true });
    try {
      // Still the schema it was written in: reading does not migrate it.
      expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'run_leases'").pluck().get()).toBe(0);
    } finally {
      db.close();
    }
  });

  it('verifies with today’s binary, in one walk and in two', async () => {
    const file = copy(name);
    const one = await cli(['ledger', 'verify', '--ledger', file], { env: envFor(key) });
    expect(one).toMatchObject({ code: 0, stderr: '' });
    // Written before run seals (schema v5): verify, which only reads, says so in a note.
    expect(one.stdout).toBe(
      `ledger ${file}: intact — ${EVENTS} events in one ${words}, run statuses match their events\n  note: written before run rows were sealed: open it once with this opscockpit to seal them\n`,
    );
    const two = await verifyByBinary(file, { ...envFor(key), OPSCOCKPIT_VERIFY_SPLIT_MIN: '2' });
    expect(two).toMatchObject({ code: 0, doc: { ok: true, events: EVENTS, chain, walks: 2 } });
  });

  it('verifies through the adapter, and its first event hashes as the reference layout says', async () => {
    const file = copy(name);
    expect(verifyLedger(file, { chainKey: key })).toMatchObject({ ok: true, events: EVENTS, chain: { algorithm: chain }, runMismatches: [] });
    // From source the worker is not beside this code: one walk here; the binary walks two halves (above).
    expect(await verifyLedgerFile(file, { chainKey: key, splitMin: 2 })).toMatchObject({ ok: true, events: EVENTS });
    // The stored bytes against chainBytes(), independently of the hasher verify uses.
    const db = new Database(file, { readonly: true });
    try {
      const first = db.prepare('SELECT id, run_id, seq, at, kind, step, operator, payload, hash FROM events ORDER BY id LIMIT 1').get() as {
        id: number; run_id: string; seq: number; at: number; kind: string; step: string | null; operator: string; payload: string; hash: Buffer;
      };
      const bytes = chainBytes(first.id, first.run_id, first.seq, first.at, first.kind, first.step, first.operator, first.payload, GENESIS);
      expect(first.hash).toEqual(key === undefined ? createHash('sha256').update(bytes).digest() : referenceHmac(key, bytes));
    } finally {
      db.close();
    }
  });

  it('takes new events from today’s code that chain onto its own, and verifies after', async () => {
    const file = copy(name);
    const before = new Database(file, { readonly: true });
    const running = before.prepare("SELECT run_id FROM runs WHERE status = 'running'").pluck().get() as string;
    const runningSeq = before.prepare('SELECT MAX(seq) FROM events WHERE run_id = ?').pluck().get(running) as number;
    before.close();
    const ledger = openLedger(file, { chainKey: key });
    let run: string;
    try {
      // An event in the run the old version left running, then a new run: a batch and a single append.
      expect(ledger.append(running, 'ops', { kind: 'step.note', phase: 'preflight', step: 'rbac', note: 'resumed' }, T0)).toMatchObject({ seq: runningSeq + 1 });
      run = ledger.startRun({ runbook: '/rb/after.yaml', name: 'after the upgrade' }, T0).runId;
      ledger.appendMany(run, 'zoë', [
        { kind: 'step.note', phase: 'preflight', step: 'db', note: 'chained onto the fixture ✓' },
        { kind: 'step.note', phase: 'preflight', step: 'db', note: 'second' },
      ], T0 + 1);
      ledger.append(run, 'ops', { kind: 'run.completed', status: 'succeeded' }, T0 + 2, { durable: true });
      ledger.completeRun(run, 'succeeded', T0 + 2);
    } finally {
      ledger.close();
    }
    expect(verifyLedger(file, { chainKey: key })).toMatchObject({ ok: true, events: EVENTS + 4 });
    const byBinary = await verifyByBinary(file, envFor(key));
    expect(byBinary).toMatchObject({ code: 0, doc: { ok: true, events: EVENTS + 4, chain } });
    // The first new event is hashed over the fixture's last hash.
    const db = new Database(file, { readonly: true });
    try {
      const [last, next] = db.prepare('SELECT id, run_id, seq, at, kind, step, operator, payload, hash FROM events WHERE id IN (?, ?) ORDER BY id').all(EVENTS + 1, EVENTS + 2) as {
        id: number; run_id: string; seq: number; at: number; kind: string; step: string | null; operator: string; payload: string; hash: Buffer;
      }[];
      expect(next.run_id).toBe(run);
      const bytes = chainBytes(next.id, next.run_id, next.seq, next.at, next.kind, next.step, next.operator, next.payload, last.hash);
      expect(next.hash).toEqual(key === undefined ? createHash('sha256').update(bytes).digest() : referenceHmac(key, bytes));
    } finally {
      db.close();
    }
  });

  it('is upgraded on opening (the evidence events’ index), verifies after, and its harvest is found through it', async () => {
    const file = copy(name);
    const store = openSqliteStore(file, { chainKey: key });
    try {
      const found = await store.evidenceEvents('/tmp/oc-ledger-fixtures.ln0W/evidence.json');
      expect(found.map((e) => e.body)).toEqual([expect.objectContaining({ kind: 'evidence.recorded', version: 1, state: 'WIP', samples: 3 })]);
      expect(await store.evidenceEvents()).toEqual(found);
      expect(await store.evidenceEvents('/tmp/elsewhere.json')).toEqual([]);
    } finally {
      await store.close();
    }
    const db = new Database(file, { readonly: true });
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
      expect(db.prepare("SELECT sql FROM sqlite_master WHERE name = 'events_evidence_at'").pluck().get()).toMatch(/ON events \(at\) WHERE kind IN/);
    } finally {
      db.close();
    }
    expect(verifyLedger(file, { chainKey: key })).toMatchObject({ ok: true, events: EVENTS });
  });

  if (key !== undefined) {
    it('needs its key: none is refused with one line and exit 1; another one fails, exit 2', async () => {
      const file = copy(name);
      const none = await verifyByBinary(file, {});
      expect(none.code).toBe(1);
      expect(none.stderr).toContain('is sealed with a key: set OPSCOCKPIT_LEDGER_KEY');
      const wrong = await verifyByBinary(file, { OPSCOCKPIT_LEDGER_KEY: 'not-the-key' });
      expect(wrong.code).toBe(2);
      expect(wrong.doc).toMatchObject({ ok: false, problems: [expect.stringContaining('sealed with another key than OPSCOCKPIT_LEDGER_KEY')] });
    });
  }

  it('still names an edited event: the fixture is really checked', async () => {
    const file = copy(name);
    const db = new Database(file);
    db.exec(`DROP TRIGGER events_no_update; UPDATE events SET operator = 'eve' WHERE id = 9`);
    db.close();
    const r = await verifyByBinary(file, envFor(key));
    expect(r).toMatchObject({ code: 2, doc: { ok: false, firstBroken: { id: 9, reason: 'hash mismatch' } } });
  });
});
