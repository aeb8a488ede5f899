// Evidence harvest benchmark: `opscockpit harvest reqlog` on a generated 1,000,000-row request
// log, beside the shell baseline measured in the same run: `sort -n | awk` computing the same
// exact nearest-rank p50/p90/p95/p99 of the latency column. Wall time and peak RSS come from
// `/usr/bin/time -f "%e %M"`. Goals: at least 2× faster than the baseline, under 200 MB.
// The two must agree on every percentile; a mismatch is printed loudly and exits 1.
//
//   node bench/harvest.mjs            (run on its own; `npm run bench` runs it as benchmark 4)
//   BENCH_HARVEST_ROWS=200000 BENCH_HARVEST_RUNS=5 node bench/harvest.mjs
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchError, positiveInt, recordFigure, runAlone } from './lib.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'opscockpit');
const TIME = '/usr/bin/time';
const SPEED_GOAL = 2; // × faster than the baseline
const MEMORY_GOAL_MB = 200;
const PERCENTILES = [50, 90, 95, 99];

/** The request log: ISO timestamps over one hour (60 windows), 5 routes, one of them quoted. */
export async function writeRequestLog(path, rows) {
  const routes = ['/api/judge', '/api/judge', '"/ops/cards/reason-trends,top-impact"', '/readyz', '/api/promote'];
  const start = Date.UTC(2026, 10, 23, 11, 0, 0);
  const step = 3_600_000 / rows;
  let seed = 20261123;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const out = createWriteStream(path);
  let buf = 'ts,latency_ms,status,route\n';
  for (let i = 0; i < rows; i++) {
    // Mostly 5–150 ms, a long tail, and a spike now and then; 0.1 ms resolution, many ties.
    const tail = -Math.log(1 - rand()) * 35;
    const latency = Math.round((5 + tail + (rand() < 0.002 ? 2000 * rand() : 0)) * 10) / 10;
    const status = rand() < 0.008 ? 503 : rand() < 0.02 ? 404 : 200;
    buf += `${new Date(start + Math.floor(i * step)).toISOString()},${latency},${status},${routes[i % routes.length]}\n`;
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await new Promise((r) => out.once('drain', r));
      buf = '';
    }
  }
  await new Promise((res, rej) => out.end(buf, (err) => (err ? rej(err) : res())));
}

