// The figures table of bench/README.md (bench/figures.mjs), written by `npm run bench -- --write`.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { END, START, figureRecord, rewriteTable, writeFigures } from '../bench/figures.mjs';

const at = { date: '2026-11-24 01:24 UTC', machine: 'Test CPU, 2 cores, Node v20.19.0' };
const doc = (table: string) => `# Bench\n\nText.\n\n${START}\n${table}\n${END}\n\nMore text.\n`;
const coldStart = figureRecord({
  figure: 'Cold start to the first full frame, median',
  value: 335.24, unit: 'ms', baseline: { value: 82.1, what: "node -e ''" }, goal: '≤ 4× the baseline', met: false,
});
const harvest = figureRecord({
  figure: 'Harvest of 1,000,000 rows, time',
  value: 0.21, unit: 's', baseline: { value: 0.63, what: 'sort -n | awk' }, ratio: 3, goal: '≥ 2× faster', met: true,
});

describe('bench figures table', () => {
  it('writes date, machine, figure, value, baseline, ratio, goal and met for each figure', () => {
    const out = rewriteTable(doc('old'), [coldStart, harvest], { ...at, replaceAll: true });
    expect(out).toBe(doc([
      '| Date | Machine | Figure | Value | Baseline | Ratio | Goal | Met |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      "| 2026-11-24 01:24 UTC | Test CPU, 2 cores, Node v20.19.0 | Cold start to the first full frame, median | 335 ms | 82.1 ms (node -e '') | 4.08× | ≤ 4× the baseline | **no** |",
      '| 2026-11-24 01:24 UTC | Test CPU, 2 cores, Node v20.19.0 | Harvest of 1,000,000 rows, time | 0.21 s | 0.63 s (sort -n \\| awk) | 3.00× | ≥ 2× faster | yes |',
    ].join('\n')));
  });

  it('a partial run replaces its own rows in place and keeps the others', () => {
    const first = rewriteTable(doc(''), [coldStart, harvest], { ...at, replaceAll: true });
    const later = { date: '2026-11-25 09:00 UTC', machine: 'Other CPU, 8 cores, Node v22.12.0' };
    const faster = figureRecord({ ...harvest, value: 0.2, ratio: 3.15 });
    const idle = figureRecord({ figure: 'Idle, 20 checks at 1 s, CPU', value: 0.6, unit: '% of a core', goal: '< 1 %', met: true });
    const out = rewriteTable(first, [faster, idle], { ...later, replaceAll: false });
    const rows = out.split('\n').filter((l) => l.startsWith('| 2026'));
    expect(rows).toHaveLength(3);
    expect(rows[0]).toContain('2026-11-24 01:24 UTC');
    expect(rows[0]).toContain('Cold start');
    expect(rows[1]).toBe('| 2026-11-25 09:00 UTC | Other CPU, 8 cores, Node v22.12.0 | Harvest of 1,000,000 rows, time | 0.20 s | 0.63 s (sort -n \\| awk) | 3.15× | ≥ 2× faster | yes |');
    expect(rows[2]).toBe('| 2026-11-25 09:00 UTC | Other CPU, 8 cores, Node v22.12.0 | Idle, 20 checks at 1 s, CPU | 0.60 % of a core | — | — | < 1 % | yes |');
    // A full run drops figures it no longer measures.
    const full = rewriteTable(out, [idle], { ...later, replaceAll: true });
    expect(full.split('\n').filter((l) => l.startsWith('| 2026'))).toHaveLength(1);
  });

  it('writes the file in place', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'bench-figures-')), 'README.md');
    writeFileSync(file, doc(''));
    writeFigures(file, [harvest], { replaceAll: true, at: new Date('2026-11-24T01:24:30Z') });
    expect(readFileSync(file, 'utf8')).toContain('| 2026-11-24 01:24 UTC | ');
    expect(readFileSync(file, 'utf8')).toMatch(/\n\nMore text\.\n$/);
  });

  it('refuses a malformed figure and a document without the markers', () => {
    expect(() => figureRecord({ figure: 'x', value: Number.NaN, unit: 'ms' })).toThrow(/value must be a finite number/);
    expect(() => figureRecord({ figure: 'x', value: 1, unit: 'ms', met: true })).toThrow(/met needs a goal/);
    expect(() => figureRecord({ figure: 'x', value: 1, unit: 'ms', baseline: { value: 2 } as never })).toThrow(/baseline must be/);
    expect(figureRecord({ figure: 'x', value: 1, unit: 'ms', baseline: { value: 4, what: 'y' } }).ratio).toBe(0.25);
    expect(() => rewriteTable('# no table\n', [harvest], { ...at, replaceAll: true })).toThrow(/figures:start/);
  });

  it('bench/README.md has the table section the bench rewrites', () => {
    const readme = readFileSync(join(import.meta.dirname, '..', 'bench', 'README.md'), 'utf8');
    expect(() => rewriteTable(readme, [harvest], { ...at, replaceAll: false })).not.toThrow();
  });
});

describe('bench BENCH_ONLY', () => {
  it('refuses a benchmark it does not know, naming the numbers and names it takes', () => {
    const r = spawnSync(process.execPath, [join(import.meta.dirname, '..', 'bench', 'run.mjs')], { env: { ...process.env, BENCH_ONLY: 'ledger,tea' }, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('BENCH_ONLY: no benchmark "tea" (1–9 or start, abort, detect, harvest, ledger, markdown, screen, idle, team)');
  });
});
