// Canary analysis as a pure state machine. Each window's metric readings become a verdict
// (PASS / FAIL / INCONCLUSIVE / ERROR); the rules turn verdicts into decisions: promote a step
// after N consecutive passes, abort at once on a burst or when a limit is exceeded, ask the
// operator on repeated inconclusive windows with a deadline after which the default is taken.
// Provider errors are counted apart from failing metrics (a down metrics backend is not a
// bad canary), which is what keeps false rollbacks away.
//
// A compare metric (Kayenta's approach) reads no single value: each window brings a sample of
// the baseline and one of the canary, and the Mann-Whitney judge says whether the canary is
// worse. The statistics run here, so a window's verdict depends on nothing but its inputs.
import type { CanaryDecisionKind, CanaryWindowRecord, WindowVerdict } from './gate-types.js';
import type { EventBody } from './types.js';
import { holds, type Condition } from './conditions.js';
import { formatEffect, formatJudgeNumber, formatPValue, mannWhitney, significanceLevel, type MannWhitneyDirection } from './mannwhitney.js';

/** How a compare metric's two samples are judged (see mannwhitney.ts); all filled in. */
export interface CanaryCompareSpec {
  direction: MannWhitneyDirection;
  confidence: number;
  effectSize: number;
  minSamples: number;
}

export interface CanaryMetricSpec {
  name: string;
  success?: Condition;
  failure?: Condition;
  burst?: Condition;
  /** Judge baseline against canary samples instead of one value against conditions. */
  compare?: CanaryCompareSpec;
}

export interface CanaryStepSpec {
  name: string;
  weight?: number;
  /** Windows this step may take before the operator has to decide. */
  windows: number;
}

export interface CanaryRules {
  consecutiveSuccesses: number;
  failureLimit: number;
  consecutiveErrorLimit: number;
  inconclusiveLimit: number;
}

export interface CanaryConfig {
  intervalMs: number;
  steps: CanaryStepSpec[];
  metrics: CanaryMetricSpec[];
  rules: CanaryRules;
  decisionDeadlineMs: number;
  defaultDecision: 'abort' | 'continue';
  promoteAction: string;
  abortAction: string;
  /** Action that starts the canary (shadow / mirror traffic), run before the first window. */
  startAction?: string;
}

/** One window's samples of a compare metric, a set per side. */
export interface ComparedSamples {
  baseline: readonly number[];
  canary: readonly number[];
}

export type MetricReading =
  | { ok: true; value: number | null }
  | { ok: true; samples: ComparedSamples }
  | { ok: false; reason: string };

export type CanaryStatus = 'idle' | 'running' | 'awaiting-decision' | 'promoted' | 'aborted';

export interface CanaryState {
  status: CanaryStatus;
  stepIndex: number;
  windowsInStep: number;
  consecutivePasses: number;
  failures: number;
  consecutiveErrors: number;
  inconclusives: number;
  deadline?: number;
  /** Why the canary stopped or waits. */
  reason?: string;
  windows: CanaryWindowRecord[];
}

export interface CanaryDecision {
  decision: CanaryDecisionKind;
  step: string;
  reason: string;
  deadline?: number;
  /** The action this decision runs, when it runs one. */
  action?: string;
}

export interface Transition {
  state: CanaryState;
  decisions: CanaryDecision[];
}

export function initialCanary(): CanaryState {
  return { status: 'idle', stepIndex: 0, windowsInStep: 0, consecutivePasses: 0, failures: 0, consecutiveErrors: 0, inconclusives: 0, windows: [] };
}

const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toPrecision(3));

/** One window's verdict from its readings. */
export function evaluateWindow(
  cfg: Pick<CanaryConfig, 'metrics'>,
  step: string,
  index: number,
  startedAt: number,
  endedAt: number,
  readings: Record<string, MetricReading>,
): CanaryWindowRecord {
  const reasons: string[] = [];
  const values: Record<string, number | null> = {};
  let fail = false;
  let error = false;
  let inconclusive = false;
  let burst = false;
  for (const m of cfg.metrics) {
    const r = readings[m.name] ?? { ok: false, reason: 'no reading' };
    if (!r.ok) {
      values[m.name] = null;
      error = true;
      reasons.push(`${m.name}: provider error — ${r.reason}`);
      continue;
    }
    if (m.compare) {
      const judged = judgeSamples(m.name, m.compare, r);
      Object.assign(values, judged.values);
      if (judged.reason) reasons.push(judged.reason);
      if (judged.verdict === 'FAIL') fail = true;
      else if (judged.verdict === 'ERROR') error = true;
      else if (judged.verdict === 'INCONCLUSIVE') inconclusive = true;
      continue;
    }
    if (!('value' in r)) {
      values[m.name] = null;
      error = true;
      reasons.push(`${m.name}: provider error — got baseline and canary samples for a metric that reads one value`);
      continue;
    }
    values[m.name] = r.value;
    if (r.value === null) {
      inconclusive = true;
      reasons.push(`${m.name}: no data`);
      continue;
    }
    const v = r.value;
    if (m.burst && holds(m.burst, v)) {
      burst = true;
      fail = true;
      reasons.push(`${m.name} ${fmt(v)} is a burst (${m.burst.text})`);
    } else if (m.failure && holds(m.failure, v)) {
      fail = true;
      reasons.push(`${m.name} ${fmt(v)} fails (${m.failure.text})`);
    } else if (m.success && !holds(m.success, v)) {
      // With a failure condition too, the gap between them is inconclusive; alone, missing
      // success is a failure.
      if (m.failure) {
        inconclusive = true;
        reasons.push(`${m.name} ${fmt(v)} neither passes (${m.success.text}) nor fails (${m.failure.text})`);
      } else {
        fail = true;
        reasons.push(`${m.name} ${fmt(v)} misses ${m.success.text}`);
      }
    }
  }
  const verdict: WindowVerdict = fail ? 'FAIL' : error ? 'ERROR' : inconclusive ? 'INCONCLUSIVE' : 'PASS';
  return { step, index, startedAt, endedAt, verdict, burst, reasons, values };
}

