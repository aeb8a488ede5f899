// csv: a CSV file that something keeps appending to (an access log, a load generator's
// results). Each read takes only the bytes added since the previous one, so a canary window
// judges the rows of that window. A file that shrank or was replaced (truncation, rotation)
// is read again from the start; an unfinished last line waits for the next read.
//
// The same tail gives either one aggregate (readCsvTail) or every value of the column
// (readCsvSamples, one side of a compare metric).
//
// Quoted fields are understood; a quoted field spanning lines is not (log lines are lines).
import { open, type FileHandle } from 'node:fs/promises';
import { parseCondition, holds, type Condition } from '../../src/engine/conditions.js';
import type { CsvQuery, CsvSamplesQuery, MetricContext, MetricReading, SampleReading } from './types.js';

export interface CsvCursor {
  dev: number;
  ino: number;
  /** Bytes consumed, header and partial line included. */
  offset: number;
  header?: string[];
  /** Bytes after the last newline, waiting for the rest of their line. */
  partial: Buffer;
}

const CHUNK_BYTES = 1024 * 1024;
/** A "line" longer than this without a newline is not a log line; drop it rather than grow. */
const MAX_LINE_BYTES = 1024 * 1024;

export function cursorKey(q: Pick<CsvQuery, 'name' | 'file'>): string {
  return `${q.name}\0${q.file}`;
}

/** One CSV line → fields; `"a,b"` and `""` escapes are honoured. */
export function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"' && cur === '') quoted = true;
    else if (c === ',') {
      fields.push(cur);
      cur = '';
    } else cur += c;
  }
  fields.push(cur);
  return fields;
}

/** The column's cells of the new rows: counts what is not a number, hands each number on. */
abstract class Cells {
  rows = 0; // data rows that have the column
  malformed = 0; // too few fields
  nonNumeric = 0;
  example?: string;

  add(cell: string | undefined): void {
    if (cell === undefined) {
      this.malformed++;
      return;
    }
    this.rows++;
    const text = cell.trim();
    const v = text === '' ? NaN : Number(text);
    if (!Number.isFinite(v)) {
      this.nonNumeric++;
      this.example ??= text;
      return;
    }
    this.number(v);
  }

  protected abstract number(v: number): void;
}

/** Running totals over the new rows; every aggregate is computed from these. */
class Tally extends Cells {
  numeric = 0; // rows whose cell is a number (and pass the filter, if any)
  matching = 0; // rows meeting `where`
  sum = 0;
  max = -Infinity;
  min = Infinity;
  last: number | null = null;

  constructor(private readonly aggregate: CsvQuery['aggregate'], private readonly where: Condition | undefined) {
    super();
  }

  protected number(v: number): void {
    const meets = this.where ? holds(this.where, v) : true;
    if (meets) this.matching++;
    // For `rate` the condition is the numerator; for the others it filters the rows.
    if (this.aggregate !== 'rate' && !meets) return;
    this.numeric++;
    this.sum += v;
    if (v > this.max) this.max = v;
    if (v < this.min) this.min = v;
    this.last = v;
  }

  value(): number | null {
    switch (this.aggregate) {
      case 'count':
        return this.where ? this.matching : this.rows;
      case 'rate':
        return this.numeric ? this.matching / this.numeric : null;
      case 'sum':
        return this.numeric ? this.sum : null;
      case 'avg':
        return this.numeric ? this.sum / this.numeric : null;
      case 'max':
        return this.numeric ? this.max : null;
      case 'min':
        return this.numeric ? this.min : null;
      case 'last':
        return this.last;
    }
  }
}

/** Every number of the new rows, in file order. */
class Samples extends Cells {
  readonly values: number[] = [];

  protected number(v: number): void {
    this.values.push(v);
  }
}

export async function readCsvTail(q: CsvQuery, ctx: MetricContext): Promise<MetricReading> {
  const now = ctx.now ?? Date.now;
  const fail = (reason: string): MetricReading => ({ ok: false, kind: 'provider-error', reason, at: now() });

  let where: Condition | undefined;
  if (q.where !== undefined) {
    where = parseCondition(q.where);
    if (!where) return fail(`where "${q.where}" is not a condition like ">= 500" (${q.file})`);
  }
  if (q.aggregate === 'rate' && !where) return fail(`aggregate rate needs a where condition, e.g. ">= 500" (${q.file})`);

  const tally = new Tally(q.aggregate, where);
  // Only `count` is meaningful over cells that are not numbers.
  const read = await readNewRows(q, ctx, tally, q.aggregate !== 'count');
  if (!read.ok) return fail(read.reason);
  const value = tally.value();
  const rows = `${tally.rows} new row(s)`;
  return { ok: true, value, at: now(), detail: [value === null ? `${rows}: no data` : rows, ...read.notes].join('; ') };
}

