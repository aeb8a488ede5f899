// `opscockpit ledger list | show | export`: the release ledger from the command line, read
// through the same queries as the cockpit's ledger screen.
import { existsSync, openSync, closeSync, writeSync } from 'node:fs';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chainKeyFrom, defaultLedgerPath, LedgerError, openLedger, type SqliteLedger } from '../../../adapters/ledger.js';
import type { LedgerQuery } from '../../../adapters/ledger-query.js';
import type { RunRecord } from '../../engine/ports.js';
import type { LedgerEvent } from '../../engine/types.js';
import { DEFAULT_PAGE_SIZE, FilterError, checkRange, filterText, parseDate, parseStatuses, type LedgerFilter, type RunSummary } from '../../engine/ledger-filter.js';
import { describeEvent } from '../../../screens/presentation.js';
import { eventLines, runHeaderLines, runSummaryLine, runTableHeader, statusCountsLine } from '../../../screens/ledger-presentation.js';
import { eventsCsvHeader, eventCsvRow, runsCsvHeader, runCsvRow } from '../../report/export.js';
import { UsageError } from '../errors.js';
import type { Io } from '../main.js';

type Values = Record<string, string | boolean | undefined>;

const LOCATION = { ledger: { type: 'string' }, runbook: { type: 'string' } } as const;
const FILTERS = {
  status: { type: 'string' },
  type: { type: 'string' },
  branch: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
} as const;

function parse(args: string[], options: Record<string, { type: 'string' | 'boolean' }>): { values: Values; positionals: string[] } {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true }) as { values: Values; positionals: string[] };
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message.split('\n')[0] : String(err), 'ledger');
  }
}

/** The ledger file named by --ledger / --runbook (or the default here); it must exist. */
export function ledgerLocation(values: Values, command = 'ledger'): string {
  if (values.ledger !== undefined && values.runbook !== undefined) throw new UsageError('give --ledger or --runbook, not both', command);
  const path = resolve(
    (values.ledger as string | undefined) ?? (values.runbook ? defaultLedgerPath(resolve(values.runbook as string)) : resolve('.opscockpit', 'ledger.db')),
  );
  if (!existsSync(path)) throw new LedgerError(`no ledger at ${path}. Give its location with --ledger PATH or --runbook FILE.`);
  return path;
}

export function openForReading(path: string, io: Io): SqliteLedger {
  return openLedger(path, { chainKey: chainKeyFrom(io.env) });
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

const isoOrNull = (at: number | undefined) => (at === undefined ? null : new Date(at).toISOString());

function filterJson(f: LedgerFilter) {
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
  return exportCommand(args, io);
}

function listCommand(args: string[], io: Io): number {
  const { values, positionals } = parse(args, { ...LOCATION, ...FILTERS, page: { type: 'string' }, 'page-size': { type: 'string' }, json: { type: 'boolean' } });
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`, 'ledger');
  const filter = filterFrom(values, Date.now());
  const page = wholeNumber(values, 'page', 1);
  const size = wholeNumber(values, 'page-size', DEFAULT_PAGE_SIZE);
  const path = ledgerLocation(values);
  const ledger = openForReading(path, io);
  try {
    const data = ledger.browse().page(filter, page, size);
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
    ledger.close();
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
export function findRun(q: LedgerQuery, id: string, path: string): RunRecord {
  const run = id === 'last' ? q.newest() : q.run(id);
  if (!run) throw new LedgerError(id === 'last' ? `ledger ${path} has no runs yet.` : `no run ${id} in ledger ${path}. \`opscockpit ledger list\` shows the run ids.`);
  return run;
}

