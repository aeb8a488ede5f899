// Which columns of a request log hold the time, latency, status and route; shared by both
// parsers so a header means the same to each. Also the read errors both report.

/** A problem with an evidence file the operator can fix; `.message` is one line, printed as is. */
export class EvidenceError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EvidenceError';
  }
}

/** Header names of the columns, when a log does not use the defaults. */
export interface ColumnNames {
  ts?: string;
  latency?: string;
  status?: string;
  route?: string;
}

export type Columns = Required<ColumnNames>;

export const DEFAULT_COLUMNS = { ts: 'ts', latency: 'latency_ms', status: 'status', route: 'route' } as const;

/** Where each column is in the header; route is -1 when the log has none (and none was named). */
export interface ColumnIndexes {
  ts: number;
  latency: number;
  status: number;
  route: number;
}

export function columnIndexes(path: string, header: readonly string[], names: Columns, routeRequired: boolean): ColumnIndexes {
  const find = (name: string, required: boolean): number => {
    const i = header.indexOf(name);
    if (i < 0 && required)
      throw new EvidenceError(
        `${path}: no column ${JSON.stringify(name)} in the header (columns: ${header.join(', ')}) — name the log's own column with --columns`,
      );
    return i;
  };
  return { ts: find(names.ts, true), latency: find(names.latency, true), status: find(names.status, true), route: find(names.route, routeRequired) };
}

export function explainReadError(path: string, err: unknown): string {
  const e = err as { code?: string; message?: string };
  if (e.code === 'ENOENT') return `${path}: no such file`;
  if (e.code === 'EISDIR') return `${path}: is a folder, not a CSV file`;
  if (e.code === 'EACCES' || e.code === 'EPERM') return `${path}: not readable (${e.code}); check its permissions`;
  return `${path}: cannot read it: ${e.message ?? String(err)}`;
}
