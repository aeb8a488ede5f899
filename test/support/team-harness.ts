// What a test of several cockpits on one ledger sets up: a fresh PostgreSQL ledger database
// (its URLs by login, made once per file) and the sessions and stores the test opens, stopped
// and closed after each test, whatever it asserted.
import { afterEach, beforeAll, inject } from 'vitest';
import type { LedgerStore } from '../../src/engine/ledger-store.js';
import type { Session } from '../../src/session/session.js';
import { pgLedgerDatabase } from './ledger-stores.js';
import type { PgLogin } from './postgres.js';

export interface TeamHarness {
  /** Stopped after each test. */
  sessions: Session[];
  /** Closed after each test, after the sessions. */
  stores: LedgerStore[];
  /** The ledger database's URL for each login (available once the file's tests run). */
  urls: Record<PgLogin, string>;
}

export function teamHarness(): TeamHarness {
  const h: TeamHarness = { sessions: [], stores: [], urls: {} as Record<PgLogin, string> };
  beforeAll(async () => {
    h.urls = await pgLedgerDatabase(inject('postgres'));
  });
  afterEach(async () => {
    for (const s of h.sessions.splice(0)) await s.stop();
    for (const l of h.stores.splice(0)) await l.close();
  });
  return h;
}
