// Opening a ledger file: the connection's pragmas, the migrations, and errors that tell the
// operator what is wrong with the file or its folder and what to do.
import Database from 'better-sqlite3';
import { closeSync, constants, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Redactor } from '../src/runbook/secrets.js';
import { keyCheck } from './ledger-chain.js';
import { MIGRATIONS, type ChainSettings } from './ledger-migrations.js';
import { PRIVATE } from './ledger-path.js';

/** A ledger problem the operator can act on; `.message` is printed as is. */
export class LedgerError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LedgerError';
  }
}

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

/** Why this process may not extend the chain (keyed ledger, no or wrong key), if it may not. */
export function appendRefusal(file: string, chain: ChainSettings, key: string | undefined): string | undefined {
  if (chain.algorithm !== 'hmac-sha256') return undefined;
  if (key === undefined)
    return `ledger ${file} is sealed with a key: set OPSCOCKPIT_LEDGER_KEY to that key to record events in it.`;
  if (keyCheck(key) !== chain.keyCheck)
    return `OPSCOCKPIT_LEDGER_KEY is not the key ledger ${file} is sealed with: set the right key to record events in it.`;
  return undefined;
}

/** The connection under a ledger: pragmas set, migrations applied (v1 ledgers get their chain). */
export function openLedgerDatabase(path: string, opts: LedgerOptions = {}): Database.Database {
  const file = resolve(path);
  let db: Database.Database | undefined;
  try {
    mkdirSync(dirname(file), { recursive: true, mode: PRIVATE.dir });
    createPrivate(file);
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
