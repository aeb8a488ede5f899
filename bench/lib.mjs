// Helpers for bench/run.mjs: child processes with timeouts, statistics, runbook generation.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { figureRecord } from './figures.mjs';

/** A measurement that could not be taken (as opposed to a goal that was missed). */
export class BenchError extends Error {}

/** The environment every measured process gets: the caller's, without CI markers. */
export function benchEnv(extra = {}) {
  const env = { ...process.env, ...extra };
  delete env.CI;
  delete env.CONTINUOUS_INTEGRATION;
  return env;
}

// ---- figures ------------------------------------------------------------------------------

const recorded = [];

/**
 * Records one figure of this run for bench/README.md's table (`npm run bench -- --write`).
 * Every bench calls it once per figure it measures, besides printing its lines:
 *   recordFigure({
 *     figure: 'Harvest of 1,000,000 rows: time',  // what was measured; the table row's key: keep it stable
 *     value: 0.21, unit: 's',                      // the measurement
 *     baseline: { value: 0.63, what: 'sort -n | awk' },  // same unit, measured in the same run; or null
 *     ratio: 3.0,                                  // optional; default value / baseline.value
 *     goal: '≥ 2× faster than the baseline',       // text, or null when the figure has no goal
 *     met: true,                                   // the goal judged by the bench; null without a goal
 *   });
 * Throws a TypeError on a malformed figure. Returns the record kept.
 */
export function recordFigure(figure) {
  const rec = figureRecord(figure);
  recorded.push(rec);
  return rec;
}

/** The figures recorded so far in this process, in order. */
export const recordedFigures = () => [...recorded];

/** Run a command to completion; resolves {code, stdout, stderr}; kills it after timeoutMs. */
export function runChild(cmd, args, { timeoutMs = 60_000, env = benchEnv(), cwd } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    // SIGTERM first: the pty helpers then kill the cockpit they started before exiting.
    let killer;
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      killer = setTimeout(() => child.kill('SIGKILL'), 3000);
      reject(new BenchError(`${cmd} ${args.join(' ')} did not finish within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new BenchError(`cannot run ${cmd}: ${err.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Run a helper that prints one JSON object as its last stdout line. */
export async function runJson(cmd, args, opts) {
  const r = await runChild(cmd, args, opts);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line);
  } catch {
    throw new BenchError(`${cmd} ${args.slice(0, 2).join(' ')} exited ${r.code} without a result\n${r.stderr.trim() || r.stdout.trim()}`);
  }
}

/** Start `opscockpit fixtures serve --port 0` and read its `listening URL` line. */
export function startFixtureServer(bin, env = benchEnv()) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'fixtures', 'serve', '--port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const fail = (msg) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new BenchError(msg));
    };
    const timer = setTimeout(() => fail(`the fixture server printed no "listening" line within 10 s\n${err}`), 10_000);
    child.on('error', (e) => fail(`cannot start the fixture server: ${e.message}`));
    child.on('exit', (code) => {
      if (!out.includes('\n')) fail(`the fixture server exited (${code}) before listening\n${err}`);
    });
    child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
    const onData = (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl === -1) return;
      const m = /^listening (http:\/\/\S+)/.exec(out.slice(0, nl));
      if (!m) return fail(`unexpected first line from the fixture server: ${out.slice(0, nl)}`);
      clearTimeout(timer);
      // Keep draining the access log: stdout to a pipe is synchronous in Node on Linux, so a
      // full pipe would stall the server.
      child.stdout.off('data', onData);
      child.stdout.resume();
      resolve({ url: m[1], child, stop: () => stopChild(child) });
    };
    child.stdout.setEncoding('utf8').on('data', onData);
  });
}

