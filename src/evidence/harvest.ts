// Evidence harvest: streams request-log CSVs (uDSV, chunk by chunk; a file is never held in
// memory as one string) into exact percentiles overall, per time window and per route.
// Latencies are kept in growable Float64Arrays, 8 bytes a request per group, so a million
// rows cost about 24–40 MB (overall + window + route); percentiles are selected in place.
import { createReadStream } from 'node:fs';
import { inferSchema, initParser, type Parser } from 'udsv';
import type { EvidenceDoc, EvidenceStats, EvidenceWindow } from '../engine/gate-types.js';
import { groupStats, type SampleGroup } from './percentiles.js';

/** A problem with an evidence file the operator can fix; `.message` is one line, printed as is. */
export class EvidenceError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EvidenceError';
  }
}

/**
 * reqlog: the service's request log. judgelog: the log of judge calls (seed 001 harvests it
 * into perf_judge); it is read with the same default columns, ts,latency_ms,status,route,
 * because each line is also one timed call with a status.
 */
export type HarvestKind = 'reqlog' | 'judgelog';

/** Header names of the columns, when a log does not use the defaults. */
export interface ColumnNames {
  ts?: string;
  latency?: string;
  status?: string;
  route?: string;
}

export interface HarvestOptions {
  kind: HarvestKind;
  columns?: ColumnNames;
  windowMs?: number; // default 60 000
  errorStatusMin?: number; // a status ≥ this is an error; default 500
}

/** One log to read; kind and columns default to the harvest's options. */
export interface HarvestSource {
  path: string;
  kind?: HarvestKind;
  columns?: ColumnNames;
}

export const DEFAULT_COLUMNS = { ts: 'ts', latency: 'latency_ms', status: 'status', route: 'route' } as const;
export const DEFAULT_WINDOW_MS = 60_000;
export const DEFAULT_ERROR_STATUS_MIN = 500;

export function harvestFile(path: string, opts: HarvestOptions): Promise<EvidenceDoc> {
  return harvestFiles([path], opts);
}

/**
 * Several logs into one document, as if they were one log: every latency goes into the same
 * groups, so the percentiles of the whole are exact (percentiles of parts cannot be merged).
 * The document's kind is opts.kind, or 'merged' when the sources are of different kinds.
 */
export async function harvestFiles(sources: readonly (string | HarvestSource)[], opts: HarvestOptions): Promise<EvidenceDoc> {
  const windowMs = opts.windowMs ?? DEFAULT_WINDOW_MS;
  if (!(Number.isInteger(windowMs) && windowMs > 0)) throw new RangeError(`windowMs must be a whole number > 0, not ${windowMs}`);
  const acc = new Accumulator(windowMs, opts.errorStatusMin ?? DEFAULT_ERROR_STATUS_MIN);
  const list = sources.map((s) => (typeof s === 'string' ? { path: s } : s));
  for (const s of list) await readLog(s.path, columnNames(opts.columns, s.columns), explicitRoute(opts.columns, s.columns), acc);
  const kinds = new Set(list.map((s) => s.kind ?? opts.kind));
  return acc.toDoc(kinds.size > 1 ? 'merged' : opts.kind, list.map((s) => s.path).join(', '));
}

/**
 * The merge of seed 001 (perf + perf_judge → latest.json): reqlog and judgelog harvested
 * together into one document of kind 'merged'. Merging from the logs, not from finished
 * documents, is what keeps the merged percentiles exact.
 */
export async function mergeEvidence(sources: readonly (HarvestSource & { kind: HarvestKind })[], opts: Omit<HarvestOptions, 'kind'> = {}): Promise<EvidenceDoc> {
  const doc = await harvestFiles(sources, { ...opts, kind: sources[0]?.kind ?? 'reqlog' });
  return { ...doc, kind: 'merged' };
}

const explicitRoute = (...cols: (ColumnNames | undefined)[]) => cols.some((c) => c?.route !== undefined);

