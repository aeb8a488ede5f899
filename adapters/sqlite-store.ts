// The SQLite ledger behind the asynchronous interface (LedgerStore), wrapping SqliteLedger: one
// implementation of the chain. better-sqlite3 is synchronous and has one connection, so an
// in-process lock orders the store's work: a transaction that awaits inside atomically() holds
// BEGIN IMMEDIATE on that connection across its awaits, and everything else in the process
// waits for it, while the transaction's own calls (known by their async context) join it.
// Other processes wait on SQLite's write lock as before. Changes are heard of when the ledger's
// files are written, or by polling where that cannot be watched (sqlite-changes.ts). Appends
// outside a transaction go through a group commit (append-group.ts): those a process asks for
// while its earlier ones wait share one commit.
// Before each operation the store looks that its path still names the file it opened
// (ledger-file.ts): a ledger deleted or replaced under it is unreachable from then on.
import { resolve } from 'node:path';
import type { AppendOptions, AsyncRunLeasePort, LedgerChange, LedgerStore } from '../src/engine/ledger-store.js';
import type { LeaseHolder } from '../src/engine/lease.js';
import type { NewRun, RunStatus } from '../src/engine/ports.js';
import type { EventBody } from '../src/engine/types.js';
import { openLedger, type LedgerOptions, type SqliteLedger } from './ledger.js';
import { asyncBrowser } from './ledger-query.js';
import { AppendGroup } from './append-group.js';
import { followChanges } from './sqlite-changes.js';
import { TransactionContext } from './transaction-context.js';
import { LedgerFile, LedgerFileLostError } from './ledger-file.js';
import type { AsyncLedgerBrowser } from '../src/engine/ledger-filter.js';

/** First come, first served: each holder runs alone. */
class Turns {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const mine = this.tail.then(fn);
    this.tail = mine.catch(() => {});
    return mine;
  }
}

/**
 * One order per connection: stores over the same SqliteLedger (a second view of one connection)
 * share its turns and its transaction, as they share its BEGIN.
 */
const lanes = new WeakMap<SqliteLedger, { turns: Turns; inside: TransactionContext<true> }>();

function laneOf(ledger: SqliteLedger): { turns: Turns; inside: TransactionContext<true> } {
  let lane = lanes.get(ledger);
  if (!lane) lanes.set(ledger, (lane = { turns: new Turns(), inside: new TransactionContext<true>() }));
  return lane;
}

export function openSqliteStore(path: string, opts: LedgerOptions = {}): SqliteStore {
  return new SqliteStore(openLedger(path, opts), resolve(path));
}

export class SqliteStore implements LedgerStore {
  readonly identity = 'asserted' as const;
  readonly leases: AsyncRunLeasePort;
  private readonly turns: Turns;
  private readonly inside: TransactionContext<true>;
  private readonly followers = new Set<() => void>();
  /** Whether the path still names the file opened (ledger-file.ts): looked at before each operation. */
  private readonly file: LedgerFile;

  constructor(
    /** The synchronous ledger underneath (one implementation of the chain). */
    readonly ledger: SqliteLedger,
    readonly location: string,
  ) {
    ({ turns: this.turns, inside: this.inside } = laneOf(ledger));
    this.file = new LedgerFile(location, (to) => ledger.saveCopy(to));
    const l = ledger.leases;
    this.leases = {
      openRuns: (runbook) => this.inTurn(() => l.openRuns(runbook)),
      get: (runId) => this.inTurn(() => l.get(runId)),
      take: (runId, h: LeaseHolder, at, claim) => this.inTurn(() => l.take(runId, h, at, claim)),
      beat: (runId, h: LeaseHolder, at) => this.inTurn(() => l.beat(runId, h, at)),
      release: (runId, h: LeaseHolder) => this.inTurn(() => l.release(runId, h)),
    };
  }

  /** Runs fn in this process's turn, or at once inside the transaction that holds it. */
  private inTurn<T>(fn: () => T): Promise<T> {
    if (this.inside.getStore()) return Promise.resolve().then(() => (this.file.check(false), fn()));
    return this.turns.run(async () => (this.file.check(true), fn()));
  }

  atomically<T>(fn: () => Promise<T>, opts?: { durable?: boolean }): Promise<T> {
    if (this.inside.getStore()) return fn();
    return this.turns.run(async () => {
      this.file.check(true);
      const end = this.ledger.beginHeld(opts);
      let done = false;
      try {
        const result = await this.inside.run(true, fn);
        done = true;
        end(true);
        return result;
      } catch (err) {
        // Out of the transaction first: a file found lost inside it can be copied only then.
        if (!done) {
          done = true;
          end(false);
        }
        if (err instanceof LedgerFileLostError) this.file.check(true);
        throw err;
      } finally {
        if (!done) end(false);
      }
    });
  }

  /**
   * Outside a transaction, through this store's group commit (append-group.ts): appends asked for
   * while an earlier one waits for its turn or its commit share the next transaction.
   */
  append(runId: string, operator: string, body: EventBody, at: number, opts?: AppendOptions) {
    if (this.inside.getStore()) return this.inTurn(() => this.ledger.append(runId, operator, body, at, opts));
    return this.group.append({ runId, operator, body, at, durable: !!opts?.durable, key: opts?.idempotencyKey ?? null });
  }

  private readonly group = new AppendGroup((take) => this.inTurn(() => this.ledger.appendBatch(take())));

  startRun = (run: NewRun, at: number) => this.inTurn(() => this.ledger.startRun(run, at));
  openRun = (runbook: string) => this.inTurn(() => this.ledger.openRun(runbook));
  events = (runId: string) => this.inTurn(() => this.ledger.events(runId));
  recentEvents = (runId: string, limit: number) => this.inTurn(() => this.ledger.recentEvents(runId, limit));
  evidenceEvents = (path?: string) => this.inTurn(() => this.ledger.evidenceEvents(path));
  listRuns = (limit: number) => this.inTurn(() => this.ledger.listRuns(limit));
  getRun = (runId: string) => this.inTurn(() => this.ledger.getRun(runId));
  completeRun = (runId: string, status: Exclude<RunStatus, 'running'>, at: number, note?: string) =>
    this.inTurn(() => this.ledger.completeRun(runId, status, at, note));

  /** The ledger screen's and the read commands' queries, each in this process's turn. */
  browse(): AsyncLedgerBrowser {
    return (this.reader ??= asyncBrowser(this.ledger.browse(), (fn) => this.inTurn(fn)));
  }

  private reader?: AsyncLedgerBrowser;

  subscribe(onChange: (change: LedgerChange) => void): () => void {
    // A file lost under this process changes the token too: the reads it brings on say so.
    const token = () => (this.file.same ? this.ledger.changeToken() : 'lost');
    const follower = followChanges(this.location, token, () => onChange({}));
    const stop = (): void => {
      follower.stop();
      this.followers.delete(stop);
    };
    this.followers.add(stop);
    return stop;
  }

  /** Why the ledger's file was lost under this store, once it was (ledger-file.ts). */
  get lostReason(): string | undefined {
    return this.file.reason;
  }

  async close(): Promise<void> {
    for (const stop of [...this.followers]) stop();
    await this.group.idle();
    return this.turns.run(async () => {
      // Lost (ledger-file.ts): the head file beside the path is another ledger's now, or nobody's.
      // (SQLite itself does not checkpoint a moved file on close, nor delete the -wal at its path.)
      if (!this.file.same) {
        this.file.saveIfLost();
        this.ledger.forgetFile();
      }
      this.ledger.close();
    });
  }
}
