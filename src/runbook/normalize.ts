// From validated YAML data to the model the engine uses: defaults filled in, durations in
// milliseconds, URLs resolved, script paths absolute, inline checks named `<phase>.<id>`.
// Runs only on data that passed the schema and the cross-reference checks.
import path from 'node:path';
import { durationMs } from './durations.js';
import type { PathSegment } from './locate.js';
import { resolveChoices } from './choices.js';
import {
  PHASES,
  type Action,
  type Check,
  type ChecklistStep,
  type HttpActionSpec,
  type HttpCheck,
  type Phase,
  type Runbook,
  type ScriptCheck,
  type FailureClass,
  type GateCheck,
  type NotifySpec,
} from './model.js';
import { NOTIFY_TRIGGERS } from '../engine/types.js';
import { normalizeParams, placeholderParams, secretParamNames } from './params.js';
import type { SafetyPolicy } from '../engine/safety.js';
import { DEFAULTS, joinUrl, scriptSpec, type NormalizeContext } from './normalize-parts.js';
import { normalizeCanary } from './normalize-canary.js';
import { parseCondition } from '../engine/conditions.js';
import { runbookIdentity } from './identity.js';
import { withIntegerParams } from './integer-params.js';
import {
  DANGEROUS_BY_DEFAULT,
  type ActionInput,
  type CheckInput,
  type HttpActionSpecInput,
  type HttpCheckSpecInput,
  type RunbookInput,
  type ScriptActionSpecInput,
  type StepInput,
} from './schema.js';

export function normalizeRunbook(input: RunbookInput, context: NormalizeContext): Runbook {
  const ctx: NormalizeContext = { ...context, paramNames: Object.keys(input.params ?? {}) };
  const checks: Record<string, Check> = Object.create(null) as Record<string, Check>;
  for (const [name, c] of Object.entries(input.checks ?? {})) checks[name] = normalizeCheck(name, c, undefined, ctx);

  const { choices, dropped } = resolveChoices(input, ctx.choose ?? {});
  const checklists = {} as Record<Phase, ChecklistStep[]>;
  for (const phase of PHASES) {
    const steps = input.checklists?.[phase] ?? [];
    const out: ChecklistStep[] = (checklists[phase] = []);
    for (let i = 0; i < steps.length; i++) {
      if (dropped.size > 0 && dropped.has(steps[i].id)) continue; // an option not chosen
      out.push(normalizeStep(phase, steps[i], ctx.lineOf(['checklists', phase, i]), checks, ctx));
    }
  }

  // No prototype: a name asked for on the command line (`--action constructor`) is an action
  // only if the runbook declares it.
  const actions: Record<string, Action> = Object.create(null) as Record<string, Action>;
  for (const [name, a] of Object.entries(input.actions ?? {})) actions[name] = normalizeAction(name, a, ctx);

  const canary = input.canary ? normalizeCanary(input.canary, ctx) : undefined;
  const safety: SafetyPolicy = {
    guarded: input.safety !== undefined,
    initialMode: input.safety?.mode ?? 'DRY_RUN',
    allowlist: input.safety?.allowlist,
    windowTtlMs: durationMs(input.safety?.window?.ttl, 15 * 60_000),
    approvals: input.safety?.window?.approvals ?? 2,
  };
  const nonEmpty = (s: string | undefined) => (s === undefined || s === '' ? undefined : s);
  // Values the steps and actions need that the runbook never declared: asked when they come.
  const asked = placeholderParams([...PHASES.flatMap((p) => checklists[p]), ...Object.values(actions)], new Set([...Object.keys(input.params ?? {}), ...(input.secrets ?? [])]), ctx.params ?? {}, ctx.env ?? {});
  // One used in arithmetic takes an integer only (integer-params.ts).
  const params = withIntegerParams([...normalizeParams(input.params, ctx.params ?? {}), ...asked], { checklists, checks, actions }, (name) => ctx.lineOf(['actions', name]), ctx.integerLines);
  return {
    file: ctx.file,
    ...runbookIdentity(ctx.file, input.id),
    dir: ctx.dir,
    name: input.name,
    description: input.description,
    targets: { ...ctx.targets },
    // The webhook URL is a credential: masked wherever it might appear, like any declared secret.
    // Secret parameters too: their values are given when the run starts, and masked like any secret.
    secrets: [...new Set([...(input.secrets ?? []), ...secretParamNames(input.params), ...asked.filter((p) => p.type === 'secret').map((p) => p.name), ...(input.notify?.slack ? [input.notify.slack.webhook_env] : [])])],
    params,
    checks,
    checklists,
    choices,
    actions,
    release: {
      type: nonEmpty(ctx.release.type),
      branch: nonEmpty(ctx.release.branch),
      commitSha: nonEmpty(ctx.release.commit_sha),
      backlogId: nonEmpty(ctx.release.backlog_id),
    },
    canary,
    triggers: Object.entries(input.triggers ?? {}).map(([name, t]) => ({
      name,
      title: t.title ?? name,
      check: t.check,
      failingForMs: t.failingFor === undefined ? 0 : durationMs(t.failingFor, 0),
      action: t.action ?? 'rollback',
      auto: t.auto ?? true,
    })),
    safety,
    ...(input.notify?.slack ? { notify: { slack: notifySlack(input.notify.slack) } } : {}),
  };
}

