// A real PostgreSQL server for the team ledger tests, started once per test run by the global
// setup: initdb into a fresh folder of its own, a free port on 127.0.0.1, its socket in that
// folder, password (SCRAM) logins for host connections. PostgreSQL refuses to run as root, so
// under root everything runs as the `postgres` user that Debian's package creates.
//
// A run that dies without its teardown must not leave a server behind: the server is started
// with a parent-death signal (setpriv --pdeathsig: it quits when the test runner's process
// goes), and the next run removes folders whose owning test runner is gone, stopping a server
// still found in them.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { freePort } from './prometheus.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** The logins the tests use, as URLs without a database (add one with `pgUrl`). */
export interface PgServer {
  host: string;
  port: number;
  /** login → password */
  passwords: Record<PgLogin, string>;
}

export type PgLogin = 'postgres' | 'admin' | 'alice' | 'bob' | 'carol';
export const OPERATORS = ['alice', 'bob', 'carol'] as const;
const PREFIX = 'opscockpit-pg-';

/** A connection URL for one login and database. */
export function pgUrl(server: PgServer, login: PgLogin, database = 'postgres'): string {
  return `postgres://${login}:${encodeURIComponent(server.passwords[login])}@${server.host}:${server.port}/${database}`;
}

/** The newest PostgreSQL's bin folder (Debian keeps one per major version), else undefined. */
export function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(root, versions[0], 'bin') : undefined;
}

const isRoot = () => process.getuid?.() === 0;

/**
 * Where server folders go: under root, /tmp itself (the `postgres` user must be able to reach
 * the folder, and the test run's own temporary folder is private to root).
 */
export const serverRoot = () => (isRoot() ? '/tmp' : tmpdir());

function postgresUser(): { uid: number; gid: number } {
  const r = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (r.status !== 0 || g.status !== 0) throw new Error('the tests run as root and there is no "postgres" user to run PostgreSQL as (install Debian\'s postgresql package)');
  return { uid: Number(r.stdout), gid: Number(g.stdout) };
}

/** A command as the unprivileged user when root (runuser), as is otherwise. */
function asServerUser(cmd: string, args: string[]): [string, string[]] {
  return isRoot() ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A killed runner its parent has not reaped yet is a zombie: gone for this purpose.
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0] !== 'Z';
  } catch {
    return true;
  }
}

