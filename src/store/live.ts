// Which live check results the operator would see differently. A check polled every second
// mostly answers what it answered before; the store then keeps the result it has, so neither
// the store nor the screen changes, and a cockpit left open draws nothing until something does.
import type { CheckResult } from '../engine/types.js';

/** How long a result took, as the Ready panel shows it: the answer's latency, else the run's. */
export function shownLatency(r: CheckResult): number {
  return r.latencyMs ?? r.durationMs;
}

/** The latency steps the Ready panel shows: under each bound, then at least the last one. */
export const LATENCY_STEPS: readonly { below: number; text: string }[] = [
  { below: 50, text: '<50 ms' },
  { below: 100, text: '<100 ms' },
  { below: 200, text: '<200 ms' },
  { below: 500, text: '<500 ms' },
  { below: 1000, text: '<1 s' },
  { below: 2000, text: '<2 s' },
  { below: 5000, text: '<5 s' },
  { below: Infinity, text: '≥5 s' },
];

/** The step of a latency; a result without one (NaN) is in the last. */
function latencyStep(ms: number): number {
  const i = LATENCY_STEPS.findIndex((s) => ms < s.below);
  return i === -1 ? LATENCY_STEPS.length - 1 : i;
}

/**
 * A latency keeps the step shown until it is this far past one of its bounds, so a target
 * that answers in 45 to 55 ms does not flip between two steps on every poll.
 */
const LATENCY_HYSTERESIS = 0.2;

function latencyMoved(shown: number, next: number): boolean {
  if (!Number.isFinite(shown) || !Number.isFinite(next)) return Number.isFinite(shown) !== Number.isFinite(next);
  const i = latencyStep(shown);
  const low = i === 0 ? 0 : LATENCY_STEPS[i - 1].below;
  return next < low * (1 - LATENCY_HYSTERESIS) || next >= LATENCY_STEPS[i].below * (1 + LATENCY_HYSTERESIS);
}

/** How the Ready panel shows a latency: the step it is in. */
export function latencyText(ms: number | undefined): string {
  return ms === undefined || !Number.isFinite(ms) ? '—' : LATENCY_STEPS[latencyStep(ms)].text;
}

/** JSON values (a gate's quorum, a failure class, evidence), compared by content. */
function sameValue(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Whether `next` shows the operator nothing new beside `prev`: same status and reason class,
 * the same reason when it is shown (a healthy check's reason only repeats its status and
 * latency: a 304 after a 200 from an ETag check is the same healthy check), the same exit,
 * gate, failure and evidence, a latency in the same step.
 */
export function sameToOperator(prev: CheckResult | undefined, next: CheckResult): boolean {
  if (!prev) return false;
  if (prev.status !== next.status || prev.code !== next.code) return false;
  if (next.status !== 'healthy' && prev.reason !== next.reason) return false;
  if (prev.exitCode !== next.exitCode || prev.signal !== next.signal) return false;
  if (!sameValue(prev.gate, next.gate) || !sameValue(prev.failure, next.failure) || !sameValue(prev.evidence, next.evidence)) return false;
  return !latencyMoved(shownLatency(prev), shownLatency(next));
}
