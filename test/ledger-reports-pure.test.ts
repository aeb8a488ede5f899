// The pure parts of the release ledger: filters, row and event text, incident durations,
// release notes, timeline, CSV cells, notification triggers and the Slack message.
import { describe, expect, it } from 'vitest';
import { FilterError, filterText, nextStatusFilter, parseDate, parseFilterText, parseStatuses } from '../src/engine/ledger-filter.js';
import { eventLines, runSummaryLine, runTableHeader, statusCountsLine } from '../screens/ledger-presentation.js';
import { describeEvent } from '../screens/presentation.js';
import { incidentDurations } from '../src/report/incident.js';
import { releaseNotes } from '../src/report/release-notes.js';
import { timelineMarkdown } from '../src/report/timeline.js';
import { csvCell } from '../src/report/export.js';
import { notifyTrigger, slackMessage } from '../src/engine/notify.js';
import type { EventBody, LedgerEvent } from '../src/engine/types.js';
import type { RunRecord } from '../src/engine/ports.js';

const T0 = Date.UTC(2026, 10, 23, 11, 0, 0);
const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);

function events(list: [number, string, EventBody][]): LedgerEvent[] {
  return list.map(([sec, operator, body], i) => ({ runId: 'r-1', seq: i + 1, at: T0 + sec * 1000, operator, body }));
}

const healthy = { check: 'readyz', status: 'healthy' as const, code: 'ok' as const, reason: '200 in 3 ms', startedAt: T0, durationMs: 3, httpStatus: 200, latencyMs: 3 };
const down = { ...healthy, status: 'unhealthy' as const, code: 'status' as const, reason: 'expected 200, got 503', httpStatus: 503, output: 'Service Unavailable' };

/** A cutover that goes wrong: fault at 60 s, NO-GO at 61 s, abort done at 121 s. */
const incident = events([
  [0, 'alice', { kind: 'run.started', runbook: '/rb.yaml', name: 'Cutover' }],
  [1, 'alice', { kind: 'step.confirmed', phase: 'preflight', step: 'rbac' }],
  [2, 'alice', { kind: 'step.result', phase: 'preflight', step: 'ready', result: healthy }],
  [3, 'alice', { kind: 'verdict.changed', verdict: 'GO', phase: 'preflight', reasons: [] }],
  [60, 'alice', { kind: 'fault.injected', route: '/readyz', status: 503 }],
  [61, 'alice', { kind: 'check.changed', check: 'readyz', result: { ...down, startedAt: T0 + 61_000 } }],
  [61, 'alice', { kind: 'verdict.changed', verdict: 'NO-GO', phase: 'preflight', reasons: ['Judge readiness: expected 200, got 503'] }],
  [90, 'bob', { kind: 'action.requested', action: 'abort', confirmedWith: 'abort' }],
  [121, 'bob', { kind: 'action.completed', action: 'abort', status: 'succeeded', reason: 'exit 0', output: 'stage → stable\nabort complete\n', durationMs: 31_000 }],
  [121, 'bob', { kind: 'run.completed', status: 'aborted' }],
]);

const run: RunRecord = { runId: 'r-1', runbook: '/rb.yaml', name: 'Cutover', status: 'aborted', startedAt: T0, completedAt: T0 + 121_000, releaseType: 'cutover', branch: 'main', commitSha: 'bbb222' };

