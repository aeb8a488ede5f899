// Canary analysis in a real session: a manual clock drives the windows, metric readings are
// scripted (the providers have their own tests), actions are the real fixture scripts and
// every window and decision lands in a real SQLite ledger.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRunbook } from '../src/runbook/load.js';
import { openLedger, type SqliteLedger } from '../adapters/ledger.js';
import { openSession, type Session } from '../src/session/session.js';
import { SqliteStore } from '../adapters/sqlite-store.js';
import type { MetricReading } from '../src/engine/canary.js';
import { ManualClock, flush } from './support/manual-clock.js';
import { waitFor } from './support/cockpit.js';
import { Gates, heldScript } from './support/held.js';

const runbookFile = join(import.meta.dirname, '..', 'fixtures', 'runbooks', 'canary.yaml');
let ledger: SqliteLedger | undefined;
let session: Session | undefined;
const gates = new Gates();
afterEach(() => {
  gates.openAll();
  session?.stop();
  ledger?.close();
  session = undefined;
  ledger = undefined;
});

async function open(
  readings: Array<MetricReading | (() => MetricReading)>,
  ledgerPath = join(mkdtempSync(join(tmpdir(), 'oc-canary-')), 'l.db'),
  clock = new ManualClock(),
  opts: { file?: string; ready?: () => boolean } = {},
) {
  const runbook = loadRunbook(opts.file ?? runbookFile, { OPSCOCKPIT_DEMO_URL: 'http://127.0.0.1:9' });
  ledger = openLedger(ledgerPath);
  let i = 0;
  session = await openSession({
    runbook,
    ledger: new SqliteStore(ledger, ledgerPath),
    ledgerPath,
    env: { PATH: process.env.PATH, OPSCOCKPIT_OPERATOR: 'sre', OPSCOCKPIT_ALLOW_SCOPES: 'deploy:abort,deploy:promote' },
    clock,
    runCheck: async (c) =>
      opts.ready?.() === false
        ? { check: c.name, status: 'unhealthy', code: 'status', reason: 'GET /readyz answered 503', startedAt: clock.now(), durationMs: 1 }
        : { check: c.name, status: 'healthy', code: 'ok', reason: 'ok', startedAt: clock.now(), durationMs: 1 },
    readMetric: async () => {
      const r = readings[Math.min(i++, readings.length - 1)];
      return typeof r === 'function' ? r() : r;
    },
  });
  session.start();
  return { session, clock, ledgerPath, ledger: ledger! };
}

const ok = (value: number | null): MetricReading => ({ ok: true, value });
const decisions = (l: SqliteLedger, runId: string) =>
  l.events(runId).flatMap((e) => (e.body.kind === 'canary.decision' ? [e.body.decision] : []));

