// Model → text, with no React in it, so every format is unit-tested on its own.
import type { CheckResult, LedgerEvent, NotifyTrigger, StepState, Verdict } from '../src/engine/types.js';
import type { CanaryWindowRecord, QuorumResult, WindowVerdict } from '../src/engine/gate-types.js';
import { latencyText, shownLatency } from '../src/store/live.js';
import { oneLine } from '../src/visible.js';
import { silentLine } from '../src/engine/driver.js';
import type { Runbook } from '../src/runbook/model.js';

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return s ? `${m} min ${s} s` : `${m} min`;
}

/** Age of a result, short: "now", "4s", "3m", "2h". */
export function formatAge(ms: number): string {
  if (ms < 1000) return 'now';
  if (ms < 60_000) return `${Math.floor(ms / 1000)}s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m`;
  return `${Math.floor(ms / 3_600_000)}h`;
}

/**
 * How long a check has answered the same thing, coarse so that a cockpit left open redraws
 * rarely: "now" for ten seconds after a change. A failing check then counts in steps of ten
 * seconds ("10s" to "50s": how long it has been failing matters at 3 a.m.), a healthy one shows
 * "<1m"; both then count minutes, then hours.
 */
export function formatSince(ms: number, healthy = false): string {
  if (ms < 10_000) return 'now';
  if (ms < 60_000) return healthy ? '<1m' : `${Math.floor(ms / 10_000) * 10}s`;
  return formatAge(ms);
}

/** One check's line in the Ready panel, all primitives: a row redraws only when one changes. */
export interface ReadyRow {
  state: CheckResult['status'] | 'pending' | 'running';
  latency: string;
  since: string;
  /** Shown under a check that is not healthy. */
  reason: string;
}

export function readyRow(r: CheckResult | undefined, running: boolean, now: number): ReadyRow {
  if (!r) return { state: running ? 'running' : 'pending', latency: '—', since: '', reason: '' };
  return {
    state: r.status ?? 'pending', // as before: a result without a status shows as pending
    latency: latencyText(shownLatency(r)),
    // From the start of the poll that first answered so: checks polled on one wake-up step
    // together, in one frame, whatever their answers' latencies.
    since: formatSince(Math.max(0, now - r.startedAt), r.status === 'healthy'),
    reason: r.status === 'healthy' ? '' : r.reason,
  };
}

export function formatClock(at: number): string {
  return new Date(at).toISOString().slice(11, 19);
}

export const CHECK_GLYPH: Record<CheckResult['status'] | 'pending' | 'running', string> = {
  healthy: '✔',
  unhealthy: '✘',
  error: '✘',
  insufficient: '?',
  pending: '·',
  running: '…',
};

export const STEP_GLYPH: Record<StepState, string> = {
  pending: '○',
  running: '◐',
  passed: '✔',
  failed: '✘',
  confirmed: '✔',
  skipped: '↷',
};

export const VERDICT_TEXT: Record<Verdict, string> = { GO: 'GO', 'NO-GO': 'NO-GO', INSUFFICIENT: 'INSUFFICIENT DATA' };

export function truncate(text: string, width: number): string {
  if (width <= 0) return '';
  if (text.length <= width) return text;
  return width === 1 ? '…' : text.slice(0, width - 1) + '…';
}

export function progressBar(done: number, total: number, width: number): string {
  if (total === 0 || width <= 0) return '';
  const filled = Math.round((done / total) * width);
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}

/**
 * The checks the Ready panel lists: every check but those only confirm-first steps run (a
 * script a person starts after reading it is not a readiness check). Runbook order.
 */
export function readyChecks(runbook: Pick<Runbook, 'checks' | 'checklists'>): string[] {
  const byPerson = new Set<string>();
  const polled = new Set<string>();
  for (const steps of Object.values(runbook.checklists)) {
    for (const st of steps) if (st.check) (st.confirm ? byPerson : polled).add(st.check);
  }
  return Object.keys(runbook.checks).filter((n) => polled.has(n) || !byPerson.has(n));
}

/**
 * One line describing a recorded event, as the Ledger panel, `ledger show` and the reports
 * show it: a line end inside a field (a parameter's value, a reason) is shown as ␊, never as
 * a new line that could pass for another event.
 */
export function describeEvent(ev: LedgerEvent): string {
  return oneLine(eventText(ev));
}

