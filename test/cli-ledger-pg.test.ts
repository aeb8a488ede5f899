// The ledger commands on a PostgreSQL ledger, through the built binary and the real server the
// test setup starts: init (idempotent), verify (intact, broken, by libpq conventions), an
// unreachable server, and the commands that do not take a PostgreSQL ledger yet.
import { PG_MIGRATIONS } from '../adapters/pg-schema.js';
import { describe, expect, inject, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { cli } from './support/cli.js';
import { pgUrl } from './support/postgres.js';
import { openPgLedger } from '../adapters/pg-ledger.js';

async function newDatabase(): Promise<string> {
  const server = inject('postgres');
  const name = `cli_${Math.random().toString(36).slice(2, 10)}`;
  const c = new pg.Client({ connectionString: pgUrl(server, 'admin') });
  await c.connect();
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  return name;
}

async function sql(url: string, text: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query(text);
  await c.end();
}

describe('opscockpit ledger init and verify on PostgreSQL', () => {
  it('init sets the ledger up once; verify says intact, then names the event an owner edited', async () => {
    const server = inject('postgres');
    const db = await newDatabase();
    const admin = pgUrl(server, 'admin', db);
    const first = await cli(['ledger', 'init', '--ledger', admin]);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    // Every version of the schema, applied in order on a new database.
    const versions = PG_MIGRATIONS.map((_, i) => `v${i + 1}`);
    expect(first.stdout).toContain(`ledger postgres://admin@127.0.0.1:${server.port}/${db}: ready (PostgreSQL, schema ${versions.at(-1)}, applied now: ${versions.join(', ')})`);
    expect(first.stdout).toContain('GRANT opscockpit_operator TO alice;');
    expect(first.stdout).not.toContain(server.passwords.admin);
    const again = await cli(['ledger', 'init', '--ledger', admin]);
    expect(again.stdout).toContain('already current');
    await sql(admin, 'GRANT opscockpit_operator TO alice, bob');

    const alice = await openPgLedger(pgUrl(server, 'alice', db));
    const run = await alice.startRun({ runbook: '/ops/r.yaml', name: 'r' }, 1000);
    for (const n of ['a', 'b', 'c']) await alice.append(run.runId, 'Alice A.', { kind: 'step.note', phase: 'postflight', step: 's', note: n }, 1000);
    await alice.close();

    // bob, by libpq's variables: no password in the URL, PGPASSWORD instead.
    const bobUrl = `postgres://bob@127.0.0.1:${server.port}/${db}`;
    const ok = await cli(['ledger', 'verify'], { env: { OPSCOCKPIT_LEDGER: bobUrl, PGPASSWORD: server.passwords.bob } });
    expect(ok).toMatchObject({ code: 0, stderr: '' });
    expect(ok.stdout).toBe(`ledger postgres://bob@127.0.0.1:${server.port}/${db}: intact — 3 events in one SHA-256 chain, run statuses match their events\n`);

    // bob again, by ~/.pgpass.
    const home = mkdtempSync(join(tmpdir(), 'pgpass-'));
    writeFileSync(join(home, '.pgpass'), `127.0.0.1:${server.port}:${db}:bob:${server.passwords.bob}\n`, { mode: 0o600 });
    const viaPgpass = await cli(['ledger', 'verify', '--ledger', bobUrl], { env: { HOME: home } });
    expect(viaPgpass).toMatchObject({ code: 0, stderr: '' });

    await sql(admin, `UPDATE opscockpit.events SET payload = replace(payload, '"b"', '"B"') WHERE seq = 2`);
    const broken = await cli(['ledger', 'verify', '--ledger', pgUrl(server, 'alice', db)]);
    expect(broken.code).toBe(2);
    expect(broken.stdout).toContain(`broken at event #2 (run ${run.runId}, seq 2): content does not match its hash`);
    expect(broken.stdout + broken.stderr).not.toContain(server.passwords.alice);
  });

  it('an operator cannot init; a ledger not set up says to run init', async () => {
    const server = inject('postgres');
    const db = await newDatabase();
    const r = await cli(['ledger', 'verify', '--ledger', pgUrl(server, 'alice', db)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('holds no opscockpit ledger yet: set it up once with "opscockpit ledger init');
    const init = await cli(['ledger', 'init', '--ledger', pgUrl(server, 'alice', db)]);
    expect(init.code).toBe(1);
    expect(init.stderr).toMatch(/^opscockpit: cannot set up the ledger postgres:\/\/alice@.*permission denied/);
    expect(init.stderr).not.toMatch(/\n\s+at /);
  });

  it('PostgreSQL unreachable: one screen with host, port, cause and what to check; exit 1', async () => {
    const server = inject('postgres');
    const { createServer } = await import('node:net');
    const port = await new Promise<number>((ok) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => ok(p));
      });
    });
    const r = await cli(['ledger', 'verify', '--ledger', `postgres://alice:${server.passwords.alice}@127.0.0.1:${port}/ops`]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `opscockpit: cannot reach the PostgreSQL ledger postgres://alice@127.0.0.1:${port}/ops\n` +
        `  host 127.0.0.1, port ${port}, login alice, database ops\n` +
        '  cause: connection refused: nothing listens there (ECONNREFUSED)\n' +
        `  check: that PostgreSQL runs and listens on that host and port (pg_isready -h 127.0.0.1 -p ${port}), and the host and port in --ledger, OPSCOCKPIT_LEDGER, PGHOST or PGPORT\n`,
    );
  });

  it('commands not yet on the shared ledger refuse a PostgreSQL one plainly: exit 2, no password shown', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pg-refuse-'));
    writeFileSync(join(dir, 'r.yaml'), 'version: 1\nname: r\n');
    const url = 'postgres://alice:s3cret@db.example:5432/ops';
    for (const args of [['ledger']]) {
      const r = await cli([...args, '--ledger', url], { cwd: dir });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toContain('a PostgreSQL ledger (postgres://alice@db.example:5432/ops) is not supported by this command yet');
      expect(r.stderr).not.toContain('s3cret');
      expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    }
  });
});
