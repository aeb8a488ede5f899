// Headless safety commands: `act` runs a runbook action through exactly the controls the
// cockpit's keys go through; `stop`, `mode` and `window` change those controls. All of it is
// recorded in the ledger, where every cockpit on the same ledger sees it within a second.
import { resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { loadRunbookFile } from '../../runbook/load.js';
import type { Runbook } from '../../runbook/model.js';
import { Redactor } from '../../runbook/secrets.js';
import { chainKeyFrom } from '../../../adapters/ledger-key.js';
import { existsSync } from 'node:fs';
import { chosenLedgerLocation, isPostgresLocation } from '../../../adapters/ledger-path.js';
import { openLedgerStore } from '../../../adapters/ledger-store-open.js';
import { isLedgerUnreachable, type LedgerStore } from '../../engine/ledger-store.js';
import { withRecordingLedger } from '../../session/headless-ledger.js';
import { noLedgerAt } from '../../../adapters/ledger-errors.js';
import { backsOut, MODES, parseScopes, type Mode, type SafetyPolicy } from '../../engine/safety.js';
import { openSession, type Session } from '../../session/session.js';
import { Controls, type Refused } from '../../session/controls.js';
import { unlockRunbook } from '../../session/runbook-lock.js';
import { operatorName } from '../../session/operator.js';
import { UsageError } from '../errors.js';
import { visible } from '../../visible.js';
import { parseCommandArgs } from '../args.js';
import { PARAM_OPTION, actionValuesMissing, loadWithParams, takeOverReason } from '../params.js';
import type { Io } from '../main.js';

import { EXIT_NEEDS_PERSON, EXIT_REFUSED } from './safety-help.js';
import { UNKNOWN_ACTION } from '../../session/action-queue.js';

type Values = Record<string, string | boolean | undefined>;

function parse(command: string, args: string[], options: Record<string, { type: 'string' | 'boolean' }>): { values: Values; positionals: string[] } {
  return parseCommandArgs(command, args, options) as { values: Values; positionals: string[] };
}

const LEDGER_OPTIONS = { ledger: { type: 'string' as const }, runbook: { type: 'string' as const } };

function ledgerPathOf(values: Values, env: NodeJS.ProcessEnv, runbookFile?: string): string {
  return chosenLedgerLocation({ ledger: values.ledger, runbook: runbookFile ?? values.runbook }, env);
}

const UNGUARDED: SafetyPolicy = { guarded: false, initialMode: 'REAL_ENABLED', windowTtlMs: 0, approvals: 2 };

/** The controls as this operator acts on them: the database login on PostgreSQL, else the asserted name; their scopes. */
function controlsOf(ledger: LedgerStore, policy: SafetyPolicy, env: NodeJS.ProcessEnv): Controls {
  const name = operatorName(env);
  return new Controls(ledger, policy, ledger.stampedOperator ?? name, () => Date.now(), name, parseScopes(env.OPSCOCKPIT_ALLOW_SCOPES));
}

/** A change refused: a control's refusal (its name and remedy) exits as `act`'s do, anything else is an error. */
function refused(io: Io, r: Refused): number {
  if (!r.failure) {
    io.stderr.write(`opscockpit: ${r.reason}\n`);
    return 1;
  }
  io.stderr.write(`opscockpit: refused by ${r.failure}: ${r.reason}\nremedy: ${r.remedy}\n`);
  return EXIT_REFUSED;
}

/** Who the operator is, as the messages say it. */
function whoIs(ledger: LedgerStore, env: NodeJS.ProcessEnv): string {
  return ledger.identity === 'database'
    ? `${ledger.stampedOperator} (the database login: the ledger stamps it on every event)`
    : `${operatorName(env)} (an asserted name: on a local ledger OPSCOCKPIT_OPERATOR or the OS user says who approves, nothing proves it)`;
}

async function withControls<T>(io: Io, path: string, runbook: Runbook | undefined, policy: SafetyPolicy, fn: (c: Controls, ledger: LedgerStore) => T | Promise<T>): Promise<T> {
  // A control reaches the cockpits only through their ledger. One set in a new ledger (a typo,
  // the wrong folder) is still recorded, since a stop must never be refused, but says so: no
  // cockpit was recording there.
  // Said once it is made: a folder it cannot be made in gives only the error.
  const made = !isPostgresLocation(path) && !existsSync(path);
  // With --runbook whose notify: asks for it, Slack hears of what is recorded too.
  return withRecordingLedger({ runbook, ledgerPath: path, env: io.env }, (ledger) => {
    if (made) io.stderr.write(`opscockpit: warning: no ledger was at ${path}; a new one is made. A cockpit sees this only if it uses this ledger (--ledger PATH or --runbook FILE).\n`);
    return fn(controlsOf(ledger, policy, io.env), ledger);
  });
}

export async function actCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs('act', args, { ledger: { type: 'string' }, yes: { type: 'boolean' }, confirm: { type: 'string' }, 'take-over': { type: 'string' }, ...PARAM_OPTION });
  if (positionals.length !== 2) throw new UsageError('give RUNBOOK and ACTION', 'act');
  const file = resolve(positionals[0]);
  const name = positionals[1];
  const ledgerPath = ledgerPathOf({ ledger: values.ledger }, io.env, file);
  const takeOver = takeOverReason(values['take-over'], 'act');
  const loaded = await loadWithParams('act', file, values, io, { shown: `${positionals[0]} ${name}`, ledgerPath, backOut: backsOut(name), seat: { takeOver } });
  if (typeof loaded === 'number') return loaded;
  const { runbook, env } = loaded;
  const action = runbook.actions[name];
  if (!action) throw new UsageError(`the runbook has no action "${name}" (actions: ${Object.keys(runbook.actions).join(', ') || 'none'})`, 'act');
  if (values.confirm !== undefined && values.confirm !== name) throw new UsageError(`--confirm names the action to run again once its outcome is unknown: --confirm ${name}`, 'act');
  const needs = actionValuesMissing('act', `${positionals[0]} ${name}`, runbook, [name], env, io);
  if (needs !== undefined) return needs;
  if (!values.yes && !process.stdin.isTTY) {
    io.stderr.write(`opscockpit: "${action.title}" needs its confirmation word typed; without a terminal pass --yes.\n`);
    return 1;
  }
  // Asked before the run is opened: nobody holds the run while a person decides.
  const typed = values.yes ? action.confirm : await askConfirmation(io, action.confirm, action.title);
  const ledger = await openLedgerStore(ledgerPath, { redactor: new Redactor(runbook.secrets, env), chainKey: chainKeyFrom(io.env) });
  let session: Session | undefined;
  try {
    session = await openSession({ runbook, ledger, ledgerPath, env, signal: io.shutdownSignal?.(), actionOnly: name, takeOver });
    if (session.resumedFromSilent) io.stderr.write(`${session.resumedFromSilent.line}\n`);
    // Its cockpit died while it ran: it may still run. --yes never runs it again; --confirm NAME
    // does, or, at a terminal, its word typed again under the warning.
    if (session.store.getState().outcomes.unknown.includes(name) && values.confirm !== name) {
      if (values.yes) {
        io.stderr.write(`opscockpit: ${name} not run: ${UNKNOWN_ACTION}; pass --confirm ${name} to run it again, or type its word at a terminal without --yes\n`);
        return EXIT_NEEDS_PERSON;
      }
      const again = await askConfirmation(io, action.confirm, `${UNKNOWN_ACTION[0].toUpperCase()}${UNKNOWN_ACTION.slice(1)}.`, 'again to run it anyway');
      if (again !== action.confirm) {
        io.stderr.write(`opscockpit: ${name} not run: its outcome is still unknown\n`);
        return EXIT_NEEDS_PERSON;
      }
    }
    const outcome = await session.runAction(name, typed);
    if (!outcome) {
      io.stderr.write(`opscockpit: ${session.store.getState().flash?.text ?? `${name} did not run`}\n`);
      return 1;
    }
    if (outcome.refused) {
      io.stderr.write(`opscockpit: ${name} refused by ${outcome.refused.failure}: ${outcome.refused.reason}\nremedy: ${outcome.refused.remedy}\n`);
      return EXIT_REFUSED;
    }
    if (outcome.output) io.stdout.write(outcome.output.endsWith('\n') ? outcome.output : outcome.output + '\n');
    io.stdout.write(`${name}: ${outcome.status} (${outcome.reason}) — run ${session.runId} in ${ledger.location}\n`);
    if (outcome.failure) io.stderr.write(`opscockpit: ${name} failed: ${outcome.failure.class}\nremedy:\n${outcome.failure.remedy.map((r, i) => `  ${i + 1}. ${r}`).join('\n')}\n`);
    return outcome.status === 'succeeded' || outcome.status === 'dry-run' ? 0 : 1;
  } finally {
    // Alerts about the action go out before the ledger closes; the shutdown has recorded all
    // and given the run's lease up.
    await session?.settleNotifications();
    await session?.shutdown(session.cancelled ?? 'the action ended');
    await session?.stop();
    await ledger.close();
  }
}