function eventText(ev: LedgerEvent): string {
  const b = ev.body;
  switch (b.kind) {
    case 'run.started':
      return `run started: ${b.name}${b.unknown?.length ? ` — of unknown outcome in the run before: ${b.unknown.join(', ')}` : ''}`;
    case 'run.resumed':
      return b.lapsed ? `run resumed: ${silentLine(b.lapsed)}, its lease lapsed` : 'run resumed after restart';
    case 'run.driver':
      return `driver: ${b.to} took over${b.from ? ` from ${b.from}` : ''} — ${b.reason}`;
    case 'run.params':
      return `parameters: ${Object.entries(b.params).map(([k, v]) => `${k}=${v}`).join(' ')}`;
    case 'run.choices':
      return `chosen: ${Object.entries(b.choices).map(([k, v]) => `${k}=${v}`).join(' ')}`;
    case 'run.completed':
      return `run ${b.status.replace('_', ' ')}`;
    case 'phase.started':
      return `${b.phase} started`;
    case 'step.started':
      return `${b.step}: started`;
    case 'step.result':
      return `${b.step}: ${b.result.status} — ${b.result.reason}`;
    case 'step.confirmed':
      return `${b.step}: confirmed${b.note ? ` — ${b.note}` : ''}`;
    case 'step.skipped':
      return `${b.step}: skipped — ${b.reason}`;
    case 'step.retried':
      return `${b.step}: retry`;
    case 'step.note':
      return `${b.step}: note — ${b.note}`;
    case 'check.changed':
      return `${b.check}: ${b.result.status} — ${b.result.reason}`;
    case 'verdict.changed':
      return `verdict ${b.verdict}${b.reasons.length ? ` — ${b.reasons[0]}` : ''}`;
    case 'action.requested':
      return `${b.action} requested (confirmed "${b.confirmedWith}")`;
    case 'action.completed':
      return `${b.action} ${b.status} — ${b.reason}`;
    case 'control.mode':
      return `mode ${b.mode} — ${b.reason}`;
    case 'control.stop':
      return b.on ? `EMERGENCY STOP ON — ${b.reason}` : `emergency stop off — ${b.reason}`;
    case 'control.window':
      return `real-enable window ${b.id} requested (expires ${formatClock(b.expiresAt)})`;
    case 'control.approval':
      return `window ${b.window} approved`;
    case 'control.consumed':
      return `window ${b.window} used by ${b.action}`;
    case 'control.refused':
      return `refused: ${b.what} — ${b.reason}`;
    case 'control.lock':
      return `RUNBOOK LOCKED after the ${b.action} in run ${b.runId}: ${b.runbook}`;
    case 'control.unlock':
      return `runbook unlocked — ${b.reason}: ${b.runbook}`;
    case 'action.refused':
      return `${b.action} REFUSED (${b.failure}) — ${b.reason}`;
    case 'stage.changed':
      return `stage ${b.from} → ${b.to}`;
    case 'stage.fallback':
      return `STAGE FILE ${b.problem.toUpperCase()}: fell back to stable — ${b.detail}`;
    case 'action.skipped':
      return `${b.action} not run (${b.why}) — ${b.reason}`;
    case 'action.cancelled':
      return `${b.action} CANCELLED — ${b.reason}; stopping its processes`;
    case 'trigger.fired':
      return `TRIGGER ${b.trigger} → ${b.action}${b.auto ? ' (automatic)' : ' (asks the operator)'} — ${b.reason}`;
    case 'fault.injected':
      return `demo fault: ${b.route} → ${b.status}`;
    case 'fault.cleared':
      return 'demo fault cleared';
    case 'shell.started':
      return `${b.shell} shell started (pid ${b.pid})${b.note ? ` — ${b.note}` : ''}`;
    case 'notify.sent':
      return `${b.channel} notified: ${TRIGGER_TEXT[b.trigger]} (event #${b.about}, ${attemptsText(b.attempts)}${b.errors.length ? `; earlier: ${b.errors.join(', ')}` : ''})`;
    case 'notify.failed':
      return `${b.channel} notification FAILED: ${TRIGGER_TEXT[b.trigger]} (event #${b.about}) after ${attemptsText(b.attempts)} — ${b.reason}`;
    case 'evidence.recorded':
      return `evidence v${b.version} ${b.state}: ${b.samples} samples, sha256 ${b.sha256.slice(0, 12)}`;
    case 'evidence.tampered':
      return `evidence TAMPERED: ${b.path}`;
    case 'gate.judged':
      return `gate ${b.gate}: ${b.result.verdict} (${b.result.passed}/${b.result.total}, quorum ${b.result.required}/${b.result.total})`;
    case 'canary.window':
      return `canary ${b.window.step} window ${b.window.index}: ${b.window.verdict}${b.window.burst ? ' (burst)' : ''}${b.window.reasons.length ? ` — ${b.window.reasons[0]}` : ''}`;
    case 'canary.decision':
      return b.decision === 'started' ? `canary started at ${b.step}` : `canary ${b.decision} at ${b.step} — ${b.reason}`;
  }
}

