// The release ledger: an SQLite file next to the runbook holding every run and the
// append-only event log of each. Several opscockpit processes (two operators, a resumed
// session) may write to the same file at once, so every write takes the write lock up front.
//
// The events are the record: one hash chain runs through all of them (ledger-chain.ts), so
// history cannot be changed or removed without `opscockpit ledger verify` noticing. The runs
// table is derived state (status, times, note) kept for fast listing and resuming; it is not
// chained, and verify instead checks each run's status against its last run.completed event.
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { LedgerPort, NewRun, RunRecord, RunStatus } from '../src/engine/ports.js';
import type { EventBody, LedgerEvent } from '../src/engine/types.js';
import type { Redactor } from '../src/runbook/secrets.js';
import { LedgerQuery, RUN_COLUMNS, toEvent, toRun, type EventRow, type RunRow } from './ledger-query.js';
import { CHAIN_COLUMNS, GENESIS, HASH_BYTES, keyCheck, wellFormed, type ChainAlgorithm } from './ledger-chain.js';
import { rowHasher, type RowHasher } from './ledger-hasher.js';

/** A ledger problem the operator can act on; `.message` is printed as is. */
export class LedgerError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LedgerError';
  }
}

export { chosenLedgerPath, defaultLedgerPath } from './ledger-path.js';

/** Options for opening a ledger. */
export interface LedgerOptions {
  redactor?: Redactor;
  /**
   * OPSCOCKPIT_LEDGER_KEY: a new ledger (or one upgraded from v1) gets a keyed chain; a keyed
   * ledger refuses appends without its key. Never stored.
   */
  chainKey?: string;
}

/** The key from the environment; an empty value counts as unset. */
export function chainKeyFrom(env: NodeJS.ProcessEnv): string | undefined {
  return env.OPSCOCKPIT_LEDGER_KEY || undefined;
}

type Migration = string | ((db: Database.Database, opts: LedgerOptions) => void);

const EVENTS_NO_UPDATE = `CREATE TRIGGER events_no_update BEFORE UPDATE ON events
  BEGIN SELECT RAISE(ABORT, 'ledger events are append-only'); END;`;

/**
 * v2: the hash chain. Rows written under v1 are chained here, in id order: from now on they
 * cannot change unnoticed, though nothing proves what happened to them before.
 */
