// Zod schemas for runbook format v1 as written in YAML (before normalisation). Every object
// is strict: an unknown field is an error, so typos are caught. Defaults are applied by
// normalize.ts, not here, so the JSON Schema describes exactly what an author may write.
// Cross-references (check names, targets, secrets, step ids, keys) are checked in crossref.ts.
import * as z from 'zod';
import { DURATION_PATTERN } from './durations.js';
import { RESERVED_KEYS as COCKPIT_KEYS } from '../keys/keymap.js';

/** Single-character keys the cockpit itself uses (from the keymap registry); Enter and Escape too. */
export const RESERVED_KEYS: readonly string[] = COCKPIT_KEYS.filter((k) => k.length === 1);
export const DANGEROUS_BY_DEFAULT = ['abort', 'rollback', 'promote'] as const;

const NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;
const NAME_RULE = 'names may contain only letters, digits, "_" and "-"';

/** Names of targets, checks, actions and step ids. No dots: inline checks are named `<phase>.<id>`. */
const Name = z.string().regex(NAME_PATTERN, { error: NAME_RULE });

const Duration = z
  .union(
    [
      z.number().positive({ error: 'a duration must be more than 0 milliseconds' }),
      z.string().regex(DURATION_PATTERN, {
        error: 'not a duration: use e.g. "500ms", "2s", "1m", "1h" or a number of milliseconds',
      }),
    ],
    { error: 'expected a duration such as "500ms", "2s", "1m", "1h" or a number of milliseconds' },
  )
  .meta({ examples: ['500ms', '2s', '1m'] });

const Bytes = z.number().int().positive();

const StatusCode = z.number().int().min(100).max(599);
const StatusCodes = z.union([StatusCode, z.array(StatusCode).min(1)], {
  error: 'expected an HTTP status code or a list of them',
});

const SecretName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, {
  error: 'secret names are environment variable names in UPPER_SNAKE_CASE',
});

const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
  error: 'environment variable names may contain only letters, digits and "_", and must not start with a digit',
});

const HeaderName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, { error: 'not a valid HTTP header name' });

const Method = z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

const Headers = z
  .record(HeaderName, z.string())
  .describe('Request headers. Values may reference declared secrets as ${SECRET}.');

const Body = z
  .union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())], {
    error: 'expected a string, or a map or list to send as JSON',
  })
  .describe('Request body: a string, or a map/list sent as JSON. Strings may reference declared secrets as ${SECRET}.');

const Title = z.string().min(1);

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
      z.string().regex(/^\s*(<=|>=|==|!=|<|>)\s*-?\d+(\.\d+)?(e-?\d+)?\s*$/i, { error: 'expected a condition such as "<= 0.05" or "> 300"' }),
    )
    .optional()
    .describe('Dot-path field of the JSON body → a numeric condition it must meet, e.g. {error_rate: "<= 0.05"}.'),
  maxLatency: Duration.optional().describe('Answers slower than this are unhealthy.'),
});

export const HttpCheckSpecSchema = z.strictObject({
  target: Name.describe('Name of an entry under targets:.'),
  path: z.string().optional().describe('Path appended to the target URL (default "/").'),
  method: Method.optional().describe('HTTP method (default GET).'),
  headers: Headers.optional(),
  body: Body.optional(),
  timeout: Duration.optional().describe('Default 5s.'),
  etag: z.boolean().optional().describe('Revalidate with If-None-Match and accept 304 as fresh.'),
  maxBodyBytes: Bytes.optional().describe('Largest body read (default 1 MiB).'),
  expect: HttpExpectSchema.optional(),
});

const scriptFields = {
  command: z
    .string()
    .min(1)
    .describe('Program to run. Relative paths resolve against the runbook folder; bare names are looked up on PATH.'),
  args: z.array(z.string()).optional().describe('Arguments, passed without a shell.'),
  cwd: z.string().min(1).optional().describe('Working directory (default: the runbook folder).'),
  env: z
    .record(EnvName, z.string())
    .optional()
    .describe('Extra environment variables. Values may reference declared secrets as ${SECRET}.'),
  passEnv: z
    .array(EnvName)
    .optional()
    .describe('Environment variables passed to the program as they are, when set (declared secrets among them stay masked in output).'),
  timeout: Duration.optional().describe('Default 30s.'),
  maxOutputBytes: Bytes.optional().describe('Output kept per stream (default 1 MiB).'),
};

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
});

