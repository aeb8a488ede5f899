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
import { checkIntegrity } from './ledger-integrity.js';

/** What verify reads of each event: the chain's columns, the two hashes as lowercase hex. */
export const VERIFY_COLUMNS = 'id, run_id, seq, at, kind, step, operator, payload, lower(hex(prev_hash)), lower(hex(hash))';
const GENESIS_HEX = GENESIS.toString('hex');

export type BreakReason = 'hash mismatch' | 'prev_hash mismatch' | 'missing row' | 'gap';

export interface ChainBreak {
  /** The event where the chain breaks; for rows cut off the end, the last one left (0 if none). */
  id: number;
  runId: string;
  seq: number;
  reason: BreakReason;
  /** 'missing row': the ids that are gone (before `id`, or after it when cut off the end). */
  missing?: { from: number; to: number };
  /** 'gap': the seq the run's next event should have had. */
  expectedSeq?: number;
}

export interface RunStatusMismatch {
  runId: string;
  /** What the runs table says. */
  status: RunStatus;
  /** What the run's last run.completed event says. */
  completedAs: string;
  eventId: number;
  seq: number;
}

export interface LedgerVerification {
  ok: boolean;
  events: number;
  firstBroken?: ChainBreak;
  runMismatches: RunStatusMismatch[];
  /** Besides the chain (ledger-integrity.ts): each fails verify. */
  problems: string[];
  /** What verify cannot prove here, said plainly. */
  notes: string[];
  chain: ChainSettings;
  /** How many walks shared the ledger (2: two halves at once, see verifyLedgerFile). */
  walks?: number;
}

// prev_hash and hash as lowercase hex (of whatever is stored there: '' for NULL).
type Row = [number, string, number, number, string, string | null, string, string, string, string];

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

/** What one walk over a range of ids found; ranges walked apart are merged by `mergeScans`. */
export interface RangeScan {
  events: number;
  broken?: ChainBreak;
  lastId: number;
  lastRun: string;
  lastSeqOfRow: number;
  /** For a range after the first: each run's first event in it, checked against the range before. */
  firstSeen: [runId: string, seq: number, id: number][];
  lastSeq: [runId: string, seq: number][];
  completed: [runId: string, payload: string, id: number, seq: number][];
}

/**
 * Walk the events with from < id <= to in id order, each row's hash checked with `hashRow`
 * (hexRowHasher for the ledger's key). `startPrev` is the stored hash of event
 * `from` (the genesis for the first range). A range after the first does not know the runs'
 * earlier seqs: each run's first event in it is reported in `firstSeen` for the merge.
 */
export function scanRange(db: Database.Database, hashRow: HexRowHasher, from: number, to: number, startPrev: string): RangeScan {
  const page = db.prepare(`SELECT ${VERIFY_COLUMNS} FROM events WHERE id > ? AND id <= ? ORDER BY id LIMIT ${PAGE}`).raw();
  const first = from === 0;
  let events = 0;
  let broken: ChainBreak | undefined;
  let lastId = from;
  let lastRun = '';
  let lastSeqOfRow = 0;
  let prevHash = startPrev;
  const lastSeq = new Map<string, number>();
  const firstSeen: RangeScan['firstSeen'] = [];
  const completed = new Map<string, { payload: string; id: number; seq: number }>();
  for (let rows = page.all(from, to) as Row[]; rows.length; rows = page.all(lastId, to) as Row[]) {
    for (let i = 0; i < rows.length; i++) {
      const [id, runId, seq, at, kind, step, operator, payload, prev, hash] = rows[i];
      events++;
      if (kind === 'run.completed') completed.set(runId, { payload, id, seq });
      if (!broken) {
        if (id !== lastId + 1) broken = { id, runId, seq, reason: 'missing row', missing: { from: lastId + 1, to: id - 1 } };
        else {
          // Events written since prev_hash went implicit leave it empty: the link is the
          // hash of the event before. One that stores it is held to it.
          const link = prev === '' ? prevHash : prev;
          if (hash === '' || hashRow(id, runId, seq, at, kind, step, operator, payload, link) !== hash) broken = { id, runId, seq, reason: 'hash mismatch' };
          else if (link !== prevHash) broken = { id, runId, seq, reason: 'prev_hash mismatch' };
        }
        if (!broken) {
          const before = lastSeq.get(runId);
          if (before === undefined && !first) firstSeen.push([runId, seq, id]);
          else {
            const expected = (before ?? 0) + 1;
            if (seq !== expected) broken = { id, runId, seq, reason: 'gap', expectedSeq: expected };
          }
          lastSeq.set(runId, seq);
        }
        lastRun = runId;
        lastSeqOfRow = seq;
        prevHash = hash;
      }
      lastId = id;
    }
  }
  return {
    events,
    broken,
    lastId,
    lastRun,
    lastSeqOfRow,
    firstSeen,
    lastSeq: [...lastSeq],
    completed: [...completed].map(([runId, c]) => [runId, c.payload, c.id, c.seq]),
  };
}

