// `opscockpit report RUN --release-notes`: seed 004's release-notes template, filled from the
// ledger: scope, known risk, validation results and the rollback target.
import type { RunRecord } from '../engine/ports.js';
import type { LedgerEvent } from '../engine/types.js';
import { formatStampSeconds, statusWords } from '../../screens/ledger-presentation.js';

const STEP_RESULT: Record<string, string> = { healthy: 'pass', unhealthy: 'fail', error: 'fail (error)', insufficient: 'insufficient data' };

function scope(run: RunRecord, events: readonly LedgerEvent[]): string[] {
  const release = [run.releaseType && `${run.releaseType}`, run.branch && `on ${run.branch}`, run.backlogId && `backlog ${run.backlogId}`].filter(Boolean).join(' ');
  const lines = [`- ${run.name}${release ? ` (${release})` : ''}, run ${run.runId}: ${statusWords(run.status)}`];
  for (const ev of events) {
    const b = ev.body;
    if (b.kind === 'action.completed') lines.push(`- action ${b.action}: ${b.status} at ${formatStampSeconds(ev.at)} UTC by ${ev.operator}`);
    if (b.kind === 'canary.decision' && b.decision !== 'ask') lines.push(`- canary ${b.decision} at ${b.step}${b.decision === 'started' ? '' : `: ${b.reason}`}`);
    if (b.kind === 'stage.changed') lines.push(`- stage ${b.from} → ${b.to}`);
  }
  return lines;
}

function risk(events: readonly LedgerEvent[]): string[] {
  const lines: string[] = [];
  const seen = new Set<string>();
  const add = (line: string) => {
    if (!seen.has(line)) seen.add(line), lines.push(line);
  };
  for (const ev of events) {
    const b = ev.body;
    // A step not run yet is how every checklist starts, not a risk.
    if (b.kind === 'verdict.changed' && b.verdict !== 'GO') for (const r of b.reasons) if (!r.endsWith(': no result yet')) add(`- ${b.verdict} (${b.phase}): ${r}`);
    if (b.kind === 'step.skipped') add(`- step ${b.step} skipped: ${b.reason}`);
    if (b.kind === 'action.completed' && b.status !== 'succeeded' && b.status !== 'dry-run') add(`- action ${b.action} ${b.status}: ${b.reason}`);
    if (b.kind === 'action.refused') add(`- action ${b.action} refused (${b.failure}): ${b.reason}`);
    if (b.kind === 'evidence.tampered') add(`- evidence changed after it was recorded: ${b.path}`);
    if (b.kind === 'stage.fallback') add(`- stage file ${b.problem}: fell back to stable`);
    if (b.kind === 'canary.window' && (b.window.verdict === 'FAIL' || b.window.burst)) add(`- canary ${b.window.step} window ${b.window.index} ${b.window.burst ? 'burst' : 'FAIL'}: ${b.window.reasons[0] ?? ''}`);
    if (b.kind === 'control.stop' && b.on) add(`- emergency stop: ${b.reason}`);
  }
  return lines.length ? lines : ['- none recorded in the ledger'];
}

function validation(events: readonly LedgerEvent[]): string[] {
  // The last word on each step wins (a retried step that then passed is a pass).
  const steps = new Map<string, string>();
  const canary = { windows: 0, pass: 0, fail: 0, other: 0 };
  const gates = new Map<string, string>();
  for (const ev of events) {
    const b = ev.body;
    if (b.kind === 'step.result') steps.set(`${b.phase} ${b.step}`, STEP_RESULT[b.result.status] ?? b.result.status);
    if (b.kind === 'step.confirmed') steps.set(`${b.phase} ${b.step}`, `pass (confirmed by ${ev.operator})`);
    if (b.kind === 'step.skipped') steps.set(`${b.phase} ${b.step}`, `skipped (${b.reason})`);
    if (b.kind === 'gate.judged') gates.set(b.gate, `${b.result.verdict} (${b.result.passed} of ${b.result.total} judges, quorum ${b.result.required})`);
    if (b.kind === 'canary.window') {
      canary.windows++;
      if (b.window.verdict === 'PASS') canary.pass++;
      else if (b.window.verdict === 'FAIL') canary.fail++;
      else canary.other++;
    }
  }
  const lines = [...steps].map(([step, result]) => `- ${step}: ${result}`);
  for (const [gate, result] of gates) lines.push(`- gate ${gate}: ${result}`);
  if (canary.windows) lines.push(`- canary: ${canary.windows} windows, ${canary.pass} pass, ${canary.fail} fail, ${canary.other} inconclusive or error`);
  return lines.length ? lines : ['- no step was run in this run'];
}

function triggerOwner(events: readonly LedgerEvent[]): string {
  const rollback = [...events].reverse().find((e) => e.body.kind === 'action.requested' && (e.body.action === 'rollback' || e.body.action === 'abort'));
  if (rollback && rollback.body.kind === 'action.requested') return `${rollback.operator} (ran ${rollback.body.action})`;
  return events[0] ? `${events[0].operator} (started the run)` : 'unknown';
}

/** The template of seed 004, filled. `previous` is the last succeeded release of the same runbook. */
export function releaseNotes(run: RunRecord, events: readonly LedgerEvent[], previous: RunRecord | undefined): string {
  const date = run.releasedAt ?? run.completedAt ?? run.startedAt;
  const target = previous
    ? `${previous.commitSha} (run ${previous.runId}, released ${formatStampSeconds(previous.releasedAt ?? previous.completedAt ?? previous.startedAt)} UTC)`
    : 'none recorded in the ledger (no earlier succeeded run of this runbook names a commit)';
  return [
    `Release: ${run.commitSha ?? run.backlogId ?? run.runId}`,
    `Date: ${new Date(date).toISOString()}`,
    'Scope:',
    ...scope(run, events),
    '',
    'Risk:',
    ...risk(events),
    '',
    'Validation:',
    ...validation(events),
    '',
    'Rollback:',
    `- previous revision: ${target}`,
    `- trigger owner: ${triggerOwner(events)}`,
  ].join('\n') + '\n';
}