/** Every number of the column in the rows appended since the previous read. */
export async function readCsvSamples(q: CsvSamplesQuery, ctx: MetricContext): Promise<SampleReading> {
  const now = ctx.now ?? Date.now;
  const samples = new Samples();
  const read = await readNewRows(q, ctx, samples, true);
  if (!read.ok) return { ok: false, kind: 'provider-error', reason: read.reason, at: now() };
  return { ok: true, values: samples.values, at: now(), detail: [`${samples.values.length} sample(s) in ${samples.rows} new row(s)`, ...read.notes].join('; ') };
}

type RowsRead = { ok: true; notes: string[] } | { ok: false; reason: string };

/**
 * Feed the column's cells of the rows appended since the cursor (per metric name and file)
 * into `cells`, and move the cursor on. `numbersNeeded`: new rows none of whose cells is a
 * number are an error rather than a note.
 */
async function readNewRows(q: Pick<CsvQuery, 'name' | 'file' | 'column'>, ctx: MetricContext, cells: Cells, numbersNeeded: boolean): Promise<RowsRead> {
  const fail = (reason: string): RowsRead => ({ ok: false, reason });
  const key = cursorKey(q);
  const saved = ctx.csvCursors?.get(key);
  let fh: FileHandle;
  try {
    fh = await open(q.file, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return fail(code === 'ENOENT' ? `file ${q.file} does not exist` : `cannot open ${q.file} (${code ?? String(err)})`);
  }
  try {
    const st = await fh.stat();
    const notes: string[] = [];
    let cursor: CsvCursor;
    if (saved && saved.dev === st.dev && saved.ino === st.ino && st.size >= saved.offset) {
      cursor = { ...saved };
    } else {
      if (saved) notes.push(saved.ino !== st.ino || saved.dev !== st.dev ? 'file was replaced; read from the start' : 'file was truncated; read from the start');
      cursor = { dev: st.dev, ino: st.ino, offset: 0, partial: Buffer.alloc(0) };
    }

    let column = -1;
    let missing: string | undefined;
    const locate = (header: string[]): void => {
      column = header.indexOf(q.column);
      if (column === -1) missing = `column ${q.column} is not in ${q.file} (columns: ${header.join(', ')})`;
    };
    if (cursor.header) locate(cursor.header);
    const onLine = (raw: string): void => {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (line.trim() === '') return;
      if (!cursor.header) {
        cursor.header = splitCsvLine(line).map((h) => h.trim());
        locate(cursor.header);
      } else if (!missing) {
        cells.add(splitCsvLine(line)[column]);
      }
    };

    // Read up to the size seen now; rows appended meanwhile belong to the next read.
    const buf = Buffer.alloc(Math.min(CHUNK_BYTES, Math.max(1, st.size - cursor.offset)));
    while (cursor.offset < st.size) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, st.size - cursor.offset), cursor.offset);
      if (bytesRead === 0) break; // shrank under us; the next read sees the truncation
      cursor.offset += bytesRead;
      let data = Buffer.concat([cursor.partial, buf.subarray(0, bytesRead)]);
      let nl: number;
      let start = 0;
      while ((nl = data.indexOf(0x0a, start)) !== -1) {
        onLine(data.toString('utf8', start, nl));
        start = nl + 1;
      }
      data = data.subarray(start);
      if (data.length > MAX_LINE_BYTES) {
        notes.push(`dropped a line longer than ${MAX_LINE_BYTES} bytes`);
        data = Buffer.alloc(0);
      }
      cursor.partial = Buffer.from(data); // copy: `buf` is reused
    }
    ctx.csvCursors?.set(key, cursor);

    if (missing) return fail(missing);
    if (cells.malformed) notes.push(`${cells.malformed} row(s) without a ${q.column} field skipped`);
    if (cells.nonNumeric) {
      if (numbersNeeded && cells.nonNumeric === cells.rows) {
        return fail(`column ${q.column} in ${q.file} has no numbers in ${cells.rows} new row(s) (e.g. ${JSON.stringify(cells.example)})`);
      }
      notes.push(`${cells.nonNumeric} non-numeric ${q.column} cell(s) skipped`);
    }
    return { ok: true, notes };
  } catch (err) {
    return fail(`cannot read ${q.file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  } finally {
    await fh.close();
  }
}
