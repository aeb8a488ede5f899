// Which runs of the release ledger to show: the same filter for the ledger screen, `ledger
// list`, `ledger export` and reports. Parsing is pure and names what is wrong in words.
import type { RunRecord, RunStatus } from './ports.js';
import type { LedgerEvent } from './types.js';

export const RUN_STATUSES: readonly RunStatus[] = ['running', 'succeeded', 'failed', 'aborted', 'rolled_back'];

export interface LedgerFilter {
  /** Any of these (all when empty or unset). */
  status?: RunStatus[];
  type?: string;
  branch?: string;
  /** Started at or after (epoch ms). */
  since?: number;
  /** Started before (epoch ms). */
  until?: number;
}

export const DEFAULT_PAGE_SIZE = 20;

export class FilterError extends Error {}

export function parseStatuses(text: string): RunStatus[] {
  const words = text.split(',').map((w) => w.trim().toLowerCase().replace(/[ -]/g, '_')).filter(Boolean);
  if (!words.length) throw new FilterError(`a status is one of ${RUN_STATUSES.join(', ')}`);
  for (const w of words) {
    if (!(RUN_STATUSES as readonly string[]).includes(w)) throw new FilterError(`"${w}" is not a run status: use ${RUN_STATUSES.join(', ')}`);
  }
  return [...new Set(words)] as RunStatus[];
}

