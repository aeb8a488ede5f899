// The team ledger: the release ledger in a PostgreSQL database (schema in pg-schema.ts), the
// same runs, events and hash chain as the SQLite file (ledger-chain.ts), so `ledger verify`
// and migrate treat both alike.
//
// Appends are serialised by the chain's head row, locked FOR UPDATE inside each append
// transaction: the ids, the runs' next seqs and the previous hash are read under that lock
// (pg-append.ts). The operator each hash covers is the login (session_user), read under the
// same lock; the database stamps the same value on the row (a trigger), so no client can name
// another. Appends outside atomically() go through a group commit (append-group.ts): those a
// process asks for while its previous append transaction commits share the next one.
import type pg from 'pg';
import { TransactionContext } from './transaction-context.js';
import type { AppendOptions, LedgerChange, LedgerStore } from '../src/engine/ledger-store.js';
import type { NewRun, RunRecord, RunStatus } from '../src/engine/ports.js';
import type { EventBody, LedgerEvent } from '../src/engine/types.js';
import type { Redactor } from '../src/runbook/secrets.js';
import { AppendGroup, type NewEvent } from './append-group.js';
import { LedgerError } from './ledger-errors.js';
import { rowHasher, type RowHasher } from './ledger-hasher.js';
import { headRead, PgAppender, type LockedHead } from './pg-append.js';
import { appendRefusal } from './ledger-key.js';
import { RUN_COLUMNS, toEvent, toRun, type EventRow, type RunRow } from './ledger-query.js';
import { sealRun } from './ledger-seal.js';
import { evidenceOf, evidenceSql } from './ledger-evidence.js';
import { newRunId } from './run-id.js';
import { isConnectionError, pgClient, pgPool, pgTarget, unreachable, type PgTarget } from './pg-connect.js';
import { PgRunLeases, type PgQuery } from './pg-leases.js';
import { PgListener } from './pg-listen.js';
import { PgLedgerQuery } from './pg-query.js';
import { PgStage } from './pg-stage.js';
import { checkSchema, readPgChainSettings } from './pg-schema.js';

export interface PgLedgerOptions {
  redactor?: Redactor;
  /** OPSCOCKPIT_LEDGER_KEY: a keyed chain refuses appends without it. */
  chainKey?: string;
  /** Connections in the pool (default 10). */
  poolSize?: number;
}

/** Opens the ledger at `url`: reachable, set up (ledger init), current; else a LedgerError saying so. */
export async function openPgLedger(url: string, opts: PgLedgerOptions = {}): Promise<PgLedger> {
  const target = pgTarget(url);
  const pool = pgPool(url, { max: opts.poolSize });
  try {
    await checkSchema(pool, target.location);
    const chain = await readPgChainSettings(pool);
    const key = chain.algorithm === 'hmac-sha256' ? opts.chainKey : undefined;
    const login = (await pool.query<{ login: string }>('SELECT session_user AS login')).rows[0].login;
    return new PgLedger(url, target, pool, { login, hashRow: rowHasher(key), sealKey: key, refusal: appendRefusal(target.location, chain, opts.chainKey), redactor: opts.redactor });
  } catch (err) {
    await pool.end().catch(() => {});
    if (isConnectionError(err)) throw unreachable(target, err);
    throw err;
  }
}

const EVENT_COLUMNS = 'run_id, seq, at, operator, payload';

export class PgLedger implements LedgerStore {
  readonly identity = 'database' as const;
  readonly location: string;
  /** The login this connection is: the operator the database stamps on every event. */
  readonly stampedOperator: string;
  readonly leases: PgRunLeases;
  /** The release stage, one signed row per move (pg-stage.ts). */
  readonly stage: PgStage;
  /** The transaction the caller is inside of (atomically), by async context. */
  private readonly tx = new TransactionContext<pg.PoolClient>();
  private readonly listeners = new Set<PgListener>();
  private readonly sealKey?: string;
  private readonly refusal?: string;
  private readonly redactor?: Redactor;
  private readonly appender: PgAppender;

