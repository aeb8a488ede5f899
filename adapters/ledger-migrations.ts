// The ledger's schema: its versions, applied in order (PRAGMA user_version counts them), and the
// chain's settings that migration v2 writes once into ledger_meta.
import type Database from 'better-sqlite3';
import { CHAIN_COLUMNS, GENESIS, HASH_BYTES, keyCheck, type ChainAlgorithm } from './ledger-chain.js';
import { rowHasher } from './ledger-hasher.js';
import { SEALED_RUN_COLUMNS, sealRunRow, type SealedRunRow } from './ledger-seal.js';

/** What a migration may need: the chain key, when the ledger gets its chain (v2). */
interface MigrationOptions {
  chainKey?: string;
}

type Migration = string | ((db: Database.Database, opts: MigrationOptions) => void);

/** ledger_meta is written once (ledger migrate replaces a new file's before anything else). */
export const LEDGER_META_TRIGGERS = `CREATE TRIGGER ledger_meta_no_update BEFORE UPDATE ON ledger_meta
      BEGIN SELECT RAISE(ABORT, 'ledger settings are written once'); END;
    CREATE TRIGGER ledger_meta_no_delete BEFORE DELETE ON ledger_meta
      BEGIN SELECT RAISE(ABORT, 'ledger settings are written once'); END;`;

const EVENTS_NO_UPDATE = `CREATE TRIGGER events_no_update BEFORE UPDATE ON events
  BEGIN SELECT RAISE(ABORT, 'ledger events are append-only'); END;`;

/**
 * v2: the hash chain. Rows written under v1 are chained here, in id order: from now on they
 * cannot change unnoticed, though nothing proves what happened to them before.
 */
function addHashChain(db: Database.Database, opts: MigrationOptions): void {
  db.exec(`
    ALTER TABLE events ADD COLUMN prev_hash BLOB NOT NULL DEFAULT X'';
    ALTER TABLE events ADD COLUMN hash BLOB NOT NULL DEFAULT X'';
    CREATE TABLE ledger_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
    ${LEDGER_META_TRIGGERS}
    DROP TRIGGER events_no_update;`);
  const hashRow = rowHasher(opts.chainKey);
  // Pages, not one iterator: better-sqlite3 runs nothing else on a connection mid-iteration.
  const page = db.prepare(`SELECT ${CHAIN_COLUMNS} FROM events WHERE id > ? ORDER BY id LIMIT 1000`).raw();
  const seal = db.prepare('UPDATE events SET prev_hash = ?, hash = ? WHERE id = ?');
  // Two buffers taking turns as prev and hash (SQLite copies what is bound).
  let prev = Buffer.from(GENESIS);
  let hash = Buffer.alloc(HASH_BYTES);
  let last = 0;
  for (let rows = page.all(last) as ChainRowIn[]; rows.length; rows = page.all(last) as ChainRowIn[]) {
    for (const [id, runId, seq, at, kind, step, operator, payload] of rows) {
      hashRow(id, runId, seq, at, kind, step, operator, payload, prev, hash);
      seal.run(prev, hash, id);
      const next = hash;
      hash = prev;
      prev = next;
      last = id;
    }
  }
  db.exec(EVENTS_NO_UPDATE);
  const meta = db.prepare('INSERT INTO ledger_meta (name, value) VALUES (?, ?)');
  meta.run('chain', opts.chainKey === undefined ? 'sha256' : 'hmac-sha256');
  if (opts.chainKey !== undefined) meta.run('key_check', keyCheck(opts.chainKey));
  meta.run('chained_at', String(Date.now()));
  meta.run('legacy_through', String(last));
}

type ChainRowIn = [number, string, number, number, string, string | null, string, string, Buffer];

/**
 * Events written from here on leave prev_hash empty: it is always the hash of the event
 * before (in id order), which verify reads from that event, so storing it a second time only
 * cost 32 bytes an event. What each hash covers is unchanged. Events written before keep
 * theirs, and verify still checks that they link; ledger_meta records up to where.
 */
