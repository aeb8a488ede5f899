// Builds a real session for screen and session tests: the demo runbook, the real fixture
// server on 127.0.0.1:0, a real SQLite ledger in a temp folder.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRunbook } from '../../src/runbook/load.js';
import { Redactor } from '../../src/runbook/secrets.js';
import { openLedger, type SqliteLedger } from '../../adapters/ledger.js';
import { startFixtureServer, type FixtureServer } from '../../fixtures/server.js';
import { clearFaults, setFault } from '../../adapters/fixture-control.js';
import { SqliteStore } from '../../adapters/sqlite-store.js';
import { openSession, type Session } from '../../src/session/session.js';
import { demoRunbookPath } from '../../src/cli/paths.js';
import type { Clock } from '../../src/engine/ports.js';
import { withControlScopes } from '../../src/engine/safety.js';

export interface DemoRig {
  server: FixtureServer;
  env: NodeJS.ProcessEnv;
  ledgerPath: string;
  ledger: SqliteLedger;
  session: Session;
  exited: boolean;
  reopen(): Promise<Session>;
  close(): Promise<void>;
}

export const DEMO_SECRET = 'tok-SECRET-4d1e9';

/** As `opscockpit demo` grants them: the demo's actions and relaxing its controls. */
const DEMO_SCOPES = withControlScopes('deploy:abort,deploy:rollback,deploy:promote');

export async function demoRig(opts: { clock?: Clock; ledgerPath?: string; runbookFile?: string; scopes?: string } = {}): Promise<DemoRig> {
  const server = await startFixtureServer({ port: 0, token: DEMO_SECRET });
  const env = { PATH: process.env.PATH, DEMO_TOKEN: DEMO_SECRET, OPSCOCKPIT_DEMO_URL: server.url, OPSCOCKPIT_OPERATOR: 'tester', OPSCOCKPIT_ALLOW_SCOPES: opts.scopes ?? DEMO_SCOPES };
  const ledgerPath = opts.ledgerPath ?? join(mkdtempSync(join(tmpdir(), 'oc-rig-')), 'ledger.db');
  const runbook = loadRunbook(opts.runbookFile ?? demoRunbookPath(), env);
  let ledger = openLedger(ledgerPath, { redactor: new Redactor(runbook.secrets, env) });
  const make = () =>
    openSession({
      runbook,
      ledger: new SqliteStore(ledger, ledgerPath),
      ledgerPath,
      env,
      clock: opts.clock,
      demo: { fixtureUrl: server.url, toggleFault: (on) => (on ? setFault(server.url, { route: '/readyz', status: 503 }) : clearFaults(server.url)) },
      onExit: () => {
        rig.exited = true;
      },
    });
  const rig: DemoRig = {
    server,
    env,
    ledgerPath,
    ledger,
    session: undefined as unknown as Session,
    exited: false,
    async reopen() {
      await rig.session.stop();
      ledger.close();
      ledger = openLedger(ledgerPath, { redactor: new Redactor(runbook.secrets, env) });
      rig.ledger = ledger;
      rig.session = await make();
      return rig.session;
    },
    async close() {
      await rig.session.stop();
      ledger.close();
      await server.close();
    },
  };
  rig.session = await make();
  return rig;
}

export async function waitFor<T>(probe: () => T | undefined | false, what: string, timeoutMs = 8000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
