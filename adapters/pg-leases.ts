// Run leases in a PostgreSQL ledger (table opscockpit.run_leases): which process owns which
// running run. As on SQLite (ledger-leases.ts), operational state beside the record: not chained.
import type { AsyncRunLeasePort } from '../src/engine/ledger-store.js';
import type { DriverClaim, LeaseHolder, OpenRun, RunLease } from '../src/engine/lease.js';
import { RUN_COLUMNS, toRun, type RunRow } from './ledger-query.js';
import { LEASE_COLUMNS, toLease, type LeaseRow } from './ledger-leases.js';

/** Runs a query on the connection bound to the caller's transaction, else on the pool. */
export type PgQuery = <R extends object = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<{ rows: R[]; rowCount: number | null }>;

export class PgRunLeases implements AsyncRunLeasePort {
  constructor(private readonly query: PgQuery) {}

  async openRuns(runbook: string): Promise<OpenRun[]> {
    const { rows } = await this.query<RunRow & { lease_token: string | null } & Partial<LeaseRow>>(
      `SELECT ${RUN_COLUMNS.split(', ').map((c) => `r.${c}`).join(', ')}, l.token AS lease_token, l.pid, l.host, l.token, l.taken_at, l.heartbeat_at, l.driver, l.reason
         FROM opscockpit.runs r LEFT JOIN opscockpit.run_leases l USING (run_id)
        WHERE r.runbook = $1 AND r.status = 'running' ORDER BY r.started_at DESC, r.run_id DESC LIMIT 50`,
      [runbook],
    );
    return rows.map((row) => {
      const run = toRun(row);
      return row.lease_token === null ? { run } : { run, lease: toLease(row as LeaseRow) };
    });
  }

  async get(runId: string): Promise<RunLease | undefined> {
    const { rows } = await this.query<LeaseRow>(`SELECT ${LEASE_COLUMNS} FROM opscockpit.run_leases WHERE run_id = $1`, [runId]);
    return rows[0] && toLease(rows[0]);
  }

  async take(runId: string, h: LeaseHolder, at: number, claim?: DriverClaim): Promise<void> {
    await this.query(
      `INSERT INTO opscockpit.run_leases (${LEASE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $5, $6, $7)
       ON CONFLICT (run_id) DO UPDATE SET pid = EXCLUDED.pid, host = EXCLUDED.host, token = EXCLUDED.token, taken_at = EXCLUDED.taken_at,
         heartbeat_at = EXCLUDED.heartbeat_at, driver = EXCLUDED.driver, reason = EXCLUDED.reason`,
      [runId, h.pid, h.host, h.token, at, claim?.driver ?? null, claim?.reason ?? null],
    );
  }

  async beat(runId: string, h: LeaseHolder, at: number): Promise<boolean> {
    const r = await this.query('UPDATE opscockpit.run_leases SET heartbeat_at = $1 WHERE run_id = $2 AND token = $3 AND pid = $4 AND host = $5', [at, runId, h.token, h.pid, h.host]);
    return (r.rowCount ?? 0) > 0;
  }

  async release(runId: string, h: LeaseHolder): Promise<void> {
    await this.query('DELETE FROM opscockpit.run_leases WHERE run_id = $1 AND token = $2 AND pid = $3 AND host = $4', [runId, h.token, h.pid, h.host]);
  }
}
