// Opening a ledger only to read it, whichever backend holds it: a SQLite file (read-only,
// nothing migrated) or a PostgreSQL ledger, both read through the same asynchronous browser.
import type { AsyncLedgerBrowser } from '../src/engine/ledger-filter.js';
import { openLedger } from './ledger.js';
import { asyncBrowser } from './ledger-query.js';
import { isPostgresLocation } from './ledger-path.js';

export interface LedgerReader {
  /** A file path, or `postgres://user@host:port/db` (no password): for output and messages. */
  location: string;
  browser: AsyncLedgerBrowser;
  close(): Promise<void>;
}

/** `location`: a ledger file's path (it must exist) or a postgres:// URL. */
export async function openLedgerReader(location: string, chainKey: string | undefined): Promise<LedgerReader> {
  if (isPostgresLocation(location)) {
    const { openPgLedger } = await import('./pg-ledger.js');
    const ledger = await openPgLedger(location, { chainKey, poolSize: 2 });
    return { location: ledger.location, browser: ledger.browse(), close: () => ledger.close() };
  }
  const ledger = openLedger(location, { chainKey, readOnly: true });
  return { location, browser: asyncBrowser(ledger.browse()), close: async () => ledger.close() };
}

/** Every item of an asynchronous stream (Array.fromAsync arrives in Node 22). */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
