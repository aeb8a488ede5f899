// Walks a ledger's hash chain in id order and reports the first place it breaks, and every
// run whose status (derived state) disagrees with its last run.completed event (the record).
import type Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { RunStatus } from '../src/engine/ports.js';
import { LedgerError, NotALedgerError, openLedgerForReading } from './ledger-open.js';
import { readChainSettings, type ChainSettings } from './ledger-migrations.js';
import { GENESIS, keyCheck } from './ledger-chain.js';
import { hexRowHasher, type HexRowHasher } from './ledger-hasher.js';
import { ChainWalk, judgeChain, mergeScans, type LedgerVerification, type RangeScan, type VerifyRow } from './ledger-walk.js';

export { mergeScans, type BreakReason, type ChainBreak, type LedgerVerification, type RangeScan, type RunStatusMismatch } from './ledger-walk.js';
import { checkIntegrity } from './ledger-integrity.js';

/** What verify reads of each event: the chain's columns, the two hashes as lowercase hex. */
export const VERIFY_COLUMNS = 'id, run_id, seq, at, kind, step, operator, payload, lower(hex(prev_hash)), lower(hex(hash))';
const GENESIS_HEX = GENESIS.toString('hex');

/**
 * `source` is a ledger file (opened, and upgraded to the chained schema when it is v1) or an
 * open connection. Reads one snapshot: appends by other processes meanwhile are not seen.
 */
export function verifyLedger(source: string | Database.Database, opts: { chainKey?: string } = {}): LedgerVerification {
  if (typeof source !== 'string') return verifyDatabase(source, '(open connection)', opts.chainKey);
  const file = resolve(source);
  if (!existsSync(file)) throw new LedgerError(`no ledger at ${file}. Check the path (--ledger PATH or --runbook FILE).`);
  const db = openLedgerForReading(file);
  try {
    return damagedAsNotALedger(file, () => verifyDatabase(db, file, opts.chainKey));
  } finally {
    db.close();
  }
}

function verifyDatabase(db: Database.Database, file: string, key: string | undefined): LedgerVerification {
  const chain = readChainSettings(db);
  if (!chain) throw new LedgerError(`ledger ${file} has no hash chain yet (schema v1): open it once with this opscockpit to add one.`);
  if (chain.algorithm === 'hmac-sha256') {
    if (key === undefined) throw new LedgerError(`ledger ${file} is sealed with a key: set OPSCOCKPIT_LEDGER_KEY to that key to verify it.`);
    // Another key: this chain is not the one the operator's key vouches for.
    if (keyCheck(key) !== chain.keyCheck) return otherKey(db, chain);
  }
  const hashRow = hexRowHasher(chain.algorithm === 'hmac-sha256' ? key : undefined);
  // Keyset pages of 1,000: streamed with bounded memory like iterate(), but about 0.25 µs a
  // row faster (a tenth of the whole walk), since all() hands rows over in bulk.
  // The two hashes as hex text: as blobs, better-sqlite3 makes a Buffer of each, which costs
  // more than hashing the row (see HexRowHasher).

  // A deferred transaction: every read below sees the same snapshot.
  return db.transaction(() => {
    const scan = scanRange(db, hashRow, 0, Number.MAX_SAFE_INTEGER, GENESIS_HEX);
    return finishVerification(db, scan, chain, file, key);
  })();
}

const PAGE = 1000;

/**
 * Walk the events with from < id <= to in id order (see ChainWalk), paged from SQLite.
 */
export function scanRange(db: Database.Database, hashRow: HexRowHasher, from: number, to: number, startPrev: string): RangeScan {
  const page = db.prepare(`SELECT ${VERIFY_COLUMNS} FROM events WHERE id > ? AND id <= ? ORDER BY id LIMIT ${PAGE}`).raw();
  const walk = new ChainWalk(hashRow, from, startPrev);
  for (let rows = page.all(from, to) as VerifyRow[]; rows.length; rows = page.all(walk.lastId, to) as VerifyRow[]) walk.add(rows);
  return walk.scan();
}

/** A keyed chain, verified with another key: nothing it holds is vouched for by that key. */
function otherKey(db: Database.Database, chain: ChainSettings): LedgerVerification {
  const events = db.prepare('SELECT COUNT(*) FROM events').pluck().get() as number;
  const problems = ['the chain is sealed with another key than OPSCOCKPIT_LEDGER_KEY: nothing in it is vouched for by this key (a wrong key, or a ledger rewritten with a key of its own)'];
  return { ok: false, events, runMismatches: [], problems, notes: [], chain };
}