  constructor(
    private readonly url: string,
    private readonly target: PgTarget,
    private readonly pool: pg.Pool,
    chain: { login: string; hashRow: RowHasher; sealKey?: string; refusal?: string; redactor?: Redactor },
  ) {
    this.location = target.location;
    this.stampedOperator = chain.login;
    this.appender = new PgAppender(chain.hashRow, (body) => this.mask(body));
    this.sealKey = chain.sealKey;
    this.refusal = chain.refusal;
    this.redactor = chain.redactor;
    this.leases = new PgRunLeases(this.query);
    this.stage = new PgStage(this.query, this.location);
  }

  /** Read-only queries for the release ledger screen, `ledger list/show/export` and reports. */
  browse(): PgLedgerQuery {
    return (this.reader ??= new PgLedgerQuery(this.query));
  }

  private reader?: PgLedgerQuery;

  /** On the caller's transaction when inside atomically(), else on any pooled connection. */
  private readonly query: PgQuery = async (sql, params) => {
    const db = this.tx.getStore() ?? this.pool;
    try {
      return await db.query(sql, params);
    } catch (err) {
      throw this.explained(err);
    }
  };

  private explained(err: unknown): unknown {
    return isConnectionError(err) ? unreachable(this.target, err) : err;
  }

  async atomically<T>(fn: () => Promise<T>): Promise<T> {
    // Nested: part of the transaction already open (every commit is durable here).
    if (this.tx.getStore()) return fn();
    return this.transaction(async (client) => {
      // The append lock from the start (in BEGIN's round trip): what fn reads cannot change
      // before what it appends is stored.
      await client.query('BEGIN; SELECT last_id FROM opscockpit.chain_head FOR UPDATE');
      const result = await this.tx.run(client, fn);
      await client.query('COMMIT');
      return result;
    });
  }

