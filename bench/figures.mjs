// The figures table of bench/README.md: every figure a bench run measured (recordFigure in
// lib.mjs), written by `npm run bench -- --write` between the figures markers.
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';

export const START = '<!-- figures:start -->';
export const END = '<!-- figures:end -->';
const HEADER = ['Date', 'Machine', 'Figure', 'Value', 'Baseline', 'Ratio', 'Goal', 'Met'];

/**
 * Checks one figure as a bench hands it over and fills in the ratio (value / baseline) when
 * the bench gives none. Returns the record kept for the table.
 */
export function figureRecord({ figure, value, unit, baseline = null, ratio, goal = null, met = null }) {
  const where = `recordFigure(${JSON.stringify(figure)})`;
  if (typeof figure !== 'string' || !figure.trim()) throw new TypeError('recordFigure: figure must name what was measured');
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new TypeError(`${where}: value must be a finite number`);
  if (typeof unit !== 'string') throw new TypeError(`${where}: unit must be a string ('ms', 's', 'MB', 'events/s', '%', '' …)`);
  if (baseline !== null) {
    if (typeof baseline !== 'object' || typeof baseline.what !== 'string' || !Number.isFinite(baseline.value)) {
      throw new TypeError(`${where}: baseline must be null or { value: number (in unit), what: string }`);
    }
  }
  if (goal !== null && typeof goal !== 'string') throw new TypeError(`${where}: goal must be null or text such as "≤ 4× baseline"`);
  if (met !== null && typeof met !== 'boolean') throw new TypeError(`${where}: met must be true, false or null (no goal)`);
  if (goal === null && met !== null) throw new TypeError(`${where}: met needs a goal`);
  const r = ratio ?? (baseline && baseline.value !== 0 ? value / baseline.value : null);
  if (r !== null && !Number.isFinite(r)) throw new TypeError(`${where}: ratio must be a finite number`);
  return { figure: figure.trim(), value, unit, baseline, ratio: r, goal, met };
}

/** "Intel(R) Xeon(R) … , 2 cores, Node v20.19.0". */
export function machineName() {
  const list = cpus();
  const model = (list[0]?.model ?? 'unknown CPU').replace(/\s+/g, ' ').trim();
  return `${model}, ${list.length} cores, Node ${process.version}`;
}

/** "2026-11-24 01:24 UTC". */
export function runDate(at = new Date()) {
  return `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function number(x) {
  const a = Math.abs(x);
  const digits = a >= 100 ? 0 : a >= 10 ? 1 : 2;
  return x.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

const withUnit = (x, unit) => (unit ? `${number(x)} ${unit}` : number(x));
const cell = (s) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** One table row (its cells) for a record taken on `date` on `machine`. */
export function figureRow(rec, { date, machine }) {
  return [
    date,
    machine,
    rec.figure,
    withUnit(rec.value, rec.unit),
    rec.baseline ? `${withUnit(rec.baseline.value, rec.unit)} (${rec.baseline.what})` : '—',
    rec.ratio === null ? '—' : `${rec.ratio.toFixed(2)}×`,
    rec.goal ?? '—',
    rec.met === null ? '—' : rec.met ? 'yes' : '**no**',
  ];
}

const line = (cells) => `| ${cells.map(cell).join(' | ')} |`;

/** The figure names of a table's rows (third column), as written. */
function rowsOf(tableText) {
  return tableText
    .split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('| Date |') && !l.startsWith('| ---'))
    .map((l) => ({ text: l, figure: l.split(/(?<!\\)\|/)[3]?.trim().replace(/\\\|/g, '|') }));
}

/**
 * The document with its figures table rewritten. A full run (`replaceAll`) writes only this
 * run's rows; a partial one (BENCH_ONLY) replaces the rows of the figures it measured, in
 * place, keeps the others, and adds new figures at the end.
 */
export function rewriteTable(doc, records, { date, machine, replaceAll }) {
  const start = doc.indexOf(START);
  const end = doc.indexOf(END);
  if (start === -1 || end < start) throw new Error(`the document has no ${START} … ${END} section`);
  const fresh = new Map(records.map((r) => [r.figure, line(figureRow(r, { date, machine }))]));
  const kept = replaceAll ? [] : rowsOf(doc.slice(start + START.length, end));
  const rows = kept.map((r) => fresh.get(r.figure) ?? r.text);
  const had = new Set(kept.map((r) => r.figure));
  for (const [figure, text] of fresh) if (!had.has(figure)) rows.push(text);
  const table = [line(HEADER), `|${HEADER.map(() => ' --- ').join('|')}|`, ...rows].join('\n');
  return `${doc.slice(0, start + START.length)}\n${table}\n${doc.slice(end)}`;
}

/** Rewrites the table of `file` (bench/README.md) from this run's records. */
export function writeFigures(file, records, { replaceAll, at = new Date() }) {
  const doc = readFileSync(file, 'utf8');
  writeFileSync(file, rewriteTable(doc, records, { date: runDate(at), machine: machineName(), replaceAll }));
}
