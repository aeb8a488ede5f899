// Zod schemas for runbook format v1 as written in YAML (before normalisation). Every object
// is strict: an unknown field is an error, so typos are caught. Defaults are applied by
// normalize.ts, not here, so the JSON Schema describes exactly what an author may write.
// Cross-references (check names, targets, secrets, step ids, keys) are checked in crossref.ts.
import * as z from 'zod';
import { CONDITION_PATTERN, Name, Duration, Bytes, scriptFields, Title, StatusCodes, SecretName, httpRequestFields } from './schema-fields.js';
import { CanarySchema, CanaryMetricSchema, SampleSourceSchema } from './schema-canary.js';
import { ParamsSchema } from './schema-params.js';
import { RESERVED_KEYS as COCKPIT_KEYS } from '../keys/keymap.js';
import { SHELL_NAMES } from './model.js';

/** Single-character keys the cockpit itself uses (from the keymap registry); Enter and Escape too. */
export const RESERVED_KEYS: readonly string[] = COCKPIT_KEYS.filter((k) => k.length === 1);
/** A runbook's declared id: a short slug, e.g. orders-failover. */
export const RUNBOOK_ID_PATTERN = /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/;
const RUNBOOK_ID_RULE = 'an id is a short slug: lower-case letters, digits, "-", "_" or "." (at most 64, starting and ending with a letter or digit), e.g. orders-failover';

export const DANGEROUS_BY_DEFAULT = ['abort', 'rollback', 'promote'] as const;

export const CheckStatusSchema = z.enum(['healthy', 'unhealthy', 'insufficient', 'error']);

export const HttpExpectSchema = z.strictObject({
  status: StatusCodes.optional().describe('Accepted status codes (default 200).'),
  json: z
    .record(z.string().min(1), z.unknown())
    .optional()
    .describe('Dot-path field of the JSON body → required value, e.g. {status: ready}.'),
  jsonIn: z
    .record(z.string().min(1), z.array(z.unknown()).min(1))
    .optional()
    .describe('Dot-path field of the JSON body → list of accepted values.'),
  contains: z
    .union([z.string().min(1), z.array(z.string().min(1)).min(1)], {
      error: 'expected a string or a list of strings',
    })
    .optional()
    .describe('The body must contain this text (or each of these texts).'),
  jsonWhere: z
    .record(
      z.string().min(1),
      z.string().regex(CONDITION_PATTERN, { error: 'expected a condition such as "<= 0.05" or "> 300"' }),
    )
    .optional()
    .describe('Dot-path field of the JSON body → a numeric condition it must meet, e.g. {error_rate: "<= 0.05"}.'),
  maxLatency: Duration.optional().describe('Answers slower than this are unhealthy.'),
});

export const HttpCheckSpecSchema = z.strictObject({
  ...httpRequestFields({ method: 'GET', timeout: '5s' }),
  etag: z.boolean().optional().describe('Revalidate with If-None-Match and accept 304 as fresh.'),
  maxBodyBytes: Bytes.optional().describe('Largest body read (default 1 MiB).'),
  expect: HttpExpectSchema.optional(),
});

export const ScriptCheckSpecSchema = z.strictObject({
  ...scriptFields,
  exitCodes: z
    .record(
      z.string().regex(/^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/, { error: 'exit codes are whole numbers from 0 to 255' }),
      CheckStatusSchema,
    )
    .optional()
    .describe('Exit code → status, merged over the default {0: healthy, 1: error, 2: unhealthy}; unlisted codes are error.'),
  insufficientPattern: z
    .string()
    .min(1)
    .optional()
    .describe('When the status would be unhealthy and the output contains this, it is insufficient (default "status=insufficient_data").'),
  shell: z
    .enum(SHELL_NAMES)
    .optional()
    .describe("Run in the run's one session of this shell (bash; sh: bash in POSIX mode; zsh), where exports, cd and functions of earlier steps carry over; stops at the first failing line."),
  readOnly: z
    .literal(true, { error: 'readOnly: takes only true' })
    .optional()
    .describe("With shell: a read-only check; it runs in a fresh shell that starts with what the run's shell holds (exports, cd, functions) and can never change it."),
});

