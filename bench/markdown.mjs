// Markdown runbook benchmark, on the project's largest realistic Markdown runbook
// (fixtures/runbooks/markdown/platform-upgrade-reference.md: a platform team's reference
// runbook, front matter, long checklists, prompted sessions, tables, appendices):
//   a. loadRunbook in a warm process: the median of N loads after warm-up loads, beside
//      reading the file in the same process. Goal: under 100 ms.
//   b. the first load in a new node process (the module import not counted), beside the first
//      read of the file in that process. For information.
//   c. `opscockpit open` on a 120x40 pseudo-terminal, fork to the first full frame, beside
//      `opscockpit open fixtures/runbooks/demo.yaml`; a fresh ledger each run, alternated after
//      one unmeasured run of each. Goal: within 1.5× the demo's.
// load.ts is bundled with esbuild (as the ledger tests bundle the ledger), so a and b run with
// plain node; c runs the built binary (`npm run build` first).
//
//   node bench/markdown.mjs
//   BENCH_MARKDOWN_RUNS=50 BENCH_MARKDOWN_COLD_RUNS=3 BENCH_MARKDOWN_OPEN_RUNS=3 node bench/markdown.mjs
//   BENCH_MARKDOWN_FILE=docs/upgrade.md node bench/markdown.mjs
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BenchError, bundleModules, findPython, median, positiveInt, ptyMs, runAlone } from './lib.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'opscockpit');
const RUNBOOK = join(ROOT, 'fixtures', 'runbooks', 'markdown', 'platform-upgrade-reference.md');
const DEMO = join(ROOT, 'fixtures', 'runbooks', 'demo.yaml');
const LOAD_GOAL_MS = 100;
const OPEN_GOAL_RATIO = 1.5;
const COLS = 120;
const ROWS = 40;

/**
 * @param {{ py?: string }} [opts] python3 for the pseudo-terminal (found when not given)
 * @returns {Promise<{ figures: { figure: string, value: number, unit: string, baseline: { value: number, what: string }, ratio: number, goal: string | null, met: boolean | null }[], lines: string[] }>}
 */
