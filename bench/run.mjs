// opscockpit benchmarks: each figure beside a baseline measured in the same run, as a ratio.
//   1. Cold start to the first full cockpit frame on a pty, vs `node -e ''` to exit.
//   2. Abort key → abort script spawned while 50 checks poll every second, vs the same
//      script spawned by execa from a bare Node process.
//   3. Fault injected in the fixture target → NO-GO on the cockpit's screen, 1 s check
//      interval, vs a bare 1 s poller (python, urllib) detecting the same faults.
// Exit 0 whether or not a goal is met (a measurement, not a test); exit 1 when a benchmark
// could not run. `npm run bench` builds dist/ first. `npm run bench -- --write` also rewrites
// the figures table of bench/README.md from the figures this run recorded (recordFigure).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchHarvest } from './harvest.mjs';
import { benchLedger } from './ledger.mjs';
import { benchMarkdown } from './markdown.mjs';
import { benchLedgerScreen } from './ledger-screen.mjs';
import { writeFigures } from './figures.mjs';
import { benchIdle } from './idle.mjs';
import { benchTeam } from './team-ledger.mjs';
import {
  BenchError, findPython, recordFigure, recordedFigures, median, ms, percentile, ptyMs, runChild, runJson, startFixtureServer, writeAbortScript, writeDetectRunbook, writeNoopScript, writeRunbook, pad, lpad,
} from './lib.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(BENCH, '..');
const BIN = join(ROOT, 'bin', 'opscockpit');
const COLS = 120;
const ROWS = 40;
const START_RUNS = Number(process.env.BENCH_START_RUNS ?? 10);
const ABORT_RUNS = Number(process.env.BENCH_ABORT_RUNS ?? 50);
const ABORT_CHECKS = 50;
const DETECT_RUNS = Number(process.env.BENCH_DETECT_RUNS ?? 12);
for (const [name, n] of [['BENCH_START_RUNS', START_RUNS], ['BENCH_ABORT_RUNS', ABORT_RUNS], ['BENCH_DETECT_RUNS', DETECT_RUNS]]) {
  if (!Number.isInteger(n) || n < 1) {
    console.error(`bench: ${name} must be a whole number ≥ 1`);
    process.exit(1);
  }
}
const START_GOAL = 4; // × node -e ''
const ABORT_GOAL_MS = 50; // p99
const DETECT_GOAL_MS = 1500; // median

const args = process.argv.slice(2);
const WRITE = args.includes('--write');
const unknown = args.filter((a) => a !== '--write');
if (unknown.length) {
  console.error(`bench: unknown argument ${unknown[0]}; the only option is --write (rewrite bench/README.md's figures table)`);
  process.exit(1);
}

const cleanups = [];
async function cleanup() {
  while (cleanups.length) {
    try {
      await cleanups.pop()();
    } catch {
      /* best effort */
    }
  }
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, async () => {
    await cleanup();
    process.exit(130);
  });
}

function findBash() {
  const r = spawnSync('bash', ['-c', 'command -v bash; echo "${BASH_VERSINFO[0]}"; echo "$EPOCHREALTIME"'], { encoding: 'utf8' });
  const [path, major, now] = (r.stdout ?? '').trim().split('\n');
  if (r.error || r.status !== 0 || !path) throw new BenchError('bash is required for the abort script');
  if (Number(major) < 5 || !/^\d+[.,]\d+$/.test(now ?? '')) throw new BenchError(`bash 5 or newer is required ($EPOCHREALTIME); found bash ${major}`);
  return resolve(path);
}

async function validate(runbook) {
  const r = await runChild(process.execPath, [BIN, 'validate', runbook], { timeoutMs: 20_000 });
  if (r.code !== 0) throw new BenchError(`the generated runbook ${runbook} is not valid:\n${r.stderr.trim()}`);
}

// ---- 1. cold start --------------------------------------------------------------------

