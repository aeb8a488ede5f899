// `ledger list | show | export` and `report` through the built binary, on a ledger filled by the
// real session: one release that went through, one that went NO-GO and was aborted.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLedger } from '../adapters/ledger.js';
import { loadRunbook } from '../src/runbook/load.js';
import { Redactor } from '../src/runbook/secrets.js';
import { openSession, type Session } from '../src/session/session.js';
import { SqliteStore } from '../adapters/sqlite-store.js';
import { cli } from './support/cli.js';

const SECRET = 'api-tok-SECRET-6f2d0';
let server: Server;
let healthy = true;
let dir: string;
let ledger: string;
let good: string;
let bad: string;

function writeRunbook(url: string): string {
  writeFileSync(join(dir, 'abort.sh'), `#!/bin/sh\necho "draining with $TOKEN"\necho "stage → stable"\n`, { mode: 0o755 });
  const file = join(dir, 'payments.yaml');
  writeFileSync(
    file,
    [
      'version: 1',
      'name: Payments cutover',
      'release: { type: cutover, branch: main, commit_sha: "${COMMIT_SHA}", backlog_id: PAY-7 }',
      `targets: { api: "${url}" }`,
      'secrets: [API_TOKEN]',
      'checks:',
      '  readyz:',
      '    title: Judge readiness (/readyz)',
      '    http: { target: api, path: /readyz, headers: { Authorization: "Bearer ${API_TOKEN}" }, expect: { status: 200 } }',
      'checklists:',
      '  preflight:',
      '    - { id: ready, check: readyz }',
      'actions:',
      '  abort: { title: Abort, script: { command: ./abort.sh, env: { TOKEN: "${API_TOKEN}" } } }',
      '',
    ].join('\n'),
  );
  return file;
}

/** One run of the runbook through the real session, at commit `sha`. */
async function release(file: string, sha: string, drive: (s: Session) => Promise<void>): Promise<string> {
  const env = { PATH: process.env.PATH, API_TOKEN: SECRET, COMMIT_SHA: sha, OPSCOCKPIT_OPERATOR: 'tester', OPSCOCKPIT_ALLOW_SCOPES: 'deploy:abort' };
  const rb = loadRunbook(file, env);
  const l = openLedger(ledger, { redactor: new Redactor(rb.secrets, env) });
  try {
    const s = await openSession({ runbook: rb, ledger: new SqliteStore(l, ledger), ledgerPath: ledger, env });
    await drive(s);
    s.stop();
    return s.runId;
  } finally {
    l.close();
  }
}

