// ledger migrate's SQLite side (ledger-move.ts): a ledger file read in one snapshot, and a new
// ledger written into a temporary file beside the target, verified there, and renamed into place.
import type Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { GENESIS } from './ledger-chain.js';
import { LedgerError, NotALedgerError } from './ledger-errors.js';
import { LEDGER_META_TRIGGERS } from './ledger-migrations.js';
import { openLedgerDatabase, openLedgerForReading } from './ledger-open.js';
import { headPath, writeHead } from './ledger-seal.js';
import { verifyLedger } from './ledger-verify.js';
import { notEmpty, type LedgerSource, type LedgerTarget, type MovedEvent, type MovedRun } from './ledger-move.js';
import { readStageFile, writeStageFile, type SignedStage } from './stage-file.js';

const PAGE = 2000;
const RUN_FIELDS = 'run_id, runbook, name, status, branch, commit_sha, backlog_id, release_type, started_at, released_at, completed_at, note';
const EVENT_FIELDS = 'id, run_id, seq, at, kind, step, operator, payload, prev_hash, hash';

/** The stage file beside a ledger file (as the session keeps it: src/session/stage.ts). */
const stageFileOf = (ledgerFile: string) => join(dirname(ledgerFile), 'stage.json');

const hasColumn = (db: Database.Database, table: string, column: string) =>
  (db.prepare('SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = ?').pluck().get(table, column) as number) > 0;

export function sqliteSource(path: string): LedgerSource {
  const file = resolve(path);
  const db = openLedgerForReading(file);
  // One snapshot for every read below (WAL: writers elsewhere go on).
  db.exec('BEGIN');
  // Ledgers written before run seals (v5) or idempotency keys (v7) lack those columns.
  const seal = hasColumn(db, 'runs', 'seal') ? 'seal' : 'NULL AS seal';
  const key = hasColumn(db, 'events', 'idempotency_key') ? 'idempotency_key' : 'NULL AS idempotency_key';
  return {
    location: file,
    kind: 'SQLite',
    async meta() {
      return db.prepare('SELECT name, value FROM ledger_meta ORDER BY name').raw().all() as [string, string][];
    },
    async *runs() {
      const page = db.prepare(`SELECT ${RUN_FIELDS}, ${seal} FROM runs WHERE run_id > ? ORDER BY run_id LIMIT ${PAGE}`);
      for (let rows = page.all('') as MovedRun[]; rows.length; rows = page.all(rows[rows.length - 1].run_id) as MovedRun[]) yield rows;
    },
    async *events() {
      const page = db.prepare(`SELECT ${EVENT_FIELDS}, ${key} FROM events WHERE id > ? ORDER BY id LIMIT ${PAGE}`);
      for (let rows = page.all(0) as MovedEvent[]; rows.length; rows = page.all(rows[rows.length - 1].id) as MovedEvent[]) yield rows;
    },
    async stage() {
      const r = readStageFile(stageFileOf(file));
      if (!('ok' in r)) return { rows: [r] };
      return r.problem === 'missing' ? { rows: [] } : { rows: [], note: `the stage was not copied: ${r.detail}` };
    },
    async close() {
      if (db.inTransaction) db.exec('COMMIT');
      db.close();
    },
  };
}

/** What a ledger file at `file` holds, or undefined when there is none. */
function holdings(file: string): { runs: number; events: number } | undefined {
  if (!existsSync(file)) return undefined;
  let db: Database.Database;
  try {
    db = openLedgerForReading(file);
  } catch (err) {
    if (err instanceof NotALedgerError) throw new LedgerError(`${file} is there and is not an empty ledger (${err.message}); ledger migrate writes only a new ledger. Nothing was migrated.`);
    throw err;
  }
  try {
    return { runs: db.prepare('SELECT COUNT(*) FROM runs').pluck().get() as number, events: db.prepare('SELECT COUNT(*) FROM events').pluck().get() as number };
  } finally {
    db.close();
  }
}