async function coldStart(py, tmp, runbook) {
  const size = { cols: COLS, rows: ROWS };
  const baseline = () => ptyMs(py, 'exit', [process.execPath, '-e', ''], { ...size, what: "node -e ''" });
  let n = 0;
  const cockpit = () => ptyMs(py, 'frame', [process.execPath, BIN, 'open', runbook, '--ledger', join(tmp, `start-${n++}.db`)], { ...size, what: 'cockpit cold start' });
  // One unmeasured run of each warms the page cache; then alternate so drift hits both alike.
  await baseline();
  await cockpit();
  const base = [];
  const cock = [];
  for (let i = 0; i < START_RUNS; i++) {
    base.push(await baseline());
    cock.push(await cockpit());
  }
  return { base, cock };
}

// ---- 2. abort latency -----------------------------------------------------------------

async function abortLatency(py, tmp, runbook, script) {
  const cockpitMarks = join(tmp, 'marks-cockpit.txt');
  const baselineMarks = join(tmp, 'marks-baseline.txt');
  // The runbook's script writes to cockpitMarks; the baseline runs a twin that writes elsewhere.
  const r = await runJson(
    py,
    [join(BENCH, 'pty_abort.py'), '--marks', cockpitMarks, '--count', String(ABORT_RUNS), '--settle', '2', '--cols', String(COLS), '--rows', String(ROWS), '--',
      process.execPath, BIN, 'open', runbook, '--ledger', join(tmp, 'abort.db')],
    { timeoutMs: 120_000 },
  );
  if (!r.ok) throw new BenchError(`abort latency: ${r.error}\n  last screen text: ${JSON.stringify(r.last_output ?? '')}`);
  if (r.marks !== ABORT_RUNS) throw new BenchError(`abort latency: ${ABORT_RUNS} aborts confirmed but the script ran ${r.marks} times`);
  if (r.warning) console.error(`  note: abort latency: ${r.warning}`);
  const twin = join(tmp, 'abort-baseline.sh');
  writeAbortScript(twin, { bash: script.bash, marks: baselineMarks });
  const b = await runJson(process.execPath, [join(BENCH, 'spawn_baseline.mjs'), twin, baselineMarks, String(ABORT_RUNS), tmp], { timeoutMs: 60_000, cwd: ROOT });
  if (!Array.isArray(b.latency_us)) throw new BenchError('abort baseline returned no samples');
  return {
    cockpit: r.latency_us.map((us) => us / 1000),
    redraw: r.redraw_us.map((us) => us / 1000),
    base: b.latency_us.map((us) => us / 1000),
    retries: r.retries,
  };
}

// ---- 3. time to detect ----------------------------------------------------------------

async function timeToDetect(py, tmp, runbook, url) {
  // Each round takes about 0.5 s of random phase + ≤ 1.1 s to detect + ≤ 1.1 s to recover.
  const deadline = 20 + DETECT_RUNS * 5;
  const r = await runJson(
    py,
    [join(BENCH, 'pty_ttd.py'), '--url', url, '--count', String(DETECT_RUNS), '--interval', '1', '--deadline', String(deadline),
      '--cols', String(COLS), '--rows', String(ROWS), '--', process.execPath, BIN, 'open', runbook, '--ledger', join(tmp, 'detect.db')],
    { timeoutMs: (deadline + 30) * 1000 },
  );
  if (!r.ok) throw new BenchError(`time to detect: ${r.error}\n  last screen text: ${JSON.stringify(r.last_output ?? '')}`);
  if (r.warning) console.error(`  note: time to detect: ${r.warning}`);
  if (r.cockpit_us.length !== DETECT_RUNS || r.baseline_us.length !== DETECT_RUNS) throw new BenchError(`time to detect: expected ${DETECT_RUNS} rounds, got ${r.cockpit_us.length}`);
  return {
    cockpit: r.cockpit_us.map((us) => us / 1000),
    base: r.baseline_us.map((us) => us / 1000),
    recover: r.recover_us.map((us) => us / 1000),
  };
}