/** Folders of earlier runs whose test runner is gone: their server is stopped, the folder removed. */
export function removeStaleServers(root = serverRoot()): void {
  for (const name of readdirSync(root)) {
    if (!name.startsWith(PREFIX)) continue;
    const dir = join(root, name);
    let owner = NaN;
    try {
      owner = Number(readFileSync(join(dir, 'owner'), 'utf8'));
    } catch {
      /* no owner file: made by a run that died while creating it */
    }
    if (Number.isSafeInteger(owner) && alive(owner)) continue;
    try {
      const pid = Number(readFileSync(join(dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
      // Only a postgres process serving this very folder.
      if (pid > 0 && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir)) process.kill(pid, 'SIGKILL');
    } catch {
      /* no server left */
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface RunningPostgres {
  server: PgServer;
  stop(): Promise<void>;
  /** SIGKILL the server (the postmaster); resolves once it is gone. Its backends follow it. */
  kill(): Promise<void>;
  /** Start it again on the same data folder and port (crash recovery); resolves once it answers. */
  restart(): Promise<void>;
}

export interface PostgresOptions {
  /**
   * Flush the WAL to disk at each commit, as a team's server does (the bench). Off by default:
   * a throwaway test server needs nothing to survive a power cut.
   */
  durable?: boolean;
}

/** Starts a fresh server; throws one line saying why when it cannot. */
export async function startPostgres(opts: PostgresOptions = {}): Promise<RunningPostgres> {
  const bin = postgresBin();
  if (!bin) throw new Error('PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): run "node scripts/test-deps.mjs" or apt-get install postgresql');
  removeStaleServers();
  const dir = mkdtempSync(join(serverRoot(), PREFIX));
  writeFileSync(join(dir, 'owner'), String(process.pid));
  chmodSync(dir, 0o700);
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  const passwords = Object.fromEntries(['postgres', 'admin', ...OPERATORS].map((l) => [l, randomBytes(12).toString('base64url')])) as Record<PgLogin, string>;
  const pwfile = join(dir, 'pwfile');
  writeFileSync(pwfile, passwords.postgres + '\n', { mode: 0o600 });
  if (isRoot()) {
    const { uid, gid } = postgresUser();
    chownSync(dir, uid, gid);
    chownSync(pwfile, uid, gid);
  }
  const [cmd, args] = asServerUser(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${pwfile}`, '-E', 'UTF8', '--locale=C', '-N']);
  const init = spawnSync(cmd, args, { encoding: 'utf8' });
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${(init.stderr || init.error?.message || '').trim().split('\n').pop()}`);
  }
  let lastError = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const server: PgServer = { host: '127.0.0.1', port, passwords };
    let child = spawnServer(bin, data, dir, port, log, opts.durable === true);
    const up = await waitUntilUp(server, child);
    if (up === true) {
      await createLogins(server);
      return {
        server,
        stop: () => stopServer(child, dir),
        kill: async () => {
          const gone = new Promise((r) => child.once('exit', r));
          child.kill('SIGKILL');
          await gone;
        },
        restart: async () => {
          // The killed server's backends leave on their own; until they have, a new server
          // refuses the data folder (its shared memory is still in use): start it again.
          const deadline = Date.now() + 30_000;
          for (;;) {
            child = spawnServer(bin, data, dir, port, log, opts.durable === true);
            const again = await waitUntilUp(server, child);
            if (again === true) return;
            if (Date.now() > deadline) throw new Error(`PostgreSQL did not start again: ${again}`);
            await new Promise((r) => setTimeout(r, 200));
          }
        },
      };
    }
    lastError = up;
    await stopServer(child, undefined);
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`PostgreSQL did not start: ${lastError}`);
}

function spawnServer(bin: string, data: string, dir: string, port: number, log: string, durable: boolean): ChildProcess {
  const server = [
    join(bin, 'postgres'), '-D', data, '-k', dir, '-p', String(port), '-h', '127.0.0.1',
    '-c', 'max_connections=200', '-c', durable ? 'shared_buffers=256MB' : 'shared_buffers=32MB',
    // A throwaway server: nothing needs to survive a power cut.
    ...(durable ? [] : ['-c', 'fsync=off', '-c', 'full_page_writes=off']),
  ];
  // setpriv execs (no process in between), so the signal follows the test runner itself.
  const guard = ['--pdeathsig=QUIT', ...(isRoot() ? ['--reuid=postgres', '--regid=postgres', '--init-groups'] : []), '--'];
  const out = openSync(log, 'a');
  const child = spawn('setpriv', [...guard, ...server], { stdio: ['ignore', out, out] });
  child.on('error', () => {});
  return child;
}

async function waitUntilUp(server: PgServer, child: ChildProcess): Promise<true | string> {
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `the server exited (${signal ?? code})`));
  const deadline = Date.now() + 30_000;
  let last = '';
  while (Date.now() < deadline) {
    if (exited) return `${exited}: ${last}`;
    const c = new pg.Client({ connectionString: pgUrl(server, 'postgres') });
    try {
      await c.connect();
      await c.end();
      return true;
    } catch (err) {
      last = (err as Error).message;
      await c.end().catch(() => {});
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return `not accepting connections after 30 s (${last})`;
}

async function createLogins(server: PgServer): Promise<void> {
  const c = new pg.Client({ connectionString: pgUrl(server, 'postgres') });
  await c.connect();
  try {
    const pw = (login: PgLogin) => `'${server.passwords[login]}'`;
    // The ledger's administrator: creates ledger databases, runs `ledger init` and grants the role.
    await c.query(`CREATE ROLE admin LOGIN CREATEDB CREATEROLE PASSWORD ${pw('admin')}`);
    for (const op of OPERATORS) await c.query(`CREATE ROLE ${op} LOGIN PASSWORD ${pw(op)}`);
  } finally {
    await c.end();
  }
}

async function stopServer(child: ChildProcess, dir: string | undefined): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGINT'); // fast shutdown: ends the sessions, then stops
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await gone;
    clearTimeout(timer);
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
}
