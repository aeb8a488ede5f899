// The release ledger as text: status counts, one summary line per run, and the full detail of
// an event (time, operator, step, verdict, evidence, action output). Pure, shared by the
// ledger screen, `opscockpit ledger list/show` and the reports.
import type { RunRecord, RunStatus } from '../src/engine/ports.js';
import type { CheckResult, LedgerEvent } from '../src/engine/types.js';
import { RUN_STATUSES } from '../src/engine/ledger-filter.js';
import { describeEvent, formatDuration, gateLines, truncate } from './presentation.js';
import { oneLine } from '../src/visible.js';

export const statusWords = (s: RunStatus | string): string => s.replace('_', ' ');

/** `running 2 · succeeded 10,100 · failed 7 · aborted 3 · rolled back 1` */
export function statusCountsLine(counts: Record<RunStatus, number>): string {
  return RUN_STATUSES.map((s) => `${statusWords(s)} ${counts[s].toLocaleString('en')}`).join(' · ');
}

/** `2026-11-23 11:22` (UTC). */
export function formatStamp(at: number | undefined): string {
  return at === undefined ? '—' : new Date(at).toISOString().slice(0, 16).replace('T', ' ');
}

/** `2026-11-23 11:22:33` (UTC). */
export function formatStampSeconds(at: number): string {
  return new Date(at).toISOString().slice(0, 19).replace('T', ' ');
}

export interface SummaryFields {
  runId: string;
  status: RunStatus;
  releaseType?: string;
  branch?: string;
  startedAt: number;
  completedAt?: number;
  lastAt?: number;
  events: number;
  operator?: string;
  name: string;
  headline?: LedgerEvent;
}

/** How long the run took, or has been going (to its newest event) while it runs. */
export function runDuration(r: Pick<SummaryFields, 'startedAt' | 'completedAt' | 'lastAt' | 'status'>): string {
  const end = r.completedAt ?? r.lastAt;
  if (end === undefined) return '—';
  return `${formatDuration(end - r.startedAt)}${r.completedAt === undefined ? '+' : ''}`;
}

interface Column {
  name: string;
  width: number;
  right?: boolean;
  value(r: SummaryFields): string;
}

const col = (name: string, width: number, value: Column['value'], right = false): Column => ({ name, width, value, right });

const RUN = col('RUN', 22, (r) => r.runId);
const STATUS = col('STATUS', 11, (r) => statusWords(r.status));
const TYPE = col('TYPE', 8, (r) => r.releaseType ?? '-');
const BRANCH = col('BRANCH', 10, (r) => r.branch ?? '-');
const STARTED_FULL = col('STARTED (UTC)', 16, (r) => formatStamp(r.startedAt));
const STARTED = col('STARTED', 11, (r) => formatStamp(r.startedAt).slice(5));
const DURATION = col('DURATION', 10, (r) => runDuration(r));
const EVENTS = col('EVENTS', 6, (r) => r.events.toLocaleString('en'), true);
const OPERATOR = col('OPERATOR', 10, (r) => r.operator ?? '-');
/** What happened gets what is left, but at least this much. */
const WHAT_MIN = 16;

const span = (cols: Column[]) => cols.reduce((n, c) => n + c.width + 1, 0);

/** The columns that fit: the full set with the year when there is room; on narrow screens the least needed go first. */
export function tableColumns(width: number): Column[] {
  const full = [RUN, STATUS, TYPE, BRANCH, STARTED_FULL, DURATION, EVENTS, OPERATOR];
  if (span(full) + WHAT_MIN <= width) return full;
  let cols = [RUN, STATUS, TYPE, BRANCH, STARTED, DURATION, EVENTS, OPERATOR];
  for (const drop of [EVENTS, OPERATOR, DURATION, BRANCH, TYPE]) {
    if (span(cols) + WHAT_MIN <= width) break;
    cols = cols.filter((c) => c !== drop);
  }
  return cols;
}

const cell = (text: string, c: Column) => {
  const t = truncate(text, c.width);
  return c.right ? t.padStart(c.width) : t.padEnd(c.width);
};

export function runTableHeader(width: number): string {
  return truncate(`${tableColumns(width).map((c) => cell(c.name, c)).join(' ')} WHAT HAPPENED`, width);
}

/** One run on one line, the same columns as the header. */
export function runSummaryLine(r: SummaryFields, width: number): string {
  const what = r.headline ? describeEvent(r.headline) : r.name;
  return truncate(`${tableColumns(width).map((c) => cell(c.value(r), c)).join(' ')} ${what}`, width);
}

/** The head of a run's detail: what it was, when, and its outcome. */
export function runHeaderLines(r: RunRecord & { events?: number; operator?: string }): string[] {
  const release = [r.releaseType && `type ${r.releaseType}`, r.branch && `branch ${r.branch}`, r.commitSha && `commit ${r.commitSha}`, r.backlogId && `backlog ${r.backlogId}`]
    .filter(Boolean)
    .join(' · ');
  const lines = [`${r.runId} — ${r.name}: ${statusWords(r.status).toUpperCase()}`];
  if (release) lines.push(release);
  const started = `started ${formatStampSeconds(r.startedAt)} UTC${r.operator ? ` by ${r.operator}` : ''}`;
  const ended = r.completedAt !== undefined ? ` · completed ${formatStampSeconds(r.completedAt)} UTC (${formatDuration(r.completedAt - r.startedAt)})` : '';
  lines.push(`${started}${ended}${r.events !== undefined ? ` · ${r.events.toLocaleString('en')} events` : ''}`);
  if (r.note) lines.push(`note: ${r.note}`);
  lines.push(`runbook ${r.runbook}`);
  return lines;
}

