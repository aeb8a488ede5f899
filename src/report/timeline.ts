// `opscockpit report RUN --timeline`: the incident timeline in Markdown, from the ledger alone.
// Who did what when, every verdict with its reasons and the evidence it stood on, action
// output, and the durations against seed 000's MTTD / MTTR goals.
import type { RunRecord } from '../engine/ports.js';
import type { CheckResult, LedgerEvent } from '../engine/types.js';
import { describeEvent, formatDuration } from '../../screens/presentation.js';
import { eventDetail, eventStep, formatStampSeconds, formatTime, statusWords } from '../../screens/ledger-presentation.js';
import { incidentDurations, MTTD_GOAL_MS, MTTR_GOAL_MS, type IncidentMark } from './incident.js';

/** A table cell: one line, pipes escaped. */
export const mdCell = (s: string): string => s.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');

const markText = (m: IncidentMark) => `${formatTime(m.at)} #${m.seq} ${m.what}`;

function durationRows(events: readonly LedgerEvent[]): string[] {
  const d = incidentDurations(events);
  if (!d.detected) return ['No failure was recorded in this run (no NO-GO verdict, failed step or check, failing canary window or failed action), so there is nothing to detect or recover from.'];
  const goal = (ms: number | undefined, limit: number) => (ms === undefined ? 'not measured' : ms < limit ? 'met' : '**not met**');
  const rows = ['| Measure | From | To | Took | Goal | |', '| --- | --- | --- | --- | --- | --- |'];
  rows.push(`| Time to detect | ${mdCell(d.from ? markText(d.from) : '—')} | ${mdCell(markText(d.detected))} | ${formatDuration(d.ttdMs)} | MTTD < 5 min | ${goal(d.ttdMs, MTTD_GOAL_MS)} |`);
  const recovered = d.recovered ? markText(d.recovered) : 'no abort or rollback recorded, and no GO since';
  rows.push(`| Time to abort or roll back | ${mdCell(markText(d.detected))} | ${mdCell(recovered)} | ${formatDuration(d.ttrMs)} | MTTR < 15 min | ${goal(d.ttrMs, MTTR_GOAL_MS)} |`);
  const notes: string[] = [];
  if (d.recoveredByGo) notes.push('No abort or rollback was recorded: the second row runs to the first GO verdict after the detection.');
  notes.push('Time to detect runs from the last change before the first failure signal (an injected fault, a forward action, the canary starting or moving the stage), or from the start of the run.');
  return [...rows, '', ...notes];
}

const resultFacts = (r: CheckResult) =>
  [r.httpStatus !== undefined && `HTTP ${r.httpStatus}`, r.latencyMs !== undefined && `${Math.round(r.latencyMs)} ms`, r.exitCode !== undefined && `exit ${r.exitCode}`]
    .filter(Boolean)
    .join(', ');

/**
 * Each verdict with its reasons and the evidence it stood on: for every check, the latest result
 * of a probe that started before the verdict (a step's result is often recorded just after the
 * verdict it caused), and the latest gate judgement.
 */
