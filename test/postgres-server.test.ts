// The test PostgreSQL server itself (test/support/postgres.ts): reachable with password logins,
// running as an unprivileged user, and gone when stopped.
import { describe, expect, inject, it } from 'vitest';
import pg from 'pg';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { pgUrl, removeStaleServers, serverRoot, startPostgres, type PgServer } from './support/postgres.js';

const root = join(import.meta.dirname, '..');

async function refuses(server: PgServer): Promise<boolean> {
  const c = new pg.Client({ connectionString: pgUrl(server, 'postgres'), connectionTimeoutMillis: 2_000 });
  try {
    await c.connect();
    await c.end();
    return false;
  } catch {
    return true;
  }
}

describe('the test PostgreSQL server', () => {
  it('takes the admin and the operators with their passwords, and refuses a wrong one', async () => {
    const server = inject('postgres');
    for (const login of ['admin', 'alice', 'bob', 'carol'] as const) {
      const c = new pg.Client({ connectionString: pgUrl(server, login) });
      await c.connect();
      const { rows } = await c.query('SELECT session_user AS who');
      await c.end();
      expect(rows[0].who).toBe(login);
    }
    const wrong = new pg.Client({ connectionString: pgUrl({ ...server, passwords: { ...server.passwords, alice: 'nope' } }, 'alice') });
    await expect(wrong.connect()).rejects.toThrow(/password authentication failed for user "alice"/);
  });

  it('runs as an unprivileged user, and a second one stops and leaves no folder behind', async () => {
    const second = await startPostgres();
    const c = new pg.Client({ connectionString: pgUrl(second.server, 'postgres') });
    await c.connect();
    const { rows } = await c.query("SELECT setting FROM pg_settings WHERE name = 'data_directory'");
    await c.end();
    const dataDir: string = rows[0].setting;
    const { statSync, existsSync } = await import('node:fs');
    expect(statSync(dataDir).uid).not.toBe(0);
    await second.stop();
    expect(existsSync(dataDir)).toBe(false);
    const again = new pg.Client({ connectionString: pgUrl(second.server, 'postgres') });
    await expect(again.connect()).rejects.toThrow(/ECONNREFUSED/);
  });

  it('a durable server (the bench\'s) flushes the WAL at each commit; the test server does not', async () => {
    const fsync = async (server: PgServer) => {
      const c = new pg.Client({ connectionString: pgUrl(server, 'postgres') });
      await c.connect();
      const { rows } = await c.query("SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'full_page_writes', 'synchronous_commit') ORDER BY name");
      await c.end();
      return Object.fromEntries(rows.map((r) => [r.name, r.setting]));
    };
    const durable = await startPostgres({ durable: true });
    try {
      expect(await fsync(durable.server)).toEqual({ fsync: 'on', full_page_writes: 'on', synchronous_commit: 'on' });
    } finally {
      await durable.stop();
    }
    expect(await fsync(inject('postgres'))).toEqual({ fsync: 'off', full_page_writes: 'off', synchronous_commit: 'on' });
  });

  it('a test run killed outright leaves no server running, and the next start removes its folder', async () => {
    const bundle = join(root, 'node_modules', '.cache', 'opscockpit-test', `postgres-${process.pid}.mjs`);
    await build({ entryPoints: [join(root, 'test/support/postgres.ts')], bundle: true, platform: 'node', format: 'esm', external: ['pg'], outfile: bundle, logLevel: 'silent' });
    const script = `const { startPostgres } = await import(${JSON.stringify(bundle)}); const p = await startPostgres(); console.log(JSON.stringify(p.server));`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    const server = await new Promise<PgServer>((ok) => child.stdout.once('data', (d) => ok(JSON.parse(String(d)))));
    expect(await refuses(server)).toBe(false);
    const folders = () => readdirSync(serverRoot()).filter((n) => n.startsWith('opscockpit-pg-'));
    const before = folders();
    const exited = new Promise((done) => child.once('exit', done));
    child.kill('SIGKILL');
    await exited;
    const deadline = Date.now() + 10_000;
    while (!(await refuses(server)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await refuses(server)).toBe(true);
    removeStaleServers();
    const left = folders();
    // The killed run's folder is gone; this run's own server (its owner alive) is kept.
    expect(left.length).toBe(before.length - 1);
    expect(left.every((n) => existsSync(join(serverRoot(), n, 'owner')))).toBe(true);
  });
});
