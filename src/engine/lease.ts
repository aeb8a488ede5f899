// Who owns a run. Several processes write one ledger (two operators' cockpits, `act`, `check`,
// `run`); each owns the runs it starts or resumes through a lease stored beside them: its pid,
// host and a heartbeat. Another process may take a run over only once that lease has lapsed:
// its heartbeat is old, or its process is gone. Pure: the caller says what time it is, which
// host it is on and whether a holder on that host is alive.
import type { RunRecord } from './ports.js';

/** A heartbeat older than this and the lease has lapsed, wherever its owner runs. */
export const LEASE_LAPSE_MS = 15_000;
/** How often an owner refreshes its lease: three beats fit in one lapse. */
export const LEASE_BEAT_MS = 5_000;

/** The process holding a lease; `token` tells two holders in one process apart. */
export interface LeaseHolder {
  pid: number;
  host: string;
  token: string;
}

export interface RunLease extends LeaseHolder {
  runId: string;
  takenAt: number;
  heartbeatAt: number;
  /** Who drives the run through this lease (the operator), and why, as they said. */
  driver?: string;
  reason?: string;
}

/** Who takes a lease, as operators see it: the driver's name and the reason they gave. */
export interface DriverClaim {
  driver: string;
  reason?: string;
}

/** Where a lease is judged from: the time, this host, and whether a holder on this host lives. */
export interface LeaseView {
  now: number;
  host: string;
  /** Its pid runs (for a holder in the judging process itself: that holder has not let go). */
  alive(holder: LeaseHolder): boolean;
}

export type LeaseState = { lapsed: false } | { lapsed: true; why: 'no lease' | 'heartbeat' | 'owner gone' };

export function leaseState(lease: RunLease | undefined, here: LeaseView, lapseMs = LEASE_LAPSE_MS): LeaseState {
  if (!lease) return { lapsed: true, why: 'no lease' };
  if (here.now - lease.heartbeatAt > lapseMs) return { lapsed: true, why: 'heartbeat' };
  // A pid means something only on its own host.
  if (lease.host === here.host && !here.alive(lease)) return { lapsed: true, why: 'owner gone' };
  return { lapsed: false };
}

/** A runbook's run still running, with its lease if it has one. */
export interface OpenRun {
  run: RunRecord;
  lease?: RunLease;
}

/** "pid 4242 on host ops-1, heard from 3 s ago": the words for a lease's holder. */
export function describeHolder(lease: RunLease, now: number): string {
  const ago = Math.max(0, Math.round((now - lease.heartbeatAt) / 1000));
  return `pid ${lease.pid} on host ${lease.host}, heard from ${ago} s ago`;
}

/**
 * The lease a former driver keeps on what it still owes a run after another took the seat over
 * (an outcome of the intent at seq `intent`): the row it heartbeats while it lives, beside the
 * run's own lease. Its key is not a run's id: a run's own lease is never confused with it.
 */
export function owedKey(runId: string, intent: number): string {
  return `${runId}#owed-${intent}`;
}
