// The ledger a session writes, by where it is: a postgres:// URL opens the team ledger on
// PostgreSQL (PgLedger), anything else a SQLite file (SqliteStore). Both behind LedgerStore;
// the PostgreSQL client loads only for a PostgreSQL ledger.
import type { LedgerStore } from '../src/engine/ledger-store.js';
import type { Redactor } from '../src/runbook/secrets.js';
import { isPostgresLocation } from './ledger-path.js';

export interface StoreOptions {
  redactor?: Redactor;
  chainKey?: string;
}

export async function openLedgerStore(location: string, opts: StoreOptions = {}): Promise<LedgerStore> {
  if (isPostgresLocation(location)) return (await import('./pg-ledger.js')).openPgLedger(location, opts);
  return (await import('./sqlite-store.js')).openSqliteStore(location, opts);
}
