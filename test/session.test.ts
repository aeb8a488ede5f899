// The session against real parts: fixture server, scripts, a SQLite file. Restarts are a new
// Session on the same ledger file, as a restarted cockpit would be.
import { SqliteStore } from '../adapters/sqlite-store.js';
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { demoRig, waitFor, DEMO_SECRET, type DemoRig } from './support/cockpit.js';
import { Gates, heldScript } from './support/held.js';
import { currentStep } from '../src/engine/checklist.js';
import { setFault } from '../adapters/fixture-control.js';
import { verifyLedger } from '../adapters/ledger-verify.js';
import { loadRunbook } from '../src/runbook/load.js';
import { demoRunbookPath } from '../src/cli/paths.js';
import { runHeadlessCheck } from '../src/session/headless.js';
import { KILL_GRACE_MS, PIPE_GRACE_MS } from '../adapters/script-grace.js';

let rig: DemoRig | undefined;
const gates = new Gates();
afterEach(async () => {
  gates.openAll();
  await rig?.close();
  rig = undefined;
});

const kinds = (r: DemoRig) => r.ledger.events(r.session.runId).map((e) => e.body.kind);

/** A copy of the demo runbook whose abort script is replaced by `script`. */
function runbookWithAbort(script: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'oc-session-'));
  const demo = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'runbooks', 'demo.yaml'), 'utf8');
  const scriptsDir = join(import.meta.dirname, '..', 'fixtures', 'scripts');
  const abort = join(dir, 'abort.sh');
  writeFileSync(abort, `#!/usr/bin/env bash\n${script}\n`);
  chmodSync(abort, 0o755);
  const text = demo.replaceAll('../scripts/', `${scriptsDir}/`).replace(`${scriptsDir}/abort.sh`, abort);
  const file = join(dir, 'runbook.yaml');
  writeFileSync(file, text.replace('      timeout: 30s\n  rollback:', '      timeout: 30s\n      env:\n        TOKEN: ${DEMO_TOKEN}\n  rollback:'));
  return file;
}