async function askConfirmation(io: Io, word: string, title: string, what = 'to confirm'): Promise<string> {
  io.stderr.write(`${title}\n`);
  // The prompt's line editing moves the cursor: its stream is the terminal itself, and what it
  // shows from the runbook (the word) is made visible first.
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(`Type ${visible(word)} ${what}: `)).trim();
  } finally {
    rl.close();
  }
}

export async function stopCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse('stop', args, { ...LEDGER_OPTIONS, reason: { type: 'string' } });
  const state = positionals[0];
  if (positionals.length !== 1 || (state !== 'on' && state !== 'off')) throw new UsageError('say on or off', 'stop');
  const reason = typeof values.reason === 'string' ? values.reason : '';
  if (state === 'off' && !reason.trim()) throw new UsageError('turning the emergency stop off needs --reason', 'stop');
  let r: { ok: true } | Refused;
  try {
    r = await stopWithNotice(io, values, state === 'on', reason || 'emergency stop from the command line');
  } catch (err) {
    if (!isLedgerUnreachable(err)) throw err;
    io.stderr.write(`opscockpit: ${stopUnreachable(state === 'on', err)}\n`);
    return 1;
  }
  if (!r.ok) return refused(io, r);
  io.stdout.write(state === 'on' ? 'emergency stop ON: no action runs until it is turned off with a reason\n' : `emergency stop off: ${reason}\n`);
  return 0;
}

