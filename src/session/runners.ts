// Binds the runbook's checks and actions to the adapters that run them.
import type { Action, CanaryMetric, Check, Runbook } from '../runbook/model.js';
import type { MetricReading } from '../engine/canary.js';
import type { LedgerStore } from '../engine/ledger-store.js';
import type { CheckResult } from '../engine/types.js';
import { setMaxListeners } from 'node:events';
import type { ActionStatus } from '../engine/types.js';
import { classifyFailure } from '../engine/failure.js';
import { loadOnce } from './load-once.js';
import { isShellCheck, oneBlockShell, runInFreshShell, type RunShell, type ShellCheck, type ShellHost } from './run-shell.js';

// undici and execa are loaded on first use, after the cockpit's first frame: startup is a
// feature (load-once.ts).
const http = loadOnce(() => import('../../adapters/http.js'));
const script = loadOnce(() => import('../../adapters/script.js'));
const gateCheck = loadOnce(() => import('../../adapters/gate-check.js'));
const metricsModule = loadOnce(() => import('../../adapters/metrics/index.js'));

/**
 * Load the script and HTTP adapters ahead of need, once the cockpit is up: the first abort at
 * 3 a.m. must not wait for a module to load.
 */
export function warmActionRunners(): Promise<unknown> {
  return Promise.all([script(), http()]).catch(() => undefined);
}

/**
 * `signal`: the shutdown (quit, SIGINT, SIGTERM); it kills a running script's process group, as
 * does the `stop` given with one run (a step's: the emergency stop).
 * `shell`: the run's shell, where shell checks (Markdown blocks) run; without one, a block
 * gets a shell of its own, with the same stop-on-error.
 */
export function makeCheckRunner(
  runbook: Runbook,
  env: NodeJS.ProcessEnv,
  ledger?: LedgerStore,
  signal?: AbortSignal,
  shell: ShellHost = oneBlockShell(runbook, env),
): (check: Check, stop?: AbortSignal) => Promise<CheckResult> {
  const etags = new Map<string, string>();
  // Every check in flight listens to this one signal: twenty checks polled on the same tick
  // are twenty listeners, not a leak (Node would print a warning over the cockpit's frame).
  if (signal) setMaxListeners(0, signal);
  const run = async (check: Check, stop?: AbortSignal): Promise<CheckResult> => {
    const cut = stop && signal ? AbortSignal.any([signal, stop]) : (stop ?? signal);
    const ctx = { env, secrets: runbook.secrets, etags, signal: cut };
    if (isShellCheck(check)) return shell.run(check, cut);
    if (check.kind === 'http') return (await http()).runHttpCheck(check, ctx);
    if (check.kind === 'script') return (await script()).runScriptCheck(check, ctx);
    return (await gateCheck()).runGateCheck(check, { ledger });
  };
  return async (check, stop) => {
    const result = await run(check, stop);
    if (result.status === 'healthy') return result;
    const failure = classifyFailure(check.onFailure, result.reason, result.output);
    return failure ? { ...result, failure } : result;
  };
}

/** An action succeeds on exit 0; any other exit fails it. */
const ACTION_EXITS: ShellCheck['exitCodes'] = Object.fromEntries([[0, 'healthy'], ...Array.from({ length: 255 }, (_, i) => [i + 1, 'error'])]);

export interface ActionOutcome {
  status: ActionStatus;
  /** The runbook's name for this failure and its remedy (onFailure:). */
  failure?: { class: string; remedy: string[] };
  /** Set when a safety control refused the action: nothing ran. */
  refused?: { failure: string; reason: string; remedy: string };
  exitCode?: number;
  signal?: string;
  reason: string;
  output: string;
  durationMs: number;
}

/** Why an outcome failed, when the shutdown cut it short: "cancelled: the operator quit; killed by SIGTERM". */
export const cancelledReason = (why: string, reason: string): string => `cancelled: ${why}; ${reason}`;

/** The emergency stop, as the reason it aborts what runs with: who turned it on, and why. */
export class EmergencyStop {
  constructor(
    readonly by: string | undefined,
    readonly reason: string | undefined,
  ) {}

  toString(): string {
    const why = `the emergency stop: ${this.reason ?? 'no reason'}`;
    return this.by ? `stopped by ${this.by} (${why})` : `stopped (${why})`;
  }
}

/** A reason, told first what cut it short: "stopped by bob (the emergency stop: …); killed by SIGTERM". */
export const cutShort = (why: unknown, reason: string): string => (why instanceof EmergencyStop ? `${String(why)}; ${reason}` : cancelledReason(String(why), reason));