const RELATIVE = /^(\d+)\s*(m|min|h|d|w)$/i;
const UNIT_MS: Record<string, number> = { m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * A date as an operator types it: `2026-11-23` (UTC; as an end, the whole day counts),
 * `2026-11-23T14:00` (UTC unless a zone is given), or an age: `30m`, `24h`, `7d`, `2w` ago.
 */
export function parseDate(text: string, now: number, edge: 'start' | 'end' = 'start'): number {
  const t = text.trim();
  const rel = RELATIVE.exec(t);
  if (rel) return now - Number(rel[1]) * UNIT_MS[rel[2].toLowerCase()];
  if (DAY.test(t)) {
    const at = Date.parse(`${t}T00:00:00Z`);
    if (Number.isNaN(at)) throw new FilterError(`"${text}" is not a date`);
    return edge === 'end' ? at + 86_400_000 : at;
  }
  if (DATE_TIME.test(t)) {
    const iso = t.replace(' ', 'T');
    const at = Date.parse(/(Z|[+-]\d{2}:?\d{2})$/i.test(iso) ? iso : `${iso}Z`);
    if (!Number.isNaN(at)) return at;
  }
  throw new FilterError(`"${text}" is not a date: use 2026-11-23, 2026-11-23T14:00 (UTC unless a zone is given) or an age such as 24h or 7d`);
}

const FIELDS = ['status', 'type', 'branch', 'since', 'until'] as const;

/** `status:failed,aborted type:cutover branch:main since:7d until:2026-11-23`; empty text clears. */
export function parseFilterText(text: string, now: number): LedgerFilter {
  const filter: LedgerFilter = {};
  for (const word of text.trim().split(/\s+/).filter(Boolean)) {
    const m = /^([a-z]+)[:=](.+)$/i.exec(word);
    const field = m?.[1].toLowerCase();
    if (!m || !(FIELDS as readonly string[]).includes(field!)) {
      throw new FilterError(`"${word}" is not a filter: use status:S type:T branch:B since:DATE until:DATE`);
    }
    const value = m[2];
    if (field === 'status') filter.status = parseStatuses(value);
    else if (field === 'type') filter.type = value;
    else if (field === 'branch') filter.branch = value;
    else if (field === 'since') filter.since = parseDate(value, now, 'start');
    else filter.until = parseDate(value, now, 'end');
  }
  checkRange(filter);
  return filter;
}

export function checkRange(filter: LedgerFilter): void {
  if (filter.since !== undefined && filter.until !== undefined && filter.since >= filter.until) {
    throw new FilterError(`since (${isoMinute(filter.since)}) is not before until (${isoMinute(filter.until)})`);
  }
}

const isoMinute = (at: number) => new Date(at).toISOString().slice(0, 16).replace('T', ' ');

/** The filter back as text the operator can edit (dates to the minute, UTC). */
export function filterText(filter: LedgerFilter): string {
  const parts: string[] = [];
  if (filter.status?.length) parts.push(`status:${filter.status.join(',')}`);
  if (filter.type !== undefined) parts.push(`type:${filter.type}`);
  if (filter.branch !== undefined) parts.push(`branch:${filter.branch}`);
  if (filter.since !== undefined) parts.push(`since:${isoMinute(filter.since).replace(' ', 'T')}`);
  if (filter.until !== undefined) parts.push(`until:${isoMinute(filter.until).replace(' ', 'T')}`);
  return parts.join(' ');
}

/** The next status in the quick filter cycle: all → running → succeeded → … → all. */
export function nextStatusFilter(current: RunStatus[] | undefined): RunStatus[] | undefined {
  if (!current?.length) return [RUN_STATUSES[0]];
  if (current.length > 1) return undefined;
  const i = RUN_STATUSES.indexOf(current[0]);
  return i + 1 < RUN_STATUSES.length ? [RUN_STATUSES[i + 1]] : undefined;
}

export function pageCount(total: number, pageSize: number): number {
  return Math.max(1, Math.ceil(total / pageSize));
}

export type StatusCounts = Record<RunStatus, number>;

/** One row of the ledger screen: the run, how many events it has, who started it, its headline event. */
export interface RunSummary extends RunRecord {
  events: number;
  operator?: string;
  /** The last event that says how the run went (an action outcome, a verdict, a failed step…). */
  headline?: LedgerEvent;
  /** When its newest event was recorded. */
  lastAt?: number;
}

export interface LedgerPage {
  filter: LedgerFilter;
  /** 1-based, clamped to the last page. */
  page: number;
  pageSize: number;
  pages: number;
  /** Runs matching the whole filter. */
  total: number;
  /** Per status, for the filter without its status part (the counts at the top of the screen). */
  counts: StatusCounts;
  runs: RunSummary[];
}

/** A run's place in the newest-first order: its start time, then its id. */
export type RunKey = readonly [startedAt: number, runId: string];

/**
 * Where a page starts, by key instead of by count, so turning a page costs the same at page 2
 * and at page 600: the runs after the last one shown (next), before the first one shown (back),
 * or from the first one shown (the same page, re-read).
 */
export type PageCursor = { after: RunKey } | { before: RunKey } | { from: RunKey };

/** Reading the ledger page by page (adapters/ledger-query.ts). */
export interface LedgerBrowser {
  /** Page `page` of the filtered runs; with a cursor, `page` is only its number (the cursor says where it is). */
  page(filter: LedgerFilter, page: number, pageSize: number, cursor?: PageCursor): LedgerPage;
  summary(run: RunRecord): RunSummary;
  run(runId: string): RunRecord | undefined;
  eventsAfter(runId: string, afterSeq: number, limit: number): LedgerEvent[];
  /** Changes whenever the ledger may have changed (an event added, a run's status set), by any process. */
  changeMark(): string;
}

/**
 * The same reading, for a ledger that answers asynchronously (PostgreSQL; SQLite wrapped): the
 * ledger screen's reads, and what `ledger list/show/export` and reports read.
 */
export interface AsyncLedgerBrowser {
  page(filter: LedgerFilter, page: number, pageSize: number, cursor?: PageCursor): Promise<LedgerPage>;
  summary(run: RunRecord): Promise<RunSummary>;
  run(runId: string): Promise<RunRecord | undefined>;
  /** The newest run that is not the safety controls' own. */
  newest(): Promise<RunRecord | undefined>;
  eventsAfter(runId: string, afterSeq: number, limit: number): Promise<LedgerEvent[]>;
  eventsBefore(runId: string, beforeSeq: number, limit: number): Promise<LedgerEvent[]>;
  /**
   * The event's id and hash (`id:hash`), or undefined when there is none: the hash chain makes
   * it stand for every event of the ledger up to it, so an unchanged mark means nothing before
   * it changed (a transaction rolled back since, say). Inside atomically(): as of it.
   */
  eventMark(runId: string, seq: number): Promise<string | undefined>;
  /** Every event of a run, in order, read in pages. */
  events(runId: string): AsyncIterable<LedgerEvent>;
  /** Every run matching the filter, newest first, read in pages. */
  runs(filter: LedgerFilter): AsyncIterable<RunRecord>;
  /** The last succeeded run of the same runbook before this one with another commit. */
  previousRelease(run: RunRecord): Promise<RunRecord | undefined>;
  changeMark(): Promise<string>;
}
