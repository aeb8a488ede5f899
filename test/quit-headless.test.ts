// SIGTERM or SIGINT to a headless command while its script runs (built binary, real processes):
// the cancellation is on record, the script's whole process group is killed, the outcome is
// recorded, and the process exits at once with 128 + the signal's number.
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLedger } from '../adapters/ledger.js';
import type { EventBody } from '../src/engine/types.js';
import { bin, cli, root } from './support/cli.js';
import { allEvents } from './support/ledger-files.js';
import { killStarted, signalOnceRunning, waitGone } from './support/processes.js';

/** Starts a grandchild, notes both pids, then waits: only a kill of the whole group ends it. */
const SLOW = `{ command: sh, args: [-c, 'sleep 60 & echo $! > "$1/grandchild.pid"; echo $$ > "$1/script.pid"; sleep 60', sh, DIR], timeout: 90s }`;

function slowRunbook(): { dir: string; file: string; ledger: string } {
  const dir = mkdtempSync(join(tmpdir(), 'oc-quit-'));
  const file = join(dir, 'slow.yaml');
  writeFileSync(
    file,
    `version: 1
name: Quit while running
checks:
  slow-step: { script: ${SLOW.replace('DIR', dir)} }
checklists:
  postflight:
    - { id: deploy, title: Deploy by script, check: slow-step, confirm: true }
actions:
  slow:
    title: Slow action
    script: ${SLOW.replace('DIR', dir)}
`,
  );
  return { dir, file, ledger: join(dir, 'ledger.db') };
}