function verdictSections(events: readonly LedgerEvent[]): string[] {
  const out: string[] = [];
  const at = events.flatMap((e, i) => (e.body.kind === 'verdict.changed' ? [i] : []));
  at.forEach((index, k) => {
    const ev = events[index];
    const b = ev.body;
    if (b.kind !== 'verdict.changed') return;
    const until = at[k + 1] ?? events.length;
    const latest = new Map<string, { result: CheckResult; ev: LedgerEvent }>();
    let gate: LedgerEvent | undefined;
    for (const e of events.slice(0, until)) {
      const x = e.body;
      if ((x.kind === 'check.changed' || x.kind === 'step.result') && x.result.startedAt <= ev.at) {
        const seen = latest.get(x.result.check);
        if (!seen || seen.result.startedAt <= x.result.startedAt) latest.set(x.result.check, { result: x.result, ev: e });
      }
      if (x.kind === 'gate.judged' && e.at <= ev.at) gate = e;
    }
    out.push('', `### ${formatTime(ev.at)} #${ev.seq} — ${b.verdict} (${b.phase}), ${ev.operator}`, '');
    if (b.reasons.length) out.push(...b.reasons.map((r) => `- reason: ${r}`));
    else out.push('- reason: every blocking check is healthy');
    const shown = [...latest.values()].filter(({ result }) => b.verdict === 'GO' || result.status !== 'healthy');
    for (const { result, ev: at } of shown) {
      const facts = resultFacts(result);
      out.push(`- evidence: ${result.check} ${result.status} — ${result.reason}${facts ? ` (${facts})` : ''}, probed ${formatTime(result.startedAt)} (#${at.seq})`);
      if (result.output && result.status !== 'healthy') out.push(`  - output: \`${result.output.trim().split('\n').slice(-1)[0].replace(/`/g, "'")}\``);
    }
    if (gate && gate.body.kind === 'gate.judged') {
      for (const line of eventDetail(gate)) out.push(`- gate ${gate.body.gate} (#${gate.seq}): ${line.trim()}`);
    }
  });
  return out.length ? out : ['', 'No verdict was recorded in this run.'];
}

function actionSections(events: readonly LedgerEvent[]): string[] {
  const out: string[] = [];
  for (const ev of events) {
    const b = ev.body;
    if (b.kind !== 'action.completed' && b.kind !== 'action.refused') continue;
    out.push('', `### ${formatTime(ev.at)} #${ev.seq} — ${describeEvent(ev)} (${ev.operator})`);
    if (b.kind === 'action.refused') {
      out.push('', `- remedy: ${b.remedy}`);
      continue;
    }
    out.push('', `- outcome ${b.status}${b.exitCode !== undefined ? `, exit ${b.exitCode}` : ''}, took ${formatDuration(b.durationMs)}`);
    if (b.failure) out.push(`- ${b.failure.class} — remedy: ${b.failure.remedy.join('; ')}`);
    if (b.output.trim()) out.push('', '```text', b.output.replace(/```/g, "'''").replace(/\n$/, ''), '```');
  }
  return out;
}

export function timelineMarkdown(run: RunRecord, events: readonly LedgerEvent[], ledgerPath: string): string {
  const release = [run.releaseType && `type ${run.releaseType}`, run.branch && `branch ${run.branch}`, run.commitSha && `commit ${run.commitSha}`, run.backlogId && `backlog ${run.backlogId}`].filter(Boolean);
  const by = events[0]?.operator;
  const completed = run.completedAt !== undefined ? ` · completed ${formatStampSeconds(run.completedAt)} UTC (${formatDuration(run.completedAt - run.startedAt)})` : ' · not completed';
  const lines = [
    `# Incident timeline: ${run.name}`,
    '',
    `Run \`${run.runId}\` · **${statusWords(run.status).toUpperCase()}**${release.length ? ` · ${release.join(' · ')}` : ''}`,
    '',
    `Started ${formatStampSeconds(run.startedAt)} UTC${by ? ` by ${by}` : ''}${completed} · ${events.length} events · ledger \`${ledgerPath}\``,
    '',
    '## Durations',
    '',
    ...durationRows(events),
    '',
    '## Who did what when',
    '',
    '| Time (UTC) | # | Who | Step | What |',
    '| --- | --- | --- | --- | --- |',
    ...events.map((ev) => `| ${formatTime(ev.at)} | ${ev.seq} | ${mdCell(ev.operator)} | ${mdCell(eventStep(ev) ?? '')} | ${mdCell(describeEvent(ev))} |`),
    '',
    '## Verdicts, reasons and evidence',
    ...verdictSections(events),
  ];
  const actions = actionSections(events);
  if (actions.length) lines.push('', '## Actions and their output', ...actions);
  return lines.join('\n') + '\n';
}