/** Run under /usr/bin/time; resolves { seconds, peakMb, stdout, stderr, code }. */
function timed(cmd, args, { cwd, env } = {}) {
  return new Promise((res, rej) => {
    const child = spawn(TIME, ['-f', '__time__ %e %M', cmd, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    child.on('error', (err) => rej(new BenchError(`cannot run ${TIME}: ${err.message}`)));
    child.on('close', (code) => {
      const m = /__time__ ([\d.]+) (\d+)\s*$/.exec(stderr);
      if (!m) return rej(new BenchError(`${cmd} ${args.join(' ')}: no timing from ${TIME} (exit ${code}): ${stderr.trim().slice(-500)}`));
      res({ seconds: Number(m[1]), peakMb: Number(m[2]) / 1024, stdout, stderr: stderr.slice(0, m.index), code });
    });
  });
}

/** The harvest command line: the built binary (`npm run bench` builds it first). */
function harvestRunner() {
  if (!existsSync(join(ROOT, 'dist', 'opscockpit.js'))) throw new BenchError('dist/opscockpit.js is missing: run `npm run build` first');
  return { how: 'node bin/opscockpit harvest', argv: [process.execPath, BIN, 'harvest'] };
}

// Exact nearest rank, rank = ceil(p·n/100), in awk's integers. LC_ALL=C: the fastest sort.
const BASELINE_AWK = `{ v[NR] = $1 } END { n = NR; split("${PERCENTILES.join(' ')}", ps, " "); for (i = 1; i <= ${PERCENTILES.length}; i++) { r = ps[i] * n; k = int(r / 100); if (k * 100 < r) k++; if (k < 1) k = 1; printf "p%s %s\\n", ps[i], v[k] } }`;
const baselineScript = (csv) => `tail -n +2 '${csv}' | cut -d, -f2 | sort -n | awk '${BASELINE_AWK}'`;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const fmtS = (s) => `${s.toFixed(2)} s`;
const fmtMb = (mb) => `${mb.toFixed(0)} MB`;

export async function benchHarvest() {
  const rows = positiveInt('BENCH_HARVEST_ROWS', 1_000_000);
  const runs = positiveInt('BENCH_HARVEST_RUNS', 5);
  const load = loadavg()[0]; // other work on the machine slows both, not always alike
  if (!existsSync(TIME)) throw new BenchError(`${TIME} (GNU time) is required to measure peak memory; install the "time" package`);
  const cleanups = [];
  const dir = mkdtempSync(join(tmpdir(), 'opscockpit-bench-harvest-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  try {
    const csv = join(dir, 'reqlog.csv');
    await writeRequestLog(csv, rows);
    const sizeMb = statSync(csv).size / 1e6;
    const runner = harvestRunner();
    const out = join(dir, 'evidence', 'perf.json');

    /** One harvest into `evidence` with its own ledger; throws when it fails. */
    const harvest = async (evidence, ledger) => {
      const h = await timed(runner.argv[0], [...runner.argv.slice(1), 'reqlog', csv, '--out', evidence, '--ledger', ledger], { cwd: dir, env: { OPSCOCKPIT_OPERATOR: 'bench' } });
      if (h.code !== 0) throw new BenchError(`harvest exited ${h.code}: ${h.stderr.trim() || h.stdout.trim()}`);
      return h;
    };
    const ours = [];
    const base = [];
    let baselineValues;
    // One unmeasured round first, so both read the file from the page cache.
    for (let i = 0; i <= runs; i++) {
      const h = await harvest(out, join(dir, `ledger-${i}.db`));
      const b = await timed('sh', ['-c', baselineScript(csv)], { cwd: dir, env: { LC_ALL: 'C' } });
      if (b.code !== 0) throw new BenchError(`baseline pipeline exited ${b.code}: ${b.stderr.trim()}`);
      baselineValues = Object.fromEntries(b.stdout.trim().split('\n').map((l) => l.split(' ')));
      if (i === 0) continue;
      ours.push(h);
      base.push(b);
    }

    // For reading the figure: what loading the CLI alone costs, beside Node itself.
    const startup = [];
    const bare = [];
    for (let i = 0; i < runs; i++) {
      startup.push((await timed(runner.argv[0], [...runner.argv.slice(1), '--help'], { cwd: dir })).seconds);
      bare.push((await timed(process.execPath, ['-e', ''], { cwd: dir })).seconds);
    }

    const doc = JSON.parse(readFileSync(out, 'utf8'));
    const mismatches = PERCENTILES.filter((p) => Number(baselineValues[`p${p}`]) !== doc.overall[`p${p}_ms`]);
    const oursS = median(ours.map((r) => r.seconds));
    const baseS = median(base.map((r) => r.seconds));
    const oursMb = Math.max(...ours.map((r) => r.peakMb));
    const baseMb = Math.max(...base.map((r) => r.peakMb));
    const speedup = baseS / oursS;
    const lines = [
      `harvest: ${rows.toLocaleString('en')} rows, ${sizeMb.toFixed(1)} MB CSV (ISO timestamps, ${doc.windows.length} windows, ${Object.keys(doc.routes ?? {}).length} routes); median of ${runs}, the two taking turns; load average ${load.toFixed(1)} on ${availableParallelism()} CPUs at the start`,
      `  opscockpit harvest reqlog   ${fmtS(oursS)}   peak RSS ${fmtMb(oursMb)}   [${runner.how}]`,
      `    (of which loading the CLI, \`harvest --help\`: ${fmtS(median(startup))}; \`node -e ''\`: ${fmtS(median(bare))})`,
      `  baseline sort -n | awk      ${fmtS(baseS)}   peak RSS ${fmtMb(baseMb)} (largest process of the pipeline; overall percentiles only)`,
      `  speed   ${speedup.toFixed(2)}× the baseline (goal ≥ ${SPEED_GOAL}×): ${speedup >= SPEED_GOAL ? 'met' : 'NOT met'}`,
      `  memory  ${fmtMb(oursMb)} = ${(oursMb / baseMb).toFixed(2)}× the baseline's (goal < ${MEMORY_GOAL_MB} MB): ${oursMb < MEMORY_GOAL_MB ? 'met' : 'NOT met'}`,
    ];
    if (mismatches.length) {
      lines.push('  !!! PERCENTILE MISMATCH between harvest and the sort -n | awk baseline !!!');
      for (const p of mismatches) lines.push(`  !!!   p${p}: harvest ${doc.overall[`p${p}_ms`]}, baseline ${baselineValues[`p${p}`]}`);
    } else lines.push(`  agree   ${PERCENTILES.map((p) => `p${p} ${doc.overall[`p${p}_ms`]}`).join(', ')} ms (both exact nearest rank)`);
    recordFigure({ figure: `Harvest ${rows.toLocaleString('en')} rows, time`, value: Number(oursS.toFixed(2)), unit: 's', baseline: { value: Number(baseS.toFixed(2)), what: 'sort -n | awk' }, ratio: speedup, goal: `≥ ${SPEED_GOAL}× faster than the baseline`, met: speedup >= SPEED_GOAL });
    recordFigure({ figure: `Harvest ${rows.toLocaleString('en')} rows, peak memory`, value: Math.round(oursMb), unit: 'MB', baseline: { value: Math.round(baseMb), what: 'sort -n | awk' }, goal: `< ${MEMORY_GOAL_MB} MB`, met: oursMb < MEMORY_GOAL_MB });
    return { lines, mismatch: mismatches.length > 0, speedup, seconds: oursS, baselineSeconds: baseS, peakMb: oursMb, baselinePeakMb: baseMb };
  } finally {
    for (const c of cleanups.reverse()) {
      try {
        c();
      } catch {
        /* best effort */
      }
    }
  }
}

await runAlone(import.meta.url, 'harvest', benchHarvest, (r) => r.mismatch);
