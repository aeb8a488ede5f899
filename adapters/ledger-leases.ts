// Run leases in the ledger file (table run_leases): which process owns which running run. Not
// part of the record: nothing here is chained, and a lease row says only who may write a run
// now. src/engine/lease.ts decides when a lease has lapsed; this reads and writes the rows.
import type Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { RunLeasePort } from '../src/engine/ports.js';
import type { DriverClaim, LeaseHolder, LeaseView, OpenRun, RunLease } from '../src/engine/lease.js';
import { RUN_COLUMNS, toRun, type RunRow } from './ledger-query.js';
import { lazily } from './lazy-statements.js';

export interface LeaseRow {
  run_id: string;
  pid: number;
  host: string;
  token: string;
  taken_at: number;
  heartbeat_at: number;
  driver: string | null;
  reason: string | null;
}

/** The lease's columns, in LeaseRow's names. */
export const LEASE_COLUMNS = 'run_id, pid, host, token, taken_at, heartbeat_at, driver, reason';

export const toLease = (r: LeaseRow): RunLease => ({
  runId: r.run_id, pid: r.pid, host: r.host, token: r.token, takenAt: Number(r.taken_at), heartbeatAt: Number(r.heartbeat_at),
  ...(r.driver != null && { driver: r.driver }),
  ...(r.reason != null && { reason: r.reason }),
});

export class SqliteRunLeases implements RunLeasePort {
  private readonly stmt;

  constructor(db: Database.Database) {
    this.stmt = lazily({
      open: () => db.prepare(`SELECT ${RUN_COLUMNS} FROM runs WHERE runbook = ? AND status = 'running' ORDER BY started_at DESC, run_id DESC LIMIT 50`),
      get: () => db.prepare(`SELECT ${LEASE_COLUMNS} FROM run_leases WHERE run_id = ?`),
      take: () => db.prepare(`INSERT OR REPLACE INTO run_leases (${LEASE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
      beat: () => db.prepare('UPDATE run_leases SET heartbeat_at = ? WHERE run_id = ? AND token = ? AND pid = ? AND host = ?'),
      release: () => db.prepare('DELETE FROM run_leases WHERE run_id = ? AND token = ? AND pid = ? AND host = ?'),
    });
  }

  openRuns(runbook: string): OpenRun[] {
    return (this.stmt.open.all(runbook) as RunRow[]).map((row) => {
      const run = toRun(row);
      const lease = this.get(run.runId);
      return lease ? { run, lease } : { run };
    });
  }

  get(runId: string): RunLease | undefined {
    const row = this.stmt.get.get(runId) as LeaseRow | undefined;
    return row && toLease(row);
  }

  take(runId: string, h: LeaseHolder, at: number, claim?: DriverClaim): void {
    this.stmt.take.run(runId, h.pid, h.host, h.token, at, at, claim?.driver ?? null, claim?.reason ?? null);
  }

  beat(runId: string, h: LeaseHolder, at: number): boolean {
    return this.stmt.beat.run(at, runId, h.token, h.pid, h.host).changes > 0;
  }

  release(runId: string, h: LeaseHolder): void {
    this.stmt.release.run(runId, h.token, h.pid, h.host);
  }
}

/** This process's holders that have not let go: its own pid is alive, but a holder may be done. */
const holding = new Set<string>();

/** A new holder in this process (each session or headless command has its own). */
export function localHolder(): LeaseHolder {
  const holder = { pid: process.pid, host: hostname(), token: randomBytes(8).toString('hex') };
  holding.add(holder.token);
  return holder;
}

/** The holder let go of its runs, whether or not the ledger heard of it. */
export function letGo(holder: LeaseHolder): void {
  holding.delete(holder.token);
}

/** Leases judged from this process, at `now`. */
export function localView(now: number): LeaseView {
  return { now, host: hostname(), alive: (h) => (h.pid === process.pid ? holding.has(h.token) : pidAlive(h.pid)) };
}

/**
 * Signal 0 checks that a process exists: ESRCH, it is gone; EPERM, it lives under another user.
 * A process killed but not yet reaped by its parent answers too: on Linux its state says so.
 */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
  return !zombie(pid);
}

function zombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(') ') + 2).startsWith('Z');
  } catch {
    return false; // no /proc (macOS, Windows), or gone since: the signal's answer stands
  }
}