function addHashChain(db: Database.Database, opts: LedgerOptions): void {
  db.exec(`
    ALTER TABLE events ADD COLUMN prev_hash BLOB NOT NULL DEFAULT X'';
    ALTER TABLE events ADD COLUMN hash BLOB NOT NULL DEFAULT X'';
    CREATE TABLE ledger_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
    CREATE TRIGGER ledger_meta_no_update BEFORE UPDATE ON ledger_meta
      BEGIN SELECT RAISE(ABORT, 'ledger settings are written once'); END;
    CREATE TRIGGER ledger_meta_no_delete BEFORE DELETE ON ledger_meta
      BEGIN SELECT RAISE(ABORT, 'ledger settings are written once'); END;
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
  };
}

/** Why this process may not extend the chain (keyed ledger, no or wrong key), if it may not. */
function appendRefusal(file: string, chain: ChainSettings, key: string | undefined): string | undefined {
  if (chain.algorithm !== 'hmac-sha256') return undefined;
  if (key === undefined)
    return `ledger ${file} is sealed with a key: set OPSCOCKPIT_LEDGER_KEY to that key to record events in it.`;
  if (keyCheck(key) !== chain.keyCheck)
    return `OPSCOCKPIT_LEDGER_KEY is not the key ledger ${file} is sealed with: set the right key to record events in it.`;
  return undefined;
}

export function openLedger(path: string, opts: LedgerOptions = {}): SqliteLedger {
  const file = resolve(path);
  const db = openLedgerDatabase(file, opts);
  try {
    const chain = readChainSettings(db)!;
    // Unkeyed ledgers stay unkeyed: a key set later does not change how their chain is sealed.
    const key = chain.algorithm === 'hmac-sha256' ? opts.chainKey : undefined;
    return new SqliteLedger(db, opts.redactor, { hashRow: rowHasher(key), refusal: appendRefusal(file, chain, opts.chainKey) });
  } catch (err) {
    db.close();
    throw err;
  }
}

/** The connection under a ledger: pragmas set, migrations applied (v1 ledgers get their chain). */
export function openLedgerDatabase(path: string, opts: LedgerOptions = {}): Database.Database {
  const file = resolve(path);
  let db: Database.Database | undefined;
  try {
    mkdirSync(dirname(file), { recursive: true });
    db = new Database(file);
    // Set first: everything after (WAL switch, migrations) may wait on another process.
    db.pragma('busy_timeout = 5000');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db, file, opts);
    return db;
  } catch (err) {
    db?.close();
    if (err instanceof LedgerError) throw err;
    throw new LedgerError(explainOpenError(file, err), { cause: err });
  }
}

function explainOpenError(file: string, err: unknown): string {
  const e = err as { code?: string; message?: string };
  const code = e.code ?? '';
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT')
    return `cannot open ledger ${file}: the file is not an opscockpit ledger (SQLite database). Move it aside or choose another ledger location.`;
  if (['EACCES', 'EPERM', 'EROFS', 'SQLITE_CANTOPEN', 'SQLITE_READONLY', 'SQLITE_PERM'].includes(code))
    return `cannot open ledger ${file}: the location is not writable (${e.message}). Check the folder's permissions or choose another ledger location.`;
  if (code === 'ENOTDIR' || code === 'EEXIST')
    return `cannot open ledger ${file}: a file is in the way of its folder (${e.message}). Remove it or choose another ledger location.`;
  return `cannot open ledger ${file}: ${e.message ?? String(err)}. Check the path or choose another ledger location.`;
}

function migrate(db: Database.Database, file: string, opts: LedgerOptions): void {
  const version = () => db.pragma('user_version', { simple: true }) as number;
  if (version() > MIGRATIONS.length)
    throw new LedgerError(
      `ledger ${file} was written by a newer opscockpit (schema v${version()}, this one knows v${MIGRATIONS.length}). Upgrade opscockpit.`,
    );
  if (version() === MIGRATIONS.length) return;
  // Immediate: two processes opening a fresh file must not both run v1. Re-read inside.
  db.transaction(() => {
    for (let v = version(); v < MIGRATIONS.length; v++) {
      const step = MIGRATIONS[v];
      if (typeof step === 'string') db.exec(step);
      else step(db, opts);
      db.pragma(`user_version = ${v + 1}`);
    }
  }).immediate();
}


/** `r-20261123-112233-1a2b`: sorts by start time (UTC), random tail keeps it unique. */
export function newRunId(at: number): string {
  const stamp = new Date(at).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `r-${stamp}-${randomBytes(2).toString('hex')}`;
}


// Prepared once per connection.
function prepare(db: Database.Database) {
  return {
    insertRun: db.prepare(
      `INSERT INTO runs (run_id, runbook, name, status, branch, commit_sha, backlog_id, release_type, started_at, note)
       VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?, ?)`,
    ),
    getRun: db.prepare(`SELECT ${RUN_COLUMNS} FROM runs WHERE run_id = ?`),
    runExists: db.prepare('SELECT 1 FROM runs WHERE run_id = ?').pluck(),
    openRun: db.prepare(
      `SELECT ${RUN_COLUMNS} FROM runs WHERE runbook = ? AND status = 'running' ORDER BY started_at DESC, run_id DESC LIMIT 1`,
    ),
    listRuns: db.prepare(`SELECT ${RUN_COLUMNS} FROM runs ORDER BY started_at DESC, run_id DESC LIMIT ?`),
    completeRun: db.prepare(
      `UPDATE runs SET status = ?, completed_at = ?, note = COALESCE(?, note),
         released_at = CASE WHEN ? = 'succeeded' THEN ? ELSE released_at END
       WHERE run_id = ?`,
    ),
    nextSeq: db.prepare('SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE run_id = ?').pluck(),
    // The chain's head: the last row's id and hash, the hash as hex text (read as a blob,
    // better-sqlite3 makes a new Buffer of it, which costs more than all of a single append's
    // other reads together). With it the highest id ever used, AUTOINCREMENT's own rule for
    // the next id: if rows were cut off the end, the next id leaves a gap that verify reports.
    lastEvent: db.prepare('SELECT id, hex(hash) FROM events ORDER BY id DESC LIMIT 1').raw(),
    usedIds: db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'events'").pluck(),
    // No id: SQLite assigns the one the hash was made with (the same rule, under the same
    // lock; checked per row) and appends at the end of the table without seeking there first.
    // No prev_hash: it is the hash of the event before (see implicitPrevHash).
    insertEvent: db.prepare(
      'INSERT INTO events (run_id, seq, at, kind, step, operator, payload, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    events: db.prepare('SELECT run_id, seq, at, operator, payload FROM events WHERE run_id = ? ORDER BY seq'),
    recentEvents: db.prepare(
      'SELECT run_id, seq, at, operator, payload FROM events WHERE run_id = ? ORDER BY seq DESC LIMIT ?',
    ),
    syncFull: db.prepare('PRAGMA synchronous = FULL'),
    syncNormal: db.prepare('PRAGMA synchronous = NORMAL'),
  };
}

export class SqliteLedger implements LedgerPort {
  private readonly stmt: ReturnType<typeof prepare>;
  private readonly appendTx: (runId: string, operator: string, bodies: readonly EventBody[], at: number) => LedgerEvent[];

  private readonly refusal?: string;

  constructor(
    private readonly db: Database.Database,
    private readonly redactor?: Redactor,
    chain: { hashRow: RowHasher; refusal?: string } = { hashRow: rowHasher() },
  ) {
    this.stmt = prepare(db);
    this.refusal = chain.refusal;
    const { hashRow } = chain;

    // The seq and the chain head are read and used under one write lock (BEGIN IMMEDIATE), so
    // a second process waits (busy_timeout) instead of reading the same MAX(seq) or the same
    // head. Nothing about the chain is cached between transactions: another process moves it.
    const tx = db.transaction((runId: string, operator: string, bodies: readonly EventBody[], at: number) => {
      if (!this.stmt.runExists.get(runId)) throw new LedgerError(`no run ${runId} in the ledger`);
      const seq = this.stmt.nextSeq.get(runId) as number;
      const head = this.stmt.lastEvent.get() as [number, string] | undefined;
      const id = Math.max(head?.[0] ?? 0, (this.stmt.usedIds.get() as number | undefined) ?? 0) + 1;
      const n = bodies.length;
      // hashes[0] is the head's hash, read once under the lock (GENESIS, all zeros, on an
      // empty ledger); hashes[i + 1] is the i-th new event's.
      const hashes = this.hashSlots(n + 1);
      hashes[0].fill(0);
      if (head) hashes[0].write(head[1], 'hex');
      const who = wellFormed(operator);
      const kinds = new Array<string>(n);
      const steps = new Array<string | null>(n);
      const payloads = new Array<string>(n);
      const events = new Array<LedgerEvent>(n);
      // All the hashing first, then all the inserts: interleaved, each slowed the other down
      // (measured: the chain's extra time per batched event fell by about a quarter apart).
      for (let i = 0; i < n; i++) {
        const body = this.mask(bodies[i]);
        const kind = (kinds[i] = wellFormed(body.kind));
        const step = (steps[i] = 'step' in body ? wellFormed(body.step) : null);
        const payload = (payloads[i] = JSON.stringify(body));
        hashRow(id + i, runId, seq + i, at, kind, step, who, payload, hashes[i], hashes[i + 1]);
        events[i] = { runId, seq: seq + i, at, operator: who, body };
      }
      for (let i = 0; i < n; i++) {
        if (this.stmt.insertEvent.run(runId, seq + i, at, kinds[i], steps[i], who, payloads[i], hashes[i + 1]).lastInsertRowid !== id + i)
          throw new LedgerError(`event ${runId}#${seq + i} was stored under another id than the one its hash covers; nothing was recorded.`);
      }
      return events;
    });
    this.appendTx = (...args) => tx.immediate(...args);
  }

  private slots: Buffer[] = [];

  /** `count` 32-byte views of one buffer, kept between transactions (SQLite copies what is bound). */
  private hashSlots(count: number): Buffer[] {
    if (this.slots.length < count) {
      const size = Math.max(count, 2 * this.slots.length, 64);
      const arena = Buffer.alloc(size * HASH_BYTES);
      this.slots = Array.from({ length: size }, (_, i) => arena.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES));
    }
    return this.slots;
  }

  /** Mask secret values in every string, walking the value (masking serialised JSON would miss escaped values). */
  private mask<T>(v: T): T {
    const r = this.redactor;
    if (!r?.active) return v;
    const walk = (x: unknown): unknown => {
      if (typeof x === 'string') return r.text(x);
      if (Array.isArray(x)) return x.map(walk);
      if (x && typeof x === 'object')
        return Object.fromEntries(Object.entries(x).map(([k, val]) => [r.text(k), walk(val)]));
      return x;
    };
    return walk(v) as T;
  }

  private maskOpt(s: string | undefined): string | null {
    return s === undefined ? null : this.mask(s);
  }

  startRun(run: NewRun, at: number): RunRecord {
    // The random tail makes a clash unlikely; retry rather than fail a release on one.
    for (let attempt = 0; ; attempt++) {
      const runId = newRunId(at);
      try {
        this.stmt.insertRun.run(
          runId,
          run.runbook,
          run.name,
          this.maskOpt(run.branch),
          this.maskOpt(run.commitSha),
          this.maskOpt(run.backlogId),
          this.maskOpt(run.releaseType),
          at,
          this.maskOpt(run.note),
        );
        return this.getRun(runId)!;
      } catch (err) {
        if ((err as { code?: string }).code !== 'SQLITE_CONSTRAINT_PRIMARYKEY' || attempt >= 10) throw err;
      }
    }
  }

  openRun(runbook: string): RunRecord | undefined {
    const row = this.stmt.openRun.get(runbook) as RunRow | undefined;
    return row && toRun(row);
  }

  append(runId: string, operator: string, body: EventBody, at: number, opts?: { durable?: boolean }): LedgerEvent {
    return this.appendMany(runId, operator, [body], at, opts)[0];
  }

  /** Several events in one transaction (consecutive seqs, all or none). */
  appendMany(
    runId: string,
    operator: string,
    bodies: readonly EventBody[],
    at: number,
    opts?: { durable?: boolean },
  ): LedgerEvent[] {
    if (this.refusal) throw new LedgerError(this.refusal);
    // Inside atomically(): a savepoint in its transaction, made durable by its commit.
    if (this.outer) return this.joinOuter(opts, () => this.appendTx(runId, operator, bodies, at));
    return this.committed(!!opts?.durable, () => this.appendTx(runId, operator, bodies, at));
  }

  /** Set while atomically() runs its function. */
  private outer?: { durable: boolean };

  atomically<T>(fn: () => T, opts?: { durable?: boolean }): T {
    if (this.outer) return this.joinOuter(opts, fn);
    const tx = this.db.transaction(fn);
    this.outer = { durable: !!opts?.durable };
    try {
      return this.committed(this.outer.durable, () => tx.immediate());
    } finally {
      this.outer = undefined;
    }
  }

  private joinOuter<T>(opts: { durable?: boolean } | undefined, fn: () => T): T {
    // SQLite cannot change synchronous inside a transaction: the outer one has to be durable.
    if (opts?.durable && !this.outer?.durable) throw new Error('a durable write inside a ledger transaction that is not durable');
    return fn();
  }

  /** Runs one top-level transaction; `durable`: its commit is fsynced. */
  private committed<T>(durable: boolean, tx: () => T): T {
    if (!durable) return tx();
    // In WAL mode synchronous=NORMAL fsyncs only at checkpoints: a commit survives a crash
    // of this process but not a power loss or kernel panic. An action intent must survive
    // both, or after a reboot the ledger would not show that a deploy/rollback may have
    // started. FULL fsyncs the WAL at this commit; only these writes pay for it.
    this.stmt.syncFull.run();
    try {
      return tx();
    } finally {
      this.stmt.syncNormal.run();
    }
  }

  events(runId: string): LedgerEvent[] {
    return (this.stmt.events.all(runId) as EventRow[]).map(toEvent);
  }

  recentEvents(runId: string, limit: number): LedgerEvent[] {
    return (this.stmt.recentEvents.all(runId, limit) as EventRow[]).map(toEvent);
  }

  listRuns(limit: number): RunRecord[] {
    return (this.stmt.listRuns.all(limit) as RunRow[]).map(toRun);
  }

  getRun(runId: string): RunRecord | undefined {
    const row = this.stmt.getRun.get(runId) as RunRow | undefined;
    return row && toRun(row);
  }

  /** Derived state: the run.completed event is the record; verify checks that they agree. */
  completeRun(runId: string, status: Exclude<RunStatus, 'running'>, at: number, note?: string): void {
    const res = this.stmt.completeRun.run(status, at, this.maskOpt(note), status, at, runId);
    if (res.changes === 0) throw new LedgerError(`no run ${runId} in the ledger`);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Read-only queries for the release ledger screen, `ledger list/show/export` and reports. */
  browse(): LedgerQuery {
    return (this.query ??= new LedgerQuery(this.db));
  }

  private query?: LedgerQuery;
}
