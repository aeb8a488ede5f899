// Seed 003 (Daily Ops) end to end against its fixture system: the strict six-step order, each
// failure class with its remedy, the forbidden actions, and the scheduled (cron) run.
import { afterEach, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { prepareDailyOps } from '../fixtures/systems/daily-ops/system.js';
import { systemRig, type SystemRig } from './support/systems.js';

/** Switching the mode is relaxing a control: its own scope, beside the system's. */
const MODE_SCOPE = { OPSCOCKPIT_ALLOW_SCOPES: 'ops:read,ops:run,ops:stop,safety:mode' };
import { bin } from './support/cli.js';

let rig: SystemRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const post = (url: string, body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.status);
const snapshots = (home: string) => {
  const dir = join(home, 'reports/ops/daily/snapshots');
  return existsSync(dir) ? readdirSync(dir) : [];
};

async function openRealWindow(r: SystemRig): Promise<void> {
  expect((await r.oc(['mode', 'REAL_ENABLED', '--reason', 'daily run', '--runbook', r.runbook], 'alice', MODE_SCOPE)).code).toBe(0);
  expect((await r.oc(['window', 'request', '--runbook', r.runbook], 'alice')).code).toBe(0);
  expect((await r.oc(['window', 'approve', '--runbook', r.runbook], 'bob')).code).toBe(0);
  expect((await r.oc(['window', 'approve', '--runbook', r.runbook], 'carol')).code).toBe(0);
}

describe('seed 003: Daily Ops', () => {
  it('a real day runs the six steps in order, once; the next run finds the window used and stops at step 3', async () => {
    rig = await systemRig('daily-ops', { prepare: (home) => prepareDailyOps(home, { ready: true }) });
    await openRealWindow(rig);
    const r = await rig.oc(['run', rig.runbook, '--action', 'ops_cycle', '--yes', '--json'], 'alice');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.outcome).toBe('completed');
    expect(report.actions).toEqual([expect.objectContaining({ action: 'ops_cycle', status: 'succeeded' })]);
    const daily = JSON.parse(readFileSync(join(rig.home, 'reports/ops/daily/ops_report_latest.json'), 'utf8'));
    expect(daily).toMatchObject({ status: 'ok', mode: 'REAL_ENABLED', processed: 3 });

    // The order, from the ledger: steps 1-4, then the action (in REAL, using the window), then step 6.
    const run = rig.events().filter((e) => e.runId === report.runId);
    const order = run.flatMap((e) => (e.kind === 'step.result' ? [`${e.step}:${e.result.status}`] : e.kind === 'action.completed' ? [`action:${e.action}:${e.status}`] : []));
    expect(order).toEqual(['emergency-stop:healthy', 'gate-mode:healthy', 'real-window:healthy', 'approval:healthy', 'action:ops_cycle:succeeded', 'results:healthy']);
    expect(run.find((e) => e.kind === 'action.requested')).toMatchObject({ mode: 'REAL_ENABLED', window: expect.any(String) });
    expect(run.at(-1)).toMatchObject({ kind: 'run.completed', status: 'succeeded' });
    expect(rig.runs().find((x) => x.runId === report.runId)?.status).toBe('succeeded');

    // The system's window is one-shot: a second run the same day stops at step 3 with its remedy.
    await openRealWindow(rig);
    const again = await rig.oc(['run', rig.runbook, '--action', 'ops_cycle', '--yes'], 'alice');
    expect(again.code).toBe(2);
    expect(again.stdout).toMatch(/no-go — preflight step "real-window" failed/);
    expect(again.stdout).toMatch(/WINDOW_NOT_ACTIVE\n\s+1\. Request a window: POST \/api\/real_enable_window\/request/);
    expect(snapshots(rig.home)).toHaveLength(1);
  });

  it('STOPPED: with the emergency stop on, step 1 fails with its remedy and the ops cycle never runs', async () => {
    rig = await systemRig('daily-ops');
    expect(await post(`${rig.url}/api/emergency_stop`, { enabled: true, reason: 'bad upstream data' })).toBe(200);
    const r = await rig.oc(['run', rig.runbook, '--action', 'ops_cycle', '--yes'], 'alice');
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('[FAIL] preflight 1. Emergency stop is off');
    expect(r.stdout).toMatch(/STOPPED\n\s+1\. Read the stop reason: GET \/api\/emergency_stop\n\s+2\. Fix the cause\n\s+3\. Turn it off/);
    const failed = rig.events().find((e) => e.kind === 'step.result' && e.step === 'emergency-stop');
    expect(failed).toMatchObject({ result: { status: 'unhealthy', failure: { class: 'STOPPED' } } });
    expect(rig.events().some((e) => e.kind === 'action.requested')).toBe(false);
    expect(snapshots(rig.home)).toEqual([]);
    expect(rig.runs()[0].status).toBe('failed');

    // The remedy works: turn the stop off with a reason and the day runs (MOCK_ONLY by default).
    expect(await post(`${rig.url}/api/emergency_stop`, { enabled: false })).toBe(400);
    expect(await post(`${rig.url}/api/emergency_stop`, { enabled: false, reason: 'upstream fixed' })).toBe(200);
    const ok = await rig.oc(['run', rig.runbook, '--action', 'ops_cycle', '--yes'], 'alice');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/ops_cycle — succeeded/);
    expect(JSON.parse(readFileSync(join(rig.home, 'reports/ops/daily/ops_report_latest.json'), 'utf8')).mode).toBe('MOCK_ONLY');
  });

  it('PREFLIGHT_FAIL: missing input fails the ops cycle with a ticket and the remedy', async () => {
    rig = await systemRig('daily-ops', { prepare: (home) => prepareDailyOps(home, { withoutInput: true }) });
    const r = await rig.oc(['run', rig.runbook, '--action', 'ops_cycle', '--yes'], 'alice');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/action ops_cycle — failed: exit 1/);
    expect(r.stdout).toMatch(/PREFLIGHT_FAIL\n\s+1\. See the ticket in reports\/tickets\/preflight\/\n\s+2\. Install the dependencies: pip install pandas pyarrow/);
    expect(readdirSync(join(rig.home, 'reports/tickets/preflight'))).toHaveLength(1);
    const done = rig.events().find((e) => e.kind === 'action.completed');
    expect(done).toMatchObject({ status: 'failed', failure: { class: 'PREFLIGHT_FAIL' } });
    expect(rig.runs()[0].status).toBe('failed');
  });

  it('forbidden: forcing REAL is refused (ALLOWLIST_VIOLATION); REAL without a window is refused (WINDOW_NOT_ACTIVE); both recorded', async () => {
    rig = await systemRig('daily-ops');
    const force = await rig.oc(['act', rig.runbook, 'force_real', '--yes'], 'alice');
    expect(force.code).toBe(3);
    expect(force.stderr).toMatch(/ALLOWLIST_VIOLATION: action type "gate_override" is not in the allowlist/);
    expect(JSON.parse(readFileSync(join(rig.home, 'state/execution_gate.json'), 'utf8')).mode).toBe('DRY_RUN');

    expect((await rig.oc(['mode', 'REAL_ENABLED', '--reason', 'try real', '--runbook', rig.runbook], 'alice', MODE_SCOPE)).code).toBe(0);
    const real = await rig.oc(['run', rig.runbook, '--action', 'ops_cycle', '--yes'], 'alice');
    expect(real.code).toBe(3);
    expect(real.stdout).toMatch(/refused: WINDOW_NOT_ACTIVE/);
    expect(snapshots(rig.home)).toEqual([]);
    const refusals = rig.events().filter((e) => e.kind === 'action.refused');
    expect(refusals.map((e) => (e as { failure: string }).failure)).toEqual(['ALLOWLIST_VIOLATION', 'WINDOW_NOT_ACTIVE']);
  });

  it('a scheduled run starts from a cron line, with cron\'s bare environment, and logs to the file the line names', async () => {
    rig = await systemRig('daily-ops');
    const binDir = join(rig.home, 'bin');
    mkdirSync(binDir);
    symlinkSync(bin, join(binDir, 'opscockpit'));
    mkdirSync(join(rig.home, 'logs'));
    const line = `0 9 * * * cd ${rig.home} && opscockpit run ${rig.runbook} --action ops_cycle --yes --ledger ${rig.ledger} >> logs/cron.log 2>&1`;
    const command = line.split(' ').slice(5).join(' '); // what cron hands to sh
    const env = { PATH: `${binDir}:${process.env.PATH}`, HOME: rig.home, SHELL: '/bin/sh', LOGNAME: 'ops', ...rig.env('cron') };
    await promisify(execFile)('/bin/sh', ['-c', command], { env });
    const log = readFileSync(join(rig.home, 'logs/cron.log'), 'utf8');
    expect(log).toMatch(/Daily Ops \(seed 003\): completed/);
    expect(log).toMatch(/action ops_cycle — succeeded/);
    const run = rig.events();
    expect(run.filter((e) => e.kind === 'action.completed')).toEqual([expect.objectContaining({ action: 'ops_cycle', status: 'succeeded', operator: 'cron' })]);
  });
});