/** A failure's reason, told it was the shutdown's or the stop's doing when it was. */
const failedBecause = (signal: AbortSignal | undefined, reason: string): string => (signal?.aborted ? cutShort(signal.reason, reason) : reason);

/**
 * Run an action's script or HTTP call; output chunks stream to `onOutput` as they come. The
 * `signal` (the shutdown) kills the script's process group, or cancels the HTTP call.
 */
export async function runAction(
  action: Action,
  runbook: Runbook,
  env: NodeJS.ProcessEnv,
  onOutput: (chunk: string) => void,
  signal?: AbortSignal,
  /** The run's shell: where an action's script with a shell runs while it is alive. */
  shell?: Pick<RunShell, 'runAction'>,
): Promise<ActionOutcome> {
  const ctx = { env, secrets: runbook.secrets, signal };
  if (action.script?.shell) {
    const check: ShellCheck = { ...action.script, kind: 'script', name: `action.${action.name}`, title: action.title, exitCodes: ACTION_EXITS, shell: action.script.shell };
    const r = shell ? await shell.runAction(check, onOutput, signal) : await runInFreshShell(check, env, runbook.secrets, onOutput, signal);
    const ok = r.status === 'healthy';
    const reason = ok ? r.reason : failedBecause(signal, r.reason);
    const output = r.output ?? '';
    const failure = ok ? undefined : classifyFailure(action.onFailure, reason, output);
    return { status: ok ? 'succeeded' : 'failed', exitCode: r.exitCode, signal: r.signal, reason, output, durationMs: r.durationMs, ...(failure ? { failure } : {}) };
  }
  if (action.script) {
    const o = await (await script()).runScript(action.script, { ...ctx, onOutput: (c) => onOutput(c) });
    const ok = o.exitCode === 0 && !o.timedOut && !o.spawnError;
    const said = o.spawnError
      ? o.spawnError
      : o.timedOut
        ? `timed out after ${Math.round(action.script.timeoutMs / 1000)} s; process group killed`
        : o.signal
          ? `killed by ${o.signal}`
          : `exit ${o.exitCode}`;
    const reason = ok ? said : failedBecause(signal, said);
    const output = [o.stdout, o.stderr].filter(Boolean).join(o.stdout.endsWith('\n') ? '' : '\n');
    const failure = ok ? undefined : classifyFailure(action.onFailure, reason, output);
    return { status: ok ? 'succeeded' : 'failed', exitCode: o.exitCode, signal: o.signal, reason, output, durationMs: o.durationMs, ...(failure ? { failure } : {}) };
  }
  if (action.http) {
    const r = await (await http()).runHttpAction(action.http, ctx);
    onOutput(r.output);
    const failure = r.ok ? undefined : classifyFailure(action.onFailure, r.reason, r.output);
    return { status: r.ok ? 'succeeded' : 'failed', reason: r.ok ? r.reason : failedBecause(signal, r.reason), output: r.output, durationMs: r.durationMs, ...(failure ? { failure } : {}) };
  }
  return { status: 'failed', reason: 'the action has neither a script nor an http call', output: '', durationMs: 0 };
}

/**
 * Reads canary metrics through the providers; CSV readers keep their place between windows.
 * A compare metric reads both sides at once; if either side fails, the window has no
 * comparison (a provider error), and the reason names the side.
 */
export function makeMetricReader(runbook: Runbook, env: NodeJS.ProcessEnv): (metric: CanaryMetric) => Promise<MetricReading> {
  const csvCursors = new Map();
  const ctx = { env, secrets: runbook.secrets, csvCursors };
  return async (metric) => {
    const metrics = await metricsModule();
    if (metric.compare) {
      const q = metrics.sampleQueriesOf(metric);
      const [baseline, canary] = await Promise.all([metrics.readSamples(q.baseline, ctx), metrics.readSamples(q.canary, ctx)]);
      if (baseline.ok && canary.ok) return { ok: true, samples: { baseline: baseline.values, canary: canary.values } };
      const reasons = [baseline.ok ? '' : `baseline: ${baseline.reason}`, canary.ok ? '' : `canary: ${canary.reason}`];
      return { ok: false, reason: reasons.filter(Boolean).join('; ') };
    }
    const r = await metrics.readMetric(metrics.metricQueryOf(metric), ctx);
    return r.ok ? { ok: true, value: r.value } : { ok: false, reason: r.reason };
  };
}
