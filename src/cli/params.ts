// What a run starts with, on run, check, act and open: --param NAME=VALUE for the runbook's
// params:, --choose NAME=OPTION (or OPSCOCKPIT_CHOOSE=name=option,…) for its choices. The
// runbook is loaded with them and checked; what is still missing is asked in the cockpit's
// form, or, headless, needs a person (exit 2 naming the flags to give).
import { existsSync } from 'node:fs';
import { loadRunbookFile } from '../runbook/load.js';
import type { Runbook } from '../runbook/model.js';
import { checkParams, parseParamArgs, withParamValues } from '../runbook/params.js';
import { checkChoices, optionNames, parseChooseArgs } from '../runbook/choices.js';
import { MASK } from '../runbook/secrets.js';
import { openLedger } from '../../adapters/ledger.js';
import { SqliteStore } from '../../adapters/sqlite-store.js';
import { openLedgerStore } from '../../adapters/ledger-store-open.js';
import { isPostgresLocation } from '../../adapters/ledger-path.js';
import type { LedgerStore } from '../engine/ledger-store.js';
import { DrivenElsewhereError, JoinConflictError, ResumeConflictError, seatRunValues, startDifferences, type RecordedStart, type SeatRequest } from '../session/run-lifecycle.js';
import type { RunLease } from '../engine/lease.js';
import { UsageError } from './errors.js';
import { oneLine } from '../visible.js';
import type { Io } from './main.js';
import { ownValue } from '../own.js';

export const PARAM_OPTION = { param: { type: 'string' as const, multiple: true as const }, choose: { type: 'string' as const, multiple: true as const } };

/** The flags' values as parseArgs gives them. */
export function startArgs(values: Record<string, unknown>): { param?: string[]; choose?: string[] } {
  return { param: values.param as string[] | undefined, choose: values.choose as string[] | undefined };
}

/** `--take-over REASON` of run and act: a reason, one line, or none given. */
export function takeOverReason(value: unknown, command: string): string | undefined {
  if (value === undefined) return undefined;
  const reason = String(value).trim();
  if (!reason || /[\u0000-\u001f\u007f]/.test(reason)) throw new UsageError('--take-over needs a reason, one line of text ("alice left; finishing the cutover")', command);
  return reason;
}

/** Exit code when a value or a choice is missing and nobody is there to give it. */
export const EXIT_NEEDS_PERSON = 2;

export interface ParamRun {
  runbook: Runbook;
  /** The operator's environment with the parameters' values over it. */
  env: NodeJS.ProcessEnv;
  /** What the cockpit should tell the operator when it starts (other values for a resumed run). */
  notice?: string;
}

/** Parameter values and chosen options, by name. */
export interface StartValues {
  params: Record<string, string>;
  choose: Record<string, string>;
}

/** Asks a person for what is missing (the cockpit's form): all values given, or undefined when they quit. */
export type AskStart = (runbook: Runbook, given: StartValues) => Promise<StartValues | undefined>;

export interface StartOptions {
  /** The runbook as the person wrote it, for the command to give again (default: the file). */
  shown?: string;
  /**
   * The ledger of a command that joins, resumes or takes over an open run: the run's recorded
   * values are its values. A run someone drives is joined only with its values (others are
   * refused); a headless command is refused there, unless it takes the run over (`seat`).
   */
  ledgerPath?: string;
  /** How this start sits in the runbook's run (engine/driver.ts); headless by default. */
  seat?: SeatRequest;
  ask?: AskStart;
  /**
   * An abort or a rollback: it is never held back by parameters or a choice the forward steps
   * need (the values its own commands need are asked by actionValuesMissing).
   */
  backOut?: boolean;
}

/**
 * The runbook with the given parameters and options, or the exit code: 2 after saying what
 * still needs a person, 0 when the person quit the form. Unknown names and bad values are
 * usage errors. A choice nobody made is missing, except for `check`, which walks its first option.
 */
