// Once per test run: a real PostgreSQL server for the team ledger tests (test/support/postgres.ts),
// handed to the tests with vitest's provide/inject; at the end it is stopped and the run's own
// temporary folder (made in vitest.config.ts) is removed.
import { rmSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { startPostgres, type PgServer, type RunningPostgres } from './postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgres: PgServer;
  }
}

let postgres: RunningPostgres | undefined;

export async function setup(project: TestProject): Promise<void> {
  try {
    postgres = await startPostgres();
  } catch (err) {
    // One line, without the setup's stack.
    const e = new Error(`test PostgreSQL: ${(err as Error).message}`);
    e.stack = e.message;
    throw e;
  }
  project.provide('postgres', postgres.server);
}

export async function teardown(): Promise<void> {
  await postgres?.stop();
  postgres = undefined;
  const dir = process.env.OPSCOCKPIT_TEST_TMP;
  if (dir) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}