/** Defaults, then the harvest's names, then the source's; an undefined name keeps the default. */
function columnNames(...layers: (ColumnNames | undefined)[]): Required<ColumnNames> {
  const names: Required<ColumnNames> = { ...DEFAULT_COLUMNS };
  for (const layer of layers) for (const [k, v] of Object.entries(layer ?? {})) if (v !== undefined) names[k as keyof ColumnNames] = v;
  return names;
}

/** Growable group of samples; implements the shape groupStats reads. */
class Group implements SampleGroup {
  latencies = new Float64Array(64);
  samples = 0;
  errors = 0;
  minTs = Infinity;
  maxTs = -Infinity;

  add(latency: number, error: boolean, ts: number): void {
    if (this.samples === this.latencies.length) {
      const next = new Float64Array(this.latencies.length * 2);
      next.set(this.latencies);
      this.latencies = next;
    }
    this.latencies[this.samples++] = latency;
    if (error) this.errors++;
    if (ts < this.minTs) this.minTs = ts;
    if (ts > this.maxTs) this.maxTs = ts;
  }
}

class Accumulator {
  private readonly overall = new Group();
  private readonly windows = new Map<number, Group>();
  private readonly routes = new Map<string, Group>();
  private hasRoutes = false;
  // Logs are mostly in time order and often runs of one route: skip the map lookups then.
  private lastWindow = NaN;
  private lastWindowGroup = this.overall;
  private lastRoute: string | undefined;
  private lastRouteGroup = this.overall;

  constructor(
    readonly windowMs: number,
    readonly errorStatusMin: number,
  ) {}

  routesSeen(): void {
    this.hasRoutes = true;
  }

  add(ts: number, latency: number, status: number, route: string | undefined): void {
    const error = status >= this.errorStatusMin;
    this.overall.add(latency, error, ts);
    const w = Math.floor(ts / this.windowMs) * this.windowMs;
    if (w !== this.lastWindow) {
      let g = this.windows.get(w);
      if (!g) this.windows.set(w, (g = new Group()));
      this.lastWindow = w;
      this.lastWindowGroup = g;
    }
    this.lastWindowGroup.add(latency, error, ts);
    // An empty route cell counts overall and in its window, under no route.
    if (route) {
      if (route !== this.lastRoute) {
        let g = this.routes.get(route);
        // A fresh copy: the parsed cell is a slice that would pin its whole chunk in memory.
        if (!g) this.routes.set(Buffer.from(route).toString(), (g = new Group()));
        this.lastRoute = route;
        this.lastRouteGroup = g;
      }
      this.lastRouteGroup.add(latency, error, ts);
    }
  }

  toDoc(kind: string, source: string): EvidenceDoc {
    const windows: EvidenceWindow[] = [...this.windows.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([start, g]) => ({ start, end: start + this.windowMs, ...groupStats(g) }));
    const doc: EvidenceDoc = { schema: 'opscockpit.evidence/v1', kind, source, window_ms: this.windowMs, overall: groupStats(this.overall), windows };
    if (this.hasRoutes) {
      const routes: Record<string, EvidenceStats> = {};
      for (const name of [...this.routes.keys()].sort()) routes[name] = groupStats(this.routes.get(name)!);
      doc.routes = routes;
    }
    return doc;
  }
}

type Columns = Required<ColumnNames>;

