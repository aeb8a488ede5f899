// The stop key stops whatever the cockpit runs, a step's block too (real scripts, a real SQLite
// ledger): a Markdown block in the run's shell is interrupted (its process group killed, the
// next block in a fresh shell, as after any lost shell) and a YAML script step is killed; each
// is recorded as failed, "stopped by" whoever turned the stop on, from this cockpit or from
// another terminal; and the cockpit goes on.
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRunbookFile } from '../src/runbook/load.js';
import type { LedgerStore } from '../src/engine/ledger-store.js';
import type { EventBody } from '../src/engine/types.js';
import { openSqliteStore } from '../adapters/sqlite-store.js';
import { openSession, type Session } from '../src/session/session.js';
import { cli } from './support/cli.js';
import { waitFor } from './support/cockpit.js';
import { stepsMarkdown } from './support/runbook-text.js';
import { waitGone } from './support/processes.js';

const opened: Array<{ session: Session; store: LedgerStore }> = [];
afterEach(async () => {
  for (const { session, store } of opened.splice(0)) {
    await session.stop();
    await store.close();
  }
});

async function cockpit(file: string, ledger: string): Promise<Session> {
  const env = { PATH: process.env.PATH, OPSCOCKPIT_OPERATOR: 'alice', OPSCOCKPIT_ALLOW_SCOPES: 'run:steps,safety:stop-off' };
  const store = openSqliteStore(ledger);
  const session = await openSession({ runbook: await loadRunbookFile(file, env), ledger: store, ledgerPath: ledger, env, seat: 'join' });
  opened.push({ session, store });
  session.start();
  return session;
}

/** A block that starts a sleeper in its process group, says its pid, and waits for it. */
const SLEEPER = (dir: string) => `sleep 30 & echo $! > ${join(dir, 'sleeper.pid')}; wait`;

const bodies = (s: Session, kind: EventBody['kind']) => s.store.getState().events.filter((e) => e.body.kind === kind).map((e) => e.body as Record<string, unknown>);

async function sleeperOf(dir: string): Promise<number> {
  const file = join(dir, 'sleeper.pid');
  await waitFor(() => existsSync(file) && readFileSync(file, 'utf8').trim() !== '', 'the block’s sleeper', 5000);
  return Number(readFileSync(file, 'utf8'));
}

/** A cockpit on a one-step Markdown runbook (its block: echo drained) in a new folder. */
async function drainCockpit(prefix: string): Promise<{ file: string; ledger: string; s: Session }> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const file = join(dir, 'drain.md');
  writeFileSync(file, stepsMarkdown('Drain', [['Drain the queue', 'echo drained']]));
  const ledger = join(dir, 'ledger.db');
  return { file, ledger, s: await cockpit(file, ledger) };
}