export async function loadWithParams(command: string, file: string, values: { param?: string[]; choose?: string[] }, io: Io, opts: StartOptions = {}): Promise<ParamRun | number> {
  const params = parseParamArgs(values.param ?? []);
  const choose = parseChooseArgs(values.choose ?? [], io.env.OPSCOCKPIT_CHOOSE);
  const problems = [...params.problems, ...choose.problems];
  if (problems.length > 0) throw new UsageError(problems.join('\n'), command);
  let given: StartValues = { params: params.given, choose: choose.given };
  let runbook = await loadChecked(command, file, given, io);
  // The open run is looked up by the runbook's key, which its text may declare (identity.ts).
  const open = opts.ledgerPath ? await openRunOf(opts.ledgerPath, runbook, opts.seat ?? {}) : undefined;
  // A watcher shows the run as it recorded it, and runs nothing: what the run did not record
  // for it (its secrets) it does not need.
  const observeOnly = opts.seat?.wish === 'watch';
  if (open) {
    given = withRecorded(observeOnly ? { params: {}, choose: {} } : given, open.recorded);
    runbook = await loadChecked(command, file, given, io);
  }
  let missing = missingOf(command, runbook, opts.backOut || observeOnly);
  let notice = open ? otherValues(runbook, open) : undefined;
  if (missing.count > 0 && opts.ask) {
    const answers = await opts.ask(runbook, given);
    if (!answers) return 0; // the person quit: nothing started, nothing recorded
    given = { params: { ...given.params, ...answers.params }, choose: { ...given.choose, ...answers.choose } };
    runbook = await loadChecked(command, file, given, io);
    missing = missingOf(command, runbook, opts.backOut);
    if (open) notice = otherValues(runbook, open);
  }
  if (missing.count > 0) {
    io.stderr.write(needsPerson(command, opts.shown ?? file, missing));
    return EXIT_NEEDS_PERSON;
  }
  const defaulted = runbook.choices.filter((c) => !c.given);
  for (const c of defaulted) io.stderr.write(`opscockpit: choice "${c.name}": none given, so ${command} walks its first option, ${c.chosen} (give another with --choose ${c.name}=${optionNames(c, '|')})\n`);
  if (notice) io.stderr.write(`opscockpit: ${notice}\n`);
  return { runbook, env: withParamValues(runbook.params, io.env), ...(notice ? { notice } : {}) };
}

/**
 * `validate` with --param/--choose: the runbook as a run with these values would load, values
 * checked; a parameter not given is not a problem (a run asks for it when it starts).
 */
export async function loadForValidate(file: string, values: { param?: string[]; choose?: string[] }, io: Io): Promise<Runbook> {
  const params = parseParamArgs(values.param ?? []);
  const choose = parseChooseArgs(values.choose ?? [], io.env.OPSCOCKPIT_CHOOSE);
  const problems = [...params.problems, ...choose.problems];
  if (problems.length > 0) throw new UsageError(problems.join('\n'), 'validate');
  return loadChecked('validate', file, { params: params.given, choose: choose.given }, io);
}

async function loadChecked(command: string, file: string, given: StartValues, io: Io): Promise<Runbook> {
  const runbook = await loadRunbookFile(file, io.env, given.params, given.choose);
  const check = checkParams(runbook.params, given.params);
  if (check.unknown.length > 0) {
    const names = runbook.params.map((p) => p.name);
    throw new UsageError(`the runbook has no parameter ${check.unknown.map((n) => `"${oneLine(n)}"`).join(', ')} (parameters: ${names.join(', ') || 'none'})`, command);
  }
  const invalid = [...check.invalid, ...checkChoices(runbook.choices, given.choose).invalid];
  if (invalid.length > 0) throw new UsageError(invalid.join('\n'), command);
  return runbook;
}

function missingOf(command: string, runbook: Runbook, backOut = false) {
  const params = backOut ? [] : checkParams(runbook.params, {}).missing;
  const choices = command === 'check' || backOut ? [] : checkChoices(runbook.choices, {}).missing;
  return { params, choices, count: params.length + choices.length };
}

