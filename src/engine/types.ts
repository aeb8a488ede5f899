import type { CanaryDecisionKind, CanaryWindowRecord, QuorumResult } from './gate-types.js';

export type CheckStatus = 'healthy' | 'unhealthy' | 'insufficient' | 'error';

/** A checklist's phases, in the order they are walked. */
export type Phase = 'preflight' | 'postflight';
export const PHASES: readonly Phase[] = ['preflight', 'postflight'];

/** What the engine knows of a check: its name, title and poll interval (the runbook model has the rest). */
export interface CheckIdentity {
  name: string;
  title: string;
  everyMs?: number;
}

/** Why a check failed, as a stable code plus words for the operator. */
export type ReasonCode =
  | 'ok'
  | 'refused'
  | 'timeout'
  | 'dns'
  | 'tls'
  | 'network'
  | 'invalid_json'
  | 'status'
  | 'json_mismatch'
  | 'body_mismatch'
  | 'latency'
  | 'body_too_large'
  | 'exit_code'
  | 'signal'
  | 'spawn_failed'
  | 'insufficient_data'
  | 'secret_missing'
  | 'needs_value'
  | 'slo'
  | 'evidence_tampered'
  | 'gate_input'
  /** A step's block ran in a cockpit whose process went away before recording its result. */
  | 'outcome_unknown';

export interface CheckResult {
  check: string;
  status: CheckStatus;
  code: ReasonCode;
  /** One line for the operator: what failed and where. Never contains secret values. */
  reason: string;
  startedAt: number; // epoch ms
  durationMs: number;
  httpStatus?: number;
  latencyMs?: number;
  /** True when an ETag revalidation answered 304. */
  fresh?: boolean;
  exitCode?: number;
  signal?: string;
  /** Tail of captured output (script) or of the body (http), capped. */
  output?: string;
  /** For gate checks: every judge with every criterion, and the quorum. */
  gate?: QuorumResult;
  /** The runbook's name for this failure and what to do about it (onFailure:). */
  failure?: { class: string; remedy: string[] };
  /** For gate checks: the evidence judged, by path and content hash. */
  evidence?: { path: string; sha256: string | null; tampered: boolean };
}

export interface ScriptOutcome {
  exitCode?: number;
  signal?: string;
  timedOut: boolean;
  spawnError?: string;
  stdout: string; // tail, capped
  stderr: string; // tail, capped
  truncated: boolean;
  durationMs: number;
}

export type Verdict = 'GO' | 'NO-GO' | 'INSUFFICIENT';

export interface GateVerdict {
  verdict: Verdict;
  phase: Phase;
  reasons: string[];
  /** Each reason by class (`check: status code`), what sameVerdict compares. */
  classes?: string[];
}

export type StepState = 'pending' | 'running' | 'passed' | 'failed' | 'confirmed' | 'skipped';

export type ActionStatus = 'succeeded' | 'failed' | 'unknown' | 'dry-run';

/**
 * Everything that happens in a run is one of these events; the ledger stores them in order
 * and the store is a projection of them (see src/store/project.ts).
 */