export function sqliteTarget(path: string): LedgerTarget {
  const file = resolve(path);
  const temp = join(dirname(file), `.${basename(file)}.migrating-${randomBytes(4).toString('hex')}`);
  let db: Database.Database | undefined;
  let replace = false;
  let stageRecord: SignedStage | undefined;
  const insertRun = () => db!.prepare(`INSERT INTO runs (${RUN_FIELDS}, seal) VALUES (@run_id, @runbook, @name, @status, @branch, @commit_sha, @backlog_id, @release_type, @started_at, @released_at, @completed_at, @note, @seal)`);
  const insertEvent = () => db!.prepare(`INSERT INTO events (${EVENT_FIELDS}, idempotency_key) VALUES (@id, @run_id, @seq, @at, @kind, @step, @operator, @payload, @prev_hash, @hash, @idempotency_key)`);
  const removeTemp = () => {
    for (const f of [temp, `${temp}-wal`, `${temp}-shm`, headPath(temp)]) rmSync(f, { force: true });
  };
  return {
    location: file,
    kind: 'SQLite',
    async begin(chainKey, stageRows) {
      const held = holdings(file);
      if (held && (held.runs || held.events)) throw notEmpty(file, `${held.runs} runs and ${held.events} events`);
      if (stageRows && existsSync(stageFileOf(file))) throw notEmpty(dirname(file), `a stage file (${stageFileOf(file)}) that the moved stage would replace`);
      replace = held !== undefined;
      db = openLedgerDatabase(temp, { chainKey });
      db.exec('BEGIN IMMEDIATE');
    },
    async meta(rows) {
      // A new file's settings are replaced by the source's: the chain is sealed as it was.
      db!.exec('DROP TRIGGER ledger_meta_no_update; DROP TRIGGER ledger_meta_no_delete; DELETE FROM ledger_meta;');
      const insert = db!.prepare('INSERT INTO ledger_meta (name, value) VALUES (?, ?)');
      for (const [name, value] of rows) insert.run(name, value);
      db!.exec(LEDGER_META_TRIGGERS);
    },
    async runs(rows) {
      const insert = insertRun();
      for (const r of rows) insert.run(r);
    },
    async events(rows) {
      const insert = insertEvent();
      for (const e of rows) insert.run(e);
    },
    async head() {
      // The chain's head is its last event: verify() writes the head file beside it.
    },
    async stage(rows) {
      stageRecord = rows[rows.length - 1];
    },
    async verify(chainKey) {
      const runs = db!.prepare('SELECT COUNT(*) FROM runs').pluck().get() as number;
      const last = db!.prepare('SELECT id, lower(hex(hash)) AS hash FROM events ORDER BY id DESC LIMIT 1').get() as { id: number; hash: string } | undefined;
      const keyedChain = (db!.prepare("SELECT value FROM ledger_meta WHERE name = 'chain'").pluck().get() as string | undefined) === 'hmac-sha256';
      const sealKey = keyedChain ? chainKey : undefined;
      db!.exec('COMMIT');
      db!.close();
      db = undefined;
      // The head file beside the ledger, as durable appends keep it.
      if (last) writeHead(temp, sealKey, { id: last.id, hash: last.hash });
      const verification = verifyLedger(temp, { chainKey });
      return { verification, runs, head: last ?? { id: 0, hash: GENESIS.toString('hex') } };
    },
    async commit() {
      if (replace) for (const f of [file, `${file}-wal`, `${file}-shm`, headPath(file)]) rmSync(f, { force: true });
      // Every connection to the new file is closed, its WAL checkpointed: only the file itself goes.
      for (const f of [`${temp}-wal`, `${temp}-shm`]) rmSync(f, { force: true });
      renameSync(temp, file);
      if (existsSync(headPath(temp))) renameSync(headPath(temp), headPath(file));
      if (stageRecord) writeStageFile(stageFileOf(file), stageRecord);
    },
    async abort() {
      if (db?.open) db.close();
      db = undefined;
      removeTemp();
    },
  };
}