function notifySlack(n: NonNullable<NonNullable<RunbookInput['notify']>['slack']>): NonNullable<NotifySpec['slack']> {
  return {
    webhookEnv: n.webhook_env,
    on: [...(n.on ?? NOTIFY_TRIGGERS)],
    timeoutMs: durationMs(n.timeout, 10_000),
    attempts: n.attempts ?? 6,
  };
}

function normalizeStep(
  phase: Phase,
  step: StepInput,
  line: number,
  checks: Record<string, Check>,
  ctx: NormalizeContext,
): ChecklistStep {
  let checkName: string | undefined;
  if (typeof step.check === 'string') {
    checkName = step.check;
  } else if (step.check) {
    checkName = `${phase}.${step.id}`;
    const check = (checks[checkName] = normalizeCheck(checkName, step.check, step.title, ctx));
    if (check.kind === 'script' && step.placeholders?.length) check.needs = [...step.placeholders];
  }
  // Fields set in this order, no spreads: a runbook may hold thousands of steps.
  const out = { id: step.id, title: step.title ?? (checkName ? checks[checkName]?.title : undefined) ?? step.id } as ChecklistStep;
  if (checkName) out.check = checkName;
  out.blocking = step.blocking ?? true;
  if (step.confirm) out.confirm = step.confirm;
  if (step.placeholders && step.placeholders.length > 0) out.placeholders = [...step.placeholders];
  if (step.scope !== undefined) out.scope = step.scope;
  if (step.description !== undefined) out.description = step.description;
  out.line = line;
  return out;
}

function normalizeCheck(name: string, c: CheckInput, fallbackTitle: string | undefined, ctx: NormalizeContext): Check {
  const check = normalizeCheckKind(name, c, fallbackTitle, ctx);
  if (c.onFailure) check.onFailure = failureClasses(c.onFailure);
  return check;
}

export function failureClasses(input: NonNullable<CheckInput['onFailure']>): FailureClass[] {
  return (Array.isArray(input) ? input : [input]).map((f) => ({
    ...(f.match !== undefined ? { match: f.match } : {}),
    class: f.class,
    remedy: Array.isArray(f.remedy) ? [...f.remedy] : [f.remedy],
  }));
}

function normalizeCheckKind(name: string, c: CheckInput, fallbackTitle: string | undefined, ctx: NormalizeContext): Check {
  const title = c.title ?? fallbackTitle ?? name;
  const everyMs = c.every === undefined ? undefined : durationMs(c.every, 0);
  if (c.http) return httpCheck(name, title, everyMs, c.http, ctx);
  if (c.script) {
    const check: ScriptCheck = {
      kind: 'script',
      name,
      title,
      ...scriptSpec(c.script, ctx),
      exitCodes: { ...DEFAULTS.exitCodes },
      insufficientPattern: c.script.insufficientPattern ?? DEFAULTS.insufficientPattern,
    };
    for (const [code, status] of Object.entries(c.script.exitCodes ?? {})) check.exitCodes[Number(code)] = status;
    if (c.script.shell) check.shell = c.script.shell;
    if (c.script.shell && c.script.readOnly) check.readOnly = true;
    if (everyMs !== undefined) check.everyMs = everyMs;
    return check;
  }
  if (c.gate) {
    const slo = Array.isArray(c.gate.slo) ? c.gate.slo : [c.gate.slo];
    const check: GateCheck = {
      kind: 'gate',
      name,
      title,
      sloFiles: slo.map((f) => path.resolve(ctx.dir, f)),
      evidence: path.resolve(ctx.dir, c.gate.evidence),
      quorum: c.gate.quorum ? Number(c.gate.quorum.split('/')[0]) : slo.length,
    };
    if (everyMs !== undefined) check.everyMs = everyMs;
    return check;
  }
  throw new Error(`check ${name} has no http, script or gate`); // unreachable after validation
}