/**
 * Two adjacent ranges as one walk: the first break by id wins (at the same event, the later
 * range's own finding, as a walk in one go checks the hash before the seq); each run's first
 * event in the later range must follow its last seq in the earlier one.
 */
export function mergeScans(a: RangeScan, b: RangeScan): RangeScan {
  if (b.events === 0) return a;
  const seqs = new Map(a.lastSeq);
  let broken = a.broken;
  if (!broken) {
    const candidates: ChainBreak[] = b.broken ? [b.broken] : [];
    for (const [runId, seq, id] of b.firstSeen) {
      const expected = (seqs.get(runId) ?? 0) + 1;
      if (seq !== expected && !(b.broken && b.broken.id <= id)) candidates.push({ id, runId, seq, reason: 'gap', expectedSeq: expected });
    }
    broken = candidates.sort((x, y) => x.id - y.id)[0];
    for (const [runId, seq] of b.lastSeq) seqs.set(runId, seq);
    return {
      events: a.events + b.events,
      broken,
      lastId: b.lastId,
      lastRun: b.lastRun,
      lastSeqOfRow: b.lastSeqOfRow,
      firstSeen: a.firstSeen,
      lastSeq: [...seqs],
      completed: [...a.completed, ...b.completed],
    };
  }
  return { ...a, events: a.events + b.events, lastId: b.lastId, completed: [...a.completed, ...b.completed] };
}

/** Cut-off rows at the end, and runs whose status disagrees with their run.completed event. */
/** A keyed chain, verified with another key: nothing it holds is vouched for by that key. */
function otherKey(db: Database.Database, chain: ChainSettings): LedgerVerification {
  const events = db.prepare('SELECT COUNT(*) FROM events').pluck().get() as number;
  const problems = ['the chain is sealed with another key than OPSCOCKPIT_LEDGER_KEY: nothing in it is vouched for by this key (a wrong key, or a ledger rewritten with a key of its own)'];
  return { ok: false, events, runMismatches: [], problems, notes: [], chain };
}

export function finishVerification(db: Database.Database, scan: RangeScan, chain: ChainSettings, file: string | undefined, key: string | undefined): LedgerVerification {
  const usedIds = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'events'").pluck();
  const runs = db.prepare('SELECT run_id, status FROM runs').raw();
  let broken = scan.broken;
  // AUTOINCREMENT remembers the highest id ever used: rows cut off the end leave it behind.
  const used = (usedIds.get() as number | undefined) ?? 0;
  if (!broken && used > scan.lastId) broken = { id: scan.lastId, runId: scan.lastRun, seq: scan.lastSeqOfRow, reason: 'missing row', missing: { from: scan.lastId + 1, to: used } };
  const completed = new Map<string, { payload: string; id: number; seq: number }>();
  for (const [runId, payload, id, seq] of scan.completed) completed.set(runId, { payload, id, seq });
  const status = new Map(runs.all() as [string, RunStatus][]);
  const runMismatches: RunStatusMismatch[] = [];
  for (const [runId, c] of completed) {
    const completedAs = completedStatus(c.payload);
    const recorded = status.get(runId);
    if (recorded !== undefined && recorded !== completedAs) runMismatches.push({ runId, status: recorded, completedAs, eventId: c.id, seq: c.seq });
  }
  runMismatches.sort((a, b) => a.eventId - b.eventId);
  const { problems, notes } = checkIntegrity(db, file, chain, key, scan.lastId);
  return { ok: !broken && runMismatches.length === 0 && problems.length === 0, events: scan.events, firstBroken: broken, runMismatches, problems, notes, chain };
}

function completedStatus(payload: string): string {
  try {
    return String((JSON.parse(payload) as { status?: unknown }).status);
  } catch {
    return '(unreadable)';
  }
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