export const ScriptActionSpecSchema = z.strictObject({
  ...scriptFields,
  shell: z
    .enum(SHELL_NAMES)
    .optional()
    .describe("Run in the run's shell session when one is alive (what earlier steps exported, their cd and functions), else in a fresh one; stops at the first failing line."),
});

export const GateCheckSpecSchema = z.strictObject({
  slo: z
    .union([z.string().min(1), z.array(z.string().min(1)).min(1)], { error: 'expected an SLO policy file or a list of them' })
    .describe('SLO policy files (JSON or YAML), relative to the runbook; one judge each.'),
  evidence: z.string().min(1).describe('Evidence JSON (opscockpit harvest), relative to the runbook.'),
  quorum: z
    .string()
    .regex(/^\d+\/\d+$/, { error: 'expected a quorum such as "2/3"' })
    .optional()
    .describe('k/n: GO when at least k of the n judges pass (default: all of them).'),
});

const FailureClassSchema = z.strictObject({
  match: z.string().min(1).optional().describe('Applies when the reason or output contains this text (default: any failure).'),
  class: z
    .string()
    .regex(/^[A-Z][A-Z0-9_]*$/, { error: 'a failure class is UPPER_SNAKE_CASE, e.g. PREFLIGHT_FAIL' })
    .describe('Name the runbook gives this failure, e.g. STOPPED.'),
  remedy: z
    .union([z.string().min(1), z.array(z.string().min(1)).min(1)], { error: 'expected the remedy as text or a list of steps' })
    .describe('What the operator does about it, shown with the failure.'),
});

export const OnFailureSchema = z
  .union([FailureClassSchema, z.array(FailureClassSchema).min(1)], { error: 'expected {class, remedy} or a list of them' })
  .describe('Failure classes with their remedies; the first whose match: fits is shown and recorded.');

export const CheckSchema = z
  .strictObject({
    title: Title.optional(),
    onFailure: OnFailureSchema.optional(),
    every: Duration.optional().describe('Poll interval for a live check; without it the check runs only as a step.'),
    http: HttpCheckSpecSchema.optional().describe('Probe an HTTP endpoint.'),
    script: ScriptCheckSpecSchema.optional().describe('Run a program and judge its exit code.'),
    gate: GateCheckSpecSchema.optional().describe('Judge evidence against SLO policies with a quorum.'),
  })
  .meta({
    description: 'A probe: exactly one of http:, script: or gate:.',
    oneOf: [{ required: ['http'] }, { required: ['script'] }, { required: ['gate'] }],
  });

export const StepSchema = z.strictObject({
  id: Name.describe('Unique within its checklist.'),
  title: Title.optional(),
  check: z
    .union([Name, CheckSchema], { error: 'expected the name of a check, or a check (a map with http: or script:)' })
    .optional()
    .describe('Makes the step automatic: the name of a check, or a check written in place.'),
  manual: z
    .literal(true, { error: 'manual: takes only true (leave it out for automatic steps)' })
    .optional().describe('The operator confirms the step (the default when there is no check).'),
  blocking: z.boolean().optional().describe('A failed blocking step makes the phase NO-GO (default true).'),
  confirm: z
    .union([z.literal(true), z.literal('typed')], { error: 'confirm: takes true or typed' })
    .optional()
    .describe('Show the command and run it only after the operator confirms (typed: types the step id, as for an action); headless check leaves it pending.'),
  placeholders: z
    .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'a placeholder is a variable name such as POD_NAME' }))
    .optional()
    .describe('Values the step\'s command needs; it is refused until each has one (in the environment).'),
  scope: z
    .string()
    .regex(/^[a-z][a-z0-9_-]*:[a-z][a-z0-9_-]*$/, { error: 'a scope looks like run:steps' })
    .optional()
    .describe('A confirm-first step runs through the safety controls like an action; the operator needs this scope (default run:steps).'),
  description: z.string().optional(),
});

export const ChoiceSchema = z.strictObject({
  name: Name,
  title: Title.optional(),
  options: z
    .array(z.strictObject({ name: Name, title: Title.optional(), steps: z.array(Name).describe('Ids of the steps this option walks.') }))
    .min(2, { error: 'a choice has at least two options' }),
});

