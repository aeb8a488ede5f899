// `opscockpit ledger list | show` (and the helpers `export` shares): the release ledger from the command line, read
// through the same queries as the cockpit's ledger screen.
import { existsSync } from 'node:fs';
import { chainKeyFrom, chosenLedgerPath } from '../../../adapters/ledger.js';
import { LedgerError, noLedgerAt } from '../../../adapters/ledger-errors.js';
import { isPostgresLocation } from '../../../adapters/ledger-path.js';
import { collect, openLedgerReader, type LedgerReader } from '../../../adapters/ledger-reader.js';
import type { RunRecord } from '../../engine/ports.js';
import type { LedgerEvent } from '../../engine/types.js';
import { DEFAULT_PAGE_SIZE, FilterError, type AsyncLedgerBrowser, checkRange, filterText, parseDate, parseStatuses, type LedgerFilter, type RunSummary } from '../../engine/ledger-filter.js';
import { describeEvent } from '../../../screens/presentation.js';
import { eventLines, runHeaderLines, runSummaryLine, runTableHeader, statusCountsLine } from '../../../screens/ledger-presentation.js';
import { UsageError } from '../errors.js';
import { parseCommandArgs } from '../args.js';
import type { Io } from '../main.js';
import { postgresFromEnv } from './ledger-verify.js';

type Values = Record<string, string | boolean | undefined>;

export const LOCATION = { ledger: { type: 'string' }, runbook: { type: 'string' } } as const;
export const FILTERS = {
  status: { type: 'string' },
  type: { type: 'string' },
  branch: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
} as const;

export function parse(args: string[], options: Record<string, { type: 'string' | 'boolean' }>): { values: Values; positionals: string[] } {
  return parseCommandArgs('ledger', args, options) as { values: Values; positionals: string[] };
}

/**
 * The ledger named by --ledger (a file or a postgres:// URL), --runbook, or
 * OPSCOCKPIT_LEDGER=postgres://…, else the default file here; a file must exist.
 */
export function ledgerLocation(values: Values, env: NodeJS.ProcessEnv, command = 'ledger'): string {
  if (values.ledger !== undefined && values.runbook !== undefined) throw new UsageError('give --ledger or --runbook, not both', command);
  const url = (values.ledger as string | undefined) ?? (values.runbook === undefined ? postgresFromEnv(env) : undefined);
  if (url !== undefined && isPostgresLocation(url)) return url;
  const path = chosenLedgerPath(values);
  if (!existsSync(path)) throw noLedgerAt(path, values);
  return path;
}

/** The ledger at `location` (ledgerLocation), open to read; its `location` is the one to print. */
export function openForReading(location: string, io: Io): Promise<LedgerReader> {
  return openLedgerReader(location, chainKeyFrom(io.env));
}

/** --status, --type, --branch, --since, --until as a filter; a bad value is named with its flag. */
export function filterFrom(values: Values, now: number, command = 'ledger'): LedgerFilter {
  const named = <T>(flag: string, read: () => T): T => {
    try {
      return read();
    } catch (err) {
      if (err instanceof FilterError) throw new UsageError(`${flag}: ${err.message}`, command);
      throw err;
    }
  };
  const f: LedgerFilter = {};
  if (values.status !== undefined) f.status = named('--status', () => parseStatuses(values.status as string));
  if (values.type !== undefined) f.type = values.type as string;
  if (values.branch !== undefined) f.branch = values.branch as string;
  if (values.since !== undefined) f.since = named('--since', () => parseDate(values.since as string, now, 'start'));
  if (values.until !== undefined) f.until = named('--until', () => parseDate(values.until as string, now, 'end'));
  named('--since/--until', () => checkRange(f));
  return f;
}