describe('session', () => {
  it('a restarted cockpit resumes the same run at the right step', async () => {
    rig = await demoRig();
    const first = rig.session;
    first.command('step.advance'); // manual rbac
    first.command('step.advance'); // clock script
    await waitFor(() => first.store.getState().checklist.phases.preflight.done === 2, 'two steps done');
    const runId = first.runId;
    const before = rig.ledger.events(runId).length;

    const second = await rig.reopen();
    expect(second.runId).toBe(runId);
    const s = second.store.getState();
    expect(s.resumed).toBe(true);
    expect(s.checklist.phases.preflight.done).toBe(2);
    expect(currentStep(s.checklist)?.id).toBe('ready');
    const events = rig.ledger.events(runId);
    expect(events.length).toBe(before + 1);
    expect(events.at(-1)?.body.kind).toBe('run.resumed');
  });

  it('an action whose outcome was never recorded shows as unknown after a restart, never as nothing', async () => {
    rig = await demoRig();
    const runId = rig.session.runId;
    rig.ledger.append(runId, 'tester', { kind: 'action.requested', action: 'abort', confirmedWith: 'abort' }, Date.now(), { durable: true });
    const again = await rig.reopen();
    const last = rig.ledger.events(runId).filter((e) => e.body.kind === 'action.completed');
    expect(last).toHaveLength(1);
    expect(last[0].body).toMatchObject({ action: 'abort', status: 'unknown' });
    expect(again.store.getState().action).toMatchObject({ name: 'abort', state: 'unknown' });
  });

  it('records the intent durably before the action runs, and refuses to run it when the ledger cannot be written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oc-marks-'));
    const marks = join(dir, 'ran');
    rig = await demoRig({ runbookFile: runbookWithAbort(`echo started; touch ${marks}`) });
    rig.ledger.close(); // the disk went away
    rig.session.command('action.abort');
    rig.session.type('abort');
    rig.session.submit();
    await new Promise((r) => setTimeout(r, 300));
    expect(existsSync(marks)).toBe(false);
    expect(rig.session.store.getState().flash?.text).toMatch(/Could not write the ledger/);
    await rig.reopen(); // a fresh connection for close()
  });

  it('a successful rollback closes the run as rolled back', async () => {
    rig = await demoRig();
    const s = rig.session;
    s.command('action.rollback');
    s.type('rollback');
    s.submit();
    await waitFor(() => s.store.getState().action?.state === 'succeeded', 'the rollback to finish', 5000);
    expect(rig.ledger.getRun(s.runId)?.status).toBe('rolled_back');
    expect(kinds(rig).slice(-2)).toEqual(['action.completed', 'run.completed']);
  });

  it('the run.completed event and the status in the runs table land together or not at all', async () => {
    rig = await demoRig();
    const s = rig.session;
    // The runs table's write fails, as a crash between the two writes would cut it off.
    const real = rig.ledger.completeRun.bind(rig.ledger);
    rig.ledger.completeRun = () => {
      throw new Error('disk I/O error');
    };
    s.command('action.rollback');
    s.type('rollback');
    s.submit();
    await waitFor(() => s.store.getState().action?.state === 'succeeded', 'the rollback to finish', 5000);
    expect(kinds(rig).slice(-2)).toEqual(['action.requested', 'action.completed']);
    expect(rig.ledger.getRun(s.runId)?.status).toBe('running');
    // The screen shows what the ledger holds: the run still running, no completion.
    expect(s.store.getState().run?.status).toBe('running');
    expect(s.store.getState().events.map((e) => e.body.kind)).not.toContain('run.completed');
    expect(verifyLedger(rig.ledgerPath).ok).toBe(true);
    rig.ledger.completeRun = real;
  });

  it("the headless check's completion lands whole or not at all", async () => {
    rig = await demoRig();
    await rig.session.stop();
    rig.ledger.completeRun = () => {
      throw new Error('disk I/O error');
    };
    const runbook = loadRunbook(demoRunbookPath(), rig.env);
    await expect(runHeadlessCheck({ runbook, ledger: new SqliteStore(rig.ledger, rig.ledgerPath), ledgerPath: rig.ledgerPath, phase: 'preflight', env: rig.env })).rejects.toThrow(/disk I\/O error/);
    const headless = rig.ledger.listRuns(5).find((r) => r.runId !== rig!.session.runId)!;
    expect(headless.status).toBe('running');
    const events = rig.ledger.events(headless.runId).map((e) => e.body.kind);
    expect(events).toContain('run.started');
    expect(events).not.toContain('run.completed');
    expect(verifyLedger(rig.ledgerPath).ok).toBe(true);
  });

  it('a run listed as running whose events say it ended is closed by its events, and a new run starts', async () => {
    rig = await demoRig();
    const first = rig.session.runId;
    await rig.session.stop();
    // As a ledger written before the event and the status were one transaction, cut off between them.
    rig.ledger.append(first, 'tester', { kind: 'run.completed', status: 'aborted' }, Date.now());
    expect(rig.ledger.getRun(first)?.status).toBe('running');
    expect(verifyLedger(rig.ledgerPath).runMismatches).toEqual([expect.objectContaining({ runId: first, status: 'running', completedAs: 'aborted' })]);
    const s = await rig.reopen();
    expect(s.runId).not.toBe(first);
    expect(rig.ledger.getRun(first)?.status).toBe('aborted');
    expect(kinds(rig)).toEqual(['run.started']);
    expect(verifyLedger(rig.ledgerPath).ok).toBe(true);
  });

  it('quitting while an action runs asks first', async () => {
    rig = await demoRig({ runbookFile: runbookWithAbort('echo working; sleep 2; echo done') });
    const s = rig.session;
    s.command('action.abort');
    s.type('abort');
    s.submit();
    await waitFor(() => s.store.getState().action?.state === 'running', 'the abort to start');
    s.command('app.quit');
    expect(s.store.getState().modal?.kind).toBe('quit');
    expect(rig.exited).toBe(false);
    s.cancel();
    await waitFor(() => s.store.getState().action?.state === 'succeeded', 'the abort to finish', 5000);
    s.command('app.quit');
    await waitFor(() => rig!.exited, 'the cockpit to exit');
  });

  it('confirming quit while an action runs stops its script and records why, then the outcome', async () => {
    rig = await demoRig({ runbookFile: runbookWithAbort('echo working; sleep 30; echo done') });
    const s = rig.session;
    s.command('action.abort');
    s.type('abort');
    s.submit();
    await waitFor(() => s.store.getState().action?.output.includes('working'), 'the abort to start');
    const asked = Date.now();
    s.command('app.quit');
    s.submit();
    await waitFor(() => rig!.exited, 'the cockpit to exit', 5000);
    expect(Date.now() - asked).toBeLessThan(3000);
    const evs = rig.ledger.events(s.runId).map((e) => e.body);
    const at = (kind: string) => evs.findIndex((e) => e.kind === kind && 'action' in e && e.action === 'abort');
    expect(evs[at('action.cancelled')]).toEqual({ kind: 'action.cancelled', action: 'abort', reason: 'the operator quit while it ran' });
    expect(at('action.completed')).toBeGreaterThan(at('action.cancelled'));
    expect(evs[at('action.completed')]).toMatchObject({ status: 'failed', signal: 'SIGTERM', reason: 'cancelled: the operator quit; killed by SIGTERM' });
    // The run stays open for the next start; nothing is left to settle as unknown.
    const next = await rig.reopen();
    expect(rig.ledger.events(next.runId).map((e) => e.body).filter((e) => e.kind === 'action.completed' && e.status === 'unknown')).toEqual([]);
  });

  it('a script that ignores SIGTERM is killed after the grace period; quitting waits no longer', async () => {
    rig = await demoRig({ runbookFile: runbookWithAbort("trap '' TERM; echo working; sleep 30") });
    const s = rig.session;
    s.command('action.abort');
    s.type('abort');
    s.submit();
    await waitFor(() => s.store.getState().action?.output.includes('working'), 'the abort to start');
    const asked = Date.now();
    s.command('app.quit');
    s.submit();
    await waitFor(() => rig!.exited, 'the cockpit to exit', 5000);
    expect(Date.now() - asked).toBeGreaterThanOrEqual(KILL_GRACE_MS - 50);
    expect(Date.now() - asked).toBeLessThan(KILL_GRACE_MS + PIPE_GRACE_MS + 1000);
    const completed = rig.ledger.events(s.runId).map((e) => e.body).find((e) => e.kind === 'action.completed');
    expect(completed).toMatchObject({ status: 'failed', signal: 'SIGKILL', reason: 'cancelled: the operator quit; killed by SIGKILL' });
  });

  it('a secret printed by an action is masked on screen state and in the ledger', async () => {
    rig = await demoRig({ runbookFile: runbookWithAbort('echo "token is $TOKEN"') });
    const s = rig.session;
    s.command('action.abort');
    s.type('abort');
    s.submit();
    await waitFor(() => s.store.getState().action?.state === 'succeeded', 'the abort to finish');
    expect(s.store.getState().action?.output.join('\n')).toContain('token is ***');
    const bytes = readFileSync(rig.ledgerPath);
    const wal = existsSync(`${rig.ledgerPath}-wal`) ? readFileSync(`${rig.ledgerPath}-wal`) : Buffer.alloc(0);
    expect(bytes.includes(DEMO_SECRET) || wal.includes(DEMO_SECRET)).toBe(false);
    expect(JSON.stringify(rig.ledger.events(s.runId))).toContain('token is ***');
  });

  it('a failing target is a failed check with its reason; the run completes only when both phases are done', async () => {
    rig = await demoRig();
    const s = rig.session;
    s.start();
    const { setFault } = await import('../adapters/fixture-control.js');
    await setFault(rig.server.url, { route: '/readyz', status: 500 });
    s.command('step.advance');
    s.command('step.advance');
    await waitFor(() => s.store.getState().checklist.phases.preflight.done === 2, 'clock');
    s.command('step.advance');
    await waitFor(() => s.store.getState().checklist.phases.preflight.blocked, 'the readiness step to fail');
    const step = currentStep(s.store.getState().checklist)!;
    expect(step.result?.reason).toMatch(/expected 200, got 500/);
    s.command('step.advance');
    expect(s.store.getState().flash?.text).toMatch(/press r to retry or s to skip/);
    const { clearFaults } = await import('../adapters/fixture-control.js');
    await clearFaults(rig.server.url);
    s.command('step.retry');
    await waitFor(() => s.store.getState().checklist.phases.preflight.done === 3, 'the retry to pass');
    for (let i = 0; i < 6 && s.store.getState().run?.status === 'running'; i++) {
      await s.advance();
      await waitFor(() => !s.store.getState().running.length && currentStep(s.store.getState().checklist)?.state !== 'running', 'step settled');
    }
    await waitFor(() => s.store.getState().run?.status === 'succeeded', 'the run to succeed');
    expect(kinds(rig)).toEqual(expect.arrayContaining(['step.retried', 'run.completed']));
    expect(rig.ledger.getRun(s.runId)?.status).toBe('succeeded');
  });
});

