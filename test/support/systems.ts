// A seed's fixture system for tests: a fresh home folder, the fixture server with the system's
// routes on 127.0.0.1:0, the runbook, a ledger path, and the built binary run against them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFixtureServer, type FixtureServer } from '../../fixtures/server.js';
import { systemNamed } from '../../fixtures/systems/index.js';
import { openLedger } from '../../adapters/ledger.js';
import type { EventBody } from '../../src/engine/types.js';
import { cli, root, type CliResult } from './cli.js';

export interface SystemRig {
  home: string;
  server: FixtureServer;
  url: string;
  runbook: string;
  ledger: string;
  /** The environment every command of this rig gets (plus the operator's identity). */
  env(operator?: string, extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  oc(args: string[], operator?: string, extra?: NodeJS.ProcessEnv): Promise<CliResult>;
  /** Every event of every run, oldest first, with the run it belongs to. */
  events(): (EventBody & { runId: string; operator: string; seq: number })[];
  runs(): { runId: string; status: string; runbook: string }[];
  /** Run at close, newest first, before the server stops (a session's stop and its ledger's close). */
  own(cleanup: () => void): void;
  /** Runs what it owns, stops the server and removes the home folder. */
  close(): Promise<void>;
}

export async function systemRig(
  name: string,
  opts: { prepare?: (home: string) => void | Promise<void>; env?: NodeJS.ProcessEnv; token?: string } = {},
): Promise<SystemRig> {
  const system = systemNamed(name);
  if (!system) throw new Error(`no fixture system ${name}`);
  const home = mkdtempSync(join(tmpdir(), `oc-${name}-`));
  await (opts.prepare ?? system.prepare)(home);
  const server = await startFixtureServer({ port: 0, token: opts.token, system: system.routes?.(home), onRequest: system.observe?.(home), selfTraffic: system.selfTraffic });
  const ledger = join(home, 'ledger.db');
  const cleanups: (() => void)[] = [];
  // Once per rig: some systems make up keys and tokens, and every command must see the same.
  const systemEnv = system.env?.(home) ?? {};
  const env = (operator = 'alice', extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    OPSCOCKPIT_FIXTURE_HOME: home,
    OPSCOCKPIT_DEMO_URL: server.url,
    // As the demo grants them: the system's own scopes (its runbooks check they are minimal).
    OPSCOCKPIT_ALLOW_SCOPES: system.scopes,
    OPSCOCKPIT_OPERATOR: operator,
    ...systemEnv,
    ...opts.env,
    ...extra,
  });
  const read = <T>(fn: (l: ReturnType<typeof openLedger>) => T): T => {
    const l = openLedger(ledger);
    try {
      return fn(l);
    } finally {
      l.close();
    }
  };
  return {
    home,
    server,
    url: server.url,
    runbook: join(root, system.runbook),
    ledger,
    env,
    oc: (args, operator, extra) => cli([...args, '--ledger', ledger], { env: env(operator, extra), timeoutMs: 60_000 }),
    events: () =>
      read((l) =>
        l
          .listRuns(1000)
          .reverse()
          .flatMap((r) => l.events(r.runId).map((e) => ({ ...e.body, runId: r.runId, operator: e.operator, seq: e.seq }))),
      ),
    runs: () => read((l) => l.listRuns(1000).map((r) => ({ runId: r.runId, status: r.status, runbook: r.runbook }))),
    own: (cleanup) => void cleanups.push(cleanup),
    async close() {
      // Every step runs even when one before it throws; the first error is thrown at the end.
      const errors: unknown[] = [];
      for (const cleanup of cleanups.splice(0).reverse()) {
        try {
          cleanup();
        } catch (err) {
          errors.push(err);
        }
      }
      await server.close().catch((err: unknown) => void errors.push(err));
      rmSync(home, { recursive: true, force: true, maxRetries: 3 });
      if (errors.length) throw errors[0];
    },
  };
}

/** A cockpit session (no screens) on a system rig: its runbook, a real ledger, the given env. */
export async function systemSession(
  rig: SystemRig,
  env: NodeJS.ProcessEnv,
  clock?: import('../../src/engine/ports.js').Clock,
): Promise<{ session: import('../../src/session/session.js').Session; ledger: import('../../adapters/ledger.js').SqliteLedger }> {
  const { loadRunbook } = await import('../../src/runbook/load.js');
  const { Redactor } = await import('../../src/runbook/secrets.js');
  const { openSession } = await import('../../src/session/session.js');
  const { SqliteStore } = await import('../../adapters/sqlite-store.js');
  const runbook = loadRunbook(rig.runbook, env);
  const ledger = openLedger(rig.ledger, { redactor: new Redactor(runbook.secrets, env) });
  const session = await openSession({ runbook, ledger: new SqliteStore(ledger, rig.ledger), ledgerPath: rig.ledger, env, clock });
  rig.own(() => {
    void session.stop();
    ledger.close();
  });
  return { session, ledger };
}