function showCommand(args: string[], io: Io): number {
  const { values, positionals } = parse(args, { ...LOCATION, json: { type: 'boolean' } });
  if (positionals.length !== 1) throw new UsageError(positionals.length ? 'give exactly one RUN_ID' : 'missing RUN_ID (`opscockpit ledger list` shows them; "last" is the newest)', 'ledger');
  const path = ledgerLocation(values);
  const ledger = openForReading(path, io);
  try {
    const q = ledger.browse();
    const summary = q.summary(findRun(q, positionals[0], path));
    if (values.json) {
      const events: LedgerEvent[] = [...q.events(summary.runId)];
      io.stdout.write(JSON.stringify({ schema: 'opscockpit.ledger-show/v1', ledger: path, run: summaryJson(summary), events }, null, 2) + '\n');
      return 0;
    }
    // In full: nothing is cut, output lines included.
    const lines = [...runHeaderLines(summary), ''];
    for (const ev of q.events(summary.runId)) lines.push(...eventLines(ev, Number.MAX_SAFE_INTEGER));
    io.stdout.write(lines.join('\n') + '\n');
    return 0;
  } finally {
    ledger.close();
  }
}

/** Writes in chunks, to a file or to stdout (waiting when the pipe is full). */
class Sink {
  private buf: string[] = [];
  private size = 0;
  constructor(
    private readonly fd: number | undefined,
    private readonly stdout: NodeJS.WriteStream,
  ) {}

  async write(text: string): Promise<void> {
    this.buf.push(text);
    this.size += text.length;
    if (this.size >= 1 << 16) await this.flush();
  }

  async flush(): Promise<void> {
    if (!this.buf.length) return;
    const chunk = this.buf.join('');
    this.buf = [];
    this.size = 0;
    if (this.fd !== undefined) writeSync(this.fd, chunk);
    else if (!this.stdout.write(chunk)) await once(this.stdout, 'drain');
  }
}

async function exportCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, { ...LOCATION, ...FILTERS, format: { type: 'string' }, events: { type: 'boolean' }, out: { type: 'string' } });
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`, 'ledger');
  const format = values.format;
  if (format !== 'csv' && format !== 'json') throw new UsageError(format === undefined ? 'ledger export needs --format csv or --format json' : `--format must be csv or json, not "${format}"`, 'ledger');
  const filter = filterFrom(values, Date.now());
  const path = ledgerLocation(values);
  const withEvents = values.events === true;
  const ledger = openForReading(path, io);
  const out = values.out !== undefined ? resolve(values.out as string) : undefined;
  let fd: number | undefined;
  try {
    fd = out === undefined ? undefined : openSync(out, 'w');
  } catch (err) {
    ledger.close();
    throw new LedgerError(`cannot write ${out}: ${(err as Error).message}`);
  }
  const sink = new Sink(fd, io.stdout);
  let runs = 0;
  let events = 0;
  try {
    const q = ledger.browse();
    if (format === 'csv') {
      await sink.write((withEvents ? eventsCsvHeader() : runsCsvHeader()) + '\r\n');
      for (const run of q.runs(filter)) {
        runs++;
        if (!withEvents) {
          await sink.write(runCsvRow(q.summary(run)) + '\r\n');
          continue;
        }
        for (const ev of q.events(run.runId)) {
          events++;
          await sink.write(eventCsvRow(ev) + '\r\n');
        }
      }
    } else {
      await sink.write(`{"schema":"opscockpit.ledger-export/v1","ledger":${JSON.stringify(path)},"exportedAt":${JSON.stringify(new Date().toISOString())},"filter":${JSON.stringify(filterJson(filter))},"runs":[`);
      for (const run of q.runs(filter)) {
        const { headline: _headline, events: eventCount, ...fields } = q.summary(run);
        const head = JSON.stringify({ ...fields, eventCount });
        await sink.write(`${runs++ ? ',' : ''}\n${withEvents ? head.slice(0, -1) + ',"events":[' : head}`);
        if (withEvents) {
          let first = true;
          for (const ev of q.events(run.runId)) {
            events++;
            await sink.write(`${first ? '' : ','}\n${JSON.stringify(ev)}`);
            first = false;
          }
          await sink.write(']}');
        }
      }
      await sink.write('\n]}\n');
    }
    await sink.flush();
  } finally {
    if (fd !== undefined) closeSync(fd);
    ledger.close();
  }
  if (out !== undefined) io.stderr.write(`exported ${runs.toLocaleString('en')} runs${withEvents ? ` and ${events.toLocaleString('en')} events` : ''} to ${out}\n`);
  return 0;
}
