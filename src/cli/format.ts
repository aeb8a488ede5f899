// Plain-text renderings for the headless commands.
import type { RunRecord } from '../engine/ports.js';
import type { CheckReport } from '../session/headless.js';

export const STATE_MARK: Record<string, string> = { passed: 'ok  ', failed: 'FAIL', pending: '--  ', skipped: 'skip', confirmed: 'ok  ', running: '..  ' };

export function formatCheckReport(r: CheckReport): string {
  const lines = [`${r.name} — ${r.phase}: ${r.verdict}${r.normalized ? ` (${r.normalized})` : ''}`, ''];
  for (const s of r.steps) {
    const mark = s.kind === 'manual' || s.needsPerson ? 'todo' : STATE_MARK[s.state] ?? s.state;
    const detail = s.kind === 'manual' ? 'manual step, confirm in the cockpit' : s.needsPerson ?? s.reason ?? '';
    lines.push(`  [${mark}] ${s.title}${detail ? ` — ${detail}` : ''}`);
    if (s.failure) lines.push(...failureLines(s.failure));
  }
  if (r.reasons.length) lines.push('', 'Reasons:', ...r.reasons.map((x) => `  - ${x}`));
  lines.push('', `run ${r.runId} recorded in ${r.ledger}`);
  return lines.join('\n');
}

export function formatRuns(path: string, runs: RunRecord[]): string {
  if (!runs.length) return `${path}: no runs yet`;
  const rows = runs.map((r) =>
    [r.runId, r.status.padEnd(11), new Date(r.startedAt).toISOString().replace('T', ' ').slice(0, 19), r.releaseType ?? '-', r.branch ?? '-', r.name].join('  '),
  );
  return [`${path}: ${runs.length} most recent runs`, ...rows].join('\n');
}

/** A failure class and its numbered remedy, indented under the step or action it belongs to. */
export function failureLines(f: { class: string; remedy: string[] }): string[] {
  return [`         ${f.class}`, ...f.remedy.map((r, i) => `           ${i + 1}. ${r}`)];
}
