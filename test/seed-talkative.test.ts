// Seed 004 (Talkative release) end to end against its fixture system, through a real session:
// preconditions and the pre-release npm checklist on a real package, deploy, the smoke tests,
// and the two rollback triggers: health failing for more than 5 minutes (a manual clock stands
// in for the wait) and an error-rate spike (real time), each running the rollback procedure.
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { startWebhookReceiver, WEBHOOK_PATH_SECRET, type WebhookReceiver } from './support/webhook.js';
import { join } from 'node:path';
import { setFault } from '../adapters/fixture-control.js';
import type { Clock } from '../src/engine/ports.js';
import { systemRig, systemSession, type SystemRig } from './support/systems.js';
import { waitFor } from './support/cockpit.js';
import { ManualClock } from './support/manual-clock.js';
import { bin } from './support/cli.js';

let rig: SystemRig | undefined;
let hook: WebhookReceiver | undefined;
afterEach(async () => {
  await hook?.close();
  await rig?.close(); // its session and ledger too
  rig = hook = undefined;
});

const PREFLIGHT = ['ci-green', 'prs', 'no-p0', 'env', 'notes', 'install', 'backend-tests', 'e2e-tests', 'build', 'clean-tree'];
const POSTFLIGHT = ['health', 'agents', 'create-agent', 'start-agent', 'message', 'events', 'router-metrics', 'integrity'];

async function released(opts: { clock?: Clock; version?: string; env?: NodeJS.ProcessEnv } = {}) {
  rig = await systemRig('talkative');
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, ...rig.env("release-owner", { OPSCOCKPIT_BIN: bin, DEPLOY_VERSION: opts.version ?? "v0.5.0", ...opts.env }) };
  const { session } = await systemSession(rig, env, opts.clock);
  for (const _ of PREFLIGHT) await session.advance();
  const pre = session.store.getState().checklist.phases.preflight.steps;
  expect(pre.map((s) => `${s.id}:${s.state}`)).toEqual(PREFLIGHT.map((id) => `${id}:${['ci-green', 'prs', 'notes'].includes(id) ? 'confirmed' : 'passed'}`));
  const deploy = await session.runAction('deploy', 'deploy');
  expect(deploy).toMatchObject({ status: 'succeeded' });
  return { rig, session, env, platform: () => JSON.parse(readFileSync(join(rig!.home, 'state/platform.json'), 'utf8')) };
}

