// Reaching a PostgreSQL ledger: libpq's conventions (a postgres:// URL, PGHOST, PGPORT, PGUSER,
// PGPASSWORD, PGDATABASE, PGSSLMODE — node-postgres reads these — and ~/.pgpass, looked up
// here), where it is for messages (never with a password), and why it cannot be reached, said
// so that the operator knows what to check.
import pg from 'pg';
import { createRequire } from 'node:module';
import { parseIntoClientConfig } from 'pg-connection-string';
import { LedgerError } from './ledger-errors.js';

export { isPostgresLocation } from './ledger-path.js';

// BIGINT (ids, times in ms) as numbers: every value the ledger stores fits in 2^53.
const INT8 = 20;
const types = { getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === INT8 ? Number : pg.types.getTypeParser(oid, format as 'text'))) as typeof pg.types.getTypeParser };

/** Where the URL (with the PG* variables filling what it leaves out) leads. */
export interface PgTarget {
  user: string;
  host: string;
  port: number;
  database: string;
  /** `postgres://user@host:port/database`: for messages; never holds a password. */
  location: string;
}

export function pgTarget(url: string): PgTarget {
  const probe = new pg.Client({ connectionString: url });
  const { user = '', host = 'localhost', port = 5432, database = user } = probe as unknown as Partial<PgTarget>;
  const where = host.startsWith('/') ? `${host}` : host.includes(':') ? `[${host}]` : host;
  return { user, host, port, database, location: `postgres://${user}@${where}:${port}/${database}` };
}

/** The password from ~/.pgpass (or PGPASSFILE) when neither the URL nor PGPASSWORD gives one. */
function pgpassLookup(t: PgTarget): () => Promise<string> {
  const lookup = createRequire(import.meta.url)('pgpass') as (conn: object, cb: (pass?: string) => void) => void;
  return () => new Promise((resolve) => lookup({ host: t.host, port: t.port, database: t.database, user: t.user }, (pass) => resolve(pass ?? '')));
}

/**
 * The URL as node-postgres' settings, with ~/.pgpass asked for the password when neither the
 * URL nor PGPASSWORD gives one (node-postgres' own lookup is deprecated and warns on stderr).
 */
function clientConfig(url: string): pg.ClientConfig {
  const config = parseIntoClientConfig(url);
  const t = pgTarget(url);
  if (!config.password && process.env.PGPASSWORD === undefined) config.password = pgpassLookup(t);
  return { ...config, types, connectionTimeoutMillis: 10_000 };
}

export function pgPool(url: string, opts: { max?: number } = {}): pg.Pool {
  const pool = new pg.Pool({ ...clientConfig(url), max: opts.max ?? 10, idleTimeoutMillis: 10_000 });
  // An idle connection the server dropped: the next query reconnects; nothing to report here.
  pool.on('error', () => {});
  return pool;
}

export function pgClient(url: string): pg.Client {
  return new pg.Client(clientConfig(url));
}

const CAUSES: Record<string, [cause: string, check: string]> = {
  ECONNREFUSED: ['connection refused: nothing listens there', 'that PostgreSQL runs and listens on that host and port (pg_isready -h HOST -p PORT), and the host and port in --ledger, OPSCOCKPIT_LEDGER, PGHOST or PGPORT'],
  ENOTFOUND: ['the host name is not known', 'the host name in --ledger, OPSCOCKPIT_LEDGER or PGHOST'],
  EAI_AGAIN: ['the host name could not be looked up (DNS)', 'the host name and this machine\'s DNS'],
  ETIMEDOUT: ['the connection timed out', 'that the host is reachable from here (firewall, VPN) and the port is right'],
  EHOSTUNREACH: ['the host is unreachable', 'the network between here and the host'],
  ECONNRESET: ['the server closed the connection', 'the server\'s log, and sslmode (the server may require TLS)'],
  '28P01': ['the password was refused', 'the password (in the URL, PGPASSWORD or ~/.pgpass) for this login'],
  '28000': ['the server does not allow this login from here', 'pg_hba.conf on the server, and the login name'],
  '3D000': ['the database does not exist', 'the database name in the URL or PGDATABASE, or create it (createdb)'],
  '57P03': ['the server is starting up or shutting down', 'try again in a moment'],
  '57P01': ['the server is shutting down (an administrator stopped it)', 'the server\'s log; opscockpit reconnects by itself'],
  '57P02': ['the server crashed and is restarting', 'the server\'s log; opscockpit reconnects by itself'],
  EPIPE: ['the connection to the server was lost', 'that PostgreSQL still runs, and the network between here and the host'],
};

/**
 * The one screen for a ledger that cannot be reached: where, why, and what to check. The error
 * is marked `unreachable` (isLedgerUnreachable): the session retries, or refuses what needs a record.
 */
export function unreachable(t: PgTarget, err: unknown): LedgerError & { unreachable: true } {
  const e = err as { code?: string; message?: string };
  const timedOut = /timeout/i.test(e.message ?? '') ? CAUSES.ETIMEDOUT : undefined;
  const [cause, check] = CAUSES[e.code ?? ''] ?? timedOut ?? [e.message ?? String(err), 'the URL in --ledger or OPSCOCKPIT_LEDGER and the PG* variables'];
  const host = t.host.startsWith('/') ? `socket ${t.host}` : `host ${t.host}`;
  const error = new LedgerError(
    [`cannot reach the PostgreSQL ledger ${t.location}`, `  ${host}, port ${t.port}, login ${t.user}, database ${t.database}`, `  cause: ${cause}${e.code && !cause.includes(e.code) ? ` (${e.code})` : ''}`, `  check: ${check.replace('HOST', t.host).replace('PORT', String(t.port))}`].join('\n'),
    { cause: err },
  );
  return Object.assign(error, { unreachable: true as const });
}

/** Connection failures (no server, refused login, no database) rather than a query's own error. */
export function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? '';
  return code in CAUSES || /timeout|Connection terminated|Client has encountered a connection error|not queryable/i.test((err as Error)?.message ?? '');
}