// ---- report ---------------------------------------------------------------------------

function row(label, values, a, b) {
  return `  ${pad(label, 40)}${lpad(values.length, 5)}${lpad(ms(a), 11)}${lpad(ms(b), 11)}`;
}

async function reportColdStart(py, tmp, runbook) {
  console.log(`\n1. Cold start → first full frame (Ready, Canary, Gate, Ledger, Checklist all drawn)`);
  console.log(`   cockpit: \`opscockpit open <generated 3-check runbook>\` against the fixture server, fresh ledger each run`);
  console.log(`   baseline: \`node -e ''\` until exit, same pty helper; 1 warm-up each, then alternated`);
  const s = await coldStart(py, tmp, runbook);
  console.log(`  ${pad('', 40)}${lpad('runs', 5)}${lpad('median', 11)}${lpad('p90', 11)}`);
  console.log(row("baseline  node -e ''  (to exit)", s.base, median(s.base), percentile(s.base, 90)));
  console.log(row('opscockpit open  (to first frame)', s.cock, median(s.cock), percentile(s.cock, 90)));
  const ratio = median(s.cock) / median(s.base);
  console.log(`  ratio of medians: ${ratio.toFixed(2)}x   goal ≤ ${START_GOAL}x: ${ratio <= START_GOAL ? 'met' : 'not met'}`);
  recordFigure({
    figure: 'Cold start to the first full frame, median',
    value: median(s.cock), unit: 'ms',
    baseline: { value: median(s.base), what: "node -e ''" },
    goal: `≤ ${START_GOAL}× the baseline`, met: ratio <= START_GOAL,
  });
}

async function reportAbort(py, tmp, runbook, bash) {
  console.log(`\n2. Abort key → abort script spawned, ${ABORT_CHECKS} http checks polling every 1 s against the fixture server`);
  console.log(`   cockpit: a, "abort" typed and echoed, wall clock taken, Enter → script's first line appends $EPOCHREALTIME`);
  console.log(`   baseline: same script from a bare Node process via execa 9 (detached, same options), spawn call → mark`);
  const a = await abortLatency(py, tmp, runbook, { bash });
  console.log(`  ${pad('', 40)}${lpad('runs', 5)}${lpad('p50', 11)}${lpad('p99', 11)}`);
  console.log(row('baseline  bare node + execa', a.base, percentile(a.base, 50), percentile(a.base, 99)));
  console.log(row('opscockpit  Enter → script running', a.cockpit, percentile(a.cockpit, 50), percentile(a.cockpit, 99)));
  console.log(row('  (diagnostic: Enter → dialog gone)', a.redraw, percentile(a.redraw, 50), percentile(a.redraw, 99)));
  const p99 = percentile(a.cockpit, 99);
  console.log(`  ratio of p99s: ${(p99 / percentile(a.base, 99)).toFixed(2)}x   goal p99 ≤ ${ABORT_GOAL_MS} ms: ${p99 <= ABORT_GOAL_MS ? 'met' : 'not met'}`);
  recordFigure({
    figure: `Abort key → abort script spawned (${ABORT_CHECKS} checks polling), p99`,
    value: p99, unit: 'ms',
    baseline: { value: percentile(a.base, 99), what: 'bare Node + execa' },
    goal: `≤ ${ABORT_GOAL_MS} ms`, met: p99 <= ABORT_GOAL_MS,
  });
  if (a.retries) console.log(`  (the dialog had to be reopened ${a.retries} time(s): an action was still finishing)`);
}