/**
 * The stop from another terminal reaches the cockpits only through the ledger: unreachable, it is
 * in force nowhere. One line: that, why, and what to do (the stop key in the cockpit acts at once).
 */
function stopUnreachable(on: boolean, err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const where = text.split('\n')[0].replace(/^cannot reach /, '');
  const cause = /cause: (.*)/.exec(text)?.[1];
  const why = `${where} is unreachable${cause ? ` (${cause})` : ''}`;
  return on
    ? `the emergency stop is NOT in force anywhere: ${why}, and a stop from here reaches the cockpits only through it; press ! in the cockpit that runs the work (it stops there at once and is recorded when the ledger is back)`
    : `the emergency stop is unchanged: ${why}, and turning it off is recorded first; try again once the ledger answers`;
}

/** The stop through the controls; with --runbook whose notify: asks for it, Slack hears of it too. */
async function stopWithNotice(io: Io, values: Values, on: boolean, reason: string): Promise<{ ok: true } | Refused> {
  const path = ledgerPathOf(values, io.env);
  const runbook = typeof values.runbook === 'string' ? await loadRunbookFile(resolve(values.runbook), io.env) : undefined;
  return withControls(io, path, runbook, UNGUARDED, (c) => c.setStop(on, reason));
}

async function policyOf(values: Values, io: Io, command: string): Promise<{ runbook: Runbook; path: string }> {
  if (typeof values.runbook !== 'string') throw new UsageError('--runbook FILE is needed: the safety: section sets the window and approvals', command);
  const runbook = await loadRunbookFile(resolve(values.runbook), io.env);
  return { runbook, path: ledgerPathOf(values, io.env) };
}

