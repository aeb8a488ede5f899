// GO / NO-GO / INSUFFICIENT for a phase, from the latest result of each blocking check.
import type { ChecklistState } from './checklist.js';
import type { CheckIdentity, CheckResult, GateVerdict, Phase } from './types.js';

/**
 * The checks a phase's verdict depends on: those behind its blocking automatic steps. A
 * phase without any (say, a postflight of manual steps) is judged by every phase's, so the
 * verdict never turns GO just because the walk moved on.
 */
export function gatingChecks(state: ChecklistState, phase: Phase): string[] {
  const of = (steps: ChecklistState['phases'][Phase]['steps']) => steps.filter((s) => s.blocking && s.check).map((s) => s.check!);
  const names = of(state.phases[phase].steps);
  return [...new Set(names.length ? names : Object.values(state.phases).flatMap((p) => of(p.steps)))];
}

export function computeVerdict(
  phase: Phase,
  checkNames: readonly string[],
  checks: Readonly<Record<string, CheckIdentity>>,
  latest: Readonly<Record<string, CheckResult | undefined>>,
): GateVerdict {
  const noGo: string[] = [];
  const insufficient: string[] = [];
  for (const name of checkNames) {
    const title = checks[name]?.title ?? name;
    const r = latest[name];
    if (!r) insufficient.push(`${title}: no result yet`);
    else if (r.status === 'insufficient') insufficient.push(`${title}: ${r.reason}`);
    else if (r.status !== 'healthy') noGo.push(`${title}: ${r.reason}`);
  }
  if (noGo.length) return { verdict: 'NO-GO', phase, reasons: [...noGo, ...insufficient] };
  if (insufficient.length) return { verdict: 'INSUFFICIENT', phase, reasons: insufficient };
  return { verdict: 'GO', phase, reasons: [] };
}

export function sameVerdict(a: GateVerdict | undefined, b: GateVerdict): boolean {
  return !!a && a.verdict === b.verdict && a.phase === b.phase && a.reasons.join('\n') === b.reasons.join('\n');
}

/** Whether a new result changes what the operator should know (state or reason class). */
export function resultChanged(prev: CheckResult | undefined, next: CheckResult): boolean {
  return !prev || prev.status !== next.status || prev.code !== next.code;
}