describe('canary analysis in the session', () => {
  it('promotes step by step after consecutive passes and runs the promote action', async () => {
    const { session: s, clock, ledger: l } = await open([ok(0.001)]);
    s.command('canary.start');
    for (let i = 0; i < 12; i++) await clock.advance(1000);
    await waitFor(() => s.store.getState().action?.state === 'succeeded', 'promote to finish', 5000);
    expect(decisions(l, s.runId)).toEqual(['started', 'step-promoted', 'step-promoted', 'promote']);
    expect(s.store.getState().canary?.status).toBe('promoted');
    const completed = l.events(s.runId).find((e) => e.body.kind === 'action.completed');
    expect(completed?.body).toMatchObject({ action: 'promote', status: 'succeeded' });
    const requested = l.events(s.runId).find((e) => e.body.kind === 'action.requested');
    expect(requested?.body).toMatchObject({ action: 'promote', confirmedWith: expect.stringContaining('canary rule: promote') });
  });

  it('aborts at once on a burst, with the reason and the values it saw in the ledger', async () => {
    const { session: s, clock, ledger: l } = await open([ok(0.001), ok(0.9)]);
    s.command('canary.start');
    await clock.advance(1000);
    await clock.advance(1000);
    await waitFor(() => s.store.getState().action?.state === 'succeeded', 'abort to finish', 5000);
    expect(decisions(l, s.runId)).toEqual(['started', 'abort']);
    const window = l.events(s.runId).filter((e) => e.body.kind === 'canary.window').at(-1)!.body;
    expect(window).toMatchObject({ window: { verdict: 'FAIL', burst: true, values: { error_rate: 0.9 } } });
    const why = l.events(s.runId).find((e) => e.body.kind === 'canary.decision' && e.body.decision === 'abort')!.body;
    expect(why).toMatchObject({ reason: expect.stringMatching(/burst in window 2 of 10%.*error_rate 0\.900/) });
    expect(l.getRun(s.runId)?.status).toBe('aborted');
  });

  it('asks on inconclusive windows, shows the prompt, and takes the default when the deadline passes', async () => {
    const { session: s, clock, ledger: l } = await open([ok(0.03)]);
    s.command('canary.start');
    await clock.advance(1000);
    await clock.advance(1000);
    expect(s.store.getState().modal?.kind).toBe('canary');
    expect(s.store.getState().canary).toMatchObject({ status: 'awaiting-decision', deadline: clock.now() + 300_000 });
    await clock.advance(299_000);
    expect(decisions(l, s.runId)).toEqual(['started', 'ask']);
    await clock.advance(1000);
    await waitFor(() => s.store.getState().action?.state === 'succeeded', 'the default abort', 5000);
    expect(decisions(l, s.runId)).toEqual(['started', 'ask', 'deadline-default']);
    expect(s.store.getState().modal).toBeUndefined();
  });

  it('the operator can continue an inconclusive canary', async () => {
    let value = 0.03;
    const { session: s, clock, ledger: l } = await open([() => ok(value)]);
    s.command('canary.start');
    await clock.advance(2000);
    await clock.advance(1000);
    expect(s.store.getState().canary?.status).toBe('awaiting-decision');
    value = 0.001;
    s.command('canary.continue');
    await flush();
    expect(s.store.getState().canary?.status).toBe('running');
    await clock.advance(1000);
    expect(decisions(l, s.runId)).toEqual(['started', 'ask', 'operator-continue']);
    expect(s.store.getState().canary?.consecutivePasses).toBe(1);
  });

  it('provider errors do not fail the canary until the error limit', async () => {
    const { session: s, clock, ledger: l } = await open([{ ok: false, reason: 'connection refused' }]);
    s.command('canary.start');
    for (let i = 0; i < 3; i++) await clock.advance(1000);
    expect(s.store.getState().canary).toMatchObject({ status: 'running', failures: 0, consecutiveErrors: 3 });
    await clock.advance(1000);
    await waitFor(() => s.store.getState().action?.state === 'succeeded', 'abort', 5000);
    expect(decisions(l, s.runId)).toEqual(['started', 'abort']);
  });

  it('c does not run a start action of unknown outcome again: it says why; its own key does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oc-canary-start-'));
    const file = join(dir, 'canary.yaml');
    const scripts = join(import.meta.dirname, '..', 'fixtures', 'scripts');
    const text = readFileSync(runbookFile, 'utf8').replaceAll('../scripts/', `${scripts}/`);
    const launch = `  launch:\n    title: Send 10% of traffic\n    scope: deploy:promote\n    script: { command: ${join(scripts, 'promote.sh')} }\n`;
    writeFileSync(file, text.replace('  rules:\n', '  actions: { start: launch }\n  rules:\n').replace('\nactions:\n', `\nactions:\n${launch}`));
    const first = await open([ok(0.001)], undefined, undefined, { file });
    // Its cockpit died while it ran: the intent is on record, the outcome never was.
    first.ledger.append(first.session.runId, 'sre', { kind: 'action.requested', action: 'launch', confirmedWith: 'canary start' }, first.clock.now(), { durable: true });
    first.session.stop();
    first.ledger.close();
    ledger = undefined;
    const again = await open([ok(0.001)], first.ledgerPath, first.clock, { file });
    const s = again.session;
    expect(s.store.getState().outcomes.unknown).toEqual(['launch']);
    s.command('canary.start');
    await waitFor(() => s.store.getState().flash?.text.startsWith('The canary did not start'), 'the refusal');
    expect(s.store.getState().flash?.text).toBe("The canary did not start: launch's last outcome is unknown (its cockpit stopped while it ran); c does not run it again: check by hand.");
    expect(again.ledger.events(s.runId).filter((e) => e.body.kind === 'action.requested')).toHaveLength(1);
    expect(s.store.getState().canary?.status).toBe('idle');
  });

  it('a restarted cockpit resumes the canary where it was', async () => {
    const first = await open([ok(0.001)]);
    first.session.command('canary.start');
    await first.clock.advance(1000);
    await first.clock.advance(1000);
    expect(first.session.store.getState().canary?.consecutivePasses).toBe(2);
    first.session.stop();
    first.ledger.close();
    ledger = undefined;
    const again = await open([ok(0.001)], first.ledgerPath, first.clock);
    expect(again.session.runId).toBe(first.session.runId);
    expect(again.session.store.getState().canary).toMatchObject({ status: 'running', consecutivePasses: 2 });
    await again.clock.advance(1000);
    await again.clock.advance(1000);
    expect(decisions(again.ledger, again.session.runId)).toEqual(['started', 'step-promoted']);
  });
});

/**
 * The canary runbook with an action `drain` held until the file `gate` exists, and a trigger
 * that runs abort as soon as readyz fails.
 */