describe('seed 004: Talkative release', () => {
  it('preconditions, npm checklist, deploy and smoke tests complete; the outputs are in the ledger', async () => {
    const t = await released();
    expect(t.platform()).toMatchObject({ backend: 'v0.5.0', frontend: 'v0.5.0', previous: { backend: 'v0.4.0' } });
    for (const _ of POSTFLIGHT) await t.session.advance();
    const post = t.session.store.getState().checklist.phases.postflight.steps;
    expect(post.map((s) => `${s.id}:${s.state}`)).toEqual(POSTFLIGHT.map((id) => `${id}:passed`));
    expect(t.session.store.getState().run?.status).toBe('succeeded');
    const outputs = t.rig.events().filter((e) => e.kind === 'step.result').map((e) => `${(e as { step: string }).step}: ${(e as { result: { output?: string } }).result.output ?? ''}`);
    expect(outputs.find((o) => o.startsWith('backend-tests:'))).toMatch(/# pass 2/);
    expect(outputs.find((o) => o.startsWith('e2e-tests:'))).toMatch(/# pass 1/);
    expect(outputs.find((o) => o.startsWith('build:'))).toMatch(/backend build ok[\s\S]*frontend build ok/);
    expect(outputs.find((o) => o.startsWith('clean-tree:'))).toMatch(/git status=ok uncommitted=0/);
  }, 60_000);

  it('health failing for more than 5 minutes fires the trigger and the rollback runs; not before', async () => {
    const clock = new ManualClock(Date.now());
    const t = await released({ clock });
    t.session.start();
    // /health answers 200 with ok: false: unhealthy, without adding 5xx to the error rate.
    await setFault(t.rig.url, { route: '/health', status: 200, body: JSON.stringify({ ok: false, version: 'v0.5.0' }) });
    const fired = () => t.rig.events().filter((e) => e.kind === 'trigger.fired');
    const step = async (ms: number) => {
      await clock.advance(ms);
      await new Promise((r) => setTimeout(r, 120)); // the probe's real HTTP round trip
    };
    for (let elapsed = 0; elapsed < 4 * 60_000; elapsed += 30_000) await step(30_000);
    expect(fired()).toEqual([]);
    const watching = t.session.store.getState().triggers?.['health-down'];
    expect(clock.now() - watching!.since!).toBeGreaterThanOrEqual(3 * 60_000); // shown as "failing m:ss of 5:00"
    for (let i = 0; i < 5 && fired().length === 0; i++) await step(30_000);
    expect(fired()).toEqual([expect.objectContaining({ trigger: 'health-down', action: 'rollback', auto: true })]);
    expect((fired()[0] as unknown as { reason: string }).reason).toMatch(/health failing for [5-6] min \d+ s \(limit 5 min 0 s\)/);
    await waitFor(() => t.session.store.getState().run?.status === 'rolled_back', 'the rollback to finish', 20_000);
    expect(t.platform()).toMatchObject({ backend: 'v0.4.0', frontend: 'v0.4.0', frozen: true });
    const done = t.rig.events().find((e) => e.kind === 'action.completed' && e.action === 'rollback');
    expect(done).toMatchObject({ status: 'succeeded', output: expect.stringContaining('/admin/freeze: 200') });
  }, 90_000);

  it('an error-rate spike after a bad deploy rolls back at once to the previous artifacts, and stakeholders are told', async () => {
    // The team's incoming webhook, on loopback.
    hook = await startWebhookReceiver();
    const received = () => hook!.received.map((x) => x.body);
    // The release owner may unlock the runbook after the rollback: a scope of its own.
    const t = await released({ version: 'v0.5.0-rc1', env: { SLACK_WEBHOOK_URL: hook.url, OPSCOCKPIT_ALLOW_SCOPES: 'ops:read,deploy:deploy,deploy:rollback,safety:unlock' } });
    t.session.start();
    await waitFor(() => t.rig!.events().some((e) => e.kind === 'trigger.fired'), 'the error-spike trigger', 30_000);
    const trig = t.rig.events().find((e) => e.kind === 'trigger.fired') as unknown as { trigger: string; reason: string };
    expect(trig.trigger).toBe('error-spike');
    expect(trig.reason).toMatch(/error_rate: 0\.\d+ does not meet <= 0\.05/);
    await waitFor(() => t.session.store.getState().run?.status === 'rolled_back', 'the rollback to finish', 20_000);
    expect(t.platform()).toMatchObject({ backend: 'v0.4.0', frozen: true });
    // Locked after the rollback: a deploy by reflex is refused before it reaches the platform…
    const refused = await t.session.runAction('deploy', 'deploy');
    expect(refused?.status).not.toBe('succeeded');
    expect(t.rig.events().some((e) => e.kind === 'action.refused' && e.action === 'deploy' && (e as { failure?: string }).failure === 'LOCKED')).toBe(true);
    // …and once someone unlocks it with a reason, the platform's own freeze still answers.
    t.session.command('safety.unlock');
    t.session.type('rolled back on error-rate spike; checking the freeze');
    t.session.submit();
    await waitFor(() => /unlocked/.test(t.session.store.getState().flash?.text ?? ''), 'the unlock recorded', 5000);
    const deployAgain = await t.session.runAction('deploy', 'deploy');
    expect(deployAgain?.output).toMatch(/423 .*deploys are frozen/);
    await waitFor(() => received().some((b) => /rolled back/i.test(b)), 'the rollback message at the webhook', 20_000);
    const message = received().find((b) => /rolled back/i.test(b))!;
    expect(JSON.parse(message).text).toMatch(/Talkative release \(seed 004\)/);
    expect(received().join('\n')).not.toContain(t.env.TALKATIVE_JWT_SECRET!);
    expect(t.rig.events().some((e) => e.kind === 'notify.sent')).toBe(true);
    expect(readFileSync(t.rig.ledger).includes(WEBHOOK_PATH_SECRET)).toBe(false); // the webhook URL is a credential
  }, 90_000);

  it('headless, the release waits for a person at the preconditions unless they are attested with --confirm', async () => {
    rig = await systemRig('talkative');
    // The run this starts stays open for the cockpit, and the next `run` resumes it.
    const waits = await rig.oc(['run', rig.runbook, '--action', 'deploy', '--yes'], 'release-owner', { GIT_SHA: '4f1c2ab' });
    expect(waits.code).toBe(2);
    expect(waits.stdout).toMatch(/needs-operator — preflight step "ci-green" waits for an operator \(manual step; confirm it in the cockpit or pass --confirm ci-green\)/);
    const bad = await rig.oc(['run', rig.runbook, '--confirm', 'no-p1'], 'release-owner');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--confirm no-p1: the runbook has no step or action "no-p1" (manual and confirm-first steps: ci-green, prs, notes; another step, or an action, only to run it again once its outcome is unknown)');

    const done = await rig.oc(['run', rig.runbook, '--action', 'deploy', '--confirm', 'ci-green,prs', '--confirm', 'notes', '--yes', '--json'], 'release-owner', { GIT_SHA: '4f1c2ab' });
    expect(done.stderr).toBe('');
    expect(done.code).toBe(0);
    expect(JSON.parse(done.stdout).outcome).toBe('completed');
    const confirmed = rig.events().filter((e) => e.kind === 'step.confirmed');
    expect(confirmed.map((e) => [(e as { step: string }).step, e.operator, (e as { note?: string }).note])).toEqual(
      ['ci-green', 'prs', 'notes'].map((id) => [id, 'release-owner', `confirmed on the command line (opscockpit run --confirm ${id})`]),
    );

    // The next release; its notes are seed 004's template filled from the ledger.
    const next = await rig.oc(['run', rig.runbook, '--action', 'deploy', '--confirm', 'ci-green,prs,notes', '--yes'], 'release-owner', { GIT_SHA: '9d0e7b3', DEPLOY_VERSION: 'v0.5.1' });
    expect(next.code).toBe(0);
    const notes = await rig.oc(['report', 'last', '--release-notes'], 'release-owner');
    expect(notes.code).toBe(0);
    expect(notes.stdout).toMatch(/^Release: 9d0e7b3\nDate: \d{4}-\d\d-\d\dT/);
    expect(notes.stdout).toMatch(/Scope:\n- Talkative release \(seed 004\) \(release on main\)/);
    expect(notes.stdout).toMatch(/- action deploy: succeeded at .* by release-owner/);
    expect(notes.stdout).toMatch(/Validation:[\s\S]*- preflight backend-tests: pass\n- preflight e2e-tests: pass\n- preflight build: pass/);
    expect(notes.stdout).toMatch(/- postflight events: pass/);
    expect(notes.stdout).toMatch(/Rollback:\n- previous revision: 4f1c2ab \(run r-/);
    expect(notes.stdout).toMatch(/Risk:\n- none recorded in the ledger/);
  }, 60_000);
});