export async function benchMarkdown(opts = {}) {
  const warmRuns = positiveInt('BENCH_MARKDOWN_RUNS', 20);
  const coldRuns = positiveInt('BENCH_MARKDOWN_COLD_RUNS', 5);
  const openRuns = positiveInt('BENCH_MARKDOWN_OPEN_RUNS', 5);
  const file = process.env.BENCH_MARKDOWN_FILE ? resolve(process.env.BENCH_MARKDOWN_FILE) : RUNBOOK;
  if (!existsSync(file)) throw new BenchError(`the Markdown runbook ${file} is missing`);
  if (!existsSync(join(ROOT, 'dist', 'opscockpit.js'))) throw new BenchError('dist/opscockpit.js is missing: run `npm run build` first');
  const py = opts.py ?? findPython();
  const bundle = await bundleModules(
    'markdown',
    ["export { loadRunbook } from './src/runbook/load.ts';", "import './src/runbook/markdown/load.ts';"].join('\n'),
  );
  const tmp = mkdtempSync(join(tmpdir(), 'opscockpit-bench-md-'));
  try {
    const { loadRunbook } = await import(pathToFileURL(bundle).href);
    const kb = statSync(file).size / 1024;
    const lineCount = readFileSync(file, 'utf8').split('\n').length;

    // a. Warm: the same process loads it again and again.
    const time = (fn) => {
      const t = performance.now();
      const out = fn();
      return { ms: performance.now() - t, out };
    };
    let runbook;
    for (let i = 0; i < 3; i++) runbook = loadRunbook(file, {}); // warm-up: JIT, page cache
    const reads = [];
    const loads = [];
    for (let r = 0; r < warmRuns; r++) {
      reads.push(time(() => readFileSync(file, 'utf8')).ms);
      loads.push(time(() => loadRunbook(file, {})).ms);
    }
    const steps = Object.values(runbook.checklists).reduce((n, list) => n + list.length, 0);
    const checks = Object.keys(runbook.checks).length;
    const warm = median(loads);
    const read = median(reads);

    // b. Cold: the first load in a new process.
    const cold = coldLoads(bundle, file, coldRuns);
    const coldLoad = median(cold.loads);
    const coldRead = median(cold.reads);

    // c. Open: first full frame of the cockpit, this runbook beside the demo's.
    const size = { cols: COLS, rows: ROWS };
    let n = 0;
    const open = (runbookFile, what, extra = []) => () => ptyMs(py, 'frame', [process.execPath, BIN, 'open', runbookFile, ...extra, '--ledger', join(tmp, `open-${n++}.db`)], { ...size, what });
    const openDemo = open(DEMO, 'open demo.yaml');
    // Its one choice given, as an operator who knows the path does: else the start form asks first.
    const openLarge = open(file, `open ${relative(ROOT, file)}`, ['--choose', 'choice=online-upgrade-rolling']);
    await openDemo();
    await openLarge();
    const demoMs = [];
    const largeMs = [];
    for (let i = 0; i < openRuns; i++) {
      demoMs.push(await openDemo());
      largeMs.push(await openLarge());
    }
    const demoOpen = median(demoMs);
    const largeOpen = median(largeMs);
    const openRatio = largeOpen / demoOpen;

    const name = relative(ROOT, file);
    const figures = [
      { figure: `Markdown runbook load, warm process (${kb.toFixed(0)} KB)`, value: Number(warm.toFixed(1)), unit: 'ms', baseline: { value: Number(read.toFixed(2)), what: 'read the file' }, ratio: warm / read, goal: `< ${LOAD_GOAL_MS} ms`, met: warm < LOAD_GOAL_MS },
      { figure: `Markdown runbook load, new process (${kb.toFixed(0)} KB)`, value: Number(coldLoad.toFixed(1)), unit: 'ms', baseline: { value: Number(coldRead.toFixed(2)), what: 'first read of the file in that process' }, ratio: coldLoad / coldRead, goal: null, met: null },
      { figure: `open ${kb.toFixed(0)} KB Markdown runbook → first full frame`, value: Math.round(largeOpen), unit: 'ms', baseline: { value: Math.round(demoOpen), what: 'open the demo runbook' }, ratio: openRatio, goal: `≤ ${OPEN_GOAL_RATIO}× demo`, met: openRatio <= OPEN_GOAL_RATIO },
    ];
    const f = (ms) => `${ms.toFixed(ms < 10 ? 2 : 1).padStart(8)} ms`;
    const lines = [
      `  ${name}: ${kb.toFixed(1)} KB, ${lineCount.toLocaleString('en')} lines → ${steps} steps, ${checks} checks`,
      `  a. warm process, median of ${warmRuns} after 3 warm-up loads`,
      `     baseline: read the file                                 ${f(read)}`,
      `     loadRunbook                                             ${f(warm)}  ${(warm / read).toFixed(0).padStart(5)}× read`,
      `     goal < ${LOAD_GOAL_MS} ms: ${warm < LOAD_GOAL_MS ? 'met' : 'NOT met'}`,
      `  b. new process, first load (import not counted), median of ${coldRuns}; for information`,
      `     baseline: first read of the file in that process        ${f(coldRead)}`,
      `     loadRunbook                                             ${f(coldLoad)}  ${(coldLoad / coldRead).toFixed(0).padStart(5)}× read`,
      `  c. opscockpit open → first full frame, pty ${COLS}x${ROWS}, median of ${openRuns} (alternated, 1 warm-up each)`,
      `     baseline: open fixtures/runbooks/demo.yaml              ${f(demoOpen)}`,
      `     open ${basename(file).padEnd(51).slice(0, 51)}${f(largeOpen)}  ${openRatio.toFixed(2).padStart(5)}× demo`,
      `     goal ≤ ${OPEN_GOAL_RATIO}× the demo's: ${openRatio <= OPEN_GOAL_RATIO ? 'met' : 'NOT met'}`,
    ];
    return { figures, lines };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    rmSync(bundle, { force: true });
  }
}

/** The first read and the first load of the runbook in fresh node processes, the module imported first. */
function coldLoads(bundle, file, n) {
  const script = `
    const { loadRunbook } = await import(${JSON.stringify(pathToFileURL(bundle).href)});
    const { readFileSync } = await import('node:fs');
    let t = performance.now();
    readFileSync(${JSON.stringify(file)}, 'utf8');
    const read = performance.now() - t;
    t = performance.now();
    loadRunbook(${JSON.stringify(file)}, {});
    const load = performance.now() - t;
    console.log(JSON.stringify({ read, load }));`;
  const reads = [];
  const loads = [];
  for (let i = 0; i < n; i++) {
    try {
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
      const r = JSON.parse(out.trim().split('\n').pop());
      reads.push(r.read);
      loads.push(r.load);
    } catch (err) {
      throw new BenchError(`the load in a new process failed: ${err.message}`);
    }
  }
  return { reads, loads };
}

await runAlone(import.meta.url, 'markdown', benchMarkdown);
