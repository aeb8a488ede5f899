// `opscockpit harvest reqlog|judgelog FILE.csv… --out FILE.json`: logs → evidence file,
// recorded in the ledger. Headless; imports nothing that loads Ink.
import { parseArgs } from 'node:util';
import { join, relative, resolve } from 'node:path';
import { LedgerError, openLedger, chainKeyFrom } from '../../../adapters/ledger.js';
import type { EvidenceDoc } from '../../engine/gate-types.js';
import { EvidenceError, harvestFiles, type ColumnNames, type HarvestKind } from '../../evidence/harvest.js';
import { lockEvidence, recordEvidence, type EvidenceWrite } from '../../evidence/record.js';
import { parseDuration } from '../../runbook/durations.js';
import { operatorName } from '../../session/operator.js';
import { UsageError } from '../errors.js';
import type { Io } from '../main.js';
import { harvestHelp } from './harvest-help.js';
import { ownValue } from '../../own.js';

export { harvestHelp };


const COLUMN_KEYS: Record<string, keyof ColumnNames> = { ts: 'ts', latency_ms: 'latency', latency: 'latency', status: 'status', route: 'route' };

export async function harvestCommand(args: string[], io: Io): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout.write(`Usage: ${harvestHelp.usage}\n\n${harvestHelp.summary}\n\n${harvestHelp.details}\n`);
    return 0;
  }
  const opts = parseHarvestArgs(args);
  let ledger: ReturnType<typeof openLedger> | undefined;
  try {
    const doc = await harvestFiles(opts.files, { kind: opts.kind, columns: opts.columns, windowMs: opts.windowMs, errorStatusMin: opts.errorStatusMin });
    ledger = openLedger(opts.ledger, { chainKey: chainKeyFrom(io.env) });
    const operator = operatorName(io.env);
    const now = Date.now();
    const run = opts.runId
      ? ledger.getRun(opts.runId) ?? fail(`no run ${opts.runId} in the ledger ${opts.ledger}; leave --run out to record in a run of its own`)
      : ledger.startRun({ runbook: resolve(opts.out), name: `evidence harvest (${opts.kind})`, note: opts.files.join(', ') }, now);
    let written: EvidenceWrite;
    try {
      written = recordEvidence(ledger, run.runId, operator, opts.out, doc, now);
      if (opts.lock) written = { ...lockEvidence(ledger, run.runId, operator, opts.out, Date.now()), archived: written.archived, warnings: written.warnings };
      if (!opts.runId) ledger.completeRun(run.runId, 'succeeded', Date.now());
    } catch (err) {
      if (!opts.runId) ledger.completeRun(run.runId, 'failed', Date.now(), err instanceof Error ? err.message : String(err));
      throw err;
    }
    io.stdout.write(formatHarvest(doc, written, opts, run.runId) + '\n');
    if (doc.overall.samples === 0) {
      io.stdout.write('insufficient data: 0 samples\n');
      return 2;
    }
    return 0;
  } catch (err) {
    if (err instanceof EvidenceError || err instanceof LedgerError) {
      io.stderr.write(`opscockpit: ${err.message}\n`);
      return 1;
    }
    throw err;
  } finally {
    ledger?.close();
  }
}

function fail(message: string): never {
  throw new EvidenceError(message);
}

interface HarvestArgs {
  kind: HarvestKind;
  files: string[];
  out: string;
  windowMs: number;
  columns: ColumnNames;
  errorStatusMin: number;
  ledger: string;
  runId?: string;
  lock: boolean;
}

export function parseHarvestArgs(args: string[]): HarvestArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        out: { type: 'string' },
        window: { type: 'string', default: '60s' },
        columns: { type: 'string' },
        'error-status': { type: 'string', default: '500' },
        ledger: { type: 'string' },
        run: { type: 'string' },
        lock: { type: 'boolean', default: false },
      },
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message.split('\n')[0] : String(err), 'harvest');
  }
  const { values, positionals } = parsed;
  const [kind, ...files] = positionals;
  if (kind !== 'reqlog' && kind !== 'judgelog')
    throw new UsageError(kind ? `harvest reqlog or judgelog, not "${kind}"` : 'missing what to harvest: reqlog or judgelog', 'harvest');
  if (!files.length) throw new UsageError(`missing the ${kind} CSV file(s) to harvest`, 'harvest');
  if (!values.out) throw new UsageError('missing --out FILE.json (where the evidence goes)', 'harvest');
  const windowMs = /^\d+$/.test(values.window) ? Number(values.window) : parseDuration(values.window);
  if (!windowMs || !Number.isInteger(windowMs)) throw new UsageError(`--window must be a duration like 30s, 1m or 5m, not "${values.window}"`, 'harvest');
  const errorStatusMin = Number(values['error-status']);
  if (!Number.isInteger(errorStatusMin) || errorStatusMin < 100 || errorStatusMin > 999)
    throw new UsageError(`--error-status must be an HTTP status 100–999, not "${values['error-status']}"`, 'harvest');
  return {
    kind,
    files,
    out: values.out,
    windowMs,
    columns: values.columns === undefined ? {} : parseColumns(values.columns),
    errorStatusMin,
    ledger: resolve(values.ledger ?? join('.opscockpit', 'ledger.db')),
    runId: values.run,
    lock: values.lock,
  };
}

/** `ts=time,latency_ms=lat` → { ts: 'time', latency: 'lat' }. */
export function parseColumns(spec: string): ColumnNames {
  const columns: ColumnNames = {};
  for (const pair of spec.split(',')) {
    const eq = pair.indexOf('=');
    const word = pair.slice(0, eq).trim();
    const key = ownValue(COLUMN_KEYS, word); // not `constructor`
    const name = pair.slice(eq + 1).trim();
    if (eq < 0 || !key || !name)
      throw new UsageError(`--columns takes ts=NAME, latency_ms=NAME, status=NAME, route=NAME separated by commas; "${pair}" is not one of them`, 'harvest');
    columns[key] = name;
  }
  return columns;
}

const ms = (v: number | null) => (v === null ? 'n/a' : `${v} ms`);

export function formatHarvest(doc: EvidenceDoc, w: EvidenceWrite, opts: Pick<HarvestArgs, 'kind' | 'out' | 'ledger'>, runId: string): string {
  const o = doc.overall;
  const errors = o.error_rate === null ? 'n/a' : `${(o.error_rate * 100).toFixed(2)}% (${Math.round(o.error_rate * o.samples)} of ${o.samples})`;
  const lines = [
    `harvested ${opts.kind}: ${doc.source}`,
    `  samples     ${o.samples}`,
    `  p95         ${ms(o.p95_ms)}`,
    `  p99         ${ms(o.p99_ms)}`,
    `  error rate  ${errors}`,
    `  windows     ${doc.windows.length} × ${(doc.window_ms ?? 0) / 1000}s`,
  ];
  if (doc.routes) lines.push(`  routes      ${Object.keys(doc.routes).length}`);
  lines.push(
    `evidence ${opts.out} v${w.version} ${w.state}`,
    `  sha256      ${w.sha256}`,
    `  ledger      ${relativeOrAbsolute(opts.ledger)} (run ${runId})`,
  );
  if (w.archived) lines.push(`  kept        LOCKED v${w.version - 1} as ${relativeOrAbsolute(w.archived)}`);
  for (const warning of w.warnings) lines.push(`warning: ${warning}`);
  return lines.join('\n');
}

function relativeOrAbsolute(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}
