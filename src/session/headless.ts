// `opscockpit check`: the same checks, walk and verdict as the cockpit, without screens.
// Automatic steps run in order; manual steps are reported as pending; the run is recorded.
import type { Phase, Runbook } from '../runbook/model.js';
import { Redactor } from '../runbook/secrets.js';
import { walkChecklist } from '../engine/checklist.js';
import { systemClock, type Clock, type RunRecord } from '../engine/ports.js';
import type { LedgerStore } from '../engine/ledger-store.js';
import type { CheckResult, EventBody, GateVerdict, StepState } from '../engine/types.js';
import { computeVerdict, emptyMeans, gatingChecks } from '../engine/verdict.js';
import { finishRun } from './finish-run.js';
import { cancelledReason, makeCheckRunner } from './runners.js';
import { HeldRun, startHeldRun } from './run-lease.js';
import { CHECK_RUN_NOTE } from '../engine/driver.js';
import { operatorName } from './operator.js';
import { recordParams, runStarted } from './run-lifecycle.js';

export interface StepReport {
  id: string;
  title: string;
  kind: 'auto' | 'manual';
  blocking: boolean;
  state: StepState;
  status?: CheckResult['status'];
  code?: CheckResult['code'];
  reason?: string;
  latencyMs?: number;
  durationMs?: number;
  /** The runbook's failure class and remedy, when the step failed with one. */
  failure?: { class: string; remedy: string[] };
  /** A script a person starts (a shell block): check never runs it. */
  needsPerson?: string;
}

/** Why check leaves a confirm-first script to a person. */
export const NEEDS_A_PERSON = 'needs a person: a shell block runs only when someone starts it (Enter in the cockpit, or run --yes)';

export interface CheckReport {
  schema: 'opscockpit.check/v1';
  runbook: string;
  name: string;
  phase: Phase;
  runId: string;
  ledger: string;
  verdict: GateVerdict['verdict'];
  reasons: string[];
  healthy: boolean;
  /** Set when --scheduled counted an insufficient-data token as healthy. */
  normalized?: string;
  steps: StepReport[];
  pendingManual: number;
}

export async function runHeadlessCheck(opts: {
  runbook: Runbook;
  ledger: LedgerStore;
  ledgerPath: string;
  phase: Phase;
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
  /** Cron: INSUFFICIENT only from the insufficient-data token counts as healthy. */
  scheduled?: boolean;
  /** SIGINT/SIGTERM: the running script's group is killed, recorded; the run ends as failed. */
  signal?: AbortSignal;
}): Promise<CheckReport> {
  const { runbook, ledger, phase } = opts;
  const env: NodeJS.ProcessEnv = { ...(opts.env ?? process.env), OPSCOCKPIT_LEDGER: opts.ledgerPath };
  const clock = opts.clock ?? systemClock;
  const operator = operatorName(env);
  const redactor = new Redactor(runbook.secrets, env);
  // The run is this process's (its lease) until it ends: nobody else resumes or completes it.
  const { run, owner } = await startHeldRun(
    ledger,
    { runbook: runbook.key, name: runbook.name, branch: runbook.release.branch, commitSha: runbook.release.commitSha, backlogId: runbook.release.backlogId, releaseType: runbook.release.type ?? 'check', note: `${CHECK_RUN_NOTE} (${phase})` },
    clock,
  );
  try {
    return await checkRun({ ...opts, env, clock, operator, redactor, run, owner });
  } finally {
    await owner.release();
  }
}