export const ScriptActionSpecSchema = z.strictObject(scriptFields);

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
    .literal(true, { error: 'confirm: takes only true' })
    .optional()
    .describe('Show the command and run it only after the operator confirms; headless check leaves it pending.'),
  description: z.string().optional(),
});

export const ChecklistsSchema = z.strictObject({
  preflight: z.array(StepSchema).optional().describe('Steps before the change, in order.'),
  postflight: z.array(StepSchema).optional().describe('Steps after the change, in order.'),
});

export const HttpActionSpecSchema = z.strictObject({
  target: Name.describe('Name of an entry under targets:.'),
  path: z.string().optional().describe('Path appended to the target URL (default "/").'),
  method: Method.optional().describe('HTTP method (default POST).'),
  headers: Headers.optional(),
  body: Body.optional(),
  timeout: Duration.optional().describe('Default 30s.'),
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
    onFailure: OnFailureSchema.optional(),
  })
  .meta({
    description: 'Something the operator can do: exactly one of script: or http:.',
    oneOf: [{ required: ['script'] }, { required: ['http'] }],
  });

const ConditionText = z
  .string()
  .regex(/^\s*(<=|>=|==|!=|<|>)\s*-?\d+(\.\d+)?(e-?\d+)?\s*$/i, { error: 'expected a condition such as "<= 0.01" or "> 300"' })
  .meta({ examples: ['<= 0.01', '> 300'] });

const METRIC_SOURCES = ['prometheus', 'http', 'csv', 'script', 'compare'] as const;

// A compare metric (Kayenta's approach) reads no single value: each window it takes the
// samples of the baseline and of the canary (the rows appended to a CSV since the previous
// window, or an array of numbers in a JSON answer) and the Mann-Whitney U test judges them.
// The window fails for it when the canary is worse with p < 1 - confidence and its median moved
// by more than effectSize; too few samples are inconclusive; a side that cannot be read is a
// provider error. It takes no success:, failure: or burst:.
export const SampleSourceSchema = z
  .strictObject({
    csv: z
      .strictObject({
        file: z.string().min(1).describe('CSV file being appended to; relative to the runbook.'),
        column: z.string().min(1).describe('Column whose values in the rows added in the window are the samples.'),
      })
      .optional()
      .describe('Every value of the column in the rows appended since the previous window.'),
    http: z
      .strictObject({
        target: Name.describe('Name of an entry under targets:.'),
        path: z.string().optional().describe('Path appended to the target URL (default "/").'),
        json: z.string().min(1).describe('Dot path of an array of numbers in the JSON answer, e.g. data.latencies_ms.'),
        headers: Headers.optional(),
        timeout: Duration.optional().describe('Default 5s.'),
      })
      .optional()
      .describe('GET a URL each window; the samples are an array of numbers in its JSON answer.'),
  })
  .meta({ description: 'Where one side gets its samples: exactly one of csv: or http:.', oneOf: [{ required: ['csv'] }, { required: ['http'] }] });

export const CompareSchema = z.strictObject({
  baseline: SampleSourceSchema.describe('Samples of the stable version: exactly one of csv: or http:.'),
  canary: SampleSourceSchema.describe('Samples of the canary: exactly one of csv: or http:.'),
  direction: z
    .enum(['increase', 'decrease', 'either'])
    .optional()
    .describe('Which change is bad: increase (default; latency, errors), decrease (throughput) or either.'),
  confidence: z
    .number()
    .gt(0, { error: 'confidence is a probability between 0 and 1, such as 0.95' })
    .lt(1, { error: 'confidence is a probability between 0 and 1, such as 0.95' })
    .optional()
    .describe('A difference counts when p < 1 - confidence (default 0.95).'),
  effectSize: z
    .number()
    .min(0, { error: 'effectSize is a relative change of 0 or more, such as 0.1 for 10%' })
    .optional()
    .describe('Smallest relative change of the medians that counts, e.g. 0.1 for 10% (default 0).'),
  minSamples: z.number().int().positive().optional().describe('Fewer samples on either side make the window inconclusive (default 3).'),
});

