// Baseline for the abort latency: the same script spawned from a bare Node process with the
// same mechanism and options the cockpit uses (adapters/script.ts: execa 9, detached, own
// env, stdin ignored, no buffering), timed the same way: wall clock before the spawn call →
// the $EPOCHREALTIME mark the script appends to the marks file.
//   node bench/spawn_baseline.mjs SCRIPT MARKS COUNT CWD   → prints {"latency_us": [...]}
import { readFileSync, existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';

const [script, marksFile, countArg, cwd] = process.argv.slice(2);
const count = Number(countArg);

/** Wall clock in microseconds (timeOrigin is wall time, now() is monotonic since then). */
const nowUs = () => Math.round((performance.timeOrigin + performance.now()) * 1000);
const readMarks = () =>
  existsSync(marksFile)
    ? readFileSync(marksFile, 'utf8').split('\n').filter((l) => l.trim()).map((l) => Math.round(Number(l.trim().replace(',', '.')) * 1e6))
    : [];

const env = { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin' };
for (const k of ['HOME', 'LANG']) if (process.env[k] !== undefined) env[k] = process.env[k];

const latency = [];
for (let i = 0; i < count; i++) {
  const before = readMarks().length;
  const sent = nowUs();
  const child = execa(script, [], { cwd, env, extendEnv: false, detached: true, stdin: 'ignore', buffer: false, reject: false });
  child.stdout?.resume();
  child.stderr?.resume();
  const r = await child;
  if (r.exitCode !== 0) throw new Error(`abort script exited ${r.exitCode} ${r.code ?? ''}`);
  const marks = readMarks();
  if (marks.length !== before + 1) throw new Error(`expected ${before + 1} marks, found ${marks.length}`);
  latency.push(marks[marks.length - 1] - sent);
  await sleep(20 + Math.random() * 30);
}
process.stdout.write(JSON.stringify({ latency_us: latency }) + '\n');