export const ChecklistsSchema = z.strictObject({
  preflight: z.array(StepSchema).optional().describe('Steps before the change, in order.'),
  postflight: z.array(StepSchema).optional().describe('Steps after the change, in order.'),
});

export const HttpActionSpecSchema = z.strictObject({
  ...httpRequestFields({ method: 'POST', timeout: '30s' }),
  expectStatus: StatusCodes.optional().describe('Status codes that mean success (default [200, 201, 202, 204]).'),
});

export const ActionSchema = z
  .strictObject({
    title: Title.optional(),
    key: z
      .string()
      .length(1, { error: 'a key must be a single character' })
      .optional()
      .describe(`Key that starts the action. Reserved: ${RESERVED_KEYS.join(' ')} Enter Escape.`),
    confirm: z.string().min(1).optional().describe('Text the operator types to confirm (default: the action name).'),
    dangerous: z
      .boolean()
      .optional()
      .describe('Shown as dangerous (default true for abort, rollback and promote).'),
    script: ScriptActionSpecSchema.optional(),
    http: HttpActionSpecSchema.optional(),
    scope: z
      .string()
      .regex(/^[a-z][a-z0-9_-]*:[a-z][a-z0-9_-]*$/, { error: 'a scope looks like deploy:abort' })
      .optional()
      .describe('Permission needed, checked against OPSCOCKPIT_ALLOW_SCOPES (default deploy:<action name>).'),
    type: Name.optional().describe('Action type for safety.allowlist (default: the action name).'),
    mock: ScriptActionSpecSchema.optional().describe('What runs instead in MOCK_ONLY mode.'),
    preflight: z.boolean().optional().describe('Needs a completed preflight with a GO verdict (default true for promote, false otherwise).'),
    placeholders: z
      .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'a placeholder is a variable name such as REVISION' }))
      .optional()
      .describe("Values the action's script needs: parameters of the run (--param), asked before it runs."),
    onFailure: OnFailureSchema.optional(),
  })
  .meta({
    description: 'Something the operator can do: exactly one of script: or http:.',
    oneOf: [{ required: ['script'] }, { required: ['http'] }],
  });

export const SafetySchema = z.strictObject({
  mode: z
    .enum(['MOCK_ONLY', 'DRY_RUN', 'REAL_ENABLED'])
    .optional()
    .describe('Mode until an operator changes it (default DRY_RUN): MOCK_ONLY runs mocks, DRY_RUN shows what would run.'),
  allowlist: z.array(Name).optional().describe('Action types that may run at all (default: every declared action).'),
  window: z
    .strictObject({
      ttl: Duration.optional().describe('How long a real-enable window stays open (default 15m).'),
      approvals: z.number().int().min(1).max(5).optional().describe('Distinct operators who must approve it (default 2).'),
    })
    .optional()
    .describe('REAL_ENABLED needs an approved, unexpired window; one real action uses it up.'),
});

export const TriggerSchema = z.strictObject({
  title: Title.optional(),
  check: Name.describe('A live check (with every:) whose failure fires the trigger.'),
  failingFor: Duration.optional().describe('How long the check must keep failing, with no healthy result between (default: at the first failure).'),
  action: Name.optional().describe('Action the trigger runs (default rollback).'),
  auto: z.boolean().optional().describe('Run the action at once (default true); false opens its confirmation for the operator.'),
});

export const TargetSchema = z.union(
  [
    z.string().min(1).describe('Base URL; ${NAME} and ${NAME:-default} are read from the environment.'),
    z.strictObject({ url: z.string().min(1) }),
  ],
  { error: 'expected a URL, or a map with url:' },
);

export const ReleaseSchema = z.strictObject({
  type: z.string().optional().describe('e.g. cutover, hotfix, rollback'),
  branch: z.string().optional(),
  commit_sha: z.string().optional(),
  backlog_id: z.string().optional(),
});

