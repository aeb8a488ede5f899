// Canary analysis reading a real Prometheus: the fixture sends itself traffic, Prometheus
// scrapes it every second, the session's canary reads the error ratio through the
// prometheus provider; a 503 fault on the traffic makes the next windows fail and the
// canary aborts. The abort is a real script; everything lands in a real ledger.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFixtureServer, type FixtureServer } from '../fixtures/server.js';
import { setFault } from '../adapters/fixture-control.js';
import { openLedger, type SqliteLedger } from '../adapters/ledger.js';
import { closeMetricsAgent } from '../adapters/metrics/fetch.js';
import { loadRunbook } from '../src/runbook/load.js';
import { openSession, type Session } from '../src/session/session.js';
import { SqliteStore } from '../adapters/sqlite-store.js';
import { onPath, startPrometheus, stopPrometheus, writePrometheusConfig, PROMETHEUS_MISSING, type RunningPrometheus } from './support/prometheus.js';
import { waitFor } from './support/cockpit.js';

const scripts = join(import.meta.dirname, '..', 'fixtures', 'scripts');
let fixture: FixtureServer | undefined;
let prom: RunningPrometheus | undefined;
let ledger: SqliteLedger | undefined;
let session: Session | undefined;
let dir = '';

beforeAll(async () => {
  if (!onPath('prometheus')) return;
  dir = mkdtempSync(join(tmpdir(), 'oc-prom-canary-'));
  fixture = await startFixtureServer({ selfTraffic: { everyMs: 40, routes: ['/api/orders'] } });
  prom = await startPrometheus(writePrometheusConfig(dir, fixture.port), join(dir, 'data'));
}, 30_000);

afterAll(async () => {
  session?.stop();
  ledger?.close();
  if (prom) await stopPrometheus(prom);
  await fixture?.close();
  await closeMetricsAgent();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 20_000);

describe('canary analysis against a real Prometheus', () => {
  it('passes windows on healthy traffic, then aborts on the error ratio after a fault', async () => {
    if (!onPath('prometheus')) throw new Error(PROMETHEUS_MISSING);
    const runbook = join(dir, 'canary.yaml');
    writeFileSync(
      runbook,
      `version: 1
name: Prometheus canary
targets:
  prom: \${PROM_URL}
canary:
  interval: 1s
  steps: [{ name: 10%, weight: 10, windows: 60 }]
  metrics:
    - name: error_ratio
      prometheus:
        target: prom
        query: sum(rate(fixture_http_requests_total{status=~"5.."}[3s])) / sum(rate(fixture_http_requests_total[3s])) or vector(0)
      success: "<= 0.01"
      failure: "> 0.05"
  rules: { consecutiveSuccesses: 100, failureLimit: 0, consecutiveErrorLimit: 5, inconclusiveLimit: 5 }
actions:
  abort: { title: Abort, script: { command: ${scripts}/abort.sh } }
  promote: { title: Promote, script: { command: ${scripts}/promote.sh } }
`,
    );
    const rb = loadRunbook(runbook, { PROM_URL: prom!.url });
    const path = join(dir, 'ledger.db');
    ledger = openLedger(path);
    session = await openSession({ runbook: rb, ledger: new SqliteStore(ledger, path), ledgerPath: path, env: { PATH: process.env.PATH, OPSCOCKPIT_ALLOW_SCOPES: 'deploy:abort,deploy:promote' } });
    session.start();
    session.command('canary.start');
    const s = session;
    await waitFor(() => (s.store.getState().canary?.windows.filter((w) => w.verdict === 'PASS').length ?? 0) >= 2, 'two passing windows', 15_000);
    await setFault(fixture!.url, { route: '/api/orders', status: 503 });
    await waitFor(() => s.store.getState().canary?.status === 'aborted', 'the canary to abort', 20_000);
    await waitFor(() => s.store.getState().action?.state === 'succeeded', 'the abort script', 10_000);
    const windows = ledger.events(s.runId).flatMap((e) => (e.body.kind === 'canary.window' ? [e.body.window] : []));
    const failing = windows.at(-1)!;
    expect(failing.verdict).toBe('FAIL');
    expect(failing.values.error_ratio).toBeGreaterThan(0.05);
    expect(windows.filter((w) => w.verdict === 'PASS').every((w) => (w.values.error_ratio ?? 1) <= 0.01)).toBe(true);
    const abort = ledger.events(s.runId).find((e) => e.body.kind === 'canary.decision' && e.body.decision === 'abort');
    expect(abort?.body).toMatchObject({ reason: expect.stringContaining('error_ratio') });
    expect(ledger.getRun(s.runId)?.status).toBe('aborted');
  }, 60_000);
});
