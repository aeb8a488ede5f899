// Walking a ledger's hash chain in id order, over rows read from either backend (SQLite pages
// in ledger-verify.ts, PostgreSQL pages in pg-verify.ts): the first place it breaks, and each
// run's status against its last run.completed event.
import type { RunStatus } from '../src/engine/ports.js';
import type { ChainSettings } from './ledger-migrations.js';
import type { HexRowHasher } from './ledger-hasher.js';
import type { IntegrityFindings } from './ledger-integrity.js';

export type BreakReason = 'hash mismatch' | 'prev_hash mismatch' | 'missing row' | 'gap';

export interface ChainBreak {
  /** The event where the chain breaks; for rows cut off the end, the last one left (0 if none). */
  id: number;
  runId: string;
  seq: number;
  reason: BreakReason;
  /** 'missing row': the ids that are gone (before `id`, or after it when cut off the end). */
  missing?: { from: number; to: number };
  /** 'gap': the seq the run's next event should have had. */
  expectedSeq?: number;
}

export interface RunStatusMismatch {
  runId: string;
  /** What the runs table says. */
  status: RunStatus;
  /** What the run's last run.completed event says. */
  completedAs: string;
  eventId: number;
  seq: number;
}

export interface LedgerVerification {
  ok: boolean;
  events: number;
  firstBroken?: ChainBreak;
  runMismatches: RunStatusMismatch[];
  /** Besides the chain (ledger-integrity.ts): each fails verify. */
  problems: string[];
  /** What verify cannot prove here, said plainly. */
  notes: string[];
  chain: ChainSettings;
  /** How many walks shared the ledger (2: two halves at once, see verifyLedgerFile). */
  walks?: number;
}

/** What one walk over a range of ids found; ranges walked apart are merged by `mergeScans`. */
export interface RangeScan {
  events: number;
  broken?: ChainBreak;
  lastId: number;
  lastRun: string;
  lastSeqOfRow: number;
  /** For a range after the first: each run's first event in it, checked against the range before. */
  firstSeen: [runId: string, seq: number, id: number][];
  lastSeq: [runId: string, seq: number][];
  completed: [runId: string, payload: string, id: number, seq: number][];
}

/** One event as verify reads it: the chain's columns, prev_hash and hash as lowercase hex ('' when empty). */
export type VerifyRow = [number, string, number, number, string, string | null, string, string, string, string];

/**
 * Walks the events with from < id <= to in id order, each row's hash checked with `hashRow`
 * (hexRowHasher for the ledger's key); rows come in pages through add(). `startPrev` is the
 * stored hash of event `from` (the genesis for the first range). A range after the first does
 * not know the runs' earlier seqs: each run's first event in it is reported in `firstSeen`.
 */
export class ChainWalk {
  private readonly first: boolean;
  private events = 0;
  private broken?: ChainBreak;
  lastId: number;
  private lastRun = '';
  private lastSeqOfRow = 0;
  private prevHash: string;
  private readonly lastSeq = new Map<string, number>();
  private readonly firstSeen: RangeScan['firstSeen'] = [];
  private readonly completed = new Map<string, { payload: string; id: number; seq: number }>();

  constructor(private readonly hashRow: HexRowHasher, from: number, startPrev: string) {
    this.first = from === 0;
    this.lastId = from;
    this.prevHash = startPrev;
  }

  add(rows: readonly VerifyRow[]): void {
    const { hashRow, lastSeq, completed } = this;
    for (let i = 0; i < rows.length; i++) {
      const [id, runId, seq, at, kind, step, operator, payload, prev, hash] = rows[i];
      this.events++;
      if (kind === 'run.completed') completed.set(runId, { payload, id, seq });
      if (!this.broken) {
        let broken: ChainBreak | undefined;
        if (id !== this.lastId + 1) broken = { id, runId, seq, reason: 'missing row', missing: { from: this.lastId + 1, to: id - 1 } };
        else {
          // Events written since prev_hash went implicit leave it empty: the link is the
          // hash of the event before. One that stores it is held to it.
          const link = prev === '' ? this.prevHash : prev;
          if (hash === '' || hashRow(id, runId, seq, at, kind, step, operator, payload, link) !== hash) broken = { id, runId, seq, reason: 'hash mismatch' };
          else if (link !== this.prevHash) broken = { id, runId, seq, reason: 'prev_hash mismatch' };
        }
        if (!broken) {
          const before = lastSeq.get(runId);
          if (before === undefined && !this.first) this.firstSeen.push([runId, seq, id]);
          else {
            const expected = (before ?? 0) + 1;
            if (seq !== expected) broken = { id, runId, seq, reason: 'gap', expectedSeq: expected };
          }
          lastSeq.set(runId, seq);
        }
        this.broken = broken;
        this.lastRun = runId;
        this.lastSeqOfRow = seq;
        this.prevHash = hash;
      }
      this.lastId = id;
    }
  }

