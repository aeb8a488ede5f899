// The two ledger backends as the contract suite (test/ledger-contract.test.ts) sees them: a
// fresh ledger, a second connection to it, concurrent writers elsewhere, and verify.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { build } from 'esbuild';
import pg from 'pg';
import type { LedgerStore } from '../../src/engine/ledger-store.js';
import type { LedgerVerification } from '../../adapters/ledger-verify.js';
import { verifyLedger } from '../../adapters/ledger-verify.js';
import { openSqliteStore } from '../../adapters/sqlite-store.js';
import { openPgLedger } from '../../adapters/pg-ledger.js';
import { verifyPgLedger } from '../../adapters/pg-verify.js';
import { initSchema, OPERATOR_ROLE } from '../../adapters/pg-schema.js';
import { OPERATORS, pgUrl, type PgLogin, type PgServer } from './postgres.js';

export interface LedgerUnderTest {
  /** The first connection (on PostgreSQL, as alice). */
  open(): Promise<LedgerStore>;
  /** Another connection to the same ledger (on PostgreSQL, as bob). */
  another(): Promise<LedgerStore>;
  /** `writers` writers, each on a connection (SQLite: a process) of its own, each appending `count` events to `runId`. */
  writeConcurrently(runId: string, writers: number, count: number): Promise<void>;
  verify(): Promise<LedgerVerification>;
}

const root = join(import.meta.dirname, '..', '..');

/** A new database holding a ledger set up by admin, with alice, bob and carol in the operator role. */
export async function pgLedgerDatabase(server: PgServer): Promise<Record<PgLogin, string>> {
  const database = `ledger_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: pgUrl(server, 'admin') });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  const owner = new pg.Client({ connectionString: pgUrl(server, 'admin', database) });
  await owner.connect();
  await initSchema(owner, undefined);
  await owner.query(`GRANT ${OPERATOR_ROLE} TO ${OPERATORS.join(', ')}`);
  await owner.end();
  return Object.fromEntries((['postgres', 'admin', ...OPERATORS] as const).map((l) => [l, pgUrl(server, l, database)])) as Record<PgLogin, string>;
}

export async function postgresLedger(server: PgServer): Promise<LedgerUnderTest & { urls: Record<PgLogin, string> }> {
  const urls = await pgLedgerDatabase(server);
  return {
    urls,
    open: () => openPgLedger(urls.alice),
    another: () => openPgLedger(urls.bob),
    async writeConcurrently(runId, writers, count) {
      const logins = ['alice', 'bob', 'carol'] as const;
      const stores = await Promise.all(Array.from({ length: writers }, (_, w) => openPgLedger(urls[logins[w % 3]], { poolSize: 1 })));
      await Promise.all(stores.map(async (s, w) => {
        for (let i = 0; i < count; i++) await s.append(runId, `w${w}`, { kind: 'step.note', phase: 'postflight', step: 's', note: `w${w} ${i}` }, Date.now());
      }));
      await Promise.all(stores.map((s) => s.close()));
    },
    verify: () => verifyPgLedger(urls.admin),
  };
}

let bundle: Promise<string> | undefined;

/** adapters/sqlite-store.ts bundled for writer processes (plain node cannot import TypeScript). */
function storeBundle(): Promise<string> {
  const out = join(root, 'node_modules', '.cache', 'opscockpit-test', `sqlite-store-${process.pid}.mjs`);
  bundle ??= build({ entryPoints: [join(root, 'adapters', 'sqlite-store.ts')], bundle: true, platform: 'node', format: 'esm', external: ['better-sqlite3'], outfile: out, logLevel: 'silent' }).then(() => out);
  return bundle;
}

const WRITER = `
const [bundle, file, runId, count, name] = process.argv.slice(1);
const { openSqliteStore } = await import(bundle);
const store = openSqliteStore(file);
for (let i = 0; i < Number(count); i++) {
  await store.append(runId, name, { kind: 'step.note', phase: 'postflight', step: 's', note: name + ' ' + i }, Date.now(), { durable: i % 25 === 0 });
  if (i % 10 === 9) await new Promise((r) => setTimeout(r, 1));
}
await store.close();`;

export function sqliteLedger(): LedgerUnderTest & { file: string } {
  const file = join(mkdtempSync(join(tmpdir(), 'store-')), 'ledger.db');
  return {
    file,
    open: async () => openSqliteStore(file),
    another: async () => openSqliteStore(file),
    async writeConcurrently(runId, writers, count) {
      const b = await storeBundle();
      const runs = Array.from({ length: writers }, (_, w) => new Promise<void>((ok, fail) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', WRITER, b, file, runId, String(count), `w${w}`], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
        let err = '';
        child.stderr.on('data', (d) => (err += d));
        child.on('close', (code) => (code === 0 ? ok() : fail(new Error(`writer w${w} exited ${code}: ${err}`))));
      }));
      await Promise.all(runs);
    },
    verify: async () => verifyLedger(file),
  };
}