function httpCheck(
  name: string,
  title: string,
  everyMs: number | undefined,
  h: HttpCheckSpecInput,
  ctx: NormalizeContext,
): HttpCheck {
  const e = h.expect ?? {};
  const request = requestBody(h.headers, h.body);
  const check = {
    kind: 'http',
    name,
    title,
    target: h.target,
    url: joinUrl(ctx.targets[h.target], h.path),
    method: h.method ?? 'GET',
    headers: request.headers,
  } as HttpCheck;
  if (request.body !== undefined) check.body = request.body;
  check.timeoutMs = durationMs(h.timeout, DEFAULTS.httpTimeoutMs);
  check.expect = {
    status: statusList(e.status, DEFAULTS.status),
    json: e.json ? { ...e.json } : {},
    jsonIn: e.jsonIn ? { ...e.jsonIn } : {},
    contains: e.contains === undefined ? [] : Array.isArray(e.contains) ? [...e.contains] : [e.contains],
  };
  check.etag = h.etag ?? false;
  check.maxBodyBytes = h.maxBodyBytes ?? DEFAULTS.maxBodyBytes;
  if (e.maxLatency !== undefined) check.expect.maxLatencyMs = durationMs(e.maxLatency, 0);
  if (e.jsonWhere) check.expect.jsonWhere = Object.fromEntries(Object.entries(e.jsonWhere).map(([k, v]) => [k, parseCondition(v)!]));
  if (everyMs !== undefined) check.everyMs = everyMs;
  return check;
}

function normalizeAction(name: string, a: ActionInput, ctx: NormalizeContext): Action {
  const action: Action = {
    name,
    title: a.title ?? name,
    confirm: a.confirm ?? name,
    dangerous: a.dangerous ?? (DANGEROUS_BY_DEFAULT as readonly string[]).includes(name),
    scope: a.scope ?? `deploy:${name}`,
    type: a.type ?? name,
    needsPreflight: a.preflight ?? name === 'promote',
  };
  if (a.key !== undefined) action.key = a.key;
  if (a.onFailure) action.onFailure = failureClasses(a.onFailure);
  if (a.placeholders?.length) action.placeholders = [...a.placeholders];
  if (a.mock) action.mock = scriptSpec(a.mock, ctx);
  if (a.script) action.script = { ...scriptSpec(a.script, ctx), ...(a.script.shell ? { shell: a.script.shell } : {}) };
  if (a.http) action.http = httpAction(a.http, ctx);
  return action;
}

function httpAction(h: HttpActionSpecInput, ctx: NormalizeContext): HttpActionSpec {
  return {
    target: h.target,
    url: joinUrl(ctx.targets[h.target], h.path),
    method: h.method ?? 'POST',
    ...requestBody(h.headers, h.body),
    timeoutMs: durationMs(h.timeout, DEFAULTS.httpActionTimeoutMs),
    expectStatus: statusList(h.expectStatus, DEFAULTS.actionExpectStatus),
  };
}

function statusList(v: number | number[] | undefined, fallback: readonly number[]): number[] {
  if (v === undefined) return fallback.slice();
  return Array.isArray(v) ? [...v] : [v];
}

/** Headers and body; a map/list body is sent as JSON with a JSON content type unless one is set. */
function requestBody(
  headers: Record<string, string> | undefined,
  body: string | Record<string, unknown> | unknown[] | undefined,
): { headers: Record<string, string>; body?: string } {
  const h: Record<string, string> = headers ? { ...headers } : {};
  if (body === undefined) return { headers: h };
  if (typeof body === 'string') return { headers: h, body };
  if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['Content-Type'] = 'application/json';
  return { headers: h, body: JSON.stringify(body) };
}
