// One real-enable window, two `opscockpit act` processes at the same instant: exactly one of
// them may use it. Deciding and consuming happen in one write transaction, so the second
// process reads the window as used up and is refused.
//
// To start both at the same instant, each reads its runbook from a named pipe (FIFO): both
// block in open() until the test has seen a reader on each pipe, then the test writes and
// closes both pipes back to back, and both processes go on within microseconds of each other.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLedger } from '../adapters/ledger.js';
import { bin, cli, type CliResult } from './support/cli.js';

const TRIALS = 10;
const SCOPES = 'ops:read,deploy:ops-cycle';
const RUNBOOK = `version: 1
name: Daily ops (race)
safety:
  mode: REAL_ENABLED
  allowlist: [ops-cycle]
  window: { ttl: 15m, approvals: 2 }
actions:
  ops-cycle:
    title: Run the daily ops cycle
    script: { command: bash, args: [-c, 'echo real >> ran.txt; echo ops cycle done'] }
`;

const as = (operator: string): NodeJS.ProcessEnv => ({ OPSCOCKPIT_OPERATOR: operator, OPSCOCKPIT_ALLOW_SCOPES: SCOPES });

function mkfifo(path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('mkfifo', [path], { stdio: 'ignore' });
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`mkfifo ${path} exited ${code}`))));
  });
}

/** `opscockpit act` on a runbook that is a FIFO: the process blocks until the pipe is written. */
function actOnPipe(pipe: string, ledger: string, operator: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('node', [bin, 'act', pipe, 'ops-cycle', '--yes', '--ledger', ledger], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...as(operator) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** Wait until a process has each pipe open for reading, then release them all at once. */
async function releaseTogether(pipes: string[], text: string): Promise<void> {
  const fds: number[] = [];
  const deadline = Date.now() + 30_000;
  for (const pipe of pipes) {
    for (;;) {
      try {
        // Non-blocking open for writing fails with ENXIO while nobody has the pipe open to read.
        fds.push(openSync(pipe, constants.O_WRONLY | constants.O_NONBLOCK));
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENXIO' || Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  }
  for (const fd of fds) writeSync(fd, text);
  for (const fd of fds) closeSync(fd);
}

function ledgerEvents(file: string) {
  const l = openLedger(file);
  try {
    return l.listRuns(100).flatMap((r) => l.events(r.runId).map((e) => ({ ...e.body, operator: e.operator })));
  } finally {
    l.close();
  }
}

describe('one real-enable window, two processes acting at the same instant', () => {
  it(`exactly one runs the action and the other is refused WINDOW_NOT_ACTIVE (${TRIALS} trials)`, async () => {
    for (let trial = 0; trial < TRIALS; trial++) {
      const dir = mkdtempSync(join(tmpdir(), 'oc-race-'));
      const file = join(dir, 'daily-ops.yaml');
      writeFileSync(file, RUNBOOK);
      const ledger = join(dir, 'ledger.db');
      const window = (verb: string, who: string) => cli(['window', verb, '--runbook', file, '--ledger', ledger], { env: as(who) });
      expect((await window('request', 'alice')).code).toBe(0);
      expect((await window('approve', 'bob')).code).toBe(0);
      expect((await window('approve', 'carol')).code).toBe(0);

      // Two runbook files with the same text, in the same folder (the scripts run there).
      const pipes = [join(dir, 'race-a.yaml'), join(dir, 'race-b.yaml')];
      for (const p of pipes) await mkfifo(p);
      const racing = [actOnPipe(pipes[0], ledger, 'alice'), actOnPipe(pipes[1], ledger, 'dave')];
      await releaseTogether(pipes, RUNBOOK);
      const results = await Promise.all(racing);

      const detail = `trial ${trial + 1}: ${JSON.stringify(results)}`;
      const winners = results.filter((r) => r.code === 0);
      const refused = results.filter((r) => r.code === 3);
      expect(winners, detail).toHaveLength(1);
      expect(refused, detail).toHaveLength(1);
      expect(winners[0].stdout).toContain('ops cycle done');
      expect(refused[0].stderr).toMatch(/ops-cycle refused by WINDOW_NOT_ACTIVE: .*window w-[0-9a-f]+ was used by ops-cycle/);
      expect(readFileSync(join(dir, 'ran.txt'), 'utf8').trim().split('\n'), detail).toEqual(['real']);

      const events = ledgerEvents(ledger);
      expect(events.filter((e) => e.kind === 'control.consumed'), detail).toHaveLength(1);
      expect(events.filter((e) => e.kind === 'action.requested'), detail).toHaveLength(1);
      expect(events.filter((e) => e.kind === 'action.refused'), detail).toEqual([expect.objectContaining({ failure: 'WINDOW_NOT_ACTIVE' })]);
      const verify = await cli(['ledger', 'verify', '--ledger', ledger]);
      expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    }
  }, 180_000);
});