describe('the stop key stops a running step’s block', () => {
  it('Markdown: ! interrupts the block in the run’s shell, records it stopped by the operator, and the next block runs in a fresh shell', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oc-stop-step-'));
    const file = join(dir, 'drain.md');
    writeFileSync(file, stepsMarkdown('Drain', [['Drain the queue', `export DRAINED=yes\n${SLEEPER(dir)}`], ['Restart', 'echo "restarted ${DRAINED:-fresh}"']]));
    const s = await cockpit(file, join(dir, 'ledger.db'));
    const ran = s.advance();
    const sleeper = await sleeperOf(dir);

    const pressed = Date.now();
    s.command('safety.stop'); // the ! key
    await ran;
    expect(Date.now() - pressed).toBeLessThan(3000);
    expect(await waitGone(sleeper)).toBe(true);
    const stopped = /^stopped by alice \(the emergency stop: emergency stop from the cockpit\); killed by SIGTERM; the next block runs in a fresh shell/;
    const [result] = bodies(s, 'step.result') as Array<{ result: { status: string; reason: string } }>;
    expect(result.result.status).toBe('error');
    expect(result.result.reason).toMatch(stopped);
    const [outcome] = bodies(s, 'action.completed') as Array<{ status: string; reason: string }>;
    expect(outcome).toMatchObject({ status: 'failed' });
    expect(outcome.reason).toMatch(stopped);
    expect(s.store.getState().checklist.phases.preflight.steps[0].state).toBe('failed');

    // The cockpit goes on: the stop off with a reason, the step skipped, the next block in a fresh shell.
    expect(await s.setStop(false, 'drain stopped on purpose')).toBe(true);
    s.command('step.skip');
    s.type('drained by hand');
    s.submit();
    await waitFor(() => s.store.getState().checklist.phases.preflight.steps[0].state === 'skipped', 'the skip', 3000);
    await s.advance();
    const [, second] = bodies(s, 'step.result') as Array<{ result: { status: string; output?: string } }>;
    expect(second.result).toMatchObject({ status: 'healthy' });
    expect(second.result.output).toContain('restarted fresh');
    expect(bodies(s, 'shell.started').at(-1)?.note).toMatch(/^a fresh shell: /);
  });

  it('YAML: the emergency stop from another terminal kills a script step, recorded as stopped by who turned it on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oc-stop-yaml-'));
    const file = join(dir, 'migrate.yaml');
    const ledger = join(dir, 'ledger.db');
    writeFileSync(
      file,
      ['version: 1', 'name: Migrate', 'checks:', `  migrate: { script: { command: sh, args: [-c, '${SLEEPER(dir)}'], timeout: 60s } }`, 'checklists:', '  preflight:', '    - { id: migrate, title: Migrate the schema, check: migrate }', ''].join('\n'),
    );
    const s = await cockpit(file, ledger);
    const ran = s.advance();
    const sleeper = await sleeperOf(dir);

    const stop = await cli(['stop', 'on', '--reason', 'the database is on fire', '--ledger', ledger], { env: { OPSCOCKPIT_OPERATOR: 'bob' } });
    expect(stop.code, stop.stdout + stop.stderr).toBe(0);
    await ran;
    expect(await waitGone(sleeper)).toBe(true);
    const [result] = bodies(s, 'step.result') as Array<{ result: { status: string; reason: string } }>;
    expect(result.result.status).toBe('error');
    expect(result.result.reason).toMatch(/^stopped by bob \(the emergency stop: the database is on fire\); killed by SIGTERM/);
    expect(s.store.getState().checklist.phases.preflight.steps[0].state).toBe('failed');
  });
});

describe('the stop turned off elsewhere', () => {
  it('takes away the line that says it is on', async () => {
    const { ledger, s } = await drainCockpit('oc-stop-off-');
    s.command('safety.stop'); // the ! key: on at once
    await waitFor(() => /^EMERGENCY STOP ON/.test(s.store.getState().flash?.text ?? ''), 'the stop on the message line', 5000);
    const off = await cli(['stop', 'off', '--reason', 'all clear', '--ledger', ledger], { env: { OPSCOCKPIT_OPERATOR: 'bob', OPSCOCKPIT_ALLOW_SCOPES: 'safety:stop-off' } });
    expect(off.code, off.stderr).toBe(0);
    await waitFor(() => s.store.getState().controls?.stop.on === false, 'the stop off in the cockpit', 5000);
    expect(s.store.getState().flash?.text).toBe('Emergency stop off: actions and steps may run again.');
  });
});

describe('a run ended in another process', () => {
  it('is summed up as ended in the Ledger panel, not as still running', async () => {
    const { file, ledger, s } = await drainCockpit('oc-ended-elsewhere-');
    expect(s.store.getState().runs.find((r) => r.runId === s.runId)?.status).toBe('running');
    // Another process takes the run over and walks it to its end.
    const r = await cli(['run', file, '--yes', '--take-over', 'carol finishes it', '--ledger', ledger], { env: { PATH: process.env.PATH, OPSCOCKPIT_OPERATOR: 'carol', OPSCOCKPIT_ALLOW_SCOPES: 'run:steps' } });
    expect(r.code, r.stderr).toBe(0);
    await waitFor(() => s.store.getState().runs.find((run) => run.runId === s.runId)?.status === 'succeeded', 'the run summed up as ended', 5000);
  });
});
