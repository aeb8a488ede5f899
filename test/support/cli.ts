import { spawn, spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

export const root = resolve(import.meta.dirname, '..', '..');
export const bin = join(root, 'bin', 'opscockpit');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run the built binary without a terminal, as CI and cron would. Asynchronous on purpose:
 * fixture servers in the test process must keep answering while the binary runs.
 */
export function cli(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('node', [bin, ...args], { cwd: opts.cwd ?? root, env: cliEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`opscockpit ${args.join(' ')} did not finish in time`));
    }, opts.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/**
 * The binary run while this process waits, doing nothing else: what the test process holds
 * (a cockpit session) hears of what the command did only once it has ended.
 */
export function cliSync(args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): CliResult {
  const r = spawnSync('node', [bin, ...args], { cwd: root, env: cliEnv(opts.env), encoding: 'utf8', timeout: opts.timeoutMs ?? 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

// TMPDIR: the test run's own folder (vitest.config.ts), so what the binary makes is removed too.
function cliEnv(env?: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, XDG_CACHE_HOME: process.env.XDG_CACHE_HOME, TMPDIR: process.env.TMPDIR, ...env };
}
