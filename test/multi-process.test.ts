// Processes on one ledger own the runs they start. Eight `opscockpit act … abort --yes` and
// eight `opscockpit check` of the built binary start together on one ledger: no process joins,
// completes or settles another live process's run, so every run ends at most once (and last),
// every action outcome answers exactly one request, and no outcome is "unknown" (every owner
// was alive until it finished).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { openLedger } from '../adapters/ledger.js';
import type { EventBody } from '../src/engine/types.js';
import { cli } from './support/cli.js';

const EACH = 8;
let server: Server;
let url: string;

beforeAll(async () => {
  // A target that takes a moment to answer, so each check's run stays open while the acts start.
  server = createServer((_req, res) => setTimeout(() => res.end('ok'), 150));
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((done) => server.close(() => done())));

function runbookText(aborts: string): string {
  return `version: 1
name: Shared ledger
targets:
  app: ${url}
checks:
  ready:
    title: Target answers
    http: { target: app, path: /ready, timeout: 5s, expect: { status: 200 } }
    every: 1s
checklists:
  preflight:
    - { id: ready, title: Target answers 200, check: ready }
actions:
  abort:
    title: Abort the release
    confirm: abort
    script: { command: bash, args: [-c, 'echo aborted >> ${aborts}; sleep 0.3; echo abort done'], timeout: 20s }
`;
}

interface RunEvents {
  runId: string;
  releaseType?: string;
  status: string;
  events: EventBody[];
}

function readRuns(ledgerPath: string): RunEvents[] {
  const l = openLedger(ledgerPath);
  try {
    return l
      .listRuns(1000)
      .filter((r) => r.runbook !== '(safety controls)')
      .map((r) => ({ runId: r.runId, releaseType: r.releaseType, status: r.status, events: l.events(r.runId).map((e) => e.body) }));
  } finally {
    l.close();
  }
}

/** Why the run's action outcomes do not pair one to one with its requests, if they do not. */
function unpaired(events: readonly EventBody[]): string | undefined {
  const waiting = new Map<string, number>();
  for (const e of events) {
    if (e.kind === 'action.requested') waiting.set(e.action, (waiting.get(e.action) ?? 0) + 1);
    if (e.kind === 'action.completed') {
      const n = waiting.get(e.action) ?? 0;
      if (n === 0) return `an outcome of ${e.action} with no request before it`;
      waiting.set(e.action, n - 1);
    }
  }
  const open = [...waiting].filter(([, n]) => n > 0);
  return open.length ? `requests with no outcome: ${open.map(([a, n]) => `${a} ×${n}`).join(', ')}` : undefined;
}

describe('processes sharing one ledger', () => {
  it(`${EACH} act and ${EACH} check started together: one act drives at a time, the others are refused naming it; checks keep to their own runs`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oc-multi-'));
    const aborts = join(dir, 'aborts.txt');
    const file = join(dir, 'shared.yaml');
    writeFileSync(file, runbookText(aborts));
    const ledger = join(dir, 'ledger.db');
    const env = { OPSCOCKPIT_OPERATOR: 'ops', OPSCOCKPIT_ALLOW_SCOPES: 'ops:read,deploy:abort' };
    const opts = { env, timeoutMs: 120_000 };
    // The ledger exists first, so the sixteen race on runs, not on creating the file.
    openLedger(ledger).close();

    const started = [];
    for (let i = 0; i < EACH; i++) {
      started.push(cli(['act', file, 'abort', '--yes', '--ledger', ledger], opts));
      started.push(cli(['check', file, '--ledger', ledger], opts));
    }
    const results = await Promise.all(started);
    // While an act drives the runbook's run, another is refused (exit 3) with who drives; none fails otherwise.
    const refused = results.filter((r) => r.code === 3);
    const detail = JSON.stringify(results.filter((r) => r.code !== 0 && r.code !== 3));
    expect(results.filter((r) => r.code !== 0 && r.code !== 3), detail).toEqual([]);
    for (const r of refused) expect(r.stderr).toMatch(/^opscockpit: ops is driving since \d\d:\d\d \(run r-[^)]+\); nothing was run or recorded\./);
    const acted = EACH - refused.length;
    expect(acted).toBeGreaterThanOrEqual(1);

    const runs = readRuns(ledger);
    const all = runs.flatMap((r) => r.events);
    expect(all.filter((e) => e.kind === 'action.requested')).toHaveLength(acted);
    for (const run of runs) {
      const where = `run ${run.runId}: ${run.events.map((e) => e.kind).join(', ')}`;
      const ends = run.events.filter((e) => e.kind === 'run.completed');
      expect(ends.length, where).toBeLessThanOrEqual(1);
      if (ends.length) expect(run.events.at(-1)?.kind, where).toBe('run.completed');
      expect(run.events.filter((e) => e.kind === 'run.resumed'), where).toEqual([]);
      expect(unpaired(run.events), where).toBeUndefined();
      // A check's run is the check's alone: no action joins it.
      if (run.releaseType === 'check') expect(run.events.filter((e) => e.kind.startsWith('action.')), where).toEqual([]);
    }
    const outcomes = all.filter((e): e is Extract<EventBody, { kind: 'action.completed' }> => e.kind === 'action.completed');
    expect(outcomes.filter((o) => o.status === 'unknown')).toEqual([]);
    expect(outcomes).toHaveLength(acted);
    const ran = existsSync(aborts) ? readFileSync(aborts, 'utf8').trim().split('\n').filter(Boolean).length : 0;
    expect(ran).toBe(outcomes.length);

    const verify = await cli(['ledger', 'verify', '--ledger', ledger], { env });
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  }, 180_000);
});