/** Streams one log into the accumulator. */
async function readLog(path: string, names: Columns, routeRequired: boolean, acc: Accumulator): Promise<void> {
  let parser: Parser | undefined;
  let head = ''; // text before the end of the header line is known
  let carry = ''; // a chunk's trailing \r, held back so a \r\n is never split between chunks
  let onRow: (row: string[]) => void = () => {};

  const start = (text: string): void => {
    const schema = inferSchema(text, { col: ',', encl: '"', header: (rows) => [rows[0]] }, 1);
    const header = schema.cols.map((c) => String(c.name).trim());
    onRow = rowHandler(path, header, names, routeRequired, acc);
    parser = initParser(schema);
  };
  const feed = (text: string): void => {
    if (!parser) {
      head = (head + text).replace(/^[\r\n]+/, ''); // blank lines before the header
      if (!/[\r\n]/.test(head)) return;
      text = head;
      head = '';
      start(text);
    }
    parser!.chunk(text, parser!.stringArrs, onRow);
  };

  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 });
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
  } catch (err) {
    if (err instanceof BadRow) throw new EvidenceError(`${path} line ${await lineOfRecord(path, err.record, parser?.schema.row)}: ${err.message}`);
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

function explainReadError(path: string, err: unknown): string {
  const e = err as { code?: string; message?: string };
  if (e.code === 'ENOENT') return `${path}: no such file`;
  if (e.code === 'EISDIR') return `${path}: is a folder, not a CSV file`;
  if (e.code === 'EACCES' || e.code === 'EPERM') return `${path}: not readable (${e.code}); check its permissions`;
  return `${path}: cannot read it: ${e.message ?? String(err)}`;
}

/** Finds the columns in the header and returns the per-row function (the hot loop). */
function rowHandler(
  path: string,
  header: string[],
  names: Columns,
  routeRequired: boolean,
  acc: Accumulator,
): (row: string[]) => void {
  const find = (name: string, required: boolean): number => {
    const i = header.indexOf(name);
    if (i < 0 && required)
      throw new EvidenceError(
        `${path}: no column ${JSON.stringify(name)} in the header (columns: ${header.join(', ')}) — name the log's own column with --columns`,
      );
    return i;
  };
  const iTs = find(names.ts, true);
  const iLat = find(names.latency, true);
  const iStatus = find(names.status, true);
  const iRoute = find(names.route, routeRequired);
  if (iRoute >= 0) acc.routesSeen();

  let record = 0; // data records seen; the header is record 0
  const bad = (column: string, raw: string, what: string): never => {
    throw new BadRow(
      /[\r\n]/.test(raw) ? `fewer fields than the header's ${header.length} (${header.join(', ')})` : `${column} is ${JSON.stringify(raw)}, ${what}`,
      record,
    );
  };

  return (row) => {
    record++;
    const tsRaw = row[iTs];
    const ts = parseTimestamp(tsRaw);
    if (ts === null) bad(names.ts, tsRaw, 'not an ISO 8601 time or epoch milliseconds');
    if (ts! >= 1e9 && ts! < 1e11 && tsRaw.charCodeAt(4) !== 45) bad(names.ts, tsRaw, 'which looks like epoch seconds; give epoch milliseconds or ISO 8601');
    const latRaw = row[iLat];
    const latency = parseNumber(latRaw);
    if (!Number.isFinite(latency)) bad(names.latency, latRaw, 'not a number');
    if (latency < 0) bad(names.latency, latRaw, 'below 0');
    const statusRaw = row[iStatus];
    const status = parseNumber(statusRaw);
    if (!Number.isFinite(status)) bad(names.status, statusRaw, 'not a number');
    acc.add(ts!, latency, status, iRoute >= 0 ? row[iRoute] : undefined);
  };
}

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/**
 * A number cell; NaN when it is not a number (an empty cell included). Plain decimals of up to
 * 15 digits, the usual latency or status, are read digit by digit: digits / 10^k is one
 * correctly rounded division of exact values, so the result equals Number(s) (Clinger's fast
 * path). Anything else goes to Number.
 */
export function parseNumber(s: string): number {
  const len = s.length;
  if (len > 0 && len <= 16) {
    let m = 0;
    let digits = 0;
    let point = -1;
    let i = 0;
    for (; i < len; i++) {
      const c = s.charCodeAt(i);
      const d = c - 48;
      if (d >= 0 && d <= 9) {
        m = m * 10 + d;
        digits++;
      } else if (c === 46 && point < 0) point = i;
      else break;
    }
    if (i === len && digits > 0 && digits <= 15) return point < 0 ? m : m / POW10[len - 1 - point];
  }
  return s.trim() === '' ? NaN : Number(s);
}

// Date and time, optional seconds and fraction, optional zone. A time without a zone is read
// as UTC (never the machine's zone, which would shift every window).
const ISO_8601 = /^\s*(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2})(:\d{2})?(?:[.,](\d+))?(Z|z|[+-]\d{2}:?\d{2})?)?\s*$/;