  /** `body` on a pooled connection of its own; on a failure, ROLLBACK and the error explained. */
  private async transaction<T>(body: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw this.explained(err);
    }
    let broken: Error | undefined;
    // The connection lost between two queries (the server went away while fn ran): told here,
    // not thrown at the process; the next query on it fails and the client is let go.
    const lost = (err: Error) => (broken = err);
    client.on('error', lost);
    try {
      return await body(client);
    } catch (err) {
      await client.query('ROLLBACK').catch((e: Error) => (broken = e));
      throw this.explained(err);
    } finally {
      client.off('error', lost);
      client.release(broken);
    }
  }

  async append(runId: string, operator: string, body: EventBody, at: number, opts?: AppendOptions): Promise<LedgerEvent> {
    if (this.refusal) throw new LedgerError(this.refusal);
    // Every commit waits for the server's WAL flush (synchronous_commit on): nothing that
    // was acknowledged is lost, so `durable` asks for nothing more here.
    const event = { runId, operator, body, at, durable: true, key: opts?.idempotencyKey ?? null };
    const client = this.tx.getStore();
    if (!client) return this.group.append(event);
    // Inside atomically(): the lock is held already.
    const [ev] = await this.underLock(client, [event]).catch((err) => Promise.reject(this.explained(err)));
    if (ev instanceof Error) throw ev;
    return ev;
  }

  /** Outside atomically(): appends asked for while one commits share the next (append-group.ts). */
  private readonly group = new AppendGroup((take) =>
    this.transaction(async (client) => {
      const events = take();
      // BEGIN, the lock and the read under it in one round trip (pg-append.ts).
      const res = (await client.query(`BEGIN; SELECT 1 FROM opscockpit.chain_head FOR UPDATE; ${headRead(client, events)}`)) as unknown as pg.QueryResult<LockedHead>[];
      return this.appender.write(client, res[2].rows[0], events, true);
    }),
  );

  private async underLock(client: pg.PoolClient, events: NewEvent[]): Promise<Array<LedgerEvent | Error>> {
    const { rows } = await client.query<LockedHead>(headRead(client, events));
    return this.appender.write(client, rows[0], events, false);
  }

  private mask<T>(v: T): T {
    return this.redactor?.active ? this.redactor.value(v) : v;
  }

  private maskOpt(s: string | undefined): string | null {
    return s === undefined ? null : this.mask(s);
  }

  async startRun(run: NewRun, at: number): Promise<RunRecord> {
    if (this.refusal) throw new LedgerError(this.refusal);
    for (let attempt = 0; ; attempt++) {
      const runId = newRunId(at);
      const fields = {
        runId, runbook: run.runbook, name: run.name, branch: this.maskOpt(run.branch), commitSha: this.maskOpt(run.commitSha),
        backlogId: this.maskOpt(run.backlogId), releaseType: this.maskOpt(run.releaseType), startedAt: at,
      };
      try {
        const { rows } = await this.query<RunRow>(
          `INSERT INTO opscockpit.runs (run_id, runbook, name, status, branch, commit_sha, backlog_id, release_type, started_at, note, seal)
           VALUES ($1, $2, $3, 'running', $4, $5, $6, $7, $8, $9, $10) RETURNING ${RUN_COLUMNS}`,
          [runId, run.runbook, run.name, fields.branch, fields.commitSha, fields.backlogId, fields.releaseType, at, this.maskOpt(run.note), sealRun(this.sealKey, fields)],
        );
        return toRun(rows[0]);
      } catch (err) {
        // The random tail makes a clash unlikely; retry rather than fail a release on one.
        if ((err as { code?: string }).code !== '23505' || attempt >= 10) throw err;
      }
    }
  }

  async openRun(runbook: string): Promise<RunRecord | undefined> {
    const { rows } = await this.query<RunRow>(
      `SELECT ${RUN_COLUMNS} FROM opscockpit.runs WHERE runbook = $1 AND status = 'running' ORDER BY started_at DESC, run_id DESC LIMIT 1`,
      [runbook],
    );
    return rows[0] && toRun(rows[0]);
  }

  async events(runId: string): Promise<LedgerEvent[]> {
    const { rows } = await this.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM opscockpit.events WHERE run_id = $1 ORDER BY seq`, [runId]);
    return rows.map(toEvent);
  }

  async recentEvents(runId: string, limit: number): Promise<LedgerEvent[]> {
    const { rows } = await this.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM opscockpit.events WHERE run_id = $1 ORDER BY seq DESC LIMIT $2`, [runId, limit]);
    return rows.map(toEvent);
  }

  async evidenceEvents(path?: string): Promise<LedgerEvent[]> {
    return evidenceOf((await this.query<EventRow>(evidenceSql('opscockpit.'))).rows, path);
  }

  async listRuns(limit: number): Promise<RunRecord[]> {
    const { rows } = await this.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM opscockpit.runs ORDER BY started_at DESC, run_id DESC LIMIT $1`, [limit]);
    return rows.map(toRun);
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    const { rows } = await this.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM opscockpit.runs WHERE run_id = $1`, [runId]);
    return rows[0] && toRun(rows[0]);
  }

  /** Derived state: the run.completed event is the record; verify checks that they agree. */
  async completeRun(runId: string, status: Exclude<RunStatus, 'running'>, at: number, note?: string): Promise<void> {
    if (this.refusal) throw new LedgerError(this.refusal);
    const res = await this.query(
      `UPDATE opscockpit.runs SET status = $1, completed_at = $2, note = COALESCE($3, note),
         released_at = CASE WHEN $1 = 'succeeded' THEN $2 ELSE released_at END WHERE run_id = $4`,
      [status, at, this.maskOpt(note), runId],
    );
    if (res.rowCount === 0) throw new LedgerError(`no run ${runId} in the ledger`);
  }

  subscribe(onChange: (change: LedgerChange) => void): () => void {
    const listener = new PgListener(() => pgClient(this.url), onChange);
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
      void listener.close();
    };
  }

  async close(): Promise<void> {
    await this.group.idle();
    await Promise.all([...this.listeners].map((l) => l.close()));
    this.listeners.clear();
    await this.pool.end();
  }
}
