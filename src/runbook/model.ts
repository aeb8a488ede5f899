// The runbook after parsing, validation and normalisation: what the engine and adapters see.
// Durations are milliseconds; targets are resolved to base URLs; defaults are filled in.
import type { CanaryCompareSpec, CanaryConfig } from '../engine/canary.js';
import type { Condition } from '../engine/conditions.js';
import type { SafetyPolicy } from '../engine/safety.js';
import type { CheckStatus, NotifyTrigger, Phase } from '../engine/types.js';
import type { ChecklistStep } from '../engine/checklist.js';
import type { RunbookChoice } from './choices.js';
import type { FailureClass } from '../engine/failure.js';
import type { Trigger } from '../engine/triggers.js';
import type { RunbookParam } from './params.js';
import type { RunbookKeySource } from './identity.js';

// The engine owns what it decides on; the runbook model is built of them.
export type { CheckStatus, Phase, ChecklistStep, FailureClass, Trigger, RunbookParam };
export { PHASES } from '../engine/types.js';

/** A value that may contain `${SECRET}` references, expanded only at the moment of use. */
export type Template = string;

export interface HttpExpect {
  /** Accepted status codes (default [200]). 304 is accepted as fresh when `etag` is on. */
  status: number[];
  /** Dot-path field → required value (deep-equal). */
  json: Record<string, unknown>;
  /** Dot-path field → accepted values. */
  jsonIn: Record<string, unknown[]>;
  /** Body must contain each of these substrings. */
  contains: string[];
  /** Dot-path field → numeric condition it must meet. */
  jsonWhere?: Record<string, Condition>;
  /** Latency above this is unhealthy. */
  maxLatencyMs?: number;
}

export interface HttpCheck {
  kind: 'http';
  name: string;
  title: string;
  target: string; // target name
  url: string; // resolved base URL + path
  method: string;
  headers: Record<string, Template>;
  body?: Template;
  timeoutMs: number;
  expect: HttpExpect;
  /** Send If-None-Match with the last ETag and accept 304 as fresh. */
  etag: boolean;
  /** Poll interval for live checks; undefined = runs only as a step. */
  everyMs?: number;
  maxBodyBytes: number;
}

export interface ScriptSpec {
  command: string; // resolved to an absolute path when it is relative (against the runbook folder)
  args: string[];
  cwd: string; // absolute
  env: Record<string, Template>;
  /** Environment variables passed through as they are, when set. */
  passEnv?: string[];
  /** An action's script: runs in the run's shell session when one is alive. */
  shell?: ShellName;
  timeoutMs: number;
  maxOutputBytes: number;
}

/** The shells a run's blocks may run in, one session each; `sh` is bash in POSIX mode. */
export const SHELL_NAMES = ['bash', 'sh', 'zsh'] as const;
export type ShellName = (typeof SHELL_NAMES)[number];

export interface ScriptCheck extends ScriptSpec {
  kind: 'script';
  name: string;
  title: string;
  /** exit code → status; codes not listed are `error`. */
  exitCodes: Record<number, CheckStatus>;
  /** When the status would be unhealthy and output matches this, the status is insufficient. */
  insufficientPattern?: string;
  everyMs?: number;
  /**
   * Runs in the run's one shell session (adapters/shell-session.ts), not a fresh process: the
   * block of `bash -c BLOCK` (else the command line), with what earlier blocks exported, their
   * working directory and functions.
   */
  shell?: ShellName;
  /**
   * With shell: a read-only check (polled, or waited on by the Gate). It runs in a fresh shell
   * of its own, seeded with what the run's shell held after its last block, and can never
   * change the run's shell.
   */
  readOnly?: boolean;
  /** Values the block needs (its step's placeholders): without one, it is not run. */
  needs?: string[];
}

/** Evidence judged against SLO policies, GO when at least `quorum` of the judges pass. */
export interface GateCheck {
  kind: 'gate';
  name: string;
  title: string;
  sloFiles: string[]; // absolute
  evidence: string; // absolute
  quorum: number; // k of sloFiles.length
  everyMs?: number;
}

export type Check = (HttpCheck | ScriptCheck | GateCheck) & { onFailure?: FailureClass[] };