function canaryWithTrigger(gate: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'oc-canary-trigger-'));
  const held = heldScript(dir, gate, { end: 'drained' });
  const scripts = join(import.meta.dirname, '..', 'fixtures', 'scripts');
  const text = readFileSync(runbookFile, 'utf8')
    .replaceAll('../scripts/', `${scripts}/`)
    .replace('\nactions:\n', `\nactions:\n  drain:\n    title: Drain traffic\n    scope: deploy:abort\n    script: { command: ${held} }\n`);
  const file = join(dir, 'canary.yaml');
  writeFileSync(file, `${text.trimEnd()}\n\ntriggers:\n  ready-down: { check: readyz, action: abort }\n`);
  return file;
}

describe('a canary promote and an abort decided while another action runs', () => {
  const order = (l: SqliteLedger, runId: string) =>
    l
      .events(runId)
      .map((e) => e.body)
      .filter((b) => ['action.requested', 'action.completed', 'action.skipped', 'trigger.fired', 'run.completed'].includes(b.kind) || (b.kind === 'canary.decision' && b.decision === 'promote'))
      .map((b) => ('action' in b ? `${b.kind} ${b.action}` : b.kind === 'canary.decision' ? 'canary.decision promote' : b.kind));
  const skipped = (l: SqliteLedger, runId: string) => l.events(runId).flatMap((e) => (e.body.kind === 'action.skipped' ? [e.body] : []));

  /** drain runs by hand and holds; the canary runs on passing windows meanwhile. */
  async function holding() {
    const gate = gates.make();
    let ready = true;
    const file = canaryWithTrigger(gate.file);
    const rig = await open([ok(0.001)], undefined, undefined, { file, ready: () => ready });
    const drained = rig.session.runAction('drain', 'drain');
    await waitFor(() => rig.session.store.getState().action?.state === 'running', 'drain to start');
    rig.session.command('canary.start');
    return { ...rig, file, drained, fail: () => (ready = false), release: gate.release };
  }

  it('the cockpit closed while drain runs: its end on the closed ledger rejects nothing, and the next start records it as unknown', async () => {
    const { session: s, ledger: l, ledgerPath, file, drained, release } = await holding();
    const runId = s.runId;
    s.stop();
    l.close();
    ledger = undefined;
    release();
    await expect(drained).resolves.toBeUndefined();
    const again = openLedger(ledgerPath);
    try {
      expect(again.events(runId).some((e) => e.body.kind === 'action.completed')).toBe(false);
    } finally {
      again.close();
    }
    const reopened = await open([ok(0.001)], ledgerPath, undefined, { file });
    expect(reopened.session.runId).toBe(runId);
    const completed = reopened.ledger.events(runId).filter((e) => e.body.kind === 'action.completed').map((e) => e.body);
    expect(completed).toEqual([expect.objectContaining({ action: 'drain', status: 'unknown' })]);
  });

  it('an abort decided after a waiting promote takes its place: the promote is skipped, on record', async () => {
    const { session: s, clock, ledger: l, fail, release } = await holding();
    for (let i = 0; i < 12; i++) await clock.advance(1000);
    expect(s.store.getState().canary?.status).toBe('promoted');
    expect(s.store.getState().flash?.text).toMatch(/promote \(canary rule: promote .*\) waits for drain to finish/);
    fail();
    await clock.advanceUntil(() => order(l, s.runId).includes('trigger.fired abort'), 'the next readyz poll');
    expect(skipped(l, s.runId)).toEqual([expect.objectContaining({ action: 'promote', reason: 'abort (trigger ready-down) was decided while it waited' })]);
    release();
    await waitFor(() => l.getRun(s.runId)?.status === 'aborted', 'the abort after the drain', 10_000);
    expect(order(l, s.runId)).toEqual([
      'action.requested drain',
      'canary.decision promote',
      'trigger.fired abort',
      'action.skipped promote',
      'action.completed drain',
      'action.requested abort',
      'action.completed abort',
      'run.completed',
    ]);
  });

  it('a promote decided while an abort waits is not queued behind it', async () => {
    const { session: s, clock, ledger: l, fail, release } = await holding();
    fail();
    await clock.advanceUntil(() => order(l, s.runId).includes('trigger.fired abort'), 'the next readyz poll');
    expect(order(l, s.runId)).toEqual(['action.requested drain', 'trigger.fired abort']);
    for (let i = 0; i < 12; i++) await clock.advance(1000);
    expect(s.store.getState().canary?.status).toBe('promoted');
    expect(skipped(l, s.runId)).toEqual([expect.objectContaining({ action: 'promote', reason: 'abort (trigger ready-down) was already waiting to run' })]);
    release();
    await waitFor(() => l.getRun(s.runId)?.status === 'aborted', 'the abort after the drain', 10_000);
    expect(order(l, s.runId).filter((k) => k.startsWith('action.requested'))).toEqual(['action.requested drain', 'action.requested abort']);
  });
});