export const TRIGGER_TEXT: Record<NotifyTrigger, string> = {
  failed: 'release failed',
  aborted: 'run aborted',
  rolled_back: 'run rolled back',
  promoted: 'release promoted',
  emergency_stop: 'emergency stop on',
};

const attemptsText = (n: number) => (n === 1 ? '1 attempt' : `${n} attempts`);

export const WINDOW_GLYPH: Record<WindowVerdict, string> = { PASS: '✔', FAIL: '✘', INCONCLUSIVE: '?', ERROR: '!' };

/** One line of window glyphs per canary step, newest last, cut to the width from the left. */
export function canaryTimeline(steps: readonly { name: string }[], windows: readonly CanaryWindowRecord[], width: number): { step: string; glyphs: string }[] {
  return steps.map((st) => {
    const glyphs = windows.filter((w) => w.step === st.name).map((w) => (w.burst ? '⚡' : WINDOW_GLYPH[w.verdict])).join('');
    return { step: st.name, glyphs: glyphs.length > width ? '…' + glyphs.slice(glyphs.length - width + 1) : glyphs };
  });
}

const CRITERION_MARK: Record<Verdict, string> = { GO: '✔', 'NO-GO': '✘', INSUFFICIENT: '?' };
const CRITERION_LABEL: Record<string, string> = { p95_ms: 'p95', p99_ms: 'p99', error_rate: 'err', samples: 'samples' };
const OP_TEXT: Record<string, string> = { '<=': '≤', '>=': '≥', '==': '=' };

/**
 * A gate, compact: the quorum as k of n, then per judge its verdict and every criterion as
 * value vs threshold with its mark ("✔p95 188≤250"). The tampered criterion shows only when
 * it fails.
 */
export function gateLines(gate: QuorumResult): string[] {
  const lines = [`quorum ${gate.required} of ${gate.total}: ${gate.passed} GO → ${gate.verdict}`];
  for (const j of gate.judges) {
    lines.push(`${CRITERION_MARK[j.verdict]} ${j.policy}: ${j.verdict}`);
    const chips = j.criteria
      .filter((c) => c.name !== 'tampered' || c.verdict !== 'GO')
      .map((c) => `${CRITERION_MARK[c.verdict]}${CRITERION_LABEL[c.name] ?? c.name} ${formatValue(c.value, c.name)}${OP_TEXT[c.op] ?? c.op}${formatValue(c.threshold, c.name)}`);
    lines.push(`  ${chips.join('  ')}`);
  }
  return lines;
}

function formatValue(v: number | boolean | null, name: string): string {
  if (v === null) return '—';
  if (typeof v === 'boolean') return String(v);
  if (name === 'error_rate') return `${+(v * 100).toPrecision(3)}%`;
  return Number.isInteger(v) ? String(v) : String(+v.toPrecision(4));
}

/** A named failure and its remedy on one line: `STOPPED — remedy: 1. … 2. …`. */
export function failureLine(f: { class: string; remedy: string[] }): string {
  const steps = f.remedy.length === 1 ? f.remedy[0] : f.remedy.map((r, i) => `${i + 1}. ${r}`).join(' ');
  return `${f.class} — remedy: ${steps}`;
}

/** One rollback trigger for the Gate panel: armed, failing for how long of its limit, or fired. */
export function triggerLine(t: { name: string; action: string; failingForMs: number }, state: { since?: number; fired?: boolean } | undefined, now: number): { text: string; tone: 'ok' | 'warn' | 'bad' } {
  if (state?.fired) return { text: `✘ ${t.name} FIRED → ${t.action}`, tone: 'bad' };
  if (state?.since !== undefined) {
    const limit = t.failingForMs > 0 ? ` of ${formatMinSec(t.failingForMs)}` : '';
    return { text: `⚠ ${t.name} failing ${formatMinSec(now - state.since)}${limit} → ${t.action}`, tone: 'warn' };
  }
  return { text: `✔ ${t.name} armed → ${t.action}`, tone: 'ok' };
}

function formatMinSec(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}
