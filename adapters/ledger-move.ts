// `ledger migrate`: a whole ledger from one place to another (SQLite file or PostgreSQL, either
// way): its settings, runs with their seals, every event with its chain as stored (ids, hashes,
// operators as recorded) and the release stage. Run leases are not copied: a moved ledger has
// no live owner. The source must verify first and the target must be empty; what was written is
// verified before it is kept (one transaction on PostgreSQL, a temporary file renamed into place
// on SQLite), so a migration that fails leaves the target as it was.
import type { RunRow } from './ledger-query.js';
import { LedgerError } from './ledger-errors.js';
import { sealRun } from './ledger-seal.js';
import type { LedgerVerification } from './ledger-walk.js';
import { isPostgresLocation } from './ledger-path.js';
import type { SignedStage } from './stage-file.js';

/** A run's row as both backends store it: the row both read, with its seal. */
export interface MovedRun extends RunRow {
  seal: string | null;
}

/** An event's row as both backends store it; prev_hash is empty where it is implicit. */
export interface MovedEvent {
  id: number;
  run_id: string;
  seq: number;
  at: number;
  kind: string;
  step: string | null;
  operator: string;
  payload: string;
  prev_hash: Buffer;
  hash: Buffer;
  idempotency_key: string | null;
}

/** One consistent read of a ledger (a snapshot), in pages. */
export interface LedgerSource {
  readonly location: string;
  readonly kind: 'SQLite' | 'PostgreSQL';
  /** ledger_meta as stored: how the chain is sealed, since when. */
  meta(): Promise<[string, string][]>;
  runs(): AsyncIterable<MovedRun[]>;
  /** In id order. */
  events(): AsyncIterable<MovedEvent[]>;
  /** The stage's signed records, oldest first (a stage file holds one); a note when one is unreadable. */
  stage(): Promise<{ rows: SignedStage[]; note?: string }>;
  close(): Promise<void>;
}

/** Where the ledger goes: written all or nothing. */
export interface LedgerTarget {
  readonly location: string;
  readonly kind: 'SQLite' | 'PostgreSQL';
  /** Opens the write; a LedgerError when the target is not empty. */
  begin(chainKey: string | undefined, stageRows: number): Promise<void>;
  meta(rows: [string, string][]): Promise<void>;
  runs(rows: MovedRun[]): Promise<void>;
  events(rows: MovedEvent[]): Promise<void>;
  /** After the last event: the chain's head is that event. */
  head(id: number, hash: Buffer): Promise<void>;
  stage(rows: SignedStage[]): Promise<void>;
  /** What was written, read back and verified before it is kept. */
  verify(chainKey: string | undefined): Promise<{ verification: LedgerVerification; runs: number; head: { id: number; hash: string } }>;
  commit(): Promise<void>;
  /** Leaves the target as it was. */
  abort(): Promise<void>;
}

export interface SideSummary {
  location: string;
  kind: 'SQLite' | 'PostgreSQL';
  runs: number;
  events: number;
  /** The last event's id and hash (hex); id 0 for an empty chain. */
  head: { id: number; hash: string };
}

export type MoveResult =
  | { ok: true; from: SideSummary; to: SideSummary; verification: LedgerVerification; sealed: number; stageRows: number; notes: string[] }
  /** Nothing was written: the source does not verify, or what was written did not and was dropped. */
  | { ok: false; side: 'source' | 'target'; location: string; verification: LedgerVerification; why?: string };

/** `from` and `to` as --from and --to give them: a file path or a postgres:// URL. */
export async function openSide(location: string): Promise<{ source: () => Promise<LedgerSource>; target: () => LedgerTarget; verify: (key: string | undefined) => Promise<LedgerVerification> }> {
  if (isPostgresLocation(location)) {
    const pg = await import('./move-pg.js');
    const { verifyPgLedger } = await import('./pg-verify.js');
    return { source: () => pg.pgSource(location), target: () => pg.pgTarget(location), verify: (chainKey) => verifyPgLedger(location, { chainKey }) };
  }
  const lite = await import('./move-sqlite.js');
  const { verifyLedgerFile } = await import('./ledger-verify.js');
  return { source: async () => lite.sqliteSource(location), target: () => lite.sqliteTarget(location), verify: (chainKey) => verifyLedgerFile(location, { chainKey }) };
}