async function checkRun(opts: {
  runbook: Runbook;
  phase: Phase;
  ledger: LedgerStore;
  ledgerPath: string;
  env: NodeJS.ProcessEnv;
  clock: Clock;
  operator: string;
  redactor: Redactor;
  run: RunRecord;
  owner: HeldRun;
  scheduled?: boolean;
  signal?: AbortSignal;
}): Promise<CheckReport> {
  const { runbook, ledger, phase, env, clock, operator, redactor, run, owner } = opts;
  env.OPSCOCKPIT_RUN = run.runId; // scripts that read or record into this run
  const events: EventBody[] = [];
  // In order: each stored before the next is asked for.
  let tail: Promise<unknown> = Promise.resolve();
  const record = (body: EventBody): Promise<void> => {
    const stored = tail.then(() => owner.within(() => ledger.append(run.runId, operator, body, clock.now())));
    tail = stored.catch(() => undefined);
    events.push(body);
    return stored.then(() => undefined);
  };
  await record(runStarted(runbook));
  await recordParams(runbook, record);
  const { signal } = opts;
  const runCheck = makeCheckRunner(runbook, env, ledger, signal);
  const latest: Record<string, CheckResult> = {};
  let running: string | undefined;
  // The cancellation is on record before the abort reaches the script (listeners run in order).
  const onAbort = () => running && void record({ kind: 'step.note', phase, step: running, note: `cancelled: ${String(signal?.reason)} while the step ran` });
  signal?.addEventListener('abort', onAbort, { once: true });
  for (const step of runbook.checklists[phase]) {
    if (signal?.aborted) break;
    if (!step.check || step.confirm) continue; // confirm-first steps wait for an operator, like manual ones
    await record({ kind: 'step.started', phase, step: step.id });
    running = step.id;
    const ran = redactor.value(latest[step.check] ?? (await runCheck(runbook.checks[step.check])));
    running = undefined;
    const result = signal?.aborted && ran.status !== 'healthy' ? { ...ran, reason: cancelledReason(String(signal.reason), ran.reason) } : ran;
    latest[step.check] = result;
    await record({ kind: 'step.result', phase, step: step.id, result });
  }
  signal?.removeEventListener('abort', onAbort);
  const cancelled = signal?.aborted ? ` — cancelled: ${String(signal.reason)}` : '';
  const walk = walkChecklist(runbook.checklists, events);
  const judged = computeVerdict(phase, gatingChecks(walk, phase, emptyMeans(runbook)), runbook.checks, latest);
  // Blocking scripts left to a person: the phase is not checked until someone runs them.
  const people = walk.phases[phase].steps.filter((s) => s.confirm && s.blocking && s.state === 'pending');
  const verdict = people.length === 0 ? judged : { ...judged, verdict: judged.verdict === 'GO' ? ('INSUFFICIENT' as const) : judged.verdict, reasons: [...judged.reasons, ...people.map((s) => `${s.title}: ${NEEDS_A_PERSON}`)] };
  await record({ kind: 'verdict.changed', ...verdict });
  const steps: StepReport[] = walk.phases[phase].steps.map((s) => ({
    id: s.id,
    title: s.title,
    kind: s.kind,
    blocking: s.blocking,
    state: s.state,
    status: s.result?.status,
    code: s.result?.code,
    reason: s.result?.reason,
    latencyMs: s.result?.latencyMs,
    durationMs: s.result?.durationMs,
    ...(s.result?.failure ? { failure: s.result.failure } : {}),
    ...(s.confirm && s.state === 'pending' ? { needsPerson: NEEDS_A_PERSON } : {}),
  }));

  const insufficient = steps.filter((s) => s.status === 'insufficient');
  const normalized =
    opts.scheduled && verdict.verdict === 'INSUFFICIENT' && insufficient.length > 0 && insufficient.every((s) => s.code === 'insufficient_data')
      ? `scheduled run: insufficient data only (${insufficient.map((s) => s.id).join(', ')}), counted as healthy`
      : undefined;
  if (normalized) await record({ kind: 'step.note', phase, step: insufficient[0].id, note: normalized });
  const status = (verdict.verdict === 'GO' || normalized) && !cancelled ? 'succeeded' : 'failed';
  // Durable: a run's end is on disk, and the ledger's head file names it.
  await tail;
  await finishRun(ledger, { runId: run.runId, operator, status, at: clock.now(), note: `headless check (${phase}): ${verdict.verdict}${normalized ? ' (scheduled: insufficient data counted as healthy)' : ''}${cancelled}`, durable: true }, owner);
  events.push({ kind: 'run.completed', status });
  return {
    schema: 'opscockpit.check/v1',
    runbook: runbook.file,
    name: runbook.name,
    phase,
    runId: run.runId,
    ledger: ledger.location,
    verdict: verdict.verdict,
    reasons: verdict.reasons,
    healthy: !cancelled && people.length === 0 && (verdict.verdict === 'GO' || normalized !== undefined),
    ...(normalized ? { normalized } : {}),
    steps,
    pendingManual: steps.filter((s) => s.kind === 'manual').length,
  };
}