export const CanaryMetricSchema = z
  .strictObject({
    name: Name.describe('Metric name, shown in windows and reasons.'),
    prometheus: z
      .strictObject({
        target: Name.describe('Target whose URL is the Prometheus server.'),
        query: z.string().min(1).describe('PromQL instant query returning one series, e.g. sum(rate(...[1m])).'),
        timeout: Duration.optional(),
      })
      .optional(),
    http: z
      .strictObject({
        target: Name,
        path: z.string().optional(),
        json: z.string().min(1).describe('Dot path of the value in the JSON answer, e.g. data.error_rate.'),
        headers: Headers.optional(),
        timeout: Duration.optional(),
      })
      .optional(),
    csv: z
      .strictObject({
        file: z.string().min(1).describe('CSV file being appended to; relative to the runbook.'),
        column: z.string().min(1),
        aggregate: z.enum(['last', 'avg', 'max', 'min', 'sum', 'count', 'rate']).optional().describe('Over the rows added in the window (default avg).'),
        where: ConditionText.optional().describe('For rate: the share of new rows whose column meets this condition.'),
      })
      .optional(),
    script: z
      .strictObject({ ...scriptFields, json: z.string().min(1).describe('Dot path of the value in the JSON the script prints.') })
      .optional(),
    compare: CompareSchema.optional().describe('Compare baseline and canary samples each window with the Mann-Whitney U test.'),
    success: ConditionText.optional().describe('The window passes for this metric when the value meets this.'),
    failure: ConditionText.optional().describe('The window fails when the value meets this; between success and failure is inconclusive.'),
    burst: ConditionText.optional().describe('A single window meeting this is a burst: abort at once.'),
  })
  .meta({ description: 'A canary metric: exactly one of prometheus:, http:, csv:, script: (one value per window, judged by success:/failure:/burst:) or compare: (baseline against canary samples).' });

export const CanarySchema = z.strictObject({
  interval: Duration.describe('Length of one analysis window.'),
  steps: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        weight: z.number().min(0).max(100).optional().describe('Traffic share in percent, shown in the cockpit.'),
        windows: z.number().int().positive().optional().describe('Windows before the operator must decide (default 10).'),
      }),
    )
    .min(1),
  metrics: z.array(CanaryMetricSchema).min(1),
  rules: z
    .strictObject({
      consecutiveSuccesses: z.number().int().positive().optional().describe('Passing windows in a row (burst 0) that promote a step (default 3).'),
      failureLimit: z.number().int().min(0).optional().describe('Failing windows allowed; one more aborts (default 0).'),
      consecutiveErrorLimit: z.number().int().min(0).optional().describe('Provider errors in a row allowed; one more aborts (default 4).'),
      inconclusiveLimit: z.number().int().min(0).optional().describe('Inconclusive windows allowed before the operator is asked (default 1).'),
    })
    .optional(),
  decision: z
    .strictObject({
      deadline: Duration.optional().describe('How long the operator has to decide an inconclusive canary (default 5m).'),
      default: z.enum(['abort', 'continue']).optional().describe('Taken when the deadline passes (default abort).'),
    })
    .optional(),
  actions: z
    .strictObject({
      promote: Name.optional().describe('Action run on promotion (default promote).'),
      abort: Name.optional().describe('Action run on a violated rule (default abort).'),
      start: Name.optional().describe('Action that starts the canary, run before the first window.'),
    })
    .optional(),
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
  description: z.string().optional(),
  release: ReleaseSchema.optional().describe(
    'Release metadata recorded with each run. Values may use ${NAME} and ${NAME:-default} from the environment.',
  ),
  targets: z.record(Name, TargetSchema).optional().describe('Name → base URL of a service the runbook talks to.'),
  secrets: z
    .array(SecretName)
    .optional()
    .describe('Environment variables holding secrets; read only when used and never recorded.'),
  checks: z.record(Name, CheckSchema).optional().describe('Named probes, used by steps or polled with every:.'),
  checklists: ChecklistsSchema.optional(),
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
export { METRIC_SOURCES };

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