/** Epoch milliseconds from epoch milliseconds or ISO 8601; null when it is neither. */
export function parseTimestamp(raw: string): number | null {
  const iso = canonicalIso(raw);
  if (iso === iso) return iso; // not NaN
  const n = +raw;
  if (Number.isFinite(n) && raw.trim() !== '') return n;
  const m = ISO_8601.exec(raw);
  if (!m) return null;
  const [, date, hm = '00:00', sec = ':00', frac = '0', zone = 'Z'] = m;
  const t = canonicalIso(`${date}T${hm}${sec}.${frac}${zone}`);
  return t === t ? t : null;
}

/**
 * The hot path: `YYYY-MM-DDTHH:MM:SS[.fff…](Z|±HH:MM|±HHMM)` read digit by digit (Date.parse
 * costs about ten times more, and accepts Feb 30). NaN when the text is not exactly that.
 */
function canonicalIso(s: string): number {
  const len = s.length;
  if (len < 20 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 84 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return NaN;
  const century = two(s, 0);
  const yy = two(s, 2);
  const month = two(s, 5);
  const day = two(s, 8);
  const hour = two(s, 11);
  const minute = two(s, 14);
  const second = two(s, 17);
  let i = 19;
  let ms = 0;
  if (s.charCodeAt(i) === 46) {
    let digits = 0;
    for (i++; i < len; i++) {
      const d = s.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      if (digits++ < 3) ms = ms * 10 + d; // further digits are below a millisecond: dropped
    }
    if (digits === 0) return NaN;
    if (digits < 3) ms *= digits === 1 ? 100 : 10;
  }
  let offset = 0;
  const z = s.charCodeAt(i);
  if (z === 90 || z === 122) {
    if (i + 1 !== len) return NaN;
  } else if (z === 43 || z === 45) {
    const colon = len - i === 6 && s.charCodeAt(i + 3) === 58;
    if (!colon && len - i !== 5) return NaN;
    const oh = two(s, i + 1);
    const om = two(s, colon ? i + 4 : i + 3);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return NaN;
    offset = (z === 43 ? 1 : -1) * (oh * 60 + om) * 60_000;
  } else return NaN;
  if ((century | yy | month | day | hour | minute | second) < 0) return NaN;
  const year = century * 100 + yy;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return NaN;
  return daysFromCivil(year, month, day) * 86_400_000 + hour * 3_600_000 + minute * 60_000 + second * 1000 + ms - offset;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** Two decimal digits at i, or -1 when either is not a digit. */
function two(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

function daysInMonth(year: number, month: number): number {
  if (month !== 2) return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
}

/**
 * The line a data record starts on, counted the way uDSV reads the file: blank lines are
 * skipped, a quoted field may span lines. Only called on an error, so rows are not tracked
 * by line while harvesting.
 */
async function lineOfRecord(path: string, target: number, rowDelim = '\n'): Promise<number> {
  const NL = rowDelim === '\r' ? 13 : 10;
  const QUOTE = 34;
  const COMMA = 44;
  let line = 1;
  let record = -1; // the header is record 0
  let atRecordStart = true;
  let atFieldStart = true;
  let inQuote = false;
  let quoteSeen = false; // a quote inside a quoted field: closes it unless another follows
  for await (const chunk of createReadStream(path, { encoding: 'utf8' }) as AsyncIterable<string>) {
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