interface JudgedSamples {
  verdict: WindowVerdict;
  reason?: string;
  /** The p-value under the metric's name (null without one) and the relative change of the medians. */
  values: Record<string, number | null>;
}

/** A compare metric's window: the judge's FAIL fails it, NODATA is inconclusive, PASS passes. */
function judgeSamples(name: string, spec: CanaryCompareSpec, r: Extract<MetricReading, { ok: true }>): JudgedSamples {
  if (!('samples' in r)) {
    return { verdict: 'ERROR', values: { [name]: null }, reason: `${name}: provider error — got one value, expected baseline and canary samples` };
  }
  let judged: ReturnType<typeof mannWhitney>;
  try {
    judged = mannWhitney(r.samples.baseline, r.samples.canary, spec);
  } catch (err) {
    // Only a bad confidence or effect size throws; the runbook schema keeps them out.
    return { verdict: 'ERROR', values: { [name]: null }, reason: `${name}: ${err instanceof Error ? err.message : String(err)}` };
  }
  const values = { [name]: judged.verdict === 'NODATA' ? null : judged.pValue, [`${name}.effect`]: Number.isFinite(judged.effect) ? judged.effect : null };
  if (judged.verdict === 'NODATA') {
    const need = Math.max(1, spec.minSamples);
    const short = (['baseline', 'canary'] as const)
      .map((side) => ({ side, n: r.samples[side].filter(Number.isFinite).length }))
      .filter((s) => s.n < need)
      .map((s) => `${s.n} ${s.side} sample${s.n === 1 ? '' : 's'}`);
    return { verdict: 'INCONCLUSIVE', values, reason: `${name}: no data: ${short.join(' and ')} < ${need}` };
  }
  if (judged.verdict === 'PASS') return { verdict: 'PASS', values };
  const num = formatJudgeNumber;
  return {
    verdict: 'FAIL',
    values,
    reason:
      `${name}: canary median ${num(judged.canaryMedian)} vs baseline ${num(judged.baselineMedian)} (${formatEffect(judged.effect)}), ` +
      `p=${formatPValue(judged.pValue)} < ${num(significanceLevel(spec.confidence))}`,
  };
}

function stepName(cfg: CanaryConfig, s: CanaryState): string {
  return cfg.steps[Math.min(s.stepIndex, cfg.steps.length - 1)]?.name ?? 'canary';
}

export function startCanary(cfg: CanaryConfig, state: CanaryState): Transition {
  if (state.status !== 'idle') return { state, decisions: [] };
  const next: CanaryState = { ...initialCanary(), status: 'running' };
  return { state: next, decisions: [{ decision: 'started', step: stepName(cfg, next), reason: `canary started at ${stepName(cfg, next)}` }] };
}

function abort(cfg: CanaryConfig, s: CanaryState, reason: string, kind: CanaryDecisionKind = 'abort'): Transition {
  const state: CanaryState = { ...s, status: 'aborted', reason, deadline: undefined };
  return { state, decisions: [{ decision: kind, step: stepName(cfg, s), reason, action: cfg.abortAction }] };
}

function ask(cfg: CanaryConfig, s: CanaryState, reason: string, now: number): Transition {
  const deadline = now + cfg.decisionDeadlineMs;
  const state: CanaryState = { ...s, status: 'awaiting-decision', reason, deadline };
  return { state, decisions: [{ decision: 'ask', step: stepName(cfg, s), reason, deadline }] };
}

