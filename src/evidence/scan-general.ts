// The general request-log parser: uDSV, streamed chunk by chunk (a file is never held in
// memory as one string). It reads whatever the byte scanner (scan-bytes.ts) leaves to it:
// a whole file with an unusual header, or the rest of a file from its first unusual record.
import { createReadStream } from 'node:fs';
import { inferSchema, initParser, type Parser, type Schema } from 'udsv';
import type { Accumulator } from './accumulator.js';
import { CellProblem, readCells, type RequestCells } from './cells.js';
import { EvidenceError, columnIndexes, explainReadError, type Columns } from './columns.js';

/** Where the general parser takes over from the byte scanner: a record's first byte. */
export interface GeneralStart {
  byte: number;
  line: number; // the line that byte is on, counted from 1
  headerText: string; // the header line, without its line end
  rowDelim: '\n' | '\r\n';
}

const CSV_OPTIONS = { col: ',', encl: '"', header: (rows: string[][]) => [rows[0]] };

/** Streams a log (or its rest, from `from`) into the accumulator; returns the records read. */
export async function readGeneral(path: string, names: Columns, routeRequired: boolean, acc: Accumulator, from?: GeneralStart): Promise<number> {
  let parser: Parser | undefined;
  let rows: RowHandler | undefined;
  let head = ''; // text before the end of the header line is known
  let carry = ''; // a chunk's trailing \r, held back so a \r\n is never split between chunks

  // `skip` (header rows to skip) is set by inferSchema; the rest of a file has no header.
  const start = (schema: Schema, restOfFile: boolean): void => {
    const header = schema.cols.map((c) => String(c.name).trim());
    rows = new RowHandler(path, header, names, routeRequired, acc);
    parser = initParser(restOfFile ? ({ ...schema, skip: 0 } as Schema) : schema);
  };
  if (from) start(inferSchema(from.headerText + from.rowDelim, CSV_OPTIONS, 1), true);
  const feed = (text: string): void => {
    if (!parser) {
      head = (head + text).replace(/^[\r\n]+/, ''); // blank lines before the header
      if (!/[\r\n]/.test(head)) return;
      text = head;
      head = '';
      start(inferSchema(text, CSV_OPTIONS, 1), false);
    }
    parser!.chunk(text, parser!.stringArrs, rows!.onRow);
  };

  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20, start: from?.byte ?? 0 });
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      let text = carry + chunk;
      carry = '';
      if (text.endsWith('\r')) {
        carry = '\r';
        text = text.slice(0, -1);
      }
      feed(text);
    }
    if (carry) feed(carry);
    if (!parser && head) feed('\n'); // a header without a line end
    parser?.end();
    return rows?.record ?? 0;
  } catch (err) {
    if (err instanceof BadRow) {
      const line = await lineOfRecord(path, err.record, parser?.schema.row, from);
      throw new EvidenceError(`${path} line ${line}: ${err.message}`);
    }
    if (err instanceof EvidenceError) throw err;
    throw new EvidenceError(explainReadError(path, err), { cause: err });
  }
}

/** A bad cell in data record `record`; becomes an EvidenceError once its line is known. */
class BadRow extends Error {
  constructor(
    message: string,
    readonly record: number,
  ) {
    super(message);
  }
}

/** Finds the columns in the header, then reads each row (the hot loop of this parser). */
class RowHandler {
  record = 0; // data records seen; the header is record 0
  private readonly cells: RequestCells = { ts: 0, latency: 0, status: 0 };
  private readonly i;

  constructor(
    readonly path: string,
    readonly header: string[],
    readonly names: Columns,
    routeRequired: boolean,
    readonly acc: Accumulator,
  ) {
    this.i = columnIndexes(path, header, names, routeRequired);
    if (this.i.route >= 0) acc.routesSeen();
  }

  onRow = (row: string[]): void => {
    this.record++;
    const { i, cells } = this;
    try {
      readCells(row[i.ts], row[i.latency], row[i.status], this.names, this.header, cells);
    } catch (err) {
      if (err instanceof CellProblem) throw new BadRow(err.message, this.record);
      throw err;
    }
    this.acc.add(cells.ts, cells.latency, cells.status, i.route >= 0 ? row[i.route] : undefined);
  };
}

/**
 * The line a data record starts on, counted the way uDSV reads the file: blank lines are
 * skipped, a quoted field may span lines. From `from` when the parser started there (its
 * first record is record 1 then). Only called on an error, so rows are not tracked by line
 * while harvesting.
 */
async function lineOfRecord(path: string, target: number, rowDelim = '\n', from?: GeneralStart): Promise<number> {
  const NL = rowDelim === '\r' ? 13 : 10;
  const QUOTE = 34;
  const COMMA = 44;
  let line = from?.line ?? 1;
  let record = from ? 0 : -1; // the header is record 0
  let atRecordStart = true;
  let atFieldStart = true;
  let inQuote = false;
  let quoteSeen = false; // a quote inside a quoted field: closes it unless another follows
  for await (const chunk of createReadStream(path, { encoding: 'utf8', start: from?.byte ?? 0 }) as AsyncIterable<string>) {
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (inQuote) {
        if (quoteSeen) {
          quoteSeen = false;
          if (c === QUOTE) continue;
          inQuote = false;
        } else {
          if (c === QUOTE) quoteSeen = true;
          else if (c === NL) line++;
          continue;
        }
      }
      if (c === NL) {
        line++;
        atRecordStart = atFieldStart = true;
        continue;
      }
      if (c === 13 || c === 10) continue; // the other half of \r\n
      if (atRecordStart) {
        if (++record === target) return line;
        atRecordStart = false;
      }
      if (atFieldStart && c === QUOTE) inQuote = true;
      atFieldStart = c === COMMA;
    }
  }
  return line;
}