async function reportDetect(py, tmp, runbook, url) {
  console.log(`\n3. Time to detect: fault injected in the fixture target (/readyz → 503) → NO-GO on screen, checks every 1 s`);
  console.log(`   cockpit: runbook with one http check (every: 1s) behind the only preflight step; random 0–1 s pause after GO,`);
  console.log(`   clock read, POST /__fault, until the Gate headline says "NO-GO — 1 reason"; DELETE, wait for GO again`);
  console.log(`   baseline: bare poller thread (python urllib, GET /readyz every 1 s, fixed rate) timing the same faults to its first 503`);
  const t = performance.now();
  const d = await timeToDetect(py, tmp, runbook, url);
  const took = (performance.now() - t) / 1000;
  console.log(`  ${pad('', 40)}${lpad('runs', 5)}${lpad('median', 11)}${lpad('p90', 11)}`);
  console.log(row('baseline  bare 1 s poller  (first 503)', d.base, median(d.base), percentile(d.base, 90)));
  console.log(row('opscockpit  fault → NO-GO on screen', d.cockpit, median(d.cockpit), percentile(d.cockpit, 90)));
  if (d.recover.length) console.log(row('  (diagnostic: restore → GO on screen)', d.recover, median(d.recover), percentile(d.recover, 90)));
  const med = median(d.cockpit);
  console.log(`  ratio of medians: ${(med / median(d.base)).toFixed(2)}x   goal median < ${(DETECT_GOAL_MS / 1000).toFixed(1)} s: ${med < DETECT_GOAL_MS ? 'met' : 'not met'}`);
  recordFigure({
    figure: 'Time to detect a fault (1 s checks), median',
    value: med, unit: 'ms',
    baseline: { value: median(d.base), what: 'bare 1 s poller' },
    goal: `< ${DETECT_GOAL_MS.toLocaleString('en')} ms`, met: med < DETECT_GOAL_MS,
  });
  // A poller detects a fault about uniformly over one interval: the median of n such delays
  // has a standard error of about interval / (2·√n), so small ratios are noise.
  const se = 1000 / (2 * Math.sqrt(d.cockpit.length));
  console.log(`  (${d.cockpit.length} rounds in ${took.toFixed(1)} s, cockpit start included; either median varies by about ±${se.toFixed(0)} ms run to run)`);
}

async function reportHarvest() {
  console.log('\n4. Evidence harvest: 1,000,000-row request log → exact p50/p90/p95/p99, error rate, windows');
  const r = await benchHarvest();
  console.log(r.lines.join('\n'));
  if (r.mismatch) throw new BenchError('harvest and the baseline disagree on a percentile');
}

async function reportLedger() {
  console.log('\n5. Ledger: hash-chained appends vs plain inserts, and ledger verify over 1,000,000 events');
  const r = await benchLedger();
  console.log(r.lines.join('\n'));
}

async function reportMarkdown(py) {
  console.log('\n6. Markdown runbook: the largest realistic one loaded in a warm process (beside reading the file) and in a new one, and opened (beside the demo)');
  const r = await benchMarkdown({ py });
  for (const f of r.figures) recordFigure(f);
  console.log(r.lines.join('\n'));
}

async function reportLedgerScreen() {
  console.log('\n7. Release ledger screen: opening and paging a ledger of 1,000,000 events, beside a plain SELECT of the same page');
  const r = await benchLedgerScreen();
  console.log(r.lines.join('\n'));
}

async function reportIdle() {
  console.log('\n8. Idle cost: the cockpit left open, checks polling a separate fixture server, beside an idle node');
  console.log((await benchIdle()).lines.join('\n'));
}

async function reportTeam() {
  console.log('\n9. Team ledger: writers, cockpits and a watcher as processes on one PostgreSQL (started by the bench), beside SQLite');
  console.log((await benchTeam()).lines.join('\n'));
}

// BENCH_ONLY picks benchmarks by number (as printed) or by these names.
const NAMES = ['start', 'abort', 'detect', 'harvest', 'ledger', 'markdown', 'screen', 'idle', 'team'];

