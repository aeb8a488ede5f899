// Every operator-facing error as one clear block for stderr; stack traces only with
// OPSCOCKPIT_DEBUG=1. Shared by the bundle's entries (entry.ts, harvest-entry.ts).
import { UsageError, isOperatorError } from './errors.js';
import { commandHelp } from './usage.js';

export function describeError(err: unknown): string {
  if (err instanceof UsageError) {
    const usage = err.command ? commandHelp(err.command)?.split('\n')[0] : undefined;
    return `opscockpit: ${err.message}\n${usage ?? 'Run "opscockpit --help" for usage.'}`;
  }
  if (isOperatorError(err)) return typeof err.format === 'function' ? err.format() : `opscockpit: ${err.message}`;
  const code = (err as { code?: unknown })?.code;
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') {
    return `opscockpit: the ledger file is damaged (SQLite: ${(err as Error).message}); nothing more was written to it.\nRun "opscockpit ledger verify" on it, and restore the ledger from a copy or start a new one with --ledger PATH.`;
  }
  // SQLite opened the ledger read-only because this user may read it but not write it: any
  // write (a run's row, an event) is refused here, before anything is recorded.
  if (typeof code === 'string' && code.startsWith('SQLITE_READONLY')) {
    return `opscockpit: cannot write the ledger: you may not write its file or folder (SQLite: ${(err as Error).message}); nothing was recorded.\nCheck their permissions (ls -l), or give a ledger you may write with --ledger PATH.`;
  }
  const detail = process.env.OPSCOCKPIT_DEBUG && err instanceof Error ? `\n${err.stack}` : '';
  return `opscockpit: internal error: ${err instanceof Error ? err.message : String(err)}${detail}\nSet OPSCOCKPIT_DEBUG=1 for details; nothing recorded in the ledger is lost.`;
}
