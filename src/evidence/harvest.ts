// Evidence harvest: request-log CSVs into exact percentiles overall, per time window and per
// route. Each file is read by the byte scanner (scan-bytes.ts), which hands whatever is not
// plain to the general CSV parser (scan-general.ts, loaded only then).
import type { EvidenceDoc } from '../engine/gate-types.js';
import { Accumulator } from './accumulator.js';
import { DEFAULT_COLUMNS, type ColumnNames } from './columns.js';
import { scanBytes } from './scan-bytes.js';

export { EvidenceError, DEFAULT_COLUMNS, type ColumnNames } from './columns.js';
export { parseNumber, parseTimestamp } from './cells.js';

/**
 * reqlog: the service's request log. judgelog: the log of judge calls (seed 001 harvests it
 * into perf_judge); it is read with the same default columns, ts,latency_ms,status,route,
 * because each line is also one timed call with a status.
 */
export type HarvestKind = 'reqlog' | 'judgelog';

export interface HarvestOptions {
  kind: HarvestKind;
  columns?: ColumnNames;
  windowMs?: number; // default 60 000
  errorStatusMin?: number; // a status ≥ this is an error; default 500
  /** 'general': the general CSV parser reads every file (tests compare the two). */
  parser?: 'bytes' | 'general';
  /** Told how each file was read: for tests and the bench, never needed to harvest. */
  onRead?: (read: FileRead) => void;
}

/** How one file was read: records by the byte scanner (slow: a cell read as text) and after it. */
export interface FileRead {
  path: string;
  byteRecords: number;
  slowRecords: number;
  generalRecords: number;
  /** Where the general parser took over: 'none', 'whole file', or the line of the record. */
  generalFrom: 'none' | 'whole file' | number;
}

/** One log to read; kind and columns default to the harvest's options. */
export interface HarvestSource {
  path: string;
  kind?: HarvestKind;
  columns?: ColumnNames;
}

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
  for (const s of list) {
    const read = await readLog(s.path, columnNames(opts.columns, s.columns), explicitRoute(opts.columns, s.columns), acc, opts.parser ?? 'bytes');
    opts.onRead?.(read);
  }
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

type Columns = Required<ColumnNames>;

/** One log into the accumulator: the byte scanner, then the general parser for what it left. */
async function readLog(path: string, names: Columns, routeRequired: boolean, acc: Accumulator, parser: 'bytes' | 'general'): Promise<FileRead> {
  const scan = parser === 'bytes' ? await scanBytes(path, names, routeRequired, acc) : { records: 0, slowRecords: 0, general: 'whole file' as const };
  const read: FileRead = { path, byteRecords: scan.records, slowRecords: scan.slowRecords, generalRecords: 0, generalFrom: 'none' };
  if (scan.general) {
    const { readGeneral } = await import('./scan-general.js');
    const from = scan.general === 'whole file' ? undefined : scan.general;
    read.generalRecords = await readGeneral(path, names, routeRequired, acc, from);
    read.generalFrom = from ? from.line : 'whole file';
  }
  return read;
}
