// Where a command's ledger is, apart from the ledger itself so that commands that only need
// the path (stage) do not load SQLite.
import { dirname, join, resolve } from 'node:path';

/**
 * Modes of what opscockpit creates for a ledger: its folder (.opscockpit/), the ledger file
 * (SQLite gives its -wal and -shm files the same mode) and the stage file. Only their owner
 * reads them: they hold who did what, and when.
 */
export const PRIVATE = { file: 0o600, dir: 0o700 } as const;

/** The ledger beside a runbook: .opscockpit/ledger.db in the runbook's folder. */
export function defaultLedgerPath(runbookFile: string): string {
  return join(dirname(resolve(runbookFile)), '.opscockpit', 'ledger.db');
}

/** A --ledger value this command cannot use; `exitCode` 2 for a ledger it does not support yet. */
export class LedgerLocationError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

/** Is this --ledger / OPSCOCKPIT_LEDGER value a PostgreSQL ledger? */
export const isPostgresLocation = (location: string): boolean => /^postgres(ql)?:\/\//i.test(location);

/** OPSCOCKPIT_LEDGER when it names a PostgreSQL ledger (a file path there is the one scripts get). */
export const postgresFromEnv = (env: NodeJS.ProcessEnv) => (isPostgresLocation(env.OPSCOCKPIT_LEDGER ?? '') ? env.OPSCOCKPIT_LEDGER : undefined);

/**
 * The ledger a command that takes either backend means: --ledger (a file or a postgres:// URL),
 * else OPSCOCKPIT_LEDGER when it is a postgres:// URL (a file path there is what the cockpit
 * gives its scripts), else the file chosenLedgerPath picks.
 */
export function chosenLedgerLocation(opts: { ledger?: unknown; runbook?: unknown }, env: NodeJS.ProcessEnv): string {
  if (typeof opts.ledger === 'string' && isPostgresLocation(opts.ledger)) return opts.ledger;
  if (opts.ledger === undefined) {
    const fromEnv = postgresFromEnv(env);
    if (fromEnv) return fromEnv;
  }
  return chosenLedgerPath(opts);
}

/** `scheme://user:password@` anywhere in a text: $1 is `scheme://user`, what may be shown. */
const PASSWORD_IN_URL = /([a-z][a-z0-9+.-]*:\/\/[^/@:\s]*):[^@/\s]*@/gi;

/** A postgres:// URL as it may be shown: without its password. */
export const withoutPassword = (url: string) => url.replace(PASSWORD_IN_URL, '$1@');

/** A text with each URL's password written `***` (`postgres://bob:***@db/ops`): what `ps` may show. */
export const passwordsMasked = (text: string) => text.replace(PASSWORD_IN_URL, '$1:***@');

/** The ledger a command means: --ledger, else the one beside --runbook's file, else .opscockpit/ledger.db here. */
export function chosenLedgerPath(opts: { ledger?: unknown; runbook?: unknown }): string {
  if (typeof opts.ledger === 'string') {
    // A URL would otherwise become a folder named after its scheme ("postgres:").
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(opts.ledger);
    if (scheme && /^postgres(ql)?$/i.test(scheme[1]))
      throw new LedgerLocationError(`a PostgreSQL ledger (${withoutPassword(opts.ledger)}) is not supported by this command yet: open, run, check, act, stop, mode, window, ledger init|verify|list|show|export|migrate, report and stage take one; give a SQLite ledger file here (--ledger ./ops/ledger.db)`, 2);
    if (scheme) throw new LedgerLocationError(`--ledger ${scheme[1]}://… is a URL: give a ledger file's path (e.g. --ledger ./ops/ledger.db) or a postgres:// URL`);
    return resolve(opts.ledger);
  }
  if (typeof opts.runbook === 'string') return defaultLedgerPath(opts.runbook);
  return resolve('.opscockpit', 'ledger.db');
}