function wholeNumber(values: Values, name: string, fallback: number): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a whole number ≥ 1, not "${raw}"`, 'ledger');
  return n;
}

export const isoOrNull = (at: number | undefined) => (at === undefined ? null : new Date(at).toISOString());

export function filterJson(f: LedgerFilter) {
  return { ...f, ...(f.since !== undefined ? { since: isoOrNull(f.since) } : {}), ...(f.until !== undefined ? { until: isoOrNull(f.until) } : {}) };
}

function summaryJson(r: RunSummary) {
  const { headline, ...rest } = r;
  return { ...rest, ...(headline ? { headline: { seq: headline.seq, at: headline.at, kind: headline.body.kind, text: describeEvent(headline) } } : {}) };
}

const width = (io: Io) => Math.max(100, io.stdout.columns || 160);

export async function ledgerSubcommand(sub: string, args: string[], io: Io): Promise<number> {
  if (sub === 'list') return listCommand(args, io);
  if (sub === 'show') return showCommand(args, io);
  return (await import('./ledger-export.js')).exportCommand(args, io);
}

async function listCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, { ...LOCATION, ...FILTERS, page: { type: 'string' }, 'page-size': { type: 'string' }, json: { type: 'boolean' } });
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`, 'ledger');
  const filter = filterFrom(values, Date.now());
  const page = wholeNumber(values, 'page', 1);
  const size = wholeNumber(values, 'page-size', DEFAULT_PAGE_SIZE);
  const ledger = await openForReading(ledgerLocation(values, io.env), io);
  const path = ledger.location;
  try {
    const data = await ledger.browser.page(filter, page, size);
    if (values.json) {
      io.stdout.write(
        JSON.stringify({ schema: 'opscockpit.ledger-list/v1', ledger: path, filter: filterJson(filter), page: data.page, pages: data.pages, pageSize: size, total: data.total, counts: data.counts, runs: data.runs.map(summaryJson) }, null, 2) + '\n',
      );
      return 0;
    }
    const w = width(io);
    const lines = [`ledger ${path}`, statusCountsLine(data.counts)];
    const text = filterText(filter);
    lines.push(`${text ? `filter ${text} · ` : ''}page ${data.page} of ${data.pages} (${data.total.toLocaleString('en')} run${data.total === 1 ? '' : 's'})`);
    if (page > data.pages) lines.push(`(there is no page ${page}: the last page is ${data.pages})`);
    lines.push('');
    if (!data.runs.length) lines.push(text ? 'No run matches this filter.' : 'No runs recorded yet.');
    else lines.push(runTableHeader(w), ...data.runs.map((r) => runSummaryLine(r, w)));
    if (data.page < data.pages) lines.push('', `next: opscockpit ledger list ${nextArgs(args, data.page + 1)}`);
    io.stdout.write(lines.join('\n') + '\n');
    return 0;
  } finally {
    await ledger.close();
  }
}

/** The same command line with --page N. */
function nextArgs(args: string[], page: number): string {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--page') i++;
    else if (!args[i].startsWith('--page=')) out.push(/\s/.test(args[i]) ? `'${args[i]}'` : args[i]);
  }
  return [...out, '--page', String(page)].join(' ');
}

/** RUN_ID, or "last" for the newest run. */
export async function findRun(q: AsyncLedgerBrowser, id: string, path: string): Promise<RunRecord> {
  const run = id === 'last' ? await q.newest() : await q.run(id);
  if (!run) throw new LedgerError(id === 'last' ? `ledger ${path} has no runs yet.` : `no run ${id} in ledger ${path}. \`opscockpit ledger list\` shows the run ids.`);
  return run;
}

async function showCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, { ...LOCATION, json: { type: 'boolean' } });
  if (positionals.length !== 1) throw new UsageError(positionals.length ? 'give exactly one RUN_ID' : 'missing RUN_ID (`opscockpit ledger list` shows them; "last" is the newest)', 'ledger');
  const ledger = await openForReading(ledgerLocation(values, io.env), io);
  const path = ledger.location;
  try {
    const q = ledger.browser;
    const summary = await q.summary(await findRun(q, positionals[0], path));
    if (values.json) {
      const events: LedgerEvent[] = await collect(q.events(summary.runId));
      io.stdout.write(JSON.stringify({ schema: 'opscockpit.ledger-show/v1', ledger: path, run: summaryJson(summary), events }, null, 2) + '\n');
      return 0;
    }
    // In full: nothing is cut, output lines included.
    const lines = [...runHeaderLines(summary), ''];
    for await (const ev of q.events(summary.runId)) lines.push(...eventLines(ev, Number.MAX_SAFE_INTEGER));
    io.stdout.write(lines.join('\n') + '\n');
    return 0;
  } finally {
    await ledger.close();
  }
}
