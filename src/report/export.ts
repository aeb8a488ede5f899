// CSV rows of the release ledger (RFC 4180: comma, CRLF, quotes doubled). Text that a
// spreadsheet would run as a formula (=, +, -, @ first) is prefixed with ' so that opening an
// export never executes what an operator typed into a note.
import type { LedgerEvent } from '../engine/types.js';
import type { RunSummary } from '../engine/ledger-filter.js';
import { describeEvent } from '../../screens/presentation.js';
import { eventStep, eventVerdict } from '../../screens/ledger-presentation.js';

export function csvCell(value: string | number | undefined | null, opts: { text?: boolean } = {}): string {
  if (value === undefined || value === null) return '';
  let s = String(value);
  if (opts.text !== false && typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const iso = (at: number | undefined) => (at === undefined ? undefined : new Date(at).toISOString());

/** Seed 000's release-ledger fields, then what the ledger adds. */
const RUN_COLUMNS = ['run_id', 'status', 'branch', 'commit_sha', 'backlog_id', 'release_type', 'released_at', 'completed_at', 'note', 'started_at', 'name', 'runbook', 'events', 'operator'];

export const runsCsvHeader = (): string => RUN_COLUMNS.join(',');

export function runCsvRow(r: RunSummary): string {
  return [
    csvCell(r.runId),
    csvCell(r.status),
    csvCell(r.branch),
    csvCell(r.commitSha),
    csvCell(r.backlogId),
    csvCell(r.releaseType),
    csvCell(iso(r.releasedAt)),
    csvCell(iso(r.completedAt)),
    csvCell(r.note),
    csvCell(iso(r.startedAt)),
    csvCell(r.name),
    csvCell(r.runbook),
    csvCell(r.events),
    csvCell(r.operator),
  ].join(',');
}

const EVENT_COLUMNS = ['run_id', 'seq', 'at', 'operator', 'kind', 'step', 'verdict', 'what', 'payload'];

export const eventsCsvHeader = (): string => EVENT_COLUMNS.join(',');

export function eventCsvRow(ev: LedgerEvent): string {
  return [
    csvCell(ev.runId),
    csvCell(ev.seq),
    csvCell(iso(ev.at)),
    csvCell(ev.operator),
    csvCell(ev.body.kind),
    csvCell(eventStep(ev)),
    csvCell(eventVerdict(ev)),
    csvCell(describeEvent(ev)),
    // The payload is data for programs, kept exactly as recorded.
    csvCell(JSON.stringify(ev.body), { text: false }),
  ].join(',');
}
