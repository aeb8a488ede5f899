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

/** A --ledger value that is not a file path: the operator reads it as one line. */
export class LedgerLocationError extends Error {}

/** The ledger a command means: --ledger, else the one beside --runbook's file, else .opscockpit/ledger.db here. */
export function chosenLedgerPath(opts: { ledger?: unknown; runbook?: unknown }): string {
  if (typeof opts.ledger === 'string') {
    // A URL would otherwise become a folder named after its scheme ("postgres:").
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(opts.ledger);
    if (scheme) throw new LedgerLocationError(`--ledger ${scheme[1]}://… is a URL: this version keeps the ledger in a SQLite file; give its path (e.g. --ledger ./ops/ledger.db)`);
    return resolve(opts.ledger);
  }
  if (typeof opts.runbook === 'string') return defaultLedgerPath(opts.runbook);
  return resolve('.opscockpit', 'ledger.db');
}