describe('ledger filters', () => {
  it('reads statuses, dates and ages, and the typed filter line', () => {
    expect(parseStatuses('failed, rolled back')).toEqual(['failed', 'rolled_back']);
    expect(() => parseStatuses('broken')).toThrow(/"broken" is not a run status: use running, succeeded/);
    expect(parseDate('2026-11-23', NOW)).toBe(Date.UTC(2026, 10, 23));
    expect(parseDate('2026-11-23', NOW, 'end')).toBe(Date.UTC(2026, 10, 24));
    expect(parseDate('2026-11-23T14:00', NOW)).toBe(Date.UTC(2026, 10, 23, 14));
    expect(parseDate('2026-11-23T14:00+02:00', NOW)).toBe(Date.UTC(2026, 10, 23, 12));
    expect(parseDate('24h', NOW)).toBe(NOW - 86_400_000);
    expect(parseDate('7d', NOW)).toBe(NOW - 7 * 86_400_000);
    expect(() => parseDate('yesterday', NOW)).toThrow(FilterError);
    const f = parseFilterText('status:failed,aborted type:cutover branch:main since:2026-11-01 until:2026-11-23', NOW);
    expect(f).toEqual({ status: ['failed', 'aborted'], type: 'cutover', branch: 'main', since: Date.UTC(2026, 10, 1), until: Date.UTC(2026, 10, 24) });
    expect(parseFilterText(filterText(f), NOW)).toEqual(f);
    expect(parseFilterText('  ', NOW)).toEqual({});
    expect(() => parseFilterText('colour:red', NOW)).toThrow(/"colour:red" is not a filter: use status:S type:T/);
    expect(() => parseFilterText('since:2026-11-23 until:2026-11-01', NOW)).toThrow(/is not before until/);
  });

  it('Tab cycles the status filter through every status and back to all', () => {
    const seen: (string | undefined)[] = [];
    let f = nextStatusFilter(undefined);
    for (let i = 0; i < 6; i++) {
      seen.push(f?.join(','));
      f = nextStatusFilter(f);
    }
    expect(seen).toEqual(['running', 'succeeded', 'failed', 'aborted', 'rolled_back', undefined]);
  });
});