let child: ChildProcess | undefined;
afterEach(() => {
  if (child?.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  killStarted();
});

/** Starts the command, waits until its script and the grandchild run, sends `signal`. */
const interrupt = (args: string[], dir: string, signal: NodeJS.Signals, scopes: string) =>
  signalOnceRunning(args, dir, { PATH: process.env.PATH, TMPDIR: process.env.TMPDIR, OPSCOCKPIT_OPERATOR: 'ops', OPSCOCKPIT_ALLOW_SCOPES: scopes }, signal);

const events = (ledger: string): EventBody[] => allEvents(ledger);

async function expectStoppedAndRecorded(r: Awaited<ReturnType<typeof interrupt>>, ledger: string, action: string, signal: NodeJS.Signals) {
  expect(r.code, `${r.stdout}${r.stderr}`).toBe(signal === 'SIGTERM' ? 143 : 130);
  expect(r.tookMs).toBeLessThan(3000);
  expect(await waitGone(r.script, 500)).toBe(true);
  expect(await waitGone(r.grandchild, 500)).toBe(true);
  const evs = events(ledger);
  const cancelled = evs.findIndex((e) => e.kind === 'action.cancelled' && e.action === action);
  const completed = evs.findIndex((e) => e.kind === 'action.completed' && e.action === action);
  expect(evs[cancelled]).toMatchObject({ reason: `the process got ${signal} while it ran` });
  expect(completed).toBeGreaterThan(cancelled);
  expect(evs[completed]).toMatchObject({ status: 'failed', signal: 'SIGTERM', reason: `cancelled: the process got ${signal}; killed by SIGTERM` });
  const verify = await cli(['ledger', 'verify', '--ledger', ledger]);
  expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  return evs;
}

describe('a signal while a headless command runs a script', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`run --action: ${signal} kills the script's group, records the cancellation and the outcome, exits at once`, async () => {
      const { dir, file, ledger } = slowRunbook();
      const r = await interrupt(['run', file, '--action', 'slow', '--yes', '--ledger', ledger, '--json'], dir, signal, 'deploy:slow');
      const evs = await expectStoppedAndRecorded(r, ledger, 'slow', signal);
      expect(evs.at(-1)).toEqual({ kind: 'run.completed', status: 'failed' });
      const report = JSON.parse(r.stdout);
      expect(report).toMatchObject({ outcome: 'cancelled', stopped: `cancelled: the process got ${signal}` });
      expect(report.actions).toEqual([{ action: 'slow', status: 'failed', reason: `cancelled: the process got ${signal}; killed by SIGTERM` }]);
    });
  }

  it('run --yes: SIGTERM during a confirm-first step kills its script and records the step action', async () => {
    const { dir, file, ledger } = slowRunbook();
    const r = await interrupt(['run', file, '--yes', '--ledger', ledger], dir, 'SIGTERM', 'run:steps');
    const evs = await expectStoppedAndRecorded(r, ledger, 'step:postflight.deploy', 'SIGTERM');
    expect(evs).toContainEqual(expect.objectContaining({ kind: 'step.result', step: 'deploy', result: expect.objectContaining({ status: 'error' }) }));
    expect(evs.at(-1)).toEqual({ kind: 'run.completed', status: 'failed' });
    expect(r.stdout).toContain('Quit while running: cancelled — cancelled: the process got SIGTERM');
  });

  it('act: SIGTERM kills the script group and records the cancelled outcome', async () => {
    const { dir, file, ledger } = slowRunbook();
    const r = await interrupt(['act', file, 'slow', '--yes', '--ledger', ledger], dir, 'SIGTERM', 'deploy:slow');
    await expectStoppedAndRecorded(r, ledger, 'slow', 'SIGTERM');
  });

  it('check: SIGINT kills the step script group, notes the cancellation and fails the run', async () => {
    const { dir, ledger } = slowRunbook();
    const file = join(dir, 'check.yaml');
    writeFileSync(file, `version: 1\nname: Slow check\nchecks:\n  slow: { script: ${SLOW.replace('DIR', dir)} }\nchecklists:\n  preflight:\n    - { id: one, check: slow }\n`);
    const r = await interrupt(['check', file, '--ledger', ledger], dir, 'SIGINT', '');
    expect(r.code, r.stdout + r.stderr).toBe(130);
    expect(r.tookMs).toBeLessThan(3000);
    expect(await waitGone(r.script, 500)).toBe(true);
    expect(await waitGone(r.grandchild, 500)).toBe(true);
    const evs = events(ledger);
    const note = evs.findIndex((e) => e.kind === 'step.note' && e.note === 'cancelled: the process got SIGINT while the step ran');
    const result = evs.findIndex((e) => e.kind === 'step.result' && e.step === 'one');
    expect(note).toBeGreaterThan(-1);
    expect(result).toBeGreaterThan(note);
    expect(evs[result]).toMatchObject({ result: { status: 'error', reason: 'cancelled: the process got SIGINT; killed by SIGTERM' } });
    expect(evs.at(-1)).toEqual({ kind: 'run.completed', status: 'failed' });
    expect((await cli(['ledger', 'verify', '--ledger', ledger])).code).toBe(0);
  });
});

describe('a second signal', () => {
  it('exits at once and takes the whole group with it, a child that ignores TERM included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oc-quit-twice-'));
    const file = join(dir, 'stubborn.yaml');
    writeFileSync(file, `version: 1
name: Stubborn
actions:
  slow:
    title: Slow action
    script: { command: bash, args: [-c, 'bash -c "trap \\"\\" TERM INT; sleep 60" & echo $! > "$1/grandchild.pid"; echo $$ > "$1/script.pid"; sleep 60', bash, ${dir}], timeout: 90s }
`);
    child = spawn('node', [bin, 'run', file, '--action', 'slow', '--yes', '--ledger', join(dir, 'ledger.db')], {
      cwd: root,
      env: { PATH: process.env.PATH, TMPDIR: process.env.TMPDIR, OPSCOCKPIT_OPERATOR: 'ops', OPSCOCKPIT_ALLOW_SCOPES: 'deploy:slow' },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => child!.on('close', (code) => resolve(code)));
    const pidOf = (name: string) => (existsSync(join(dir, name)) ? Number(readFileSync(join(dir, name), 'utf8')) || undefined : undefined);
    const until = Date.now() + 15_000;
    while (!(pidOf('script.pid') && pidOf('grandchild.pid'))) {
      if (Date.now() > until) throw new Error('the script did not start');
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
    expect(await waitGone(pidOf('grandchild.pid')!, 2000)).toBe(true);
    expect(await waitGone(pidOf('script.pid')!, 2000)).toBe(true);
  });
});