export function stopChild(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const kill = setTimeout(() => child.kill('SIGKILL'), 2000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

// ---- pseudo-terminal ----------------------------------------------------------------------

/** python3 with pty/termios, resolved once to its real executable (skips pyenv-style shims). */
export function findPython() {
  const r = spawnSync('python3', ['-c', 'import pty, termios, fcntl, select, json, sys; print(sys.executable)'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new BenchError(`python3 with the pty, termios and fcntl modules is required to drive the cockpit in a pseudo-terminal (${r.error?.message ?? r.stderr.trim()})`);
  }
  const exe = r.stdout.trim();
  return exe && existsSync(exe) ? exe : 'python3';
}

/**
 * Milliseconds from fork until the cockpit's first full frame (`until` 'frame': every panel
 * title drawn, then q) or until the command exits ('exit'), on a pseudo-terminal of cols×rows
 * (bench/pty_first_frame.py; CI markers removed, so Ink draws every frame).
 */
export async function ptyMs(py, until, command, { cols = 120, rows = 40, what = command.join(' ') } = {}) {
  const helper = join(dirname(fileURLToPath(import.meta.url)), 'pty_first_frame.py');
  const r = await runJson(py, [helper, '--cols', String(cols), '--rows', String(rows), '--until', until, '--', ...command], { timeoutMs: 60_000 });
  if (!r.ok) throw new BenchError(`${what}: ${r.error}`);
  if (r.warning) console.error(`  note: ${what}: ${r.warning}`);
  return r.ns / 1e6;
}

// ---- statistics -------------------------------------------------------------------------

/** Nearest-rank percentile (p in 0..100) of a list of numbers. */
export function percentile(values, p) {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export const ms = (x, digits = 1) => (Number.isFinite(x) ? `${x.toFixed(digits)} ms` : '—');

// ---- runbooks -----------------------------------------------------------------------------

const PATHS = ['/readyz', '/health', '/api/execution_gate', '/api/emergency_stop'];

/**
 * A runbook with `checks` live HTTP checks (every 1s) against `url`, one manual preflight
 * step, and an abort action running `abortScript` (relative to the runbook folder).
 */
export function writeRunbook(file, { name, url, checks, abortScript }) {
  const lines = [
    'version: 1',
    `name: ${name}`,
    'release: { type: cutover, branch: bench }',
    'targets:',
    `  app: ${url}`,
    'checks:',
  ];
  for (let i = 1; i <= checks; i++) {
    const id = `probe-${String(i).padStart(2, '0')}`;
    const path = PATHS[(i - 1) % PATHS.length];
    lines.push(`  ${id}:`, `    title: Probe ${i} (${path})`, '    every: 1s', `    http: { target: app, path: ${path}, timeout: 2s, expect: { status: 200 } }`);
  }
  lines.push(
    'checklists:',
    '  preflight:',
    '    - { id: confirm, title: Operator on the bridge, manual: true }',
    'actions:',
    '  abort:',
    '    title: Abort the cutover',
    '    key: a',
    '    confirm: abort',
    `    script: { command: ./${abortScript}, timeout: 10s }`,
  );
  writeFileSync(file, lines.join('\n') + '\n');
}

/** The abort script: one builtin append of the wall clock (µs), no fork, exit 0. */
export function writeAbortScript(file, { bash, marks }) {
  writeFileSync(file, `#!${bash}\necho "$EPOCHREALTIME" >> '${marks.replace(/'/g, `'\\''`)}'\nexit 0\n`);
  chmodSync(file, 0o755);
}

/**
 * The time-to-detect runbook: one http check of `path` polled every `every`, the only
 * (blocking) preflight step, so the Gate's verdict is that check's; and an abort action
 * running `abortScript` (never pressed by the bench, but a cutover runbook has one).
 */
export function writeDetectRunbook(file, { name, url, path = '/readyz', every = '1s', abortScript }) {
  const lines = [
    'version: 1',
    `name: ${name}`,
    'release: { type: cutover, branch: bench }',
    'targets:',
    `  app: ${url}`,
    'checks:',
    '  ready:',
    `    title: Readiness (${path})`,
    `    every: ${every}`,
    `    http: { target: app, path: ${path}, timeout: 2s, expect: { status: 200 } }`,
    'checklists:',
    '  preflight:',
    '    - { id: ready, title: Target is ready, check: ready }',
    'actions:',
    '  abort:',
    '    title: Abort the cutover',
    '    key: a',
    '    confirm: abort',
    `    script: { command: ./${abortScript}, timeout: 10s }`,
  ];
  writeFileSync(file, lines.join('\n') + '\n');
}

/** A script that does nothing and succeeds. */
export function writeNoopScript(file) {
  writeFileSync(file, '#!/bin/sh\nexit 0\n');
  chmodSync(file, 0o755);
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** A whole number ≥ 1 from the environment (sample counts, sizes), or the default. */
export function positiveInt(name, fallback) {
  const n = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(n) || n < 1) throw new BenchError(`${name} must be a whole number ≥ 1`);
  return n;
}

/**
 * Project TypeScript modules as one ESM file, so a bench measures the real code without the
 * CLI around it. It lives under node_modules so better-sqlite3 (native, external) resolves.
 */
export async function bundleModules(name, contents) {
  const { build } = await import('esbuild');
  const dir = join(ROOT, 'node_modules', '.cache', 'opscockpit-bench');
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, `${name}-${process.pid}.mjs`);
  await build({
    stdin: { contents, resolveDir: ROOT, loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    external: ['better-sqlite3', 'satteri'],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    outfile,
    logLevel: 'silent',
  });
  return outfile;
}

/** Table columns: padded right (text) or left (figures). */
export const pad = (s, n) => String(s).padEnd(n);
export const lpad = (s, n) => String(s).padStart(n);

/**
 * When the bench file `moduleUrl` is run on its own (`node bench/NAME.mjs`): run `bench`, print
 * its lines, exit 1 when it could not run or `failed(result)` says so.
 */
export async function runAlone(moduleUrl, name, bench, failed = () => false) {
  if (!process.argv[1] || moduleUrl !== pathToFileURL(resolve(process.argv[1])).href) return;
  try {
    const r = await bench();
    console.log(r.lines.join('\n'));
    process.exitCode = failed(r) ? 1 : 0;
  } catch (err) {
    console.error(`bench ${name}: ${err instanceof BenchError ? err.message : (err?.stack ?? err)}`);
    process.exitCode = 1;
  }
}