export type EventBody =
  /** `runbook`: the key the run is kept under (older ledgers: the file's path); `file`: the driver's copy, when the key is not its path. */
  /** `unknown`: actions whose last outcome in the runbook's run before this one was unknown (carried on). */
  | { kind: 'run.started'; runbook: string; name: string; file?: string; unknown?: string[] }
  /**
   * `lapsed`: the run was resumed from a driver that went silent (no heartbeat for the lapse
   * time) and may still be alive (suspended, on another host): who, and its last heartbeat.
   */
  | { kind: 'run.resumed'; lapsed?: { driver: string; since: number } }
  /** Who drives the run changed hands: `from` (absent: nobody held it) to `to`, and why. */
  | { kind: 'run.driver'; from?: string; to: string; reason: string }
  /** The parameters the run goes on with (after run.started or run.resumed); secret ones are ***. */
  | { kind: 'run.params'; params: Record<string, string> }
  /** The option of each of the runbook's choices the run walks (recorded beside run.params). */
  | { kind: 'run.choices'; choices: Record<string, string> }
  | { kind: 'run.completed'; status: 'succeeded' | 'failed' | 'aborted' | 'rolled_back' }
  | { kind: 'phase.started'; phase: Phase }
  | { kind: 'step.started'; phase: Phase; step: string }
  | { kind: 'step.result'; phase: Phase; step: string; result: CheckResult }
  | { kind: 'step.confirmed'; phase: Phase; step: string; note?: string }
  | { kind: 'step.skipped'; phase: Phase; step: string; reason: string }
  | { kind: 'step.retried'; phase: Phase; step: string }
  | { kind: 'step.note'; phase: Phase; step: string; note: string }
  | { kind: 'check.changed'; check: string; result: CheckResult }
  | { kind: 'verdict.changed'; verdict: Verdict; phase: Phase; reasons: string[] }
  | { kind: 'action.requested'; action: string; confirmedWith: string; mode?: 'MOCK_ONLY' | 'DRY_RUN' | 'REAL_ENABLED'; window?: string }
  | { kind: 'action.completed'; action: string; status: ActionStatus; exitCode?: number; signal?: string; reason: string; output: string; durationMs: number; failure?: { class: string; remedy: string[] } }
  | { kind: 'evidence.recorded'; path: string; sha256: string; version: number; state: 'WIP' | 'LOCKED'; samples: number }
  | { kind: 'evidence.tampered'; path: string; expected: string; actual: string | null }
  | { kind: 'gate.judged'; gate: string; result: QuorumResult; evidence?: { path: string; sha256: string } }
  | { kind: 'canary.window'; window: CanaryWindowRecord }
  | { kind: 'canary.decision'; decision: CanaryDecisionKind; step: string; reason: string; deadline?: number; windows?: number[] }
  | { kind: 'control.mode'; mode: 'MOCK_ONLY' | 'DRY_RUN' | 'REAL_ENABLED'; reason: string }
  | { kind: 'control.stop'; on: boolean; reason: string }
  | { kind: 'control.window'; id: string; ttlMs: number; expiresAt: number }
  | { kind: 'control.approval'; window: string }
  | { kind: 'control.consumed'; window: string; action: string; runId: string }
  /** A control change refused; relaxing one without its scope names SCOPE_MISSING and the remedy. */
  | { kind: 'control.refused'; what: string; reason: string; failure?: string; remedy?: string }
  /** A rollback succeeded in runId: the runbook (its file) takes no new forward work until unlocked. */
  | { kind: 'control.lock'; runbook: string; runId: string; action: string }
  | { kind: 'control.unlock'; runbook: string; reason: string }
  | { kind: 'action.refused'; action: string; failure: string; reason: string; remedy: string }
  | { kind: 'stage.changed'; from: string; to: string }
  | { kind: 'stage.fallback'; problem: string; detail: string }
  | { kind: 'trigger.fired'; trigger: string; check: string; reason: string; action: string; auto: boolean }
  // An automatic action that waited for another one to finish and then did not run (why: who decided it).
  | { kind: 'action.skipped'; action: string; why: string; reason: string }
  /** Quit or SIGINT/SIGTERM while the action ran: its process group is killed, its outcome follows. */
  | { kind: 'action.cancelled'; action: string; reason: string }
  | { kind: 'fault.injected'; route: string; status: number }
  | { kind: 'fault.cleared' }
  /** The run's shell (one per run): `note` says why exports, cd and functions of earlier steps are gone. */
  | { kind: 'shell.started'; shell: string; pid: number; note?: string }
  // A webhook notification about event #about of the same run (runbook notify:), after its last attempt.
  | { kind: 'notify.sent'; channel: NotifyChannel; trigger: NotifyTrigger; about: number; attempts: number; httpStatus: number; errors: string[] }
  | { kind: 'notify.failed'; channel: NotifyChannel; trigger: NotifyTrigger; about: number; attempts: number; reason: string; errors: string[] };

/** What a runbook may ask to be told about (notify.slack.on). */
export type NotifyTrigger = 'failed' | 'aborted' | 'rolled_back' | 'promoted' | 'emergency_stop';
export const NOTIFY_TRIGGERS: readonly NotifyTrigger[] = ['failed', 'aborted', 'rolled_back', 'promoted', 'emergency_stop'];
export type NotifyChannel = 'slack';

export type EventKind = EventBody['kind'];

export interface LedgerEvent {
  runId: string;
  seq: number;
  at: number; // epoch ms
  operator: string;
  body: EventBody;
}