beforeAll(async () => {
  server = createServer((req, res) => {
    res.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' }).end(healthy ? '{"status":"ready"}' : '{"status":"draining"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  dir = mkdtempSync(join(tmpdir(), 'oc-cli-ledger-'));
  ledger = join(dir, 'ledger.db');
  const file = writeRunbook(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  good = await release(file, 'aaa1111', async (s) => void (await s.advance()));
  healthy = false;
  bad = await release(file, 'bbb2222', async (s) => {
    await s.advance();
    await s.runAction('abort', 'abort');
  });
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

const run = async (args: string[]) => {
  const r = await cli(args);
  expect(r.stderr).not.toMatch(/\n\s+at /); // never a stack trace
  expect(r.stdout + r.stderr).not.toContain(SECRET);
  return r;
};

describe('opscockpit ledger list / show / export (built binary)', () => {
  it('lists status counts and a page of runs, newest first, filtered', async () => {
    const all = await run(['ledger', 'list', '--ledger', ledger]);
    expect(all.code).toBe(0);
    expect(all.stdout).toContain('running 0 · succeeded 1 · failed 0 · aborted 1 · rolled back 0');
    expect(all.stdout).toContain('page 1 of 1 (2 runs)');
    const rows = all.stdout.split('\n').filter((l) => l.startsWith('r-'));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(new RegExp(`^${bad} +aborted +cutover +main +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d .* tester +run aborted|abort succeeded`));
    expect(rows[1]).toMatch(new RegExp(`^${good} +succeeded +cutover +main `));

    const aborted = JSON.parse((await run(['ledger', 'list', '--ledger', ledger, '--status', 'aborted,failed', '--json'])).stdout);
    expect(aborted).toMatchObject({ schema: 'opscockpit.ledger-list/v1', total: 1, counts: { succeeded: 1, aborted: 1 }, filter: { status: ['aborted', 'failed'] } });
    expect(aborted.runs[0]).toMatchObject({ runId: bad, commitSha: 'bbb2222', backlogId: 'PAY-7', operator: 'tester', headline: { kind: 'action.completed' } });

    const none = await run(['ledger', 'list', '--ledger', ledger, '--type', 'hotfix', '--branch', 'main', '--since', '2020-01-01', '--until', '2020-02-01']);
    expect(none.stdout).toContain('filter type:hotfix branch:main since:2020-01-01T00:00 until:2020-02-02T00:00 · page 1 of 1 (0 runs)');
    expect(none.stdout).toContain('No run matches this filter.');

    const paged = await run(['ledger', 'list', '--ledger', ledger, '--page-size', '1']);
    expect(paged.stdout).toContain('page 1 of 2 (2 runs)');
    expect(paged.stdout).toContain(`next: opscockpit ledger list --ledger ${ledger} --page-size 1 --page 2`);
    const second = await run(['ledger', 'list', '--ledger', ledger, '--page-size', '1', '--page', '2']);
    expect(second.stdout).toContain(good);
    expect(second.stdout).not.toContain(bad);
  });

  it('shows one run in full: every event with time, operator, step, verdict, reasons, evidence and output', async () => {
    const r = await run(['ledger', 'show', bad, '--ledger', ledger]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${bad} — Payments cutover: ABORTED`);
    expect(r.stdout).toContain('type cutover · branch main · commit bbb2222 · backlog PAY-7');
    expect(r.stdout).toMatch(/\d\d:\d\d:\d\d\.\d{3} #\d+ +tester +ready: unhealthy — expected 200, got 503/);
    expect(r.stdout).toContain('evidence: status · HTTP 503');
    expect(r.stdout).toMatch(/verdict NO-GO — Judge readiness \(\/readyz\)/);
    expect(r.stdout).toMatch(/reason: Judge readiness \(\/readyz\): .*503/);
    expect(r.stdout).toMatch(/abort succeeded — exit 0/);
    expect(r.stdout).toContain('| draining with ***');
    expect(r.stdout).toContain('| stage → stable');
    const doc = JSON.parse((await run(['ledger', 'show', 'last', '--ledger', ledger, '--json'])).stdout);
    expect(doc.run.runId).toBe(bad);
    expect(doc.events.map((e: { seq: number }) => e.seq)).toEqual(Array.from({ length: doc.run.events }, (_, i) => i + 1));
  });

  it('exports runs or events as CSV and JSON, to stdout or a file', async () => {
    const csv = (await run(['ledger', 'export', '--ledger', ledger, '--format', 'csv'])).stdout.trimEnd().split('\r\n');
    expect(csv[0]).toBe('run_id,status,branch,commit_sha,backlog_id,release_type,released_at,completed_at,note,started_at,name,runbook,events,operator');
    expect(csv.slice(1).map((l) => l.split(',').slice(0, 6).join(','))).toEqual([`${bad},aborted,main,bbb2222,PAY-7,cutover`, `${good},succeeded,main,aaa1111,PAY-7,cutover`]);

    const out = join(dir, 'events.csv');
    const saved = await run(['ledger', 'export', '--ledger', ledger, '--format', 'csv', '--events', '--status', 'aborted', '--out', out]);
    const shown = JSON.parse((await run(['ledger', 'show', bad, '--ledger', ledger, '--json'])).stdout);
    expect(saved.stderr).toBe(`exported 1 runs and ${shown.events.length} events to ${out}\n`);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\r\n');
    expect(lines[0]).toBe('run_id,seq,at,operator,kind,step,verdict,what,payload');
    expect(lines).toHaveLength(shown.events.length + 1);
    expect(lines.some((l) => l.includes(',verdict.changed,,NO-GO,'))).toBe(true);

    const json = JSON.parse((await run(['ledger', 'export', '--ledger', ledger, '--format', 'json', '--events'])).stdout);
    expect(json.schema).toBe('opscockpit.ledger-export/v1');
    expect(json.runs.map((r: { runId: string }) => r.runId)).toEqual([bad, good]);
    expect(json.runs[0].events).toHaveLength(json.runs[0].eventCount);
    expect(json.runs[0].events[0].body.kind).toBe('run.started');
  });
});

describe('opscockpit report (built binary)', () => {
  it('--release-notes fills the template: scope, risk, validation, rollback target and owner', async () => {
    const r = await run(['report', bad, '--release-notes', '--ledger', ledger]);
    expect(r.code).toBe(0);
    const text = r.stdout;
    expect(text.split('\n')[0]).toBe('Release: bbb2222');
    expect(text).toMatch(/^Date: \d{4}-\d\d-\d\dT/m);
    expect(text).toContain(`- Payments cutover (cutover on main backlog PAY-7), run ${bad}: aborted`);
    expect(text).toMatch(/^Risk:\n- NO-GO \(preflight\): Judge readiness \(\/readyz\)/m);
    expect(text).toContain('- preflight ready: fail');
    expect(text).toMatch(new RegExp(`- previous revision: aaa1111 \\(run ${good}, released `));
    expect(text).toContain('- trigger owner: tester (ran abort)');
    const first = await run(['report', good, '--release-notes', '--ledger', ledger]);
    expect(first.stdout).toContain('- previous revision: none recorded in the ledger');
    expect(first.stdout).toContain('Risk:\n- none recorded in the ledger');
  });

  it('--timeline writes Markdown: durations against MTTD and MTTR, who did what, verdicts with evidence', async () => {
    const out = join(dir, 'timeline.md');
    const r = await run(['report', bad, '--timeline', '--out', out, '--ledger', ledger]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`timeline of run ${bad} written to ${out}`);
    const md = readFileSync(out, 'utf8');
    expect(md).toContain('# Incident timeline: Payments cutover');
    expect(md).toMatch(/\| Time to detect \| [\d:.]+ #1 run started \| [\d:.]+ #\d+ (verdict NO-GO|step ready unhealthy).*\| [\d.]+ (ms|s) \| MTTD < 5 min \| met \|/);
    expect(md).toMatch(/\| Time to abort or roll back \| .* #\d+ abort succeeded \| .* \| MTTR < 15 min \| met \|/);
    expect(md).toMatch(/\| [\d:.]+ \| \d+ \| tester \| ready \| ready: unhealthy — expected 200, got 503/);
    expect(md).toMatch(/### [\d:.]+ #\d+ — NO-GO \(preflight\), tester/);
    expect(md).toMatch(/- evidence: readyz unhealthy — expected 200, got 503 .*\(HTTP 503, \d+ ms\), probed [\d:.]+ \(#\d+\)/);
    expect(md).toContain('```text\ndraining with ***\nstage → stable\n```');
    expect(md).not.toContain(SECRET);
  });

  it('bad input is one clear line with the usage, never a stack trace; ledger verify still passes', async () => {
    const cases: [string[], RegExp][] = [
      [['report', bad, '--ledger', ledger], /say which report: --release-notes or --timeline\nUsage: opscockpit report RUN_ID/],
      [['report', 'r-nope', '--timeline', '--ledger', ledger], /no run r-nope in ledger .*`opscockpit ledger list` shows the run ids/],
      [['ledger', 'list', '--ledger', join(dir, 'missing.db')], /no ledger at .*missing\.db: check the path given with --ledger/],
      [['ledger', 'list', '--ledger', ledger, '--status', 'exploded'], /--status: "exploded" is not a run status: use running, succeeded, failed, aborted, rolled_back/],
      [['ledger', 'list', '--ledger', ledger, '--since', 'last tuesday'], /--since: "last tuesday" is not a date/],
      [['ledger', 'list', '--ledger', ledger, '--page', '0'], /--page must be a whole number ≥ 1, not "0"/],
      [['ledger', 'export', '--ledger', ledger, '--format', 'xml'], /--format must be csv or json, not "xml"/],
      [['ledger', 'show', '--ledger', ledger], /missing RUN_ID/],
    ];
    for (const [args, message] of cases) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.split('\n').length).toBeLessThan(6);
    }
    const v = await run(['ledger', 'verify', '--ledger', ledger]);
    expect(v.code).toBe(0);
    const recent = JSON.parse((await run(['ledger', '--ledger', ledger, '--json'])).stdout);
    expect(recent.runs.map((r: { runId: string }) => r.runId)).toEqual([bad, good]);
  });
});
