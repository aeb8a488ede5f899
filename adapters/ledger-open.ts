// Opening a ledger file: the connection's pragmas, the migrations, and errors that tell the
// operator what is wrong with the file or its folder and what to do.
import Database from 'better-sqlite3';
import { accessSync, closeSync, constants, mkdirSync, openSync, readFileSync, readSync, statSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Redactor } from '../src/runbook/secrets.js';
import { MIGRATIONS } from './ledger-migrations.js';
import { PRIVATE } from './ledger-path.js';
import { LedgerError, NotALedgerError } from './ledger-errors.js';

export { LedgerError, NotALedgerError } from './ledger-errors.js';
export { appendRefusal, chainKeyFrom } from './ledger-key.js';

/** Options for opening a ledger. */
export interface LedgerOptions {
  redactor?: Redactor;
  /**
   * OPSCOCKPIT_LEDGER_KEY: a new ledger (or one upgraded from v1) gets a keyed chain; a keyed
   * ledger refuses appends without its key. Never stored.
   */
  chainKey?: string;
  /** Only to read (list, show, export): opened read-only, nothing created or migrated. */
  readOnly?: boolean;
}

/** The connection under a ledger: pragmas set, migrations applied (v1 ledgers get their chain). */
export function openLedgerDatabase(path: string, opts: LedgerOptions = {}): Database.Database {
  const file = resolve(path);
  let db: Database.Database | undefined;
  try {
    mkdirSync(dirname(file), { recursive: true, mode: PRIVATE.dir });
    createPrivate(file);
    // A file it may not read, SQLite reports only as "unable to open". One it may read but not
    // write it opens read-only without a word: reading works (watch), and the first write is
    // refused (SQLITE_READONLY; said by cli/report-error.ts).
    accessSync(file, constants.R_OK);
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

/** A new ledger file is created owner-only before SQLite opens it (an existing one keeps its mode). */
function createPrivate(file: string): void {
  try {
    closeSync(openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, PRIVATE.file));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

function explainOpenError(file: string, err: unknown): string {
  const e = err as { code?: string; message?: string };
  const code = e.code ?? '';
  // A folder given where the ledger's file goes: SQLite says only that it cannot open it.
  if (isDirectory(file)) return folderGiven(file);
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT')
    return `cannot open ledger ${file}: the file is not an opscockpit ledger (SQLite database). Move it aside or choose another ledger location.`;
  if (code.startsWith('SQLITE_READONLY'))
    return `cannot open ledger ${file}: you may not write the file or its folder (${e.message}). Check their permissions (ls -l) or choose another ledger location.`;
  if ((code === 'EACCES' || code === 'EPERM') && (e as { syscall?: string }).syscall === 'access')
    return `cannot open ledger ${file}: you may not read the file (${e.message}). Check its permissions (ls -l) or choose another ledger location.`;
  if (['EACCES', 'EPERM', 'EROFS', 'SQLITE_CANTOPEN', 'SQLITE_PERM'].includes(code))
    return `cannot open ledger ${file}: the location is not writable (${e.message}). Check the folder's permissions or choose another ledger location.`;
  if (code === 'ENOTDIR' || code === 'EEXIST')
    return `cannot open ledger ${file}: a file is in the way of its folder (${e.message}). Remove it or choose another ledger location.`;
  return `cannot open ledger ${file}: ${e.message ?? String(err)}. Check the path or choose another ledger location.`;
}

const folderGiven = (file: string) => `cannot open ledger ${file}: it is a folder; a ledger is a file (e.g. ${join(file, 'ledger.db')}).`;

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
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

const SQLITE_HEADER = 'SQLite format 3\0';

/**
 * A ledger opened only to read it (verify, list, show, export): read-only, so read-only media
 * and a read-only file work, nothing is migrated or created, and a file that is not a ledger
 * (empty, not SQLite, no runs and events tables, damaged) is said to be so.
 */
export function openLedgerForReading(path: string): Database.Database {
  const file = resolve(path);
  const notALedger = (why: string, cause?: unknown) => new NotALedgerError(`${file} is not an opscockpit ledger: ${why}`, { cause });
  let stat: Stats;
  try {
    stat = statSync(file);
  } catch (err) {
    throw new LedgerError(`no ledger at ${file}: ${(err as NodeJS.ErrnoException).code ?? err}. Check the path (--ledger PATH or --runbook FILE).`, { cause: err });
  }
  if (stat.isDirectory()) throw new LedgerError(folderGiven(file));
  if (stat.size === 0) throw notALedger('the file is empty');
  const head = Buffer.alloc(16);
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new LedgerError(`cannot read ledger ${file}: ${(err as Error).message}. Check its permissions (ls -l) or choose another ledger location.`, { cause: err });
  }
  try {
    readSync(fd, head, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  if (head.toString('latin1') !== SQLITE_HEADER) throw notALedger('it is not an SQLite database');
  let db: Database.Database | undefined;
  try {
    db = openReadOnly(file);
    db.pragma('busy_timeout = 5000');
    const tables = new Set(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[]);
    if (!tables.has('runs') || !tables.has('events')) throw notALedger('it has no runs and events tables');
    return db;
  } catch (err) {
    db?.close();
    if (err instanceof NotALedgerError) throw err;
    const code = (err as { code?: string }).code ?? '';
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') throw notALedger(`the database is damaged (${(err as Error).message})`, err);
    if (code === 'SQLITE_READONLY_DIRECTORY')
      throw new LedgerError(`cannot read ledger ${file}: SQLite must make its shared-memory file (${file}-shm) beside it, and you may not write in its folder. Copy the ledger where you may write, or ask its owner to leave the file there.`, { cause: err });
    throw new LedgerError(`cannot read ledger ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Read-only. A ledger is in WAL mode, and SQLite cannot open one where it may not create the
 * -shm file beside it (read-only media): there, a ledger closed cleanly (no -wal left) is read
 * from a copy in memory, marked as an ordinary journal so SQLite takes it.
 */
function openReadOnly(file: string): Database.Database {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    db.prepare('SELECT COUNT(*) FROM sqlite_master').get(); // SQLite opens the WAL index here
    return db;
  } catch (err) {
    db?.close();
    if ((err as { code?: string }).code !== 'SQLITE_CANTOPEN') throw err;
    let wal = 0;
    try {
      wal = statSync(`${file}-wal`).size;
    } catch {
      /* no -wal: closed cleanly */
    }
    if (wal > 0) throw new LedgerError(`cannot read ledger ${file}: it was not closed cleanly and its folder is read-only (its -wal file cannot be applied); copy the folder somewhere writable and verify the copy`, { cause: err });
    const bytes = readFileSync(file);
    bytes[18] = 1; // file format write and read versions: 1 (rollback journal) instead of 2 (WAL)
    bytes[19] = 1;
    return new Database(bytes, { readonly: true });
  }
}
