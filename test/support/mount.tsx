// A real cockpit in ink-testing-library: real session, real SQLite ledger in a temp folder,
// the real keymap. `unmountAll` in afterEach closes whatever a test mounted.
import React from 'react';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { App } from '../../screens/App.js';
import { buildKeymap } from '../../src/keys/keymap.js';
import type { Runbook } from '../../src/runbook/model.js';
import { openLedger, type SqliteLedger } from '../../adapters/ledger.js';
import { SqliteStore } from '../../adapters/sqlite-store.js';
import type { LedgerStore } from '../../src/engine/ledger-store.js';
import { openSession, type Session, type SessionOptions } from '../../src/session/session.js';
import { strip } from './screen.js';

export interface Mounted {
  app: ReturnType<typeof render>;
  session: Session;
  ledger: SqliteLedger;
  ledgerPath: string;
  frame(): string;
}

/** A cockpit on a ledger store the caller opened (and closes): SQLite or PostgreSQL. */
export async function mountCockpitOn(runbook: Runbook, ledger: LedgerStore, ledgerPath: string, opts: Omit<SessionOptions, 'runbook' | 'ledger' | 'ledgerPath'> = {}): Promise<Omit<Mounted, 'ledger'>> {
  const session = await openSession({ runbook, ledger, ledgerPath, ...opts });
  const app = render(<App value={{ store: session.store, intents: session, keymap: buildKeymap(runbook) }} />);
  session.start();
  const m = { app, session, ledgerPath, frame: () => strip(app.lastFrame()) };
  others.push(m);
  return m;
}

const others: Array<Omit<Mounted, 'ledger'>> = [];

const mounted: Mounted[] = [];

export async function mountCockpit(runbook: Runbook, opts: Omit<SessionOptions, 'runbook' | 'ledger' | 'ledgerPath'> = {}): Promise<Mounted> {
  const ledgerPath = join(mkdtempSync(join(tmpdir(), 'oc-mount-')), 'l.db');
  const ledger = openLedger(ledgerPath);
  const session = await openSession({ runbook, ledger: new SqliteStore(ledger, ledgerPath), ledgerPath, ...opts });
  const app = render(<App value={{ store: session.store, intents: session, keymap: buildKeymap(runbook) }} />);
  session.start();
  const m: Mounted = { app, session, ledger, ledgerPath, frame: () => strip(app.lastFrame()) };
  mounted.push(m);
  return m;
}

export async function unmountAll(): Promise<void> {
  for (const m of mounted.splice(0)) {
    m.app.unmount();
    await m.session.stop();
    m.ledger.close();
  }
  for (const m of others.splice(0)) {
    m.app.unmount();
    await m.session.stop();
  }
}
