// Shapes shared by evidence, SLO judges, quorum gates and canary analysis. Pure data.
import type { Verdict } from './types.js';

/** Exact nearest-rank percentiles and error rate over a set of request samples. */
export interface EvidenceStats {
  samples: number;
  p50_ms: number | null;
  p90_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
  error_rate: number | null; // fraction 0..1; null when samples = 0
  min_ts?: number | null; // epoch ms
  max_ts?: number | null;
}

export interface EvidenceWindow extends EvidenceStats {
  start: number; // epoch ms, inclusive
  end: number; // epoch ms, exclusive
}

export interface EvidenceDoc {
  schema: 'opscockpit.evidence/v1';
  kind: string; // reqlog | judgelog | merged
  source?: string;
  window_ms?: number;
  overall: EvidenceStats;
  windows: EvidenceWindow[];
  /** Per route, when the log has a route column. */
  routes?: Record<string, EvidenceStats>;
  state?: 'WIP' | 'LOCKED';
  version?: number;
}

export interface SloPolicy {
  name: string;
  p95_ms_max?: number;
  p99_ms_max?: number;
  error_rate_max?: number; // fraction
  min_samples?: number;
  route?: string;
  file?: string;
}

export interface CriterionResult {
  name: string; // p95_ms | p99_ms | error_rate | samples | tampered
  value: number | boolean | null;
  threshold: number | boolean;
  op: '<=' | '>=' | '==';
  verdict: Verdict;
}

export interface JudgeResult {
  policy: string;
  verdict: Verdict;
  criteria: CriterionResult[];
  reasons: string[];
}

export interface QuorumResult {
  verdict: Verdict;
  required: number; // k
  total: number; // n
  passed: number;
  judges: JudgeResult[];
  reasons: string[];
}

export type WindowVerdict = 'PASS' | 'FAIL' | 'INCONCLUSIVE' | 'ERROR';

export interface CanaryWindowRecord {
  step: string;
  index: number; // window number within the step, from 1
  startedAt: number;
  endedAt: number;
  verdict: WindowVerdict;
  burst: boolean;
  reasons: string[];
  values: Record<string, number | null>;
}

export type CanaryDecisionKind = 'started' | 'step-promoted' | 'promote' | 'abort' | 'ask' | 'operator-continue' | 'operator-abort' | 'deadline-default';
