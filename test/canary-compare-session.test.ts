// A compare metric in a real session: the runbook's canary compares latency samples from two
// real CSV files that the test appends to between windows, read through the real providers
// (makeMetricReader); a manual clock closes the windows; the abort and promote actions are the
// real fixture scripts; every window and decision lands in a real SQLite ledger.
import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRunbook } from '../src/runbook/load.js';
import { openLedger, type SqliteLedger } from '../adapters/ledger.js';
import { openSession, type Session } from '../src/session/session.js';
import { SqliteStore } from '../adapters/sqlite-store.js';
import type { CanaryWindowRecord } from '../src/engine/gate-types.js';
import { ManualClock } from './support/manual-clock.js';
import { waitFor } from './support/cockpit.js';

const scripts = join(import.meta.dirname, '..', 'fixtures', 'scripts');
const ORDERINGS_10_10 = 184_756; // C(20, 10): orderings of two samples of 10 without ties

let dir = '';
let ledger: SqliteLedger | undefined;
let session: Session | undefined;
afterEach(() => {
  session?.stop();
  ledger?.close();
  session = undefined;
  ledger = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function open() {
  dir = mkdtempSync(join(tmpdir(), 'oc-compare-'));
  // Headers only: the canary judges the rows written while it runs.
  writeFileSync(join(dir, 'baseline.csv'), 'ts,path,latency_ms\n');
  writeFileSync(join(dir, 'canary.csv'), 'ts,path,latency_ms\n');
  const file = join(dir, 'canary.yaml');
  writeFileSync(
    file,
    `version: 1
name: Compare canary
canary:
  interval: 1s
  steps: [{ name: 10%, weight: 10, windows: 10 }]
  metrics:
    - name: latency_vs_baseline
      compare:
        baseline: { csv: { file: baseline.csv, column: latency_ms } }
        canary: { csv: { file: canary.csv, column: latency_ms } }
        direction: increase
        confidence: 0.95
        effectSize: 0.1
        minSamples: 10
  rules: { consecutiveSuccesses: 3, failureLimit: 0, consecutiveErrorLimit: 2, inconclusiveLimit: 1 }
actions:
  abort: { title: Abort, script: { command: ${scripts}/abort.sh } }
  promote: { title: Promote, script: { command: ${scripts}/promote.sh } }
`,
  );
  const clock = new ManualClock();
  const runbook = loadRunbook(file, {});
  const ledgerPath = join(dir, 'ledger.db');
  ledger = openLedger(ledgerPath);
  session = await openSession({ runbook, ledger: new SqliteStore(ledger, ledgerPath), ledgerPath, env: { PATH: process.env.PATH, OPSCOCKPIT_OPERATOR: 'sre', OPSCOCKPIT_ALLOW_SCOPES: 'deploy:abort,deploy:promote' }, clock });
  session.start();
  return { s: session, l: ledger, clock };
}

let ts = 0;
/** Rows as a load generator would write them: one request per line. */
function append(side: 'baseline' | 'canary', latencies: number[]): void {
  appendFileSync(join(dir, `${side}.csv`), latencies.map((ms) => `${++ts},/api/orders,${ms}\n`).join(''));
}
const spread = (from: number, step = 2, n = 10) => Array.from({ length: n }, (_, i) => from + i * step);

/** Close the next window: the readers touch real files, so wait for the window to be recorded. */
async function closeWindow(s: Session, clock: ManualClock): Promise<CanaryWindowRecord> {
  const before = s.store.getState().canary?.windows.length ?? 0;
  await clock.advance(1000);
  await waitFor(() => (s.store.getState().canary?.windows.length ?? 0) > before, `window ${before + 1}`, 5000);
  return s.store.getState().canary!.windows[before];
}

const decisions = (l: SqliteLedger, runId: string) => l.events(runId).flatMap((e) => (e.body.kind === 'canary.decision' ? [e.body.decision] : []));

describe('a compare metric in the session, over real CSV files', () => {
  it('healthy canary samples pass window after window and the canary is promoted', async () => {
    const { s, l, clock } = await open();
    s.command('canary.start');
    for (let i = 0; i < 3; i++) {
      // Baseline 100, 102, …, 118 and canary 101, 103, …, 119: interleaved, U = 55 of 100,
      // p = 68301/184756 ≈ 0.37 (see test/canary-compare.test.ts).
      append('baseline', spread(100 + i));
      append('canary', spread(101 + i));
      const w = await closeWindow(s, clock);
      expect(w).toMatchObject({ verdict: 'PASS', reasons: [] });
      expect(w.values.latency_vs_baseline).toBeCloseTo(68_301 / ORDERINGS_10_10, 12);
    }
    await waitFor(() => s.store.getState().action?.state === 'succeeded', 'the promote script', 5000);
    expect(decisions(l, s.runId)).toEqual(['started', 'promote']);
    expect(s.store.getState().canary?.status).toBe('promoted');
  });

  it('slower canary samples fail the window and the canary aborts (failureLimit 0)', async () => {
    const { s, l, clock } = await open();
    s.command('canary.start');
    append('baseline', spread(100));
    append('canary', spread(101));
    expect((await closeWindow(s, clock)).verdict).toBe('PASS');

    // Too few canary samples: no data, so the window is inconclusive (and inconclusiveLimit 1 allows one).
    append('baseline', spread(100));
    append('canary', [150, 160]);
    expect(await closeWindow(s, clock)).toMatchObject({ verdict: 'INCONCLUSIVE', reasons: ['latency_vs_baseline: no data: 2 canary samples < 10'] });

    // Medians 120 and 180, no overlap: p = 1/184756, and +50% is beyond effectSize 0.1.
    append('baseline', spread(111));
    append('canary', spread(171));
    const failing = await closeWindow(s, clock);
    const reason = 'latency_vs_baseline: canary median 180 vs baseline 120 (+50%), p=5.41e-6 < 0.05';
    expect(failing).toMatchObject({ verdict: 'FAIL', burst: false, reasons: [reason] });
    expect(failing.values.latency_vs_baseline).toBeCloseTo(1 / ORDERINGS_10_10, 15);
    expect(failing.values['latency_vs_baseline.effect']).toBeCloseTo(0.5, 12);

    await waitFor(() => s.store.getState().action?.state === 'succeeded', 'the abort script', 5000);
    expect(decisions(l, s.runId)).toEqual(['started', 'abort']);
    const abort = l.events(s.runId).find((e) => e.body.kind === 'canary.decision' && e.body.decision === 'abort')!.body;
    expect(abort).toMatchObject({ reason: `1 failing window(s), limit 0: ${reason}` });
    const recorded = l.events(s.runId).flatMap((e) => (e.body.kind === 'canary.window' ? [e.body.window] : []));
    expect(recorded.map((w) => w.verdict)).toEqual(['PASS', 'INCONCLUSIVE', 'FAIL']);
    expect(recorded[2].values.latency_vs_baseline).toBeCloseTo(1 / ORDERINGS_10_10, 15);
    expect(l.getRun(s.runId)?.status).toBe('aborted');
  });

  it('a side that cannot be read is a provider error, counted apart from failures', async () => {
    const { s, clock } = await open();
    s.command('canary.start');
    rmSync(join(dir, 'canary.csv'));
    append('baseline', spread(100));
    const w = await closeWindow(s, clock);
    expect(w).toMatchObject({ verdict: 'ERROR', values: { latency_vs_baseline: null } });
    expect(w.reasons).toEqual([`latency_vs_baseline: provider error — canary: file ${join(dir, 'canary.csv')} does not exist`]);
    expect(s.store.getState().canary).toMatchObject({ status: 'running', failures: 0, consecutiveErrors: 1 });
  });
});
