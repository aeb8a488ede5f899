// Seed 001 (DecisionOS cutover) end to end against its fixture system, through a real session
// (the cockpit's, without screens): the seven pre-flight checks, the canary with both quorum
// gates judged on harvested evidence every window, automatic promotion, abort on gate failure
// back to stage stable, and the evidence locked afterwards.
import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Session } from '../src/session/session.js';
import { setFault } from '../adapters/fixture-control.js';
import { systemRig, systemSession, type SystemRig } from './support/systems.js';
import { waitFor } from './support/cockpit.js';
import { bin } from './support/cli.js';

const TOKEN = 'dos-token-5be1c0';
let rig: SystemRig | undefined;
afterEach(async () => {
  await rig?.close(); // its session and ledger too
  rig = undefined;
});

async function cutover(): Promise<{ rig: SystemRig; session: Session; env: NodeJS.ProcessEnv }> {
  rig = await systemRig('decisionos', { token: TOKEN });
  const env = { PATH: process.env.PATH, ...rig.env('do-lead', { DEMO_TOKEN: TOKEN, OPSCOCKPIT_BIN: bin }) };
  const { session, ledger } = await systemSession(rig, env);
  for (let i = 0; i < 7; i++) await session.advance();
  const s = session.store.getState();
  expect(s.checklist.phases.preflight.steps.map((st) => `${st.id}:${st.state}`)).toEqual(['rbac', 'keys', 'clock', 'readyz', 'ops-cards', 'evidence', 'stage'].map((id) => `${id}:passed`));
  const verdicts = ledger.events(session.runId).filter((e) => e.body.kind === 'verdict.changed' && e.body.phase === 'preflight');
  expect(verdicts.at(-1)?.body).toMatchObject({ verdict: 'GO' });
  session.start();
  session.command('canary.start');
  return { rig, session, env };
}

const pipeline = (r: SystemRig) => JSON.parse(readFileSync(join(r.home, 'state/pipeline.json'), 'utf8'));
const stageOf = (r: SystemRig, env: NodeJS.ProcessEnv) => JSON.parse(execFileSync('node', [bin, 'stage', '--ledger', r.ledger, '--json'], { env, encoding: 'utf8' }));