/**
 * The demo runbook with an action `drain`, and `first` (drain or rollback) running a script
 * that waits for the file `gate` before it ends, and a trigger that runs `triggered` as soon
 * as readyz fails.
 */
function runbookWithTrigger(first: 'drain' | 'rollback', gate: string, triggered: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'oc-session-'));
  const held = heldScript(dir, gate, { start: 'started', end: 'done' });
  const scriptsDir = join(import.meta.dirname, '..', 'fixtures', 'scripts');
  const demo = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'runbooks', 'demo.yaml'), 'utf8');
  let text = demo
    .replaceAll('../scripts/', `${scriptsDir}/`)
    .replace('\nactions:\n', `\nactions:\n  drain:\n    title: Drain traffic\n    scope: deploy:promote\n    script: { command: ${join(scriptsDir, 'promote.sh')}, timeout: 30s }\n`);
  text = text.replace(`command: ${join(scriptsDir, first === 'drain' ? 'promote.sh' : 'rollback.sh')}`, `command: ${held}`);
  const file = join(dir, 'runbook.yaml');
  writeFileSync(file, `${text.trimEnd()}\n\ntriggers:\n  ready-down: { check: readyz, action: ${triggered} }\n`);
  return file;
}

describe('automatic actions while another action runs', () => {
  const order = (r: DemoRig) =>
    r.ledger
      .events(r.session.runId)
      .map((e) => e.body)
      .filter((b) => ['action.requested', 'action.completed', 'trigger.fired', 'action.skipped', 'run.completed'].includes(b.kind))
      .map((b) => ('action' in b ? `${b.kind} ${b.action}` : b.kind));
  const skipped = (r: DemoRig) => r.ledger.events(r.session.runId).flatMap((e) => (e.body.kind === 'action.skipped' ? [e.body] : []));

  /** `first` runs by hand and holds until the gate file exists; readyz fails meanwhile, so the trigger fires. */
  async function fireDuring(first: 'drain' | 'rollback', triggered: string): Promise<{ session: DemoRig['session']; release: () => void }> {
    const gate = gates.make();
    rig = await demoRig({ runbookFile: runbookWithTrigger(first, gate.file, triggered) });
    const s = rig.session;
    void s.runAction(first, first);
    await waitFor(() => s.store.getState().action?.state === 'running', `${first} to start`);
    await setFault(rig.server.url, { route: '/readyz', status: 503 });
    s.start();
    await waitFor(() => kinds(rig!).includes('trigger.fired'), 'the trigger to fire');
    expect(s.store.getState().action).toMatchObject({ name: first, state: 'running' });
    return { session: s, release: gate.release };
  }

  it('a trigger that fires during another action waits for it, then runs its action', async () => {
    const { session: s, release } = await fireDuring('drain', 'rollback');
    expect(s.store.getState().flash?.text).toContain('rollback (trigger ready-down) waits for drain to finish, then runs');
    release();
    await waitFor(() => rig!.ledger.getRun(s.runId)?.status === 'rolled_back', 'the rollback after the drain', 10_000);
    expect(order(rig!)).toEqual([
      'action.requested drain',
      'trigger.fired rollback',
      'action.completed drain',
      'action.requested rollback',
      'action.completed rollback',
      'run.completed',
    ]);
  });

  it('one that waited is not run, and says so in the ledger, when the action before it ended the run', async () => {
    const { session: s, release } = await fireDuring('rollback', 'abort');
    release();
    await waitFor(() => kinds(rig!).includes('action.skipped'), 'the abort to be skipped', 10_000);
    expect(order(rig!)).toEqual(['action.requested rollback', 'trigger.fired abort', 'action.completed rollback', 'run.completed', 'action.skipped abort']);
    expect(skipped(rig!)).toEqual([expect.objectContaining({ why: 'trigger ready-down', reason: 'the run had already ended (rolled back) when rollback finished' })]);
    expect(s.store.getState().flash?.text).toMatch(/abort \(trigger ready-down\) not run/);
  });

  it('the action that is already running is not queued to run again by itself', async () => {
    const { release } = await fireDuring('rollback', 'rollback');
    expect(skipped(rig!)).toEqual([expect.objectContaining({ action: 'rollback', why: 'trigger ready-down', reason: 'rollback was already running' })]);
    release();
    await waitFor(() => kinds(rig!).includes('run.completed'), 'the rollback to finish', 10_000);
    expect(order(rig!).filter((k) => k === 'action.requested rollback')).toHaveLength(1);
  });

  it('one still waiting when the cockpit closes is on record as not run', async () => {
    const { session: s, release } = await fireDuring('drain', 'rollback');
    s.stop();
    release();
    await waitFor(() => skipped(rig!).length > 0, 'the skip on record');
    expect(skipped(rig!)).toEqual([expect.objectContaining({ action: 'rollback', reason: 'the cockpit was closed before drain finished' })]);
    await waitFor(() => kinds(rig!).includes('action.completed'), 'the drain to finish', 10_000);
    expect(order(rig!)).not.toContain('action.requested rollback');
  });
});