/** Is the chain sealed with a key (ledger_meta's chain setting, as readChainSettings reads it)? */
const keyed = (meta: [string, string][]) => meta.some(([name, value]) => name === 'chain' && value === 'hmac-sha256');

export async function moveLedger(from: string, to: string, chainKey: string | undefined): Promise<MoveResult> {
  const src = await openSide(from);
  const dst = await openSide(to);
  const before = await src.verify(chainKey);
  if (!before.ok) return { ok: false, side: 'source', location: from, verification: before };
  const source = await src.source();
  const target = dst.target();
  try {
    const meta = await source.meta();
    const sealKey = keyed(meta) ? chainKey : undefined;
    const stage = await source.stage();
    await target.begin(chainKey, stage.rows.length);
    await target.meta(meta);
    let runs = 0;
    let sealed = 0;
    for await (const page of source.runs()) {
      // Rows from before run seals (SQLite v5) are sealed now, as that upgrade seals them.
      for (const r of page) {
        if (r.seal !== null) continue;
        r.seal = sealRun(sealKey, { runId: r.run_id, runbook: r.runbook, name: r.name, branch: r.branch, commitSha: r.commit_sha, backlogId: r.backlog_id, releaseType: r.release_type, startedAt: r.started_at });
        sealed++;
      }
      runs += page.length;
      await target.runs(page);
    }
    let events = 0;
    let head: { id: number; hash: Buffer } = { id: 0, hash: Buffer.alloc(32) };
    for await (const page of source.events()) {
      events += page.length;
      const last = page[page.length - 1];
      head = { id: last.id, hash: last.hash };
      await target.events(page);
    }
    await target.head(head.id, head.hash);
    await target.stage(stage.rows);
    const fromSide: SideSummary = { location: source.location, kind: source.kind, runs, events, head: { id: head.id, hash: head.hash.toString('hex') } };
    const written = await target.verify(chainKey);
    const v = written.verification;
    const toSide: SideSummary = { location: target.location, kind: target.kind, runs: written.runs, events: v.events, head: written.head };
    const why = !v.ok ? undefined : disagreement(fromSide, toSide);
    if (!v.ok || why) {
      await target.abort();
      return { ok: false, side: 'target', location: target.location, verification: v, why };
    }
    await target.commit();
    return { ok: true, from: fromSide, to: toSide, verification: v, sealed, stageRows: stage.rows.length, notes: stage.note ? [stage.note] : [] };
  } catch (err) {
    await target.abort().catch(() => {});
    if (err instanceof LedgerError) throw err;
    throw new LedgerError(`ledger migrate ${source.location} → ${target.location} failed: ${(err as Error).message}. Nothing was kept: the target is as it was.`, { cause: err });
  } finally {
    await source.close();
  }
}

function disagreement(a: SideSummary, b: SideSummary): string | undefined {
  if (a.runs !== b.runs) return `${b.runs} runs were written of ${a.runs}`;
  if (a.events !== b.events) return `${b.events} events were written of ${a.events}`;
  if (a.head.id !== b.head.id || a.head.hash !== b.head.hash) return `the chain's head differs: #${a.head.id} ${a.head.hash} read, #${b.head.id} ${b.head.hash} written`;
  return undefined;
}

/** A target that is not empty: what it holds, and what to do. */
export function notEmpty(location: string, what: string): LedgerError {
  return new LedgerError(`${location} is not empty: it holds ${what}. ledger migrate writes only into an empty ledger: choose a new file, or a new database set up with "opscockpit ledger init". Nothing was migrated.`);
}