describe('seed 001: DecisionOS cutover', () => {
  it('pre-flight GO, canary windows pass both 2/3 gates, auto-promotion, evidence locked, run succeeded', async () => {
    const { rig, session, env } = await cutover();
    await waitFor(() => session.store.getState().canary?.status === 'promoted', 'automatic promotion', 60_000);
    await waitFor(() => session.store.getState().stage?.stage === 'promoted', 'the promote action and the signed stage', 20_000);
    expect(pipeline(rig)).toMatchObject({ stage: 'promoted', weight: 100 });
    expect(stageOf(rig, env)).toMatchObject({ stage: 'promoted', intact: true, signed: true });

    await session.advance(); // ops cards
    await session.advance(); // evidence WIP -> LOCKED
    await waitFor(() => session.store.getState().run?.status === 'succeeded', 'the run to complete');
    const latest = join(rig.home, 'var/evidence/latest.json');
    expect(statSync(latest).mode & 0o222).toBe(0); // locked: read-only
    const events = rig.events().filter((e) => e.runId === session.runId);
    const windows = events.filter((e) => e.kind === 'canary.window').map((e) => (e as { window: { verdict: string; burst: boolean; values: Record<string, number> } }).window);
    // A busy machine may make a window inconclusive (too few requests to judge); never a failure.
    for (const w of windows) expect(w.verdict).not.toBe('FAIL');
    const passes = windows.filter((w) => w.verdict === 'PASS');
    expect(passes.length).toBeGreaterThanOrEqual(4);
    for (const w of passes) expect(w).toMatchObject({ burst: false, values: { 'gates-2of3': 1 } });
    expect(events.find((e) => e.kind === 'canary.decision' && e.decision === 'promote')).toBeDefined();
    expect(events.filter((e) => e.kind === 'stage.changed').map((e) => `${(e as { from: string }).from}->${(e as { to: string }).to}`)).toEqual(['stable->canary', 'canary->promoted']);
    // Every window's harvest is recorded in this run, and the locked version at the end.
    const evidence = events.filter((e) => e.kind === 'evidence.recorded') as unknown as { state: string; path: string }[];
    expect(evidence.filter((e) => e.path.endsWith('perf.json')).length).toBeGreaterThanOrEqual(windows.length);
    expect(evidence.at(-1)).toMatchObject({ state: 'LOCKED' });
    expect(execFileSync('node', [bin, 'ledger', 'verify', '--ledger', rig.ledger], { env, encoding: 'utf8' })).toMatch(/intact/i);
    expect(readFileSync(rig.ledger).includes(TOKEN)).toBe(false);
  }, 90_000);

  it('a failing judge API fails the gates: abort_on_gate_fail runs at once and the stage returns to stable', async () => {
    const { rig, session, env } = await cutover();
    await waitFor(() => (session.store.getState().canary?.windows.length ?? 0) >= 1, 'a first window', 30_000);
    await setFault(rig.url, { route: '/api/decide', status: 503 });
    await waitFor(() => session.store.getState().canary?.status === 'aborted', 'the automatic abort', 30_000);
    await waitFor(() => session.store.getState().run?.status === 'aborted', 'the run to close as aborted');
    expect(pipeline(rig)).toMatchObject({ stage: 'stable', weight: 0 });
    expect(stageOf(rig, env)).toMatchObject({ stage: 'stable', intact: true });
    const events = rig.events().filter((e) => e.runId === session.runId);
    const failed = events.find((e) => e.kind === 'canary.window' && (e as { window: { verdict: string } }).window.verdict === 'FAIL') as unknown as { window: { reasons: string[]; values: Record<string, number> } };
    expect(failed.window.values['gates-2of3']).toBe(0);
    expect(failed.window.reasons.join(' ')).toMatch(/gates-2of3 0/);
    const abort = events.find((e) => e.kind === 'action.completed' && e.action === 'abort_on_gate_fail');
    expect(abort).toMatchObject({ status: 'succeeded' });
    const decided = events.findIndex((e) => e.kind === 'canary.decision' && e.decision === 'abort');
    expect(decided).toBeGreaterThanOrEqual(0);
    expect(decided).toBeLessThan(events.indexOf(abort!));
    expect(events.find((e) => e.kind === 'stage.changed' && (e as { to: string }).to === 'stable')).toBeDefined();
    expect(rig.runs().find((r) => r.runId === session.runId)?.status).toBe('aborted');
  }, 90_000);

  it('pre-flight stops on scopes that are not minimal, and on a stage file whose signature does not verify', async () => {
    rig = await systemRig('decisionos', { token: TOKEN });
    const extra = { DEMO_TOKEN: TOKEN, OPSCOCKPIT_BIN: bin };
    const wide = await rig.oc(['run', rig.runbook], 'sre', { ...extra, OPSCOCKPIT_ALLOW_SCOPES: 'ops:read,deploy:promote,deploy:abort,admin:all' });
    expect(wide.code).toBe(2);
    expect(wide.stdout).toMatch(/rbac status=fail reason=scopes_not_minimal extra=admin:all/);
    expect(wide.stdout).toMatch(/RBAC_NOT_MINIMAL/);

    // A stage file signed with another key (or edited by hand) is refused; the stage is stable.
    const keys = rig.env().OPSCOCKPIT_STAGE_KEYS!;
    writeFileSync(join(rig.home, 'stage.json'), JSON.stringify({ stage: 'promoted', at: Date.now(), operator: 'mallory', key_id: 'k2', sig: 'AAAA' }));
    const bad = await rig.oc(['run', rig.runbook], 'sre', { ...extra, OPSCOCKPIT_STAGE_KEYS: keys });
    expect(bad.code).toBe(2);
    expect(bad.stdout).toMatch(/preflight step "stage" failed: exit 2: stage status=fail stage=stable problem=/);
    expect(bad.stdout).toMatch(/STAGE_SIGNATURE_MISMATCH/);
    expect(rig.events().some((e) => e.kind === 'stage.fallback')).toBe(true);
  });
});
