// --param NAME=VALUE on run, check, act and open: the runbook loaded with the values, checked,
// and the environment scripts and secrets read, with the values in it.
import { loadRunbookFile } from '../runbook/load.js';
import type { Runbook } from '../runbook/model.js';
import { checkParams, parseParamArgs, withParamValues } from '../runbook/params.js';
import { UsageError } from './errors.js';
import type { Io } from './main.js';

export const PARAM_OPTION = { param: { type: 'string' as const, multiple: true as const } };

/** Exit code when a parameter has no value and nobody is there to give it. */
export const EXIT_NEEDS_PERSON = 2;

export interface ParamRun {
  runbook: Runbook;
  /** The operator's environment with the parameters' values over it. */
  env: NodeJS.ProcessEnv;
}

/**
 * The runbook with the given parameters, or the exit code after saying which parameters still
 * need a value. Unknown names and bad values are usage errors.
 */
export async function loadWithParams(command: string, file: string, args: readonly string[] | undefined, io: Io, shown = file): Promise<ParamRun | number> {
  const { given, problems } = parseParamArgs(args ?? []);
  if (problems.length > 0) throw new UsageError(problems.join('\n'), command);
  const runbook = await loadRunbookFile(file, io.env, given);
  const check = checkParams(runbook.params, given);
  if (check.unknown.length > 0) {
    const names = runbook.params.map((p) => p.name);
    throw new UsageError(`the runbook has no parameter ${check.unknown.map((n) => `"${n}"`).join(', ')} (parameters: ${names.join(', ') || 'none'})`, command);
  }
  if (check.invalid.length > 0) throw new UsageError(check.invalid.join('\n'), command);
  if (check.missing.length > 0) {
    const args = check.missing.map((p) => `--param ${p.name}=${p.type === 'enum' && p.values ? p.values.join('|') : '…'}`).join(' ');
    const lines = check.missing.map((p) => `  ${p.name}${p.description ? `: ${p.description}` : ''}`);
    io.stderr.write(`opscockpit: needs a person: ${check.missing.length === 1 ? 'a parameter has' : 'parameters have'} no value\n${lines.join('\n')}\ngive ${check.missing.length === 1 ? 'it' : 'them'}: opscockpit ${command} ${shown} ${args}\n`);
    return EXIT_NEEDS_PERSON;
  }
  return { runbook, env: withParamValues(runbook.params, io.env) };
}
