// The release ledger: an SQLite file next to the runbook holding every run and the
// append-only event log of each. Several opscockpit processes (two operators, a resumed
// session) may write to the same file at once, so every write takes the write lock up front.
//
// The events are the record: one hash chain runs through all of them (ledger-chain.ts), so
// history cannot be changed or removed without `opscockpit ledger verify` noticing. The runs
// table is derived state (status, times, note) kept for fast listing and resuming; it is not
// chained, and verify instead checks each run's status against its last run.completed event.
import type Database from 'better-sqlite3';
import { closeSync, openSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import type { LedgerPort, NewRun, RunRecord, RunStatus } from '../src/engine/ports.js';
import type { EventBody, LedgerEvent } from '../src/engine/types.js';
import type { Redactor } from '../src/runbook/secrets.js';
import { LedgerQuery, RUN_COLUMNS, toEvent, toRun, type EventRow, type RunRow } from './ledger-query.js';
import { rowHasher, type RowHasher } from './ledger-hasher.js';
import { readChainSettings } from './ledger-migrations.js';
import { SqliteRunLeases } from './ledger-leases.js';
import { lazily } from './lazy-statements.js';
import { LedgerError, appendRefusal, openLedgerDatabase, openLedgerForReading, type LedgerOptions } from './ledger-open.js';
import { readHead, sealRun, writeHead } from './ledger-seal.js';
import { newRunId } from './run-id.js';
import type { NewEvent } from './append-group.js';
import { batchAppender } from './ledger-append.js';
import { evidenceOf, evidenceSql } from './ledger-evidence.js';

export { newRunId } from './run-id.js';

export { LedgerError, NotALedgerError, chainKeyFrom, openLedgerDatabase, openLedgerForReading, type LedgerOptions } from './ledger-open.js';
export { MIGRATIONS, readChainSettings, type ChainSettings } from './ledger-migrations.js';
export { chosenLedgerPath, defaultLedgerPath } from './ledger-path.js';

export function openLedger(path: string, opts: LedgerOptions = {}): SqliteLedger {
  const file = resolve(path);
  if (opts.readOnly) return new SqliteLedger(openLedgerForReading(file), opts.redactor, { hashRow: rowHasher(), refusal: `ledger ${file} is open only to read` });
  const db = openLedgerDatabase(file, opts);
  try {
    const chain = readChainSettings(db)!;
    // Unkeyed ledgers stay unkeyed: a key set later does not change how their chain is sealed.
    const key = chain.algorithm === 'hmac-sha256' ? opts.chainKey : undefined;
    const refusal = appendRefusal(file, chain, opts.chainKey) ?? tailRefusal(db, file, key);
    return new SqliteLedger(db, opts.redactor, { hashRow: rowHasher(key), refusal, file, sealKey: key });
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * Events cut off the end (the head file names a later or another event): nothing more is
 * written, or later appends would move the head past the cut and hide it.
 */
function tailRefusal(db: Database.Database, file: string, key: string | undefined): string | undefined {
  const read = readHead(file, key);
  if (read.state === 'none') return undefined;
  const fix = 'run "opscockpit ledger verify", and restore the ledger from a copy';
  if (read.state === 'bad') return `${read.why}: nothing more is recorded in ledger ${file}; ${fix}.`;
  const stored = db.prepare('SELECT lower(hex(hash)) FROM events WHERE id = ?').pluck().get(read.head.id) as string | undefined;
  if (stored === read.head.hash) return undefined;
  return `ledger ${file} no longer holds event #${read.head.id}, which the head file beside it names: events were removed or rewritten. Nothing more is recorded in it; ${fix}.`;
}

// Prepared once per connection.
/** The ledger's statements, each prepared when first used (lazy-statements.ts). */
function prepare(db: Database.Database) {
  return lazily({
    insertRun: () => db.prepare(
      `INSERT INTO runs (run_id, runbook, name, status, branch, commit_sha, backlog_id, release_type, started_at, note, seal)
       VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?)`,
    ),
    getRun: () => db.prepare(`SELECT ${RUN_COLUMNS} FROM runs WHERE run_id = ?`),
    runExists: () => db.prepare('SELECT 1 FROM runs WHERE run_id = ?').pluck(),
    openRun: () => db.prepare(
      `SELECT ${RUN_COLUMNS} FROM runs WHERE runbook = ? AND status = 'running' ORDER BY started_at DESC, run_id DESC LIMIT 1`,
    ),
    listRuns: () => db.prepare(`SELECT ${RUN_COLUMNS} FROM runs ORDER BY started_at DESC, run_id DESC LIMIT ?`),
    completeRun: () => db.prepare(
      `UPDATE runs SET status = ?, completed_at = ?, note = COALESCE(?, note),
         released_at = CASE WHEN ? = 'succeeded' THEN ? ELSE released_at END
       WHERE run_id = ?`,
    ),
    nextSeq: () => db.prepare('SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE run_id = ?').pluck(),
    // The chain's head: the last row's id and hash, the hash as hex text (read as a blob,
    // better-sqlite3 makes a new Buffer of it, which costs more than all of a single append's
    // other reads together). With it the highest id ever used, AUTOINCREMENT's own rule for
    // the next id: if rows were cut off the end, the next id leaves a gap that verify reports.
    lastEvent: () => db.prepare('SELECT id, hex(hash) FROM events ORDER BY id DESC LIMIT 1').raw(),
    usedIds: () => db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'events'").pluck(),
    // No id: SQLite assigns the one the hash was made with (the same rule, under the same
    // lock; checked per row) and appends at the end of the table without seeking there first.
    // No prev_hash: it is the hash of the event before (see implicitPrevHash, ledger-schema.ts).
    insertEvent: () => db.prepare(
      'INSERT INTO events (run_id, seq, at, kind, step, operator, payload, hash, idempotency_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    events: () => db.prepare('SELECT run_id, seq, at, operator, payload FROM events WHERE run_id = ? ORDER BY seq'),
    byKey: () => db.prepare('SELECT run_id, seq, at, operator, payload FROM events WHERE idempotency_key = ?'),
    recentEvents: () => db.prepare(
      'SELECT run_id, seq, at, operator, payload FROM events WHERE run_id = ? ORDER BY seq DESC LIMIT ?',
    ),
    evidence: () => db.prepare(evidenceSql('')),
    dataVersion: () => db.prepare('PRAGMA data_version').pluck(),
    syncFull: () => db.prepare('PRAGMA synchronous = FULL'),
    syncNormal: () => db.prepare('PRAGMA synchronous = NORMAL'),
  });
}

export class SqliteLedger implements LedgerPort {
  private readonly stmt: ReturnType<typeof prepare>;
  private readonly appendTx: (events: readonly NewEvent[]) => Array<LedgerEvent | Error>;

  private readonly refusal?: string;
  /** The ledger file, whose head file durable appends keep (ledger-seal.ts); none for an open connection. */
  private file?: string;
  private readonly sealKey?: string;
  /** Which process owns which running run (ledger-leases.ts). */
  readonly leases: SqliteRunLeases;

  constructor(
    private readonly db: Database.Database,
    private readonly redactor?: Redactor,
    chain: { hashRow: RowHasher; refusal?: string; file?: string; sealKey?: string } = { hashRow: rowHasher() },
  ) {
    this.stmt = prepare(db);
    this.leases = new SqliteRunLeases(db);
    this.refusal = chain.refusal;
    this.file = chain.file;
    this.sealKey = chain.sealKey;
    const { hashRow } = chain;

    // The seqs and the chain head are read and used under one write lock (BEGIN IMMEDIATE), so
    // a second process waits (busy_timeout) instead of reading the same MAX(seq) or the same
    // head. Nothing about the chain is cached between transactions: another process moves it.
    const tx = db.transaction(batchAppender(this.stmt, hashRow, (body) => this.mask(body)));
    this.appendTx = (events) => tx.immediate(events);
  }

  /** Secret values masked in every string value (Redactor.value walks it; keys stay). */
  private mask<T>(v: T): T {
    return this.redactor?.active ? this.redactor.value(v) : v;
  }

  private maskOpt(s: string | undefined): string | null {
    return s === undefined ? null : this.mask(s);
  }

  startRun(run: NewRun, at: number): RunRecord {
    if (this.refusal) throw new LedgerError(this.refusal);
    // The random tail makes a clash unlikely; retry rather than fail a release on one.
    for (let attempt = 0; ; attempt++) {
      const runId = newRunId(at);
      try {
        const fields = {
          runId, runbook: run.runbook, name: run.name, branch: this.maskOpt(run.branch), commitSha: this.maskOpt(run.commitSha),
          backlogId: this.maskOpt(run.backlogId), releaseType: this.maskOpt(run.releaseType), startedAt: at,
        };
        const { branch, commitSha, backlogId, releaseType } = fields;
        this.stmt.insertRun.run(runId, run.runbook, run.name, branch, commitSha, backlogId, releaseType, at, this.maskOpt(run.note), sealRun(this.sealKey, fields));
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

  append(runId: string, operator: string, body: EventBody, at: number, opts?: { durable?: boolean; idempotencyKey?: string }): LedgerEvent {
    const [ev] = this.appendBatch([{ runId, operator, body, at, durable: !!opts?.durable, key: opts?.idempotencyKey ?? null }]);
    if (ev instanceof Error) throw ev;
    return ev;
  }

  /** Several events of one run in one transaction (consecutive seqs, all or none). */
  appendMany(runId: string, operator: string, bodies: readonly EventBody[], at: number, opts?: { durable?: boolean }): LedgerEvent[] {
    const durable = !!opts?.durable;
    const events = this.appendBatch(bodies.map((body) => ({ runId, operator, body, at, durable, key: null })));
    for (const ev of events) if (ev instanceof Error) throw ev;
    return events as LedgerEvent[];
  }

  /**
   * Events of any runs in one transaction, in order (the group commit's writer, append-group.ts):
   * for each, the event stored (or the one stored before under its key) or the error refusing it
   * alone. Durable when one of them asks to be. Throws when the transaction fails: none stored.
   */
  appendBatch(events: readonly NewEvent[]): Array<LedgerEvent | Error> {
    if (this.refusal) throw new LedgerError(this.refusal);
    const durable = events.some((e) => e.durable);
    // Inside atomically(): a savepoint in its transaction, made durable by its commit.
    if (this.outer) return this.joinOuter({ durable }, () => this.appendTx(events));
    return this.committed(durable, () => this.appendTx(events));
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

  /**
   * atomically() for a caller that awaits inside it (sqlite-store.ts): BEGIN IMMEDIATE now,
   * held until the returned end(commit) is called; appends meanwhile join it, as in atomically().
   * The caller keeps everything else off this connection until then.
   */
  beginHeld(opts?: { durable?: boolean }): (commit: boolean) => void {
    if (this.outer) throw new Error('a ledger transaction is already open on this connection');
    const durable = !!opts?.durable;
    this.commits++;
    if (durable) this.stmt.syncFull.run();
    try {
      this.db.exec('BEGIN IMMEDIATE');
    } catch (err) {
      if (durable) this.stmt.syncNormal.run();
      throw err;
    }
    this.outer = { durable };
    return (commit) => {
      this.outer = undefined;
      try {
        if (commit) this.db.exec('COMMIT');
      } finally {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        if (durable) this.stmt.syncNormal.run();
      }
      if (!commit) return;
      if (durable) this.keepHead();
      else this.headBehind = true;
    };
  }

  private joinOuter<T>(opts: { durable?: boolean } | undefined, fn: () => T): T {
    // SQLite cannot change synchronous inside a transaction: the outer one has to be durable.
    if (opts?.durable && !this.outer?.durable) throw new Error('a durable write inside a ledger transaction that is not durable');
    return fn();
  }

  /** Runs one top-level transaction; `durable`: its commit is fsynced. */
  private committed<T>(durable: boolean, tx: () => T): T {
    this.commits++;
    if (!durable) {
      const result = tx();
      this.headBehind = true;
      return result;
    }
    // In WAL mode synchronous=NORMAL fsyncs only at checkpoints: a commit survives a crash
    // of this process but not a power loss or kernel panic. An action intent must survive
    // both, or after a reboot the ledger would not show that a deploy/rollback may have
    // started. FULL fsyncs the WAL at this commit; only these writes pay for it.
    this.stmt.syncFull.run();
    let result: T;
    try {
      result = tx();
    } finally {
      this.stmt.syncNormal.run();
    }
    this.keepHead();
    return result;
  }

  /**
   * After each durable commit (action intents and outcomes, controls, a run's end): the chain's
   * head into the head file, so events cut off the end are found missing. The events are
   * committed already: a head that could not be written only lags (it still names an event
   * that exists), so that failure is not the append's.
   */
  private headBehind = false;

  private keepHead(): void {
    this.headBehind = false;
    if (!this.file) return;
    try {
      const last = this.stmt.lastEvent.get() as [number, string] | undefined;
      if (last) writeHead(this.file, this.sealKey, { id: last[0], hash: last[1].toLowerCase() });
    } catch {
      /* the head lags; verify still checks the chain itself */
    }
  }

  events(runId: string): LedgerEvent[] {
    return (this.stmt.events.all(runId) as EventRow[]).map(toEvent);
  }

  recentEvents(runId: string, limit: number): LedgerEvent[] {
    return (this.stmt.recentEvents.all(runId, limit) as EventRow[]).map(toEvent);
  }

  evidenceEvents(path?: string): LedgerEvent[] {
    return evidenceOf(this.stmt.evidence.all() as EventRow[], path);
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
    if (this.refusal) throw new LedgerError(this.refusal);
    const res = this.stmt.completeRun.run(status, at, this.maskOpt(note), status, at, runId);
    if (res.changes === 0) throw new LedgerError(`no run ${runId} in the ledger`);
  }

  close(): void {
    // The events since the last durable commit get the head too, as the ledger is let go.
    if (this.db.open && this.headBehind) this.keepHead();
    if (this.db.open) this.db.close();
  }

  /** Its file is no longer at its path (ledger-file.ts): no head file is written beside the path any more. */
  forgetFile(): void {
    this.file = undefined;
  }

  /** A copy of everything this connection sees, in a new file (its file was lost: ledger-file.ts). */
  saveCopy(to: string): void {
    // Private as the ledger itself (0600): made empty first, which VACUUM INTO accepts.
    closeSync(openSync(to, 'wx', 0o600));
    try {
      this.db.prepare('VACUUM INTO ?').run(to);
    } catch (err) {
      rmSync(to, { force: true });
      throw err;
    }
  }

  /** SQLite's data_version (commits by other connections) and this connection's own commits. */
  changeToken(): string {
    return `${this.stmt.dataVersion.get() as number}:${this.commits}`;
  }

  private commits = 0;

  /** Read-only queries for the release ledger screen, `ledger list/show/export` and reports. */
  browse(): LedgerQuery {
    return (this.query ??= new LedgerQuery(this.db));
  }

  private query?: LedgerQuery;
}