export interface HttpActionSpec {
  target: string;
  url: string;
  method: string;
  headers: Record<string, Template>;
  body?: Template;
  timeoutMs: number;
  expectStatus: number[];
}

export interface Action {
  name: string; // abort | promote | rollback | custom
  title: string;
  key?: string;
  /** Text the operator must type to confirm (default: the action name). */
  confirm: string;
  dangerous: boolean;
  script?: ScriptSpec;
  http?: HttpActionSpec;
  /** Permission the operator needs (OPSCOCKPIT_ALLOW_SCOPES); default deploy:<name>. */
  scope: string;
  /** Type for the safety allowlist; default the action name. */
  type: string;
  /** What runs instead in MOCK_ONLY mode. */
  mock?: ScriptSpec;
  /** A forward action: needs a completed preflight with a GO verdict (default for promote). */
  needsPreflight: boolean;
  onFailure?: FailureClass[];
  /** Values its script needs (a Markdown rollback's `<REVISION>`): parameters of the run. */
  placeholders?: string[];
}

export interface Runbook {
  /** The absolute path of this copy: scripts run from it, messages name it. */
  file: string;
  /**
   * Which runbook this is on every machine (identity.ts): the declared id, else the git origin
   * and the path in the repository, else `file`. Runs, seats, watch and the lock are kept under it.
   */
  key: string;
  keyFrom: RunbookKeySource;
  dir: string;
  name: string;
  description?: string;
  targets: Record<string, string>;
  secrets: string[];
  checks: Record<string, Check>;
  checklists: Record<Phase, ChecklistStep[]>;
  /** Alternatives chosen once; the checklists hold the chosen options' steps only. */
  choices: RunbookChoice[];
  actions: Record<string, Action>;
  /** Release metadata recorded on each run (seed 000's release ledger). */
  release: {
    type?: string;
    branch?: string;
    commitSha?: string;
    backlogId?: string;
  };
  /** Canary analysis, when the runbook declares one. */
  canary?: CanarySpec;
  /** Rollback triggers: a live check failing for long enough runs an action. */
  triggers: Trigger[];
  /** Execution modes, real-enable windows, approvals and the allowlist (seed 003). */
  safety: SafetyPolicy;
  /** Who is told when a run fails, aborts, rolls back, promotes, or the emergency stop goes on. */
  notify?: NotifySpec;
  /** Parameters of the run, with the values it starts with (params.ts). */
  params: RunbookParam[];
  /** A Markdown runbook's front matter keys other than opscockpit: (title, weight, tags …), as written. */
  metadata?: Record<string, unknown>;
}

/** A Slack-compatible incoming webhook; its URL is read from `webhookEnv` (a secret) when sending. */
export interface NotifySpec {
  slack?: { webhookEnv: string; on: NotifyTrigger[]; timeoutMs: number; attempts: number };
}

/** Where a canary metric's value comes from. */
export type MetricSource =
  | { provider: 'prometheus'; url: string; query: string; timeoutMs: number }
  | { provider: 'http-json'; url: string; path: string; headers: Record<string, Template>; timeoutMs: number }
  | { provider: 'csv'; file: string; column: string; aggregate: 'last' | 'avg' | 'max' | 'min' | 'sum' | 'count' | 'rate'; where?: string }
  | { provider: 'script'; script: ScriptSpec; path: string };

/** Where one side of a compare metric gets its samples: every number of the window. */
export type SampleSource =
  | { provider: 'csv'; file: string; column: string }
  | { provider: 'http-json'; url: string; path: string; headers: Record<string, Template>; timeoutMs: number };

/** A metric read as one number per window and judged against conditions. */
export interface ValueCanaryMetric {
  name: string;
  source: MetricSource;
  success?: Condition;
  failure?: Condition;
  burst?: Condition;
  compare?: undefined;
}

/** A metric whose baseline and canary samples are compared each window (Mann-Whitney U). */
export interface CompareCanaryMetric {
  name: string;
  compare: CanaryCompareSpec & { baseline: SampleSource; canary: SampleSource };
  source?: undefined;
  success?: undefined;
  failure?: undefined;
  burst?: undefined;
}

export type CanaryMetric = ValueCanaryMetric | CompareCanaryMetric;

export interface CanarySpec extends CanaryConfig {
  metrics: CanaryMetric[];
}
