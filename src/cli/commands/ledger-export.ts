// `opscockpit ledger export --format csv|json [--events]`: every matching run (or every event
// of them), written as it is read, so a ledger of any size streams out in constant memory.
import { closeSync, openSync, writeSync } from 'node:fs';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { LedgerError } from '../../../adapters/ledger.js';
import { eventsCsvHeader, eventCsvRow, runsCsvHeader, runCsvRow } from '../../report/export.js';
import { UsageError } from '../errors.js';
import type { Io } from '../main.js';
import { FILTERS, LOCATION, filterFrom, filterJson, ledgerLocation, openForReading, parse } from './ledger-browse.js';

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

export async function exportCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, { ...LOCATION, ...FILTERS, format: { type: 'string' }, events: { type: 'boolean' }, out: { type: 'string' } });
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`, 'ledger');
  const format = values.format;
  if (format !== 'csv' && format !== 'json') throw new UsageError(format === undefined ? 'ledger export needs --format csv or --format json' : `--format must be csv or json, not "${format}"`, 'ledger');
  const filter = filterFrom(values, Date.now());
  const withEvents = values.events === true;
  const ledger = await openForReading(ledgerLocation(values, io.env), io);
  const path = ledger.location;
  const out = values.out !== undefined ? resolve(values.out as string) : undefined;
  let fd: number | undefined;
  try {
    fd = out === undefined ? undefined : openSync(out, 'w');
  } catch (err) {
    await ledger.close();
    throw new LedgerError(`cannot write ${out}: ${(err as Error).message}`);
  }
  const sink = new Sink(fd, io.stdout);
  let runs = 0;
  let events = 0;
  try {
    const q = ledger.browser;
    if (format === 'csv') {
      await sink.write((withEvents ? eventsCsvHeader() : runsCsvHeader()) + '\r\n');
      for await (const run of q.runs(filter)) {
        runs++;
        if (!withEvents) {
          await sink.write(runCsvRow(await q.summary(run)) + '\r\n');
          continue;
        }
        for await (const ev of q.events(run.runId)) {
          events++;
          await sink.write(eventCsvRow(ev) + '\r\n');
        }
      }
    } else {
      await sink.write(`{"schema":"opscockpit.ledger-export/v1","ledger":${JSON.stringify(path)},"exportedAt":${JSON.stringify(new Date().toISOString())},"filter":${JSON.stringify(filterJson(filter))},"runs":[`);
      for await (const run of q.runs(filter)) {
        const { headline: _headline, events: eventCount, ...fields } = await q.summary(run);
        const head = JSON.stringify({ ...fields, eventCount });
        await sink.write(`${runs++ ? ',' : ''}\n${withEvents ? head.slice(0, -1) + ',"events":[' : head}`);
        if (withEvents) {
          let first = true;
          for await (const ev of q.events(run.runId)) {
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
    await ledger.close();
  }
  if (out !== undefined) io.stderr.write(`exported ${runs.toLocaleString('en')} runs${withEvents ? ` and ${events.toLocaleString('en')} events` : ''} to ${out}\n`);
  return 0;
}
