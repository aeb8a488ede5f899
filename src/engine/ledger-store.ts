// The ledger as the session sees it once a whole team shares it: the same operations as
// LedgerPort (ports.ts), asynchronous, so that a ledger on another machine (PostgreSQL) never
// blocks the cockpit, and one implementation of the session serves both backends.
//
// Transactions: `atomically(fn)` runs fn as one write transaction that holds the ledger's
// append lock from its start. The store's own methods called while fn runs (awaited inside
// it) take part in that transaction: the implementation binds the transaction to fn's async
// context (AsyncLocalStorage), so callers write the same code inside and outside of it.
// Appends from elsewhere in the process wait until the transaction ends.
import type { AsyncLedgerBrowser } from './ledger-filter.js';
import type { DriverClaim, LeaseHolder, OpenRun, RunLease } from './lease.js';
import type { NewRun, RunRecord, RunStatus } from './ports.js';
import type { EventBody, LedgerEvent } from './types.js';

/** Who stamps the operator on an event. */
export type IdentityKind =
  /** SQLite: the name the process gives (OPSCOCKPIT_OPERATOR, else the OS user), not proven. */
  | 'asserted'
  /** PostgreSQL: the database login (`session_user`), stamped by the database. */
  | 'database';

export interface AppendOptions {
  /** On disk (fsync / synchronous_commit) before the promise resolves: intents and outcomes. */
  durable?: boolean;
  /**
   * A key unique to this append: a retry with the same key after a lost acknowledgement
   * returns the event already stored instead of storing it twice.
   */
  idempotencyKey?: string;
}

/** What changed in the ledger, as another process committed it. */
export interface LedgerChange {
  /** The run that got events; absent when only the store knows "something changed". */
  runId?: string;
  /**
   * The store lost its connection to the ledger (PostgreSQL): nothing changed that it knows
   * of; it reconnects by itself and then calls back with a change without a run id (catch up).
   */
  unreachable?: true;
}

/**
 * Waits between tries to reach a ledger that went away (reconnecting, writing again); the last
 * one repeats. An attempt that succeeds elsewhere (the live connection is back) wakes the rest.
 */
export const LEDGER_RETRY_MS: readonly number[] = [100, 250, 500, 1000, 2000, 5000];

/**
 * An operation that failed because the ledger cannot be reached (the server went away, the
 * connection was lost before the commit was acknowledged) rejects with an error whose
 * `unreachable` is true: its outcome is unknown, and an append retried with the same
 * idempotency key stores it at most once.
 */
export function isLedgerUnreachable(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { unreachable?: unknown }).unreachable === true;
}

/**
 * Unreachable for good (`lost` too): a SQLite ledger's file deleted or replaced under this
 * process (adapters/ledger-file.ts). Trying again cannot help; the session says so and stops trying.
 */
export function isLedgerLost(err: unknown): boolean {
  return isLedgerUnreachable(err) && (err as { lost?: unknown }).lost === true;
}

export interface LedgerStore {
  readonly identity: IdentityKind;
  /** Where it is, for messages: a file path, or `postgres://user@host:port/db` (no password). */
  readonly location: string;
  /**
   * The operator the store stamps on every event whatever name the caller gives: the database
   * login on PostgreSQL. Absent: the caller's name is recorded (asserted).
   */
  readonly stampedOperator?: string;
  /** A SQLite ledger's file deleted or replaced under this store: why, and where its copy is. */
  readonly lostReason?: string;
  startRun(run: NewRun, at: number): Promise<RunRecord>;
  /** The newest run of this runbook that has not completed, to resume it. */
  openRun(runbook: string): Promise<RunRecord | undefined>;
  /**
   * Append one event; resolves once the commit that holds it is done. The operator is the
   * stamped identity on PostgreSQL (the given name is kept as a display name beside it).
   * Outside atomically(), appends the process asks for while its previous append transaction
   * is under way share the next one (group commit, adapters/append-group.ts): they land in the
   * order asked for, and if that transaction fails every one of them rejects and none is stored.
   */
  append(runId: string, operator: string, body: EventBody, at: number, opts?: AppendOptions): Promise<LedgerEvent>;
  atomically<T>(fn: () => Promise<T>, opts?: { durable?: boolean }): Promise<T>;
  events(runId: string): Promise<LedgerEvent[]>;
  /** Newest first. */
  recentEvents(runId: string, limit: number): Promise<LedgerEvent[]>;
  /** LedgerPort.evidenceEvents: the evidence events, of one file when `path` is given, oldest first. */
  evidenceEvents(path?: string): Promise<LedgerEvent[]>;
  /** Newest first. */
  listRuns(limit: number): Promise<RunRecord[]>;
  getRun(runId: string): Promise<RunRecord | undefined>;
  completeRun(runId: string, status: Exclude<RunStatus, 'running'>, at: number, note?: string): Promise<void>;
  /** Calls back when another connection committed events (LISTEN/NOTIFY, or polling). */
  subscribe(onChange: (change: LedgerChange) => void): () => void;
  /** Page-by-page reading: the release ledger screen, `ledger list/show/export`, reports. */
  browse(): AsyncLedgerBrowser;
  readonly leases: AsyncRunLeasePort;
  close(): Promise<void>;
}

/** The runs' leases (lease.ts decides; this reads and writes them). */
export interface AsyncRunLeasePort {
  openRuns(runbook: string): Promise<OpenRun[]>;
  get(runId: string): Promise<RunLease | undefined>;
  /** Take the lease (replacing another's): `claim` names the driver and their reason. */
  take(runId: string, holder: LeaseHolder, at: number, claim?: DriverClaim): Promise<void>;
  beat(runId: string, holder: LeaseHolder, at: number): Promise<boolean>;
  release(runId: string, holder: LeaseHolder): Promise<void>;
}