  scan(): RangeScan {
    return {
      events: this.events,
      broken: this.broken,
      lastId: this.lastId,
      lastRun: this.lastRun,
      lastSeqOfRow: this.lastSeqOfRow,
      firstSeen: this.firstSeen,
      lastSeq: [...this.lastSeq],
      completed: [...this.completed].map(([runId, c]) => [runId, c.payload, c.id, c.seq]),
    };
  }
}

/**
 * Two adjacent ranges as one walk: the first break by id wins (at the same event, the later
 * range's own finding, as a walk in one go checks the hash before the seq); each run's first
 * event in the later range must follow its last seq in the earlier one.
 */
export function mergeScans(a: RangeScan, b: RangeScan): RangeScan {
  if (b.events === 0) return a;
  const seqs = new Map(a.lastSeq);
  let broken = a.broken;
  if (!broken) {
    const candidates: ChainBreak[] = b.broken ? [b.broken] : [];
    for (const [runId, seq, id] of b.firstSeen) {
      const expected = (seqs.get(runId) ?? 0) + 1;
      if (seq !== expected && !(b.broken && b.broken.id <= id)) candidates.push({ id, runId, seq, reason: 'gap', expectedSeq: expected });
    }
    broken = candidates.sort((x, y) => x.id - y.id)[0];
    for (const [runId, seq] of b.lastSeq) seqs.set(runId, seq);
    return {
      events: a.events + b.events,
      broken,
      lastId: b.lastId,
      lastRun: b.lastRun,
      lastSeqOfRow: b.lastSeqOfRow,
      firstSeen: a.firstSeen,
      lastSeq: [...seqs],
      completed: [...a.completed, ...b.completed],
    };
  }
  return { ...a, events: a.events + b.events, lastId: b.lastId, completed: [...a.completed, ...b.completed] };
}

/** What the backend knows beside the walk: the highest id ever used, run statuses, other findings. */
export interface ChainContext {
  /** The highest event id the ledger ever handed out: rows cut off the end leave it behind. */
  usedThrough: number;
  status: Map<string, RunStatus>;
  findings: IntegrityFindings;
  chain: ChainSettings;
}

/** The verdict: rows cut off the end, and runs whose status disagrees with their run.completed event. */
export function judgeChain(scan: RangeScan, ctx: ChainContext): LedgerVerification {
  let broken = scan.broken;
  const used = ctx.usedThrough;
  if (!broken && used > scan.lastId) broken = { id: scan.lastId, runId: scan.lastRun, seq: scan.lastSeqOfRow, reason: 'missing row', missing: { from: scan.lastId + 1, to: used } };
  const completed = new Map<string, { payload: string; id: number; seq: number }>();
  for (const [runId, payload, id, seq] of scan.completed) completed.set(runId, { payload, id, seq });
  const runMismatches: RunStatusMismatch[] = [];
  for (const [runId, c] of completed) {
    const completedAs = completedStatus(c.payload);
    const recorded = ctx.status.get(runId);
    if (recorded !== undefined && recorded !== completedAs) runMismatches.push({ runId, status: recorded, completedAs, eventId: c.id, seq: c.seq });
  }
  runMismatches.sort((a, b) => a.eventId - b.eventId);
  const { problems, notes } = ctx.findings;
  return { ok: !broken && runMismatches.length === 0 && problems.length === 0, events: scan.events, firstBroken: broken, runMismatches, problems, notes, chain: ctx.chain };
}

function completedStatus(payload: string): string {
  try {
    return String((JSON.parse(payload) as { status?: unknown }).status);
  } catch {
    return '(unreadable)';
  }
}

