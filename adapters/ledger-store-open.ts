// The ledger a session writes, by where it is: a postgres:// URL opens the team ledger on
// PostgreSQL (PgLedger), anything else a SQLite file (SqliteStore). Both behind LedgerStore;
// the PostgreSQL client loads only for a PostgreSQL ledger. SQLite's store is loaded with this
// module: the usual ledger, and its own lazy chunk would cost every start a module more.
import type { LedgerStore } from '../src/engine/ledger-store.js';
import { openSqliteStore } from './sqlite-store.js';
import type { Redactor } from '../src/runbook/secrets.js';
import { isPostgresLocation } from './ledger-path.js';

export interface StoreOptions {
  redactor?: Redactor;
  chainKey?: string;
}

export async function openLedgerStore(location: string, opts: StoreOptions = {}): Promise<LedgerStore> {
  if (isPostgresLocation(location)) return (await import('./pg-ledger.js')).openPgLedger(location, opts);
  return openSqliteStore(location, opts);
}