/** `11:22:33.123`: events can be milliseconds apart. */
export function formatTime(at: number): string {
  return new Date(at).toISOString().slice(11, 23);
}

/** The step an event is about, if any. */
export function eventStep(ev: LedgerEvent): string | undefined {
  const b = ev.body;
  if ('step' in b && typeof b.step === 'string') return b.step;
  if (b.kind === 'check.changed') return b.check;
  return undefined;
}

/** The verdict an event carries, if any: a gate verdict, a check status, an action outcome. */
export function eventVerdict(ev: LedgerEvent): string | undefined {
  const b = ev.body;
  switch (b.kind) {
    case 'verdict.changed':
      return b.verdict;
    case 'step.result':
    case 'check.changed':
      return b.result.status;
    case 'action.completed':
      return b.status;
    case 'gate.judged':
      return b.result.verdict;
    case 'canary.window':
      return b.window.verdict;
    case 'action.refused':
      return 'refused';
    case 'run.completed':
      return b.status;
    default:
      return undefined;
  }
}

function resultLines(r: CheckResult, keep?: number): string[] {
  const facts = [
    r.httpStatus !== undefined && `HTTP ${r.httpStatus}`,
    r.latencyMs !== undefined && `${Math.round(r.latencyMs)} ms`,
    r.exitCode !== undefined && `exit ${r.exitCode}`,
    r.signal && `signal ${r.signal}`,
    r.fresh && 'fresh (304)',
    `took ${formatDuration(r.durationMs)}`,
  ].filter(Boolean);
  const lines = [`evidence: ${r.code} · ${facts.join(' · ')}`];
  if (r.evidence) lines.push(`evidence file ${r.evidence.path} sha256 ${r.evidence.sha256 ?? 'missing'}${r.evidence.tampered ? ' TAMPERED' : ''}`);
  if (r.gate) lines.push(...gateLines(r.gate));
  if (r.failure) lines.push(remedyText(r.failure));
  if (r.output) lines.push(...outputLines(r.output, keep));
  return lines;
}

/** Output as indented lines; `keep` cuts it to its last lines (the screen), otherwise all of it. */
function outputLines(output: string, keep?: number): string[] {
  const lines = output.replace(/\n$/, '').split(/\r?\n/);
  if (!output.trim()) return [];
  if (keep === undefined || lines.length <= keep) return lines.map((l) => `| ${l}`);
  return [`| … ${lines.length - keep} earlier lines`, ...lines.slice(-keep).map((l) => `| ${l}`)];
}

/** Everything an event says beyond its one-line description: each line one line (oneLine). */
export function eventDetail(ev: LedgerEvent, opts: { outputLines?: number } = {}): string[] {
  return detailLines(ev, opts).map(oneLine);
}

function detailLines(ev: LedgerEvent, opts: { outputLines?: number }): string[] {
  const b = ev.body;
  switch (b.kind) {
    case 'step.result':
    case 'check.changed':
      return resultLines(b.result, opts.outputLines);
    case 'verdict.changed':
      return b.reasons.map((r) => `reason: ${r}`);
    case 'action.requested':
      return [`confirmed with "${b.confirmedWith}"${b.mode ? ` · mode ${b.mode}` : ''}${b.window ? ` · window ${b.window}` : ''}`];
    case 'action.completed': {
      const facts = [b.exitCode !== undefined && `exit ${b.exitCode}`, b.signal && `signal ${b.signal}`, `took ${formatDuration(b.durationMs)}`].filter(Boolean);
      const lines = [`outcome: ${b.status} · ${facts.join(' · ')}`];
      if (b.failure) lines.push(remedyText(b.failure));
      return [...lines, ...outputLines(b.output, opts.outputLines)];
    }
    case 'action.refused':
      return [`remedy: ${b.remedy}`];
    case 'gate.judged':
      return [...gateLines(b.result), ...(b.evidence ? [`evidence file ${b.evidence.path} sha256 ${b.evidence.sha256}`] : [])];
    case 'evidence.recorded':
      return [`evidence file ${b.path} sha256 ${b.sha256} · ${b.samples} samples · ${b.state}`];
    case 'evidence.tampered':
      return [`evidence file ${b.path}: expected sha256 ${b.expected}, found ${b.actual ?? 'no file'}`];
    case 'canary.window': {
      const values = Object.entries(b.window.values).map(([k, v]) => `${k}=${v ?? '—'}`);
      return [...(values.length ? [`values: ${values.join(' ')}`] : []), ...b.window.reasons.slice(1).map((r) => `reason: ${r}`)];
    }
    case 'notify.sent':
    case 'notify.failed':
      return b.errors.length ? [`attempts: ${b.errors.join(' → ')}${b.kind === 'notify.sent' ? ` → HTTP ${b.httpStatus}` : ''}`] : [];
    default:
      return [];
  }
}

/** An event as the detail view shows it: a line with time, seq, operator, step and verdict, then its detail indented. */
export function eventLines(ev: LedgerEvent, width: number, opts: { outputLines?: number } = {}): string[] {
  const step = eventStep(ev);
  const text = describeEvent(ev);
  const head = `${formatTime(ev.at)} #${String(ev.seq).padEnd(5)} ${truncate(ev.operator, 10).padEnd(10)} ${text}${step && !text.startsWith(step) ? ` [${step}]` : ''}`;
  return [truncate(head, width), ...eventDetail(ev, opts).map((l) => truncate(`${' '.repeat(21)}${l}`, width))];
}

/** A failure class with its remedy steps on one line. */
function remedyText(f: { class: string; remedy: string[] }): string {
  return `${f.class} — remedy: ${f.remedy.join('; ')}`;
}
