// What a test of several cockpits on one ledger sets up: a fresh PostgreSQL ledger database
// (its URLs by login, made once per file) and the sessions and stores the test opens, stopped
// and closed after each test, whatever it asserted; and a cockpit's session joining a run.
import { afterEach, beforeAll, inject } from 'vitest';
import type { LedgerStore } from '../../src/engine/ledger-store.js';
import { loadRunbookFile } from '../../src/runbook/load.js';
import { withParamValues } from '../../src/runbook/params.js';
import { openSession, type Session } from '../../src/session/session.js';
import { pgLedgerDatabase } from './ledger-stores.js';
import type { PgLogin } from './postgres.js';

export interface TeamHarness {
  /** Stopped after each test. */
  sessions: Session[];
  /** Closed after each test, after the sessions. */
  stores: LedgerStore[];
  /** The ledger database's URL for each login (available once the file's tests run). */
  urls: Record<PgLogin, string>;
  /** A cockpit's session on the runbook file, joining its run (or starting it) with `values` for its parameters; stopped after the test. */
  join(file: string, store: LedgerStore, location: string, env: NodeJS.ProcessEnv, reason: string, values?: Record<string, string>): Promise<Session>;
}

export function teamHarness(): TeamHarness {
  const h: TeamHarness = {
    sessions: [],
    stores: [],
    urls: {} as Record<PgLogin, string>,
    async join(file, store, location, env, reason, values = {}) {
      const runbook = await loadRunbookFile(file, env, values);
      const session = await openSession({ runbook, ledger: store, ledgerPath: location, env: withParamValues(runbook.params, env), seat: 'join', reason });
      h.sessions.push(session);
      return session;
    },
  };
  beforeAll(async () => {
    h.urls = await pgLedgerDatabase(inject('postgres'));
  });
  afterEach(async () => {
    for (const s of h.sessions.splice(0)) await s.stop();
    for (const l of h.stores.splice(0)) await l.close();
  });
  return h;
}