export async function modeCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse('mode', args, { ...LEDGER_OPTIONS, reason: { type: 'string' } });
  const mode = positionals[0] as Mode;
  if (positionals.length !== 1 || !MODES.includes(mode)) throw new UsageError(`say one of ${MODES.join(', ')}`, 'mode');
  const { runbook, path } = await policyOf(values, io, 'mode');
  const r = await withControls(io, path, runbook, runbook.safety, (c) => c.setMode(mode, typeof values.reason === 'string' ? values.reason : ''));
  if (!r.ok) return refused(io, r);
  io.stdout.write(`mode ${mode}\n`);
  return 0;
}

export async function windowCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse('window', args, { ...LEDGER_OPTIONS, json: { type: 'boolean' } });
  const verb = positionals[0];
  if (positionals.length !== 1 || !['request', 'approve', 'status'].includes(verb)) throw new UsageError('say request, approve or status', 'window');
  const { runbook, path } = await policyOf(values, io, 'window');
  // Only reads: no ledger file is made to answer it.
  if (verb === 'status' && !isPostgresLocation(path) && !existsSync(path)) throw noLedgerAt(path, values);
  return withControls(io, path, runbook, runbook.safety, async (c, ledger) => {
    if (verb === 'request') {
      const r = await c.requestWindow();
      if (!r.ok) {
        io.stderr.write(`opscockpit: ${r.reason}\n`);
        return 1;
      }
      io.stdout.write(`window ${r.id} requested; it needs ${runbook.safety.approvals} approvals from operators other than ${ledger.stampedOperator ?? operatorName(io.env)} and expires at ${new Date(r.expiresAt).toISOString()}\n`);
      return 0;
    }
    if (verb === 'approve') {
      const r = await c.approve();
      if (!r.ok) {
        io.stderr.write(`opscockpit: approval refused: ${r.reason}\n`);
        return EXIT_REFUSED;
      }
      io.stdout.write(`window ${r.window} approved by ${whoIs(ledger, io.env)}\n`);
      return 0;
    }
    const v = await c.refresh();
    io.stdout.write(values.json ? JSON.stringify(v, null, 2) + '\n' : `mode ${v.mode} · stop ${v.stop.on ? `ON (${v.stop.reason})` : 'off'} · window ${v.window ? `${v.window.id} ${v.windowStatus}, approvers ${v.window.approvers.join(', ') || 'none'}` : 'none'}\n`);
    return 0;
  });
}

export async function unlockCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse('unlock', args, { ledger: { type: 'string' }, reason: { type: 'string' } });
  if (positionals.length !== 1) throw new UsageError('give the RUNBOOK to unlock', 'unlock');
  const reason = typeof values.reason === 'string' ? values.reason : '';
  if (!reason.trim()) throw new UsageError('unlocking a runbook needs --reason', 'unlock');
  const runbook = await loadRunbookFile(resolve(positionals[0]), io.env);
  const path = ledgerPathOf({ ledger: values.ledger }, io.env, runbook.file);
  const r = await withControls(io, path, runbook, UNGUARDED, (c) => unlockRunbook(c, runbook, reason));
  if (!r.ok) return refused(io, r);
  io.stdout.write(`${runbook.name} unlocked: ${reason.trim()}\n`);
  return 0;
}
