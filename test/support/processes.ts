// Whether a process still runs, for tests that kill process groups; and a command signalled
// while its script runs.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { bin, root } from './cli.js';
import { pidAlive } from '../../adapters/ledger-leases.js';

/**
 * Dead means ESRCH, or a zombie: in containers whose PID 1 does not reap orphans, a killed
 * grandchild stays a zombie (state Z) forever although it no longer runs.
 */
export const isGone = (pid: number): boolean => !pidAlive(pid);

export async function waitGone(pid: number, ms = 2000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (isGone(pid)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return isGone(pid);
}

const started: ChildProcess[] = [];

/** Kill what signalOnceRunning started and left running (an afterEach's). */
export function killStarted(): void {
  for (const c of started.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

/**
 * Start the built binary with `args`, wait until its script and the script's grandchild run
 * (they write script.pid and grandchild.pid in `dir`), send `signal`, and wait (at most 5 s) for
 * the exit: its code, or 'hung'.
 */
/** `settleMs`: how long after the script runs the signal comes (default at once). */
export async function signalOnceRunning(args: string[], dir: string, env: NodeJS.ProcessEnv, signal: NodeJS.Signals, settleMs = 0) {
  const child = spawn('node', [bin, ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let stdout = '';
  let stderr = '';
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => ((stdout += d), (output += d)));
  child.stderr.setEncoding('utf8').on('data', (d: string) => ((stderr += d), (output += d)));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const pidOf = (name: string) => (existsSync(join(dir, name)) ? Number(readFileSync(join(dir, name), 'utf8')) || undefined : undefined);
  const until = Date.now() + 15_000;
  while (!(pidOf('script.pid') && pidOf('grandchild.pid'))) {
    if (Date.now() > until || child.exitCode !== null) throw new Error(`the script did not start: ${output}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const [script, grandchild] = [pidOf('script.pid')!, pidOf('grandchild.pid')!];
  expect(isGone(script) || isGone(grandchild)).toBe(false);
  if (settleMs > 0) await new Promise((r) => setTimeout(r, settleMs));
  const sent = Date.now();
  child.kill(signal);
  const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 5000))]);
  return { code, tookMs: Date.now() - sent, script, grandchild, stdout, stderr, output: () => output };
}