describe('ledger text', () => {
  it('counts every status, and a run on one line under its header', () => {
    expect(statusCountsLine({ running: 1, succeeded: 10_100, failed: 2, aborted: 0, rolled_back: 3 })).toBe('running 1 · succeeded 10,100 · failed 2 · aborted 0 · rolled back 3');
    const line = runSummaryLine({ ...run, events: 10, operator: 'alice', headline: incident[8] }, 200);
    const header = runTableHeader(200);
    expect(line).toMatch(/^r-1 +aborted +cutover +main +2026-11-23 11:00 +2 min 1 s +10 alice +abort succeeded — exit 0$/);
    expect(header.indexOf('STATUS')).toBe(line.indexOf('aborted'));
    expect(runSummaryLine({ ...run, status: 'running', completedAt: undefined, lastAt: T0 + 5000, events: 3 }, 200)).toContain('5.0 s+');
    expect(runSummaryLine({ ...run, events: 1 }, 40)).toHaveLength(40);
  });

  it('an event shows time, seq, operator, what happened, and its evidence and output', () => {
    const [head, ...rest] = eventLines(incident[5], 200);
    expect(head).toMatch(/^11:01:01\.000 #6 +alice +readyz: unhealthy — expected 200, got 503$/);
    expect(rest.join('\n')).toContain('evidence: status · HTTP 503 · 3 ms');
    expect(rest.join('\n')).toContain('| Service Unavailable');
    const abort = eventLines(incident[8], 200).join('\n');
    expect(abort).toContain('outcome: succeeded · took 31 s');
    expect(abort).toContain('| abort complete');
    const verdict = eventLines(incident[6], 200).join('\n');
    expect(verdict).toContain('reason: Judge readiness: expected 200, got 503');
    const long = { ...incident[8], body: { ...(incident[8].body as Extract<EventBody, { kind: 'action.completed' }>), output: Array.from({ length: 30 }, (_, i) => `line ${i}`).join('\n') } };
    expect(eventLines(long, 200, { outputLines: 3 }).join('\n')).toContain('… 27 earlier lines');
  });

  it('notification events read as what was told, to whom, after how many attempts', () => {
    const ev = (body: EventBody): LedgerEvent => ({ runId: 'r', seq: 9, at: 0, operator: 'op', body });
    expect(describeEvent(ev({ kind: 'notify.sent', channel: 'slack', trigger: 'failed', about: 7, attempts: 3, httpStatus: 200, errors: ['HTTP 503', 'HTTP 503'] }))).toBe(
      'slack notified: release failed (event #7, 3 attempts; earlier: HTTP 503, HTTP 503)',
    );
    expect(describeEvent(ev({ kind: 'notify.failed', channel: 'slack', trigger: 'aborted', about: 7, attempts: 6, reason: 'no answer within 10 s (gave up after 6 attempts)', errors: [] }))).toBe(
      'slack notification FAILED: run aborted (event #7) after 6 attempts — no answer within 10 s (gave up after 6 attempts)',
    );
  });
});

describe('incident durations', () => {
  it('detect from the fault to the first failure signal; recover to the abort', () => {
    const d = incidentDurations(incident);
    expect(d.from).toMatchObject({ seq: 5, what: 'fault injected: /readyz → 503' });
    expect(d.detected).toMatchObject({ seq: 6, what: 'check readyz unhealthy: expected 200, got 503' });
    expect(d.recovered).toMatchObject({ seq: 9, what: 'abort succeeded', operator: 'bob' });
    expect(d.ttdMs).toBe(1000);
    expect(d.ttrMs).toBe(60_000);
  });

  it('without a fault, from the start of the run; without an abort, to the next GO; nothing to measure in a clean run', () => {
    const noFault = incident.filter((e) => e.body.kind !== 'fault.injected' && e.body.kind !== 'action.completed' && e.body.kind !== 'run.completed');
    const back = [...noFault, { runId: 'r-1', seq: 99, at: T0 + 200_000, operator: 'alice', body: { kind: 'verdict.changed', verdict: 'GO', phase: 'preflight', reasons: [] } } as LedgerEvent];
    const d = incidentDurations(back);
    expect(d.from).toMatchObject({ seq: 1, what: 'run started' });
    expect(d.ttdMs).toBe(61_000);
    expect(d.recoveredByGo).toBe(true);
    expect(d.ttrMs).toBe(139_000);
    expect(incidentDurations(incident.slice(0, 4))).toEqual({});
  });
});

describe('reports', () => {
  it('release notes fill seed 004 template: scope, risk, validation, rollback target and owner', () => {
    const previous: RunRecord = { ...run, runId: 'r-0', status: 'succeeded', commitSha: 'aaa111', releasedAt: T0 - 3_600_000 };
    const text = releaseNotes(run, incident, previous);
    const lines = text.split('\n');
    expect(lines.slice(0, 3)).toEqual(['Release: bbb222', `Date: ${new Date(T0 + 121_000).toISOString()}`, 'Scope:']);
    for (const heading of ['Scope:', 'Risk:', 'Validation:', 'Rollback:']) expect(lines).toContain(heading);
    expect(text).toContain('- Cutover (cutover on main), run r-1: aborted');
    expect(text).toContain('- action abort: succeeded at 2026-11-23 11:02:01 UTC by bob');
    expect(text).toContain('- NO-GO (preflight): Judge readiness: expected 200, got 503');
    expect(text).toContain('- preflight rbac: pass (confirmed by alice)');
    expect(text).toContain('- preflight ready: pass');
    expect(text).toContain('- previous revision: aaa111 (run r-0, released 2026-11-23 10:00:00 UTC)');
    expect(text).toContain('- trigger owner: bob (ran abort)');
    expect(releaseNotes({ ...run, commitSha: undefined }, incident.slice(0, 4), undefined)).toContain('- none recorded in the ledger');
  });

  it('the timeline in Markdown: durations against the goals, every event, verdicts with reasons and evidence, action output', () => {
    const md = timelineMarkdown(run, incident, '/tmp/l.db');
    expect(md).toContain('# Incident timeline: Cutover');
    expect(md).toMatch(/\| Time to detect \| 11:01:00\.000 #5 fault injected: \/readyz → 503 \| 11:01:01\.000 #6 check readyz unhealthy: expected 200, got 503 \| 1\.0 s \| MTTD < 5 min \| met \|/);
    expect(md).toMatch(/\| Time to abort or roll back \| .* \| 11:02:01\.000 #9 abort succeeded \| 1 min \| MTTR < 15 min \| met \|/);
    expect(md.match(/^\| 11:0\d:\d\d\.000 \| \d+ \|/gm)).toHaveLength(incident.length);
    expect(md).toContain('### 11:01:01.000 #7 — NO-GO (preflight), alice');
    expect(md).toContain('- reason: Judge readiness: expected 200, got 503');
    expect(md).toContain('- evidence: readyz unhealthy — expected 200, got 503 (HTTP 503, 3 ms), probed 11:01:01.000 (#6)');
    expect(md).toContain('```text\nstage → stable\nabort complete\n```');
    const slow = incident.map((e) => (e.seq >= 6 ? { ...e, at: e.at + 10 * 60_000 + (e.seq >= 9 ? 20 * 60_000 : 0) } : e));
    const late = timelineMarkdown(run, slow, '/tmp/l.db');
    expect(late).toMatch(/Time to detect .*\| 10 min 1 s \| MTTD < 5 min \| \*\*not met\*\* \|/);
    expect(late).toMatch(/Time to abort or roll back .*\| 21 min \| MTTR < 15 min \| \*\*not met\*\* \|/);
  });

  it('CSV cells are quoted when needed and never start a formula', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b "c"')).toBe('"a,b ""c"""');
    expect(csvCell('line\nbreak')).toBe('"line\nbreak"');
    expect(csvCell('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
    expect(csvCell(-5)).toBe('-5');
    expect(csvCell(undefined)).toBe('');
  });
});

describe('notifications (pure)', () => {
  const ctx = { promoteActions: new Set(['promote', 'ship']) };
  const ev = (body: EventBody): LedgerEvent => ({ runId: 'r-1', seq: 4, at: T0, operator: 'alice', body });
  it('maps recorded events to the triggers a runbook can ask for', () => {
    expect(notifyTrigger(ev({ kind: 'run.completed', status: 'failed' }), ctx)).toBe('failed');
    expect(notifyTrigger(ev({ kind: 'run.completed', status: 'aborted' }), ctx)).toBe('aborted');
    expect(notifyTrigger(ev({ kind: 'run.completed', status: 'rolled_back' }), ctx)).toBe('rolled_back');
    expect(notifyTrigger(ev({ kind: 'run.completed', status: 'succeeded' }), ctx)).toBeUndefined();
    expect(notifyTrigger(ev({ kind: 'action.completed', action: 'deploy', status: 'failed', reason: 'exit 1', output: '', durationMs: 1 }), ctx)).toBe('failed');
    expect(notifyTrigger(ev({ kind: 'action.completed', action: 'deploy', status: 'unknown', reason: '?', output: '', durationMs: 1 }), ctx)).toBe('failed');
    expect(notifyTrigger(ev({ kind: 'action.completed', action: 'ship', status: 'succeeded', reason: 'exit 0', output: '', durationMs: 1 }), ctx)).toBe('promoted');
    expect(notifyTrigger(ev({ kind: 'action.completed', action: 'ship', status: 'dry-run', reason: 'DRY_RUN', output: '', durationMs: 1 }), ctx)).toBeUndefined();
    expect(notifyTrigger(ev({ kind: 'control.stop', on: true, reason: 'x' }), ctx)).toBe('emergency_stop');
    expect(notifyTrigger(ev({ kind: 'control.stop', on: false, reason: 'x' }), ctx)).toBeUndefined();
  });

  it('the Slack message names the runbook, what happened, the run and who; mrkdwn is escaped', () => {
    const m = slackMessage('failed', ev({ kind: 'action.completed', action: 'deploy', status: 'failed', reason: 'exit 1', output: 'pushing <v2> & more\nerror: quota', durationMs: 1 }), {
      runbookName: 'Cutover',
      runId: 'r-1',
      releaseType: 'cutover',
      branch: 'main',
      ledgerPath: '/l.db',
    });
    expect(m.text).toBe(':x: Release failed — Cutover: deploy failed: exit 1 (run r-1 (event #4) · cutover · branch main · by alice · 2026-11-23 11:00:00 UTC)');
    const section = JSON.stringify(m.blocks[0]);
    expect(section).toContain('last output: error: quota');
    expect(JSON.stringify(slackMessage('failed', ev({ kind: 'action.completed', action: 'd', status: 'failed', reason: 'a <b> & c', output: '', durationMs: 1 }), { runbookName: 'x', runId: 'r', ledgerPath: '/l' }))).toContain('a &lt;b&gt; &amp; c');
  });
});