function implicitPrevHash(db: Database.Database): void {
  const through = (db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'events'").pluck().get() as number | undefined) ?? 0;
  // OR IGNORE: settings are written once, and this step must be harmless if it runs again.
  db.prepare("INSERT OR IGNORE INTO ledger_meta (name, value) VALUES ('prev_hash_through', ?)").run(String(through));
}

/** v5: each run's row is sealed (ledger-seal.ts) and the chain's head is kept beside the ledger from now on. */
function sealRunsAndHead(db: Database.Database, opts: MigrationOptions): void {
  db.exec('ALTER TABLE runs ADD COLUMN seal TEXT');
  // Every run is sealed, those started before too (as v2 chained the events it found): a run
  // row without a seal is then always an edited one. A keyed ledger is sealed with its key.
  const keyed = (db.prepare("SELECT value FROM ledger_meta WHERE name = 'chain'").pluck().get() as string | undefined) === 'hmac-sha256';
  if (keyed && opts.chainKey === undefined) throw new Error('this ledger is sealed with a key: open it once with OPSCOCKPIT_LEDGER_KEY set to upgrade it');
  const key = keyed ? opts.chainKey : undefined;
  const rows = db.prepare(`SELECT ${SEALED_RUN_COLUMNS} FROM runs`).raw().all() as SealedRunRow[];
  const seal = db.prepare('UPDATE runs SET seal = ? WHERE run_id = ?');
  for (const row of rows) seal.run(sealRunRow(key, row), row[0]);
  db.prepare("INSERT OR IGNORE INTO ledger_meta (name, value) VALUES ('head_from', ?)").run(String((db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'events'").pluck().get() as number | undefined) ?? 0));
}

// Schema versions, applied in order; PRAGMA user_version records how many have run.
// Never edit a released entry: add a new one.
export const MIGRATIONS: readonly Migration[] = [
  `CREATE TABLE runs (
     run_id       TEXT PRIMARY KEY,
     runbook      TEXT NOT NULL,
     name         TEXT NOT NULL,
     status       TEXT NOT NULL CHECK (status IN ('running','succeeded','failed','aborted','rolled_back')),
     branch       TEXT,
     commit_sha   TEXT,
     backlog_id   TEXT,
     release_type TEXT,
     started_at   INTEGER NOT NULL,
     released_at  INTEGER,
     completed_at INTEGER,
     note         TEXT
   );
   CREATE INDEX runs_started_at ON runs (started_at);
   CREATE INDEX runs_runbook_status ON runs (runbook, status);
   -- UNIQUE(run_id, seq) is also the index for reading a run's events in order.
   CREATE TABLE events (
     id       INTEGER PRIMARY KEY AUTOINCREMENT,
     run_id   TEXT NOT NULL REFERENCES runs (run_id),
     seq      INTEGER NOT NULL,
     at       INTEGER NOT NULL,
     kind     TEXT NOT NULL,
     step     TEXT,
     operator TEXT NOT NULL,
     payload  TEXT NOT NULL,
     UNIQUE (run_id, seq)
   );
   CREATE TRIGGER events_no_update BEFORE UPDATE ON events
     BEGIN SELECT RAISE(ABORT, 'ledger events are append-only'); END;
   CREATE TRIGGER events_no_delete BEFORE DELETE ON events
     BEGIN SELECT RAISE(ABORT, 'ledger events are append-only'); END;`,
  addHashChain,
  // v3: the release ledger screen and `ledger list` page through runs newest first, filtered by
  // status, release type or branch: each filter has an index in that order, so a page is read
  // from the index without sorting the runs.
  `CREATE INDEX runs_started_run ON runs (started_at, run_id);
   CREATE INDEX runs_status_started ON runs (status, started_at, run_id);
   CREATE INDEX runs_type_started ON runs (release_type, started_at, run_id);
   CREATE INDEX runs_branch_started ON runs (branch, started_at, run_id);`,
  implicitPrevHash,
  sealRunsAndHead,
  // Run leases: which live process owns a running run (adapters/ledger-leases.ts). Operational
  // state beside the record, not part of it: rows are replaced and deleted, and not chained.
  `CREATE TABLE run_leases (
     run_id       TEXT PRIMARY KEY,
     pid          INTEGER NOT NULL,
     host         TEXT NOT NULL,
     token        TEXT NOT NULL,
     taken_at     INTEGER NOT NULL,
     heartbeat_at INTEGER NOT NULL
   ) WITHOUT ROWID;`,
  // v7: an append may carry an idempotency key (LedgerStore.append): a retry with the same key
  // returns the event stored the first time. Not chained: the key says nothing about the event.
  `ALTER TABLE events ADD COLUMN idempotency_key TEXT;
   CREATE UNIQUE INDEX events_idempotency_key ON events (idempotency_key) WHERE idempotency_key IS NOT NULL;`,
  // v8: a lease names its driver (the operator who drives the run) and the reason they gave.
  `ALTER TABLE run_leases ADD COLUMN driver TEXT;
   ALTER TABLE run_leases ADD COLUMN reason TEXT;`,
  // v9: the evidence events in time order: a gate check reads them through it (ledger-evidence.ts)
  // instead of every event of every run. Partial: the other events do not pay for it (an index
  // of every event's kind cost appends a tenth of their speed and the file a tenth of its size).
  `CREATE INDEX events_evidence_at ON events (at) WHERE kind IN ('evidence.recorded', 'evidence.tampered');`,
];

/** How a ledger's chain is sealed (ledger_meta, written once by migration v2). */
export interface ChainSettings {
  algorithm: ChainAlgorithm;
  keyCheck?: string;
  /** Events up to this id were written before the chain existed (v1) and chained on upgrade. */
  legacyThrough: number;
  /** Events up to this id store their prev_hash; later ones leave it empty (see implicitPrevHash). */
  prevHashThrough?: number;
  chainedAt: number;
  /** Events after this id are kept in the head file too (v5). */
  headFrom?: number;
}

export function readChainSettings(db: Database.Database): ChainSettings | undefined {
  if ((db.pragma('user_version', { simple: true }) as number) < 2) return undefined;
  const meta = new Map(db.prepare('SELECT name, value FROM ledger_meta').raw().all() as [string, string][]);
  return {
    algorithm: meta.get('chain') === 'hmac-sha256' ? 'hmac-sha256' : 'sha256',
    keyCheck: meta.get('key_check'),
    legacyThrough: Number(meta.get('legacy_through') ?? 0),
    chainedAt: Number(meta.get('chained_at') ?? 0),
    ...(meta.has('prev_hash_through') && { prevHashThrough: Number(meta.get('prev_hash_through')) }),
    ...(meta.has('head_from') && { headFrom: Number(meta.get('head_from')) }),
  };
}