export const NotifySchema = z.strictObject({
  slack: z
    .strictObject({
      webhook_env: SecretName.describe('Environment variable holding the incoming-webhook URL (the URL is a secret: it is masked like one and never recorded).'),
      on: z
        .array(z.enum(['failed', 'aborted', 'rolled_back', 'promoted', 'emergency_stop']))
        .min(1)
        .optional()
        .describe('Events that send a message (default all: failed, aborted, rolled_back, promoted, emergency_stop).'),
      timeout: Duration.optional().describe('Per attempt (default 10s).'),
      attempts: z.number().int().min(1).max(10).optional().describe('Tries with exponential backoff, all within one minute (default 6).'),
    })
    .optional()
    .describe('A Slack-compatible incoming webhook.'),
});

export const RunbookSchema = z.strictObject({
  version: z.literal(1, { error: 'expected version: 1 (the runbook format this opscockpit reads)' }),
  name: z.string().min(1),
  id: z
    .string()
    .regex(RUNBOOK_ID_PATTERN, { error: RUNBOOK_ID_RULE })
    .optional()
    .describe('Which runbook this is to a shared ledger, whatever the file\'s path on each machine: runs, the driver\'s seat, watch and the lock after a rollback are kept under it. Default: the git remote origin and the path in the repository, else the absolute path.'),
  description: z.string().optional(),
  release: ReleaseSchema.optional().describe(
    'Release metadata recorded with each run. Values may use ${NAME} and ${NAME:-default} from the environment.',
  ),
  params: ParamsSchema.optional(),
  targets: z.record(Name, TargetSchema).optional().describe('Name → base URL of a service the runbook talks to.'),
  secrets: z
    .array(SecretName)
    .optional()
    .describe('Environment variables holding secrets; read only when used and never recorded.'),
  checks: z.record(Name, CheckSchema).optional().describe('Named probes, used by steps or polled with every:.'),
  checklists: ChecklistsSchema.optional(),
  choices: z
    .array(ChoiceSchema)
    .optional()
    .describe('Alternatives the operator picks once (Linux / macOS, online / offline): only the chosen option\'s steps are walked; given with --choose NAME=OPTION or in the cockpit\'s form; `check` walks the first when none is given.'),
  actions: z.record(Name, ActionSchema).optional().describe('Operator actions such as abort, rollback and promote.'),
  canary: CanarySchema.optional().describe('Canary analysis: windows, metrics and the rules that promote or abort.'),
  triggers: z
    .record(Name, TriggerSchema)
    .optional()
    .describe('Rollback triggers (seed 004): a failing live check, for long enough, runs an action such as rollback.'),
  safety: SafetySchema.optional().describe('Execution modes, real-enable windows with two-person approval, and the action allowlist.'),
  notify: NotifySchema.optional().describe('Notifications (Slack incoming webhook) when a run fails, aborts, rolls back or promotes, or the emergency stop goes on.'),
});

export type RunbookInput = z.infer<typeof RunbookSchema>;
export type CheckInput = z.infer<typeof CheckSchema>;
export type StepInput = z.infer<typeof StepSchema>;
export type ActionInput = z.infer<typeof ActionSchema>;
export type HttpCheckSpecInput = z.infer<typeof HttpCheckSpecSchema>;
export type ScriptCheckSpecInput = z.infer<typeof ScriptCheckSpecSchema>;
export type ScriptActionSpecInput = z.infer<typeof ScriptActionSpecSchema>;
export type HttpActionSpecInput = z.infer<typeof HttpActionSpecSchema>;
export type CanaryInput = z.infer<typeof CanarySchema>;
export type GateCheckSpecInput = z.infer<typeof GateCheckSpecSchema>;
export type CanaryMetricInput = z.infer<typeof CanaryMetricSchema>;
export type SampleSourceInput = z.infer<typeof SampleSourceSchema>;
export { METRIC_SOURCES, CanarySchema, CanaryMetricSchema, CompareSchema, SampleSourceSchema } from './schema-canary.js';

/** JSON Schema of runbook format v1, for `opscockpit schema` and editor autocompletion. */
export function runbookJsonSchema(): object {
  const generated = z.toJSONSchema(RunbookSchema, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  const { $schema: _ignored, ...rest } = generated;
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'opscockpit runbook (format v1)',
    description:
      'A runbook for opscockpit: targets, secrets, checks, pre-/postflight checklists and operator actions.',
    ...rest,
  };
}