/** The benchmarks' numbers named by BENCH_ONLY ("2,4", "team", "ledger,team"), or undefined for all. */
function onlyBenchmarks(spec) {
  if (!spec) return undefined;
  return new Set(
    spec.split(',').map((s) => {
      const t = s.trim();
      const n = /^\d+$/.test(t) ? Number(t) : NAMES.indexOf(t) + 1;
      if (n < 1 || n > NAMES.length) throw new BenchError(`BENCH_ONLY: no benchmark "${t}" (1–${NAMES.length} or ${NAMES.join(', ')})`);
      return n;
    }),
  );
}

/** Returns the number of benchmarks that could not run. */
async function main() {
  // BENCH_ONLY=2,4 or BENCH_ONLY=team runs just those sections (numbered as printed, or named).
  const only = onlyBenchmarks(process.env.BENCH_ONLY);
  if (!existsSync(join(ROOT, 'dist', 'opscockpit.js'))) throw new BenchError('dist/opscockpit.js is missing: run `npm run build` (or `npm run bench`, which builds first)');
  const py = findPython();
  const bash = findBash();
  const tmp = mkdtempSync(join(tmpdir(), 'opscockpit-bench-'));
  cleanups.push(() => rmSync(tmp, { recursive: true, force: true }));

  const server = await startFixtureServer(BIN);
  cleanups.push(server.stop);

  writeAbortScript(join(tmp, 'abort-mark.sh'), { bash, marks: join(tmp, 'marks-cockpit.txt') });
  const small = join(tmp, 'bench-startup.yaml');
  const big = join(tmp, 'bench-50.yaml');
  writeRunbook(small, { name: 'Bench startup', url: server.url, checks: 3, abortScript: 'abort-mark.sh' });
  writeRunbook(big, { name: 'Bench abort latency', url: server.url, checks: ABORT_CHECKS, abortScript: 'abort-mark.sh' });
  writeNoopScript(join(tmp, 'abort-noop.sh'));
  const detect = join(tmp, 'bench-detect.yaml');
  writeDetectRunbook(detect, { name: 'Bench time to detect', url: server.url, abortScript: 'abort-noop.sh' });
  await Promise.all([validate(small), validate(big), validate(detect)]);

  const started = performance.now();
  console.log(`opscockpit bench — node ${process.version}, ${process.platform} ${process.arch}, ${cpus().length} CPUs, pty ${COLS}x${ROWS}, fixture targets ${server.url}`);
  let failed = 0;
  const all = [() => reportColdStart(py, tmp, small), () => reportAbort(py, tmp, big, bash), () => reportDetect(py, tmp, detect, server.url), () => reportHarvest(), () => reportLedger(), () => reportMarkdown(py), () => reportLedgerScreen(), () => reportIdle(), () => reportTeam()];
  for (const bench of all.filter((_, i) => !only || only.has(i + 1))) {
    try {
      await bench();
    } catch (err) {
      if (!(err instanceof BenchError)) throw err;
      failed++;
      console.log(`  could not run: ${err.message}`);
    }
  }
  console.log(`\n  p90/p99 are nearest-rank; with ${ABORT_RUNS} samples p99 is the slowest sample. Total ${((performance.now() - started) / 1000).toFixed(1)} s.`);
  if (WRITE) {
    const figures = recordedFigures();
    writeFigures(join(BENCH, 'README.md'), figures, { replaceAll: !only });
    console.log(`  bench/README.md: ${figures.length} figure(s) written${only ? ' (the other rows kept)' : ''}.`);
  }
  return failed;
}

try {
  const failed = await main();
  await cleanup();
  if (failed) {
    console.error(`\nbench: ${failed} benchmark(s) could not run (see above)`);
    process.exit(1);
  }
} catch (err) {
  await cleanup();
  if (err instanceof BenchError) {
    console.error(`\nbench: could not run: ${err.message}`);
    process.exit(1);
  }
  console.error(err);
  process.exit(1);
}