function needsPerson(command: string, shown: string, missing: ReturnType<typeof missingOf>): string {
  const { params, choices, count } = missing;
  const what = [
    params.length ? (params.length === 1 ? 'a parameter has no value' : 'parameters have no value') : '',
    choices.length ? (choices.length === 1 ? 'a choice was not made' : 'choices were not made') : '',
  ].filter(Boolean);
  const lines = [
    ...params.map((p) => `  ${p.name}${p.description ? `: ${p.description}` : ''}`),
    ...choices.map((c) => `  choice "${c.name}"${c.title !== c.name ? ` (${c.title})` : ''}: ${c.options.map((o) => (o.title !== o.name ? `${o.name} (${o.title})` : o.name)).join(', ')}`),
  ];
  const args = [
    ...params.map((p) => `--param ${p.name}=${p.type === 'enum' && p.values ? p.values.join('|') : '…'}`),
    ...choices.map((c) => `--choose ${c.name}=${optionNames(c, '|')}`),
  ];
  return `opscockpit: needs a person: ${what.join(' and ')}\n${lines.join('\n')}\ngive ${count === 1 ? 'it' : 'them'}: opscockpit ${command} ${shown} ${args.join(' ')}\n`;
}

type SeatRun = { runId: string; recorded: RecordedStart; driven?: RunLease };

/**
 * Other values than the open run recorded: refused for a run someone drives (this start would
 * show, or walk after a take-over, values nobody recorded) and for other options (they change
 * the checklist); a resumed run goes on with other parameter values, said aloud (the notice).
 */
function otherValues(runbook: Runbook, open: SeatRun): string | undefined {
  const differ = startDifferences(runbook, open.recorded);
  if (open.driven && differ.params.length + differ.choices.length > 0) throw new JoinConflictError(open.runId, open.driven, [...differ.params, ...differ.choices]);
  if (differ.choices.length > 0) throw new ResumeConflictError(open.runId, open.recorded, differ.choices);
  // A value may change between attempts (a rollback to another SHA); never silently.
  if (differ.params.length > 0) return `run ${open.runId} goes on with other parameter values than it recorded: ${differ.params.join(', ')}; the new values are recorded in the ledger.`;
  return undefined;
}

/** The open run this start would sit in, read from the ledger if it exists (a refused headless start throws). */
async function openRunOf(location: string, runbook: Pick<Runbook, 'file' | 'key'>, seat: SeatRequest): Promise<SeatRun | undefined> {
  const postgres = isPostgresLocation(location);
  if (!postgres && !existsSync(location)) return undefined;
  let ledger: LedgerStore | undefined;
  try {
    ledger = postgres ? await openLedgerStore(location) : new SqliteStore(openLedger(location, { readOnly: true }), location);
    return await seatRunValues(ledger, runbook, Date.now(), seat);
  } catch (err) {
    if (err instanceof DrivenElsewhereError) throw err;
    return undefined; // the start opens the ledger to write, and says what is wrong with it
  } finally {
    await ledger?.close();
  }
}

/** The resumed run's values where none are given (secret ones are recorded masked: given again). */
function withRecorded(given: StartValues, recorded: RecordedStart): StartValues {
  const params = Object.fromEntries(Object.entries(recorded.params ?? {}).filter(([, v]) => v !== MASK));
  return { params: { ...params, ...given.params }, choose: { ...recorded.choices, ...given.choose } };
}

/**
 * Before anything is recorded: the values the named actions' scripts need (a Markdown
 * rollback's `<REVISION>`) that neither --param nor the environment gave. Says so and gives
 * the exit code (needs a person), or undefined when every value is there.
 */
export function actionValuesMissing(command: string, shown: string, runbook: Runbook, names: readonly string[], env: NodeJS.ProcessEnv, io: Io): number | undefined {
  const missing = [...new Set(names.flatMap((n) => (runbook.actions[n]?.placeholders ?? []).filter((p) => !ownValue(env, p))))];
  if (missing.length === 0) return undefined;
  const flags = missing.map((n) => `--param ${n}=…`).join(' ');
  io.stderr.write(`opscockpit: needs a person: ${names.join(', ')} needs a value for ${missing.join(', ')}; nothing was run or recorded\ngive ${missing.length === 1 ? 'it' : 'them'}: opscockpit ${command} ${shown} ${flags}\n`);
  return EXIT_NEEDS_PERSON;
}
