// SLO judges and the quorum gate (seed 001: `judge quorum --slo … --evidence … --quorum 2/3`).
// Pure: a policy and an evidence document in, a verdict with reasons out. Too few samples is
// never a pass: it is INSUFFICIENT, unless a criterion already fails (NO-GO wins).
import type { CriterionResult, EvidenceDoc, EvidenceStats, JudgeResult, QuorumResult, SloPolicy } from './gate-types.js';
import type { Verdict } from './types.js';

export interface JudgeOptions {
  /**
   * Whether the evidence no longer matches the hash the ledger recorded for it. Undefined
   * when nobody checked (no ledger): then there is no `tampered` criterion at all.
   */
  tampered?: boolean;
}

type Metric = 'p95_ms' | 'p99_ms' | 'error_rate';

const METRICS: { name: Metric; limit: 'p95_ms_max' | 'p99_ms_max' | 'error_rate_max'; label: string }[] = [
  { name: 'p95_ms', limit: 'p95_ms_max', label: 'p95' },
  { name: 'p99_ms', limit: 'p99_ms_max', label: 'p99' },
  { name: 'error_rate', limit: 'error_rate_max', label: 'error rate' },
];

export function judge(policy: SloPolicy, evidence: EvidenceDoc, opts: JudgeOptions = {}): JudgeResult {
  const criteria: CriterionResult[] = [];
  const reasons: string[] = [];
  const stats: EvidenceStats | undefined = policy.route === undefined ? evidence.overall : evidence.routes?.[policy.route];
  const samples = stats?.samples ?? 0;
  // Zero samples never pass, whatever min_samples says.
  const minSamples = Math.max(1, policy.min_samples ?? 1);

  const enough = samples >= minSamples;
  criteria.push({ name: 'samples', value: samples, threshold: minSamples, op: '>=', verdict: enough ? 'GO' : 'INSUFFICIENT' });
  if (!stats) reasons.push(`no samples for route ${policy.route}`);
  else if (samples === 0) reasons.push(policy.route === undefined ? 'no samples' : `no samples for route ${policy.route}`);
  else if (!enough) reasons.push(`samples ${samples} < ${minSamples} required`);

  for (const m of METRICS) {
    const limit = policy[m.limit];
    if (limit === undefined) continue;
    const value = stats?.[m.name] ?? null;
    if (value === null) {
      criteria.push({ name: m.name, value: null, threshold: limit, op: '<=', verdict: 'INSUFFICIENT' });
      // With no samples the missing value is already explained.
      if (samples > 0) reasons.push(`${m.label} missing from the evidence`);
      continue;
    }
    const ok = value <= limit;
    criteria.push({ name: m.name, value, threshold: limit, op: '<=', verdict: ok ? 'GO' : 'NO-GO' });
    if (!ok) reasons.push(`${m.label} ${formatMetric(m.name, value)} > ${formatMetric(m.name, limit)}`);
  }

  if (opts.tampered !== undefined) {
    criteria.push({ name: 'tampered', value: opts.tampered, threshold: false, op: '==', verdict: opts.tampered ? 'NO-GO' : 'GO' });
    if (opts.tampered) reasons.push('evidence tampered');
  }

  return { policy: policy.name, verdict: worst(criteria.map((c) => c.verdict)), criteria, reasons };
}

/** NO-GO if anything fails, else INSUFFICIENT if anything lacks data, else GO. */
function worst(verdicts: Verdict[]): Verdict {
  if (verdicts.includes('NO-GO')) return 'NO-GO';
  if (verdicts.includes('INSUFFICIENT')) return 'INSUFFICIENT';
  return 'GO';
}

/**
 * k of n judges must say GO. NO-GO only once the quorum can no longer be reached even if
 * every INSUFFICIENT judge later said GO (passed + insufficient < k); otherwise, short of k
 * passes, more data could still decide it: INSUFFICIENT.
 */
export function quorum(results: JudgeResult[], k: number, n: number = results.length): QuorumResult {
  checkQuorum(k, n, results.length);
  const passed = count(results, 'GO');
  const insufficient = count(results, 'INSUFFICIENT');
  const failed = count(results, 'NO-GO');
  const tally = `${passed} of ${n} judge${n === 1 ? '' : 's'} GO, ${k} required`;
  let verdict: Verdict;
  const reasons: string[] = [];
  if (passed >= k) {
    verdict = 'GO';
    reasons.push(tally);
  } else if (passed + insufficient < k) {
    verdict = 'NO-GO';
    reasons.push(`${tally}: ${failed} NO-GO, the quorum can no longer be reached`);
  } else {
    verdict = 'INSUFFICIENT';
    reasons.push(`${tally}: ${insufficient} without enough data could still decide it`);
  }
  for (const r of results) {
    if (r.verdict === 'GO') continue;
    for (const why of r.reasons.length ? r.reasons : [r.verdict]) reasons.push(`${r.policy}: ${why}`);
  }
  return { verdict, required: k, total: n, passed, judges: results, reasons };
}

function count(results: JudgeResult[], verdict: Verdict): number {
  return results.filter((r) => r.verdict === verdict).length;
}

/** A quorum spec that cannot work: the message is meant for the operator as is. */
export class QuorumError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QuorumError';
  }
}

function checkQuorum(k: number, n: number, judges: number): void {
  if (!Number.isInteger(k) || k < 1) throw new QuorumError(`a quorum needs at least 1 judge to pass, not ${k}`);
  if (!Number.isInteger(n) || k > n) throw new QuorumError(`quorum ${k}/${n} asks more judges to pass than there are: K must not exceed N`);
  if (n !== judges)
    throw new QuorumError(`quorum ${k}/${n} needs ${n} judges (one SLO policy each), ${judges} given`);
}

/** `"2/3"` → { k: 2, n: 3 }; with `judges`, n must be that number of judges. */
export function parseQuorum(text: string, judges?: number): { k: number; n: number } {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new QuorumError(`quorum must look like K/N (K of N judges must pass), e.g. 2/3, not "${text}"`);
  const k = Number(m[1]);
  const n = Number(m[2]);
  checkQuorum(k, n, judges ?? n);
  return { k, n };
}

/** `412 ms`, `0.4%`: how a metric value is shown to the operator. */
export function formatMetric(name: string, value: number | boolean | null): string {
  if (value === null) return 'no data';
  if (typeof value === 'boolean') return String(value);
  if (name === 'error_rate') return `${formatNumber(value * 100)}%`;
  if (name.endsWith('_ms')) return `${formatNumber(value)} ms`;
  return formatNumber(value);
}

/** Integers as they are; fractions without floating-point noise (0.1 * 3 → 0.3). */
export function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(6)));
}