export function finishVerification(db: Database.Database, scan: RangeScan, chain: ChainSettings, file: string | undefined, key: string | undefined): LedgerVerification {
  // AUTOINCREMENT remembers the highest id ever used: rows cut off the end leave it behind.
  const used = (db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'events'").pluck().get() as number | undefined) ?? 0;
  const status = new Map(db.prepare('SELECT run_id, status FROM runs').raw().all() as [string, RunStatus][]);
  return judgeChain(scan, { usedThrough: used, status, findings: checkIntegrity(db, file, chain, key, scan.lastId), chain });
}

/** Ledgers with at least this many events are walked in two halves at once (one per CPU). */
const SPLIT_MIN_EVENTS = 200_000;

/**
 * `ledger verify` on a file: as verifyLedger, but a large ledger is walked in two halves at
 * once, the second in a worker thread (bundled beside this code as ledger-verify-worker.js;
 * where it is not, as when running from source, one walk does it all). The halves are split
 * at an event that exists, and the second half's walk starts from that event's stored hash,
 * so the result is the one a single walk gives.
 */
export async function verifyLedgerFile(path: string, opts: { chainKey?: string; splitMin?: number } = {}): Promise<LedgerVerification> {
  const file = resolve(path);
  const worker = new URL('./ledger-verify-worker.js', import.meta.url);
  const splitMin = opts.splitMin ?? SPLIT_MIN_EVENTS;
  if (!existsSync(file) || !existsSync(worker)) return verifyLedger(file, opts);
  const db = openLedgerForReading(file);
  try {
    return await damagedAsNotALedgerAsync(file, () => verifyOpenFile(db, file, worker, splitMin, opts));
  } finally {
    db.close();
  }
}

async function verifyOpenFile(db: Database.Database, file: string, worker: URL, splitMin: number, opts: { chainKey?: string }): Promise<LedgerVerification> {
  // Read from a copy in memory (read-only media): the worker cannot open the file itself.
  if (db.memory) return verifyDatabase(db, file, opts.chainKey);
  {
    const count = db.prepare('SELECT COUNT(*) FROM events').pluck().get() as number;
    const chain = readChainSettings(db);
    const keyed = chain?.algorithm === 'hmac-sha256';
    // Small ledgers, and every case that ends in an error, take the one walk on this connection.
    if (count < Math.max(2, splitMin) || !chain || (keyed && (opts.chainKey === undefined || keyCheck(opts.chainKey) !== chain.keyCheck))) {
      return verifyDatabase(db, file, opts.chainKey);
    }
    const key = keyed ? opts.chainKey : undefined;
    const { Worker } = await import('node:worker_threads');
    // One read transaction across both halves' results: the rows cut off the end and the run
    // statuses are read in the same snapshot as the first half (the second is capped at maxId).
    db.exec('BEGIN');
    try {
      const maxId = db.prepare('SELECT MAX(id) FROM events').pluck().get() as number;
      const split = db.prepare('SELECT id FROM events ORDER BY id LIMIT 1 OFFSET ?').pluck().get(Math.floor(count / 2)) as number;
      const startPrev = db.prepare('SELECT lower(hex(hash)) FROM events WHERE id = ?').pluck().get(split) as string;
      const second = new Worker(worker, { workerData: { file, key, from: split, to: maxId, startPrev } });
      const later = new Promise<RangeScan>((ok, fail) => {
        second.once('message', (m: { scan?: RangeScan; error?: string }) => (m.scan ? ok(m.scan) : fail(new LedgerError(m.error ?? 'the verify worker failed'))));
        second.once('error', fail);
        second.once('exit', (code) => fail(new LedgerError(`the verify worker stopped (exit ${code}) before it reported`)));
      });
      const earlier = scanRange(db, hexRowHasher(key), 0, split, GENESIS_HEX);
      const result = { ...finishVerification(db, mergeScans(earlier, await later), chain, file, opts.chainKey), walks: 2 };
      db.exec('COMMIT');
      return result;
    } catch (err) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw err;
    }
  }
}

/** SQLite finding the file damaged while verify reads it: not a ledger verify can vouch for. */
function damagedAsNotALedger<T>(file: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw asNotALedger(file, err);
  }
}

async function damagedAsNotALedgerAsync<T>(file: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw asNotALedger(file, err);
  }
}

function asNotALedger(file: string, err: unknown): unknown {
  const code = (err as { code?: string }).code ?? '';
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB' || /malformed/i.test((err as Error)?.message ?? ''))
    return new NotALedgerError(`${file} is not an intact opscockpit ledger: the database is damaged (${(err as Error).message})`, { cause: err });
  return err;
}
