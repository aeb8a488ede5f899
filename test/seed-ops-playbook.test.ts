// Seed 002 (Ops Playbook) end to end against its fixture system: first-time setup, deploy and
// verification; the bad deploy that ops_daily catches and the rollback the playbook prescribes;
// missing secrets; the insufficient-data token on scheduled runs; aggregate-only logs.
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { opsPlaybookDsn } from '../fixtures/systems/ops-playbook/system.js';
import { systemRig, type SystemRig } from './support/systems.js';

let rig: SystemRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const PASSWORD = 'pw-Z9q41-dsn-secret';
const rigWithSecret = () => systemRig('ops-playbook', { env: { POSTGRES_DSN_PROD: '' } }).then((r) => {
  // The DSN (with its password) is the secret: set per rig, checked for leaks below.
  const env = r.env;
  r.env = (op, extra) => ({ ...env(op, extra), POSTGRES_DSN_PROD: opsPlaybookDsn(r.home, PASSWORD), ...extra });
  const oc = r.oc;
  r.oc = (args, op, extra) => oc(args, op, { POSTGRES_DSN_PROD: opsPlaybookDsn(r.home, PASSWORD), ...extra });
  return r;
});
const platform = (r: SystemRig) => JSON.parse(readFileSync(join(r.home, 'state/platform.json'), 'utf8'));
const stepReasons = (r: SystemRig) => Object.fromEntries(r.events().filter((e) => e.kind === 'step.result').map((e) => [e.step, (e as { result: { reason: string } }).result.reason]));

describe('seed 002: Ops Playbook', () => {
  it('first-time setup, deploy and verification complete; every script line is aggregate-only and the DSN never appears', async () => {
    rig = await rigWithSecret();
    const r = await rig.oc(['run', rig.runbook, '--action', 'deploy', '--yes', '--json'], 'alice', { DEPLOY_VERSION: 'v3' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.outcome).toBe('completed');
    const reasons = stepReasons(rig);
    expect(reasons['bootstrap-dry-run']).toMatch(/db_bootstrap_dry_run status=ok migrations=3/);
    expect(reasons['bootstrap-all']).toMatch(/db_bootstrap status=ok mode=all/);
    expect(reasons.policy).toMatch(/policy_check status=ok/);
    expect(reasons.verify).toMatch(/prod_verify status=ok version=v3/);
    expect(reasons['ops-daily']).toMatch(/ops_daily status=healthy/);
    expect(platform(rig).version).toBe('v3');
    expect(rig.runs()[0].status).toBe('succeeded');

    // Aggregate-only: every line the scripts printed is `name key=value ...`, with no DSN.
    const outputs = rig.events().flatMap((e) => {
      const result = e.kind === 'step.result' ? (e as { result: { output?: string; exitCode?: number } }).result : undefined;
      return result?.exitCode !== undefined ? [result.output ?? ''] : []; // the scripts, not HTTP bodies
    });
    const lines = outputs.join('\n').split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThanOrEqual(7);
    for (const line of lines) expect(line).toMatch(/^[a-z_]+( [a-z_]+=[A-Za-z0-9_.,]+)+$/);
    const ledgerBytes = readFileSync(rig.ledger);
    expect(ledgerBytes.includes(PASSWORD)).toBe(false);
    expect(ledgerBytes.includes('prod.sqlite')).toBe(false);
    expect(r.stdout).not.toContain(PASSWORD);
  });

  it('a bad deploy fails ops_daily strict; the playbook rollback and re-verify bring it back to healthy', async () => {
    rig = await rigWithSecret();
    const bad = await rig.oc(['run', rig.runbook, '--action', 'deploy', '--yes'], 'alice', { DEPLOY_VERSION: 'v2' });
    expect(bad.code).toBe(2);
    expect(bad.stdout).toMatch(/no-go — postflight step "ops-daily" failed: exit 2: ops_daily status=unhealthy reason=failure_rate_high/);
    expect(bad.stdout).toMatch(/OPS_DAILY_UNHEALTHY\n\s+1\. Repeated strict ops_daily failures after a deploy mean rollback/);
    expect(platform(rig).version).toBe('v2');
    expect(rig.runs()[0].status).toBe('failed');

    const back = await rig.oc(['act', rig.runbook, 'rollback', '--yes'], 'alice');
    expect(back.code).toBe(0);
    expect(back.stdout).toMatch(/rollback: 200 .*"rolled_back_from":"v2"/);
    expect(platform(rig).version).toBe('v1');

    const verify = await rig.oc(['check', rig.runbook, '--phase', 'postflight', '--scheduled', '--json'], 'cron');
    expect(verify.code).toBe(0);
    const doc = JSON.parse(verify.stdout);
    expect(doc.verdict).toBe('GO');
    expect(doc.steps.find((s: { id: string }) => s.id === 'verify').reason).toMatch(/prod_verify status=ok version=v1/);
    const statuses = rig.runs().map((x) => x.status);
    expect(statuses).toContain('rolled_back');
  });

  it('status=insufficient_data reason=delivered_total_0: unhealthy-by-exit-code, but green for scheduled runs only', async () => {
    rig = await rigWithSecret();
    // Bootstrap first (the setup), with no deploy yet: no deliveries.
    expect((await rig.oc(['run', rig.runbook, '--yes'], 'alice')).stdout).toMatch(/postflight step "ops-daily" failed|completed|no-go/);
    const manual = await rig.oc(['check', rig.runbook, '--phase', 'postflight', '--json'], 'alice');
    expect(manual.code).toBe(2);
    const m = JSON.parse(manual.stdout);
    expect(m.verdict).toBe('INSUFFICIENT');
    expect(m.steps.find((s: { id: string }) => s.id === 'ops-daily')).toMatchObject({ status: 'insufficient', code: 'insufficient_data' });
    const scheduled = await rig.oc(['check', rig.runbook, '--phase', 'postflight', '--scheduled'], 'cron');
    expect(scheduled.code).toBe(0);
    expect(scheduled.stdout).toMatch(/INSUFFICIENT \(scheduled run: insufficient data only \(ops-daily\), counted as healthy\)/);
  });

  it('a missing secret fails with prod_config status=fail reason=missing_env and its remedy, scheduled or not', async () => {
    rig = await systemRig('ops-playbook', { env: { POSTGRES_DSN_PROD: undefined } });
    const r = await rig.oc(['run', rig.runbook, '--yes'], 'alice');
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/preflight step "secrets" failed: exit 1: prod_config status=fail reason=missing_env missing=POSTGRES_DSN_PROD/);
    expect(r.stdout).toMatch(/MISSING_ENV\n\s+1\. Set the required secrets \(names only\) in the repository settings/);
    const scheduled = await rig.oc(['check', rig.runbook, '--phase', 'postflight', '--scheduled'], 'cron');
    expect(scheduled.code).toBe(2);
    expect(scheduled.stdout).toMatch(/reason=missing_env/);
  });
});
