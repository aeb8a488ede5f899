// The engine's view of the outside world. Adapters implement these; tests may inject a
// manual clock. Nothing here performs I/O.
import type { EventBody, LedgerEvent } from './types.js';
import type { DriverClaim, LeaseHolder, OpenRun, RunLease } from './lease.js';

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'aborted' | 'rolled_back';

/** One row of the release ledger (seed 000's fields plus where the run came from). */
export interface RunRecord {
  runId: string;
  runbook: string; // the runbook's key (identity.ts); older ledgers: the file's absolute path
  name: string;
  status: RunStatus;
  branch?: string;
  commitSha?: string;
  backlogId?: string;
  releaseType?: string;
  startedAt: number;
  releasedAt?: number;
  completedAt?: number;
  note?: string;
}

export interface NewRun {
  runbook: string;
  name: string;
  branch?: string;
  commitSha?: string;
  backlogId?: string;
  releaseType?: string;
  note?: string;
}

export interface LedgerPort {
  startRun(run: NewRun, at: number): RunRecord;
  /** The newest run of this runbook that has not completed, to resume it. */
  openRun(runbook: string): RunRecord | undefined;
  /**
   * Append one event; returns it once it is stored. `durable` events (action intents and
   * outcomes) are on disk (fsync) before this returns.
   */
  append(runId: string, operator: string, body: EventBody, at: number, opts?: { durable?: boolean }): LedgerEvent;
  /**
   * Run `fn` as one write transaction that holds the ledger's write lock from its start: what
   * it reads cannot be changed by another process before what it appends is stored, and its
   * appends are stored all or none. With `durable` the commit is on disk before this returns.
   */
  atomically<T>(fn: () => T, opts?: { durable?: boolean }): T;
  events(runId: string): LedgerEvent[];
  /** Newest first. */
  recentEvents(runId: string, limit: number): LedgerEvent[];
  /**
   * The evidence events (evidence.recorded, evidence.tampered), of one file when `path` (absolute)
   * is given, oldest first: by time, then run (older first), then seq. Read by kind, not run by run.
   */
  evidenceEvents(path?: string): LedgerEvent[];
  /** Newest first. */
  listRuns(limit: number): RunRecord[];
  getRun(runId: string): RunRecord | undefined;
  completeRun(runId: string, status: Exclude<RunStatus, 'running'>, at: number, note?: string): void;
  /**
   * A token that changes whenever anything was committed to the ledger, by this connection or
   * any other (absent: assume a change every time). Lets a display refresh skip re-reading.
   */
  changeToken?(): string;
  /** Page-by-page reading for the release ledger screen (absent: the screen is not offered). */
  browse?(): import('./ledger-filter.js').LedgerBrowser;
  /** Who owns which run (absent: one process, which owns every run it opens). */
  readonly leases?: RunLeasePort;
  close(): void;
}

/** The runs' leases (lease.ts decides; this reads and writes them). */
export interface RunLeasePort {
  /** The runbook's runs still running, newest first, each with its lease if it has one. */
  openRuns(runbook: string): OpenRun[];
  get(runId: string): RunLease | undefined;
  /** Take the run's lease (replacing a lapsed one); inside atomically(), with the decision. */
  take(runId: string, holder: LeaseHolder, at: number, claim?: DriverClaim): void;
  /** Refresh the heartbeat; false when the lease is no longer this holder's. */
  beat(runId: string, holder: LeaseHolder, at: number): boolean;
  /** Give the lease up (only this holder's). */
  release(runId: string, holder: LeaseHolder): void;
}