export function applyWindow(cfg: CanaryConfig, state: CanaryState, w: CanaryWindowRecord, now: number): Transition {
  if (state.status !== 'running') return { state, decisions: [] };
  const r = cfg.rules;
  const s: CanaryState = { ...state, windows: [...state.windows, w], windowsInStep: state.windowsInStep + 1 };
  const step = cfg.steps[s.stepIndex];
  if (w.burst) return abort(cfg, s, `burst in window ${w.index} of ${step.name}: ${w.reasons[0] ?? ''}`);
  switch (w.verdict) {
    case 'FAIL':
      s.consecutivePasses = 0;
      s.consecutiveErrors = 0;
      s.failures += 1;
      if (s.failures > r.failureLimit) return abort(cfg, s, `${s.failures} failing window(s), limit ${r.failureLimit}: ${w.reasons[0] ?? ''}`);
      break;
    case 'ERROR':
      s.consecutiveErrors += 1;
      if (s.consecutiveErrors > r.consecutiveErrorLimit)
        return abort(cfg, s, `${s.consecutiveErrors} consecutive provider errors, limit ${r.consecutiveErrorLimit}: ${w.reasons[0] ?? ''}`);
      break;
    case 'INCONCLUSIVE':
      s.consecutivePasses = 0;
      s.consecutiveErrors = 0;
      s.inconclusives += 1;
      if (s.inconclusives > r.inconclusiveLimit) return ask(cfg, s, `${s.inconclusives} inconclusive windows at ${step.name}: ${w.reasons[0] ?? ''}`, now);
      break;
    case 'PASS':
      s.consecutivePasses += 1;
      s.consecutiveErrors = 0;
      if (s.consecutivePasses >= r.consecutiveSuccesses) return promoteStep(cfg, s);
      break;
  }
  if (s.windowsInStep >= step.windows) return ask(cfg, s, `${step.name} used its ${step.windows} windows without ${r.consecutiveSuccesses} consecutive passes`, now);
  return { state: s, decisions: [] };
}

function promoteStep(cfg: CanaryConfig, s: CanaryState): Transition {
  const from = cfg.steps[s.stepIndex];
  const reason = `${s.consecutivePasses} consecutive passing windows with burst 0 at ${from.name}`;
  if (s.stepIndex + 1 >= cfg.steps.length) {
    const state: CanaryState = { ...s, status: 'promoted', reason };
    return { state, decisions: [{ decision: 'promote', step: from.name, reason, action: cfg.promoteAction }] };
  }
  const state: CanaryState = { ...s, stepIndex: s.stepIndex + 1, windowsInStep: 0, consecutivePasses: 0, inconclusives: 0, consecutiveErrors: 0 };
  return { state, decisions: [{ decision: 'step-promoted', step: from.name, reason: `${reason}; next: ${cfg.steps[state.stepIndex].name}` }] };
}

/** The operator answers the inconclusive prompt. */
export function applyOperator(cfg: CanaryConfig, state: CanaryState, choice: 'continue' | 'abort'): Transition {
  if (state.status !== 'awaiting-decision') return { state, decisions: [] };
  if (choice === 'abort') return abort(cfg, state, 'operator chose abort on an inconclusive canary', 'operator-abort');
  const s: CanaryState = { ...state, status: 'running', deadline: undefined, inconclusives: 0, windowsInStep: 0, reason: undefined };
  return { state: s, decisions: [{ decision: 'operator-continue', step: stepName(cfg, s), reason: 'operator chose to continue the canary' }] };
}

/** Nobody answered in time: the default decision is taken. */
export function applyDeadline(cfg: CanaryConfig, state: CanaryState, now: number): Transition {
  if (state.status !== 'awaiting-decision' || state.deadline === undefined || now < state.deadline) return { state, decisions: [] };
  const reason = `no decision within ${Math.round(cfg.decisionDeadlineMs / 1000)} s; default is ${cfg.defaultDecision}`;
  if (cfg.defaultDecision === 'abort') return abort(cfg, state, reason, 'deadline-default');
  const t = applyOperator(cfg, state, 'continue');
  return { state: t.state, decisions: [{ decision: 'deadline-default', step: stepName(cfg, state), reason }] };
}

/**
 * Advance the state by one recorded event. Windows and the operator's and the deadline's
 * decisions are the inputs; every other decision follows from them again.
 */
export function applyCanaryEvent(cfg: CanaryConfig, s: CanaryState, e: EventBody): CanaryState {
  if (e.kind === 'canary.window') return applyWindow(cfg, s, e.window, e.window.endedAt).state;
  if (e.kind !== 'canary.decision') return s;
  switch (e.decision) {
    case 'started':
      return startCanary(cfg, s).state;
    case 'operator-continue':
      return applyOperator(cfg, s, 'continue').state;
    case 'operator-abort':
      return applyOperator(cfg, s, 'abort').state;
    case 'deadline-default':
      return s.deadline === undefined ? s : applyDeadline(cfg, s, s.deadline).state;
    default:
      return s;
  }
}

/** Rebuild the state from recorded events, so a restarted cockpit resumes the analysis. */
export function replayCanary(cfg: CanaryConfig, events: Iterable<EventBody>): CanaryState {
  let s = initialCanary();
  for (const e of events) s = applyCanaryEvent(cfg, s, e);
  return s;
}