describe('signed stage file', () => {
  const KEYS = { OPSCOCKPIT_STAGE_KEYS: `k2:${Buffer.alloc(32, 7).toString('base64')},k1:${Buffer.alloc(32, 9).toString('base64')}` };

  it('abort returns the stage to stable, signed; a tampered file falls back to stable and is recorded', async () => {
    const { writeFileSync, readFileSync } = await import('node:fs');
    rig = await demoRig();
    Object.assign(rig.env, KEYS);
    const s = await rig.reopen();
    expect(s.store.getState().stage).toMatchObject({ stage: 'stable', signed: true, problem: 'missing' });
    s.command('action.abort');
    s.type('abort');
    s.submit();
    await waitFor(() => s.store.getState().action?.state === 'succeeded', 'the abort', 5000);
    expect(s.store.getState().stage).toEqual({ stage: 'stable', signed: true });
    expect(kinds(rig)).toContain('stage.changed');
    const file = join(dirname(rig.ledgerPath), 'stage.json');
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...doc, stage: 'promoted' })); // hand-edited, signature kept
    const again = await rig.reopen();
    expect(again.store.getState().stage).toMatchObject({ stage: 'stable', problem: 'bad-signature' });
    const fallback = rig.ledger.events(again.runId).find((e) => e.body.kind === 'stage.fallback');
    expect(fallback?.body).toMatchObject({ problem: 'bad-signature' });
    expect(again.store.getState().flash?.text).toMatch(/fell back to stable/);
  });

  it('without stage keys the stage is shown unsigned and never written', async () => {
    rig = await demoRig();
    expect(rig.session.store.getState().stage).toMatchObject({ stage: 'stable', signed: false, problem: 'unsigned' });
  });
});
