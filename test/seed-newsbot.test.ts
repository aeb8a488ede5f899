// Seed 000 (news bot CTO runbook) end to end against its fixture system: a real git repository
// made here, the site served from its working tree, deployment gated on the backlog status,
// generated-code validation with automatic restore, and emergency rollback to a SHA.
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { git, prepareNewsbot, type NewsbotOptions } from '../fixtures/systems/newsbot/system.js';
import { systemRig, type SystemRig } from './support/systems.js';
import { bin } from './support/cli.js';

const TOKEN = 'nb-token-31c9e7';
let rig: SystemRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

async function newsbot(opts: NewsbotOptions = {}) {
  let shas = { goodSha: '', headSha: '' };
  rig = await systemRig('newsbot', { prepare: (home) => void (shas = prepareNewsbot(home, opts)), env: { NEWSBOT_TEST_TOKEN: TOKEN, OPSCOCKPIT_BIN: bin } });
  const r = rig;
  const origin = join(r.home, 'origin.git');
  const backlog = () => JSON.parse(readFileSync(join(r.home, 'state/backlog.json'), 'utf8'));
  const originHead = () => git(origin, 'log', '-1', '--format=%H %s', 'main');
  return { rig: r, ...shas, origin, backlog, originHead };
}

describe('seed 000: news bot', () => {
  it('a backlog-gated code deployment validates, pushes to main, and fills the release ledger record', async () => {
    const t = await newsbot();
    const before = t.originHead();
    const r = await t.rig.oc(['run', t.rig.runbook, '--action', 'deploy_code', '--yes', '--json', '--param', 'backlog_id=B-12'], 'cto', { GIT_SHA: t.headSha, RELEASE_TYPE: 'workflow_dispatch' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).outcome).toBe('completed');
    expect(t.originHead()).not.toBe(before);
    expect(t.originHead()).toMatch(/ self-evolution: B-12$/);
    expect(readFileSync(join(t.rig.home, 'repo/news_bot.py'), 'utf8')).toContain('MAX_KEYWORDS = 20');

    const doc = JSON.parse((await t.rig.oc(['ledger', '--json'], 'cto')).stdout);
    const run = doc.runs[0];
    expect(run).toMatchObject({ status: 'succeeded', branch: 'main', commitSha: t.headSha, backlogId: 'B-12', releaseType: 'workflow_dispatch' });
    expect(run.events.find((e: { body: { kind: string } }) => e.body.kind === 'run.params').body.params).toEqual({ backlog_id: 'B-12', rollback_to_sha: '' });
    expect(run.startedAt).toBeLessThanOrEqual(run.completedAt);
    expect(run.releasedAt).toBeGreaterThanOrEqual(run.startedAt); // released_at: set when the release succeeded
    const reasons = Object.fromEntries(run.events.filter((e: { body: { kind: string } }) => e.body.kind === 'step.result').map((e: { body: { step: string; result: { reason: string; output?: string } } }) => [e.body.step, e.body.result.output ?? e.body.result.reason]));
    expect(reasons['ledger-start']).toMatch(/release_ledger status=ok start=recorded run_id=r-\S+ branch=main backlog_id=B-12 release_type=workflow_dispatch/);
    expect(reasons['final-status']).toMatch(/final=deploy_code:succeeded/);
    expect(reasons.markers).toMatch(/backlog_status=CONFIRMED/);
    expect(reasons['inapp-guide']).toContain('<div id="inapp-guide">');
    expect(readFileSync(t.rig.ledger).includes(TOKEN)).toBe(false);
  });

  it('no backlog id skips the code step; a backlog item that is not CONFIRMED or DEVELOPING blocks it', async () => {
    const t = await newsbot();
    const before = t.originHead();
    const none = await t.rig.oc(['run', t.rig.runbook, '--action', 'deploy_code', '--yes'], 'cto', { backlog_id: 'B-12' }); // a parameter is never read from the shell
    expect(none.code).toBe(0);
    expect(none.stdout).toMatch(/backlog status=skip reason=no_backlog_id/);
    expect(none.stdout).toMatch(/action deploy_code — succeeded/);
    expect(t.rig.events().find((e) => e.kind === 'action.completed')).toMatchObject({ output: expect.stringContaining('deploy_code status=skipped reason=no_backlog_id') });
    expect(t.originHead()).toBe(before);

    const done = await t.rig.oc(['run', t.rig.runbook, '--action', 'deploy_code', '--yes', '--param', 'backlog_id=B-7'], 'cto');
    expect(done.code).toBe(2);
    expect(done.stdout).toMatch(/backlog status=fail id=B-7 backlog_status=DONE allowed=CONFIRMED,DEVELOPING/);
    expect(done.stdout).toMatch(/BACKLOG_NOT_DEPLOYABLE/);
    expect(t.originHead()).toBe(before);
  });

  it('generated code that loses a required signature is rejected: previous code restored, backlog marked, push blocked', async () => {
    const t = await newsbot({ generated: 'broken' });
    const before = t.originHead();
    const r = await t.rig.oc(['run', t.rig.runbook, '--action', 'deploy_code', '--yes', '--param', 'backlog_id=B-12'], 'cto');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/CODE_VALIDATION_FAILED\n\s+1\. The previous code was restored and nothing was pushed/);
    const done = t.rig.events().find((e) => e.kind === 'action.completed') as unknown as { output: string; failure: { class: string } };
    expect(done.output).toMatch(/validation structure_guard: missing fetch_news/);
    expect(done.output).toMatch(/restored=previous push=blocked/);
    expect(done.failure.class).toBe('CODE_VALIDATION_FAILED');
    expect(git(join(t.rig.home, 'repo'), 'status', '--porcelain')).toBe(''); // restored to HEAD
    expect(t.backlog()['B-12']).toBe('FAILED_VALIDATION');
    expect(t.originHead()).toBe(before);
  });

  it('a bad release fails the smoke gate; emergency rollback to the SHA restores the files, passes the gate, commits and pushes', async () => {
    const t = await newsbot({ badRelease: true });
    const blocked = await t.rig.oc(['run', t.rig.runbook, '--action', 'deploy_code', '--yes', '--param', 'backlog_id=B-12'], 'cto');
    expect(blocked.code).toBe(2);
    expect(blocked.stdout).toMatch(/smoke_gate status=fail failed=index_cta_opens_auth_overlay/);
    expect(blocked.stdout).toMatch(/SMOKE_GATE_FAILED/);
    expect(t.rig.events().some((e) => e.kind === 'action.requested')).toBe(false);

    // A SHA whose snapshot fails the gate is refused and undone.
    const wrong = await t.rig.oc(['act', t.rig.runbook, 'rollback', '--yes', '--param', `rollback_to_sha=${t.headSha}`], 'cto');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/ROLLBACK_SNAPSHOT_FAILED_SMOKE/);
    expect(t.originHead()).toMatch(/ release: new landing page$/);

    const back = await t.rig.oc(['act', t.rig.runbook, 'rollback', '--yes', '--param', `rollback_to_sha=${t.goodSha}`], 'cto');
    expect(back.code).toBe(0);
    expect(back.stdout).toMatch(/smoke index_cta_opens_auth_overlay=pass/);
    expect(back.stdout).toMatch(/rollback status=ok to=[0-9a-f]{7} commit=[0-9a-f]{7} pushed=origin\/main/);
    expect(t.originHead()).toMatch(new RegExp(` rollback to ${t.goodSha.slice(0, 7)}$`));
    const repo = join(t.rig.home, 'repo');
    for (const f of ['index.html', 'app.html', 'news_bot.py']) expect(git(repo, 'show', `HEAD:${f}`)).toBe(git(repo, 'show', `${t.goodSha}:${f}`));

    const after = await t.rig.oc(['check', t.rig.runbook, '--json', '--param', 'backlog_id=B-12'], 'cto');
    expect(JSON.parse(after.stdout).steps.find((s: { id: string }) => s.id === 'smoke')).toMatchObject({ state: 'passed' });
    const runs = JSON.parse((await t.rig.oc(['ledger', '--json'], 'cto')).stdout).runs;
    const rolled = runs.find((r: { status: string }) => r.status === 'rolled_back');
    const outcomes = rolled.events.filter((e: { body: { kind: string; action?: string } }) => e.body.kind === 'action.completed' && e.body.action === 'rollback');
    expect(outcomes.map((e: { body: { status: string } }) => e.body.status)).toEqual(['failed', 'succeeded']);
  });
});
