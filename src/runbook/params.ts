// Parameters of a run: declared under params: (schema-params.ts), given with --param or in the
// cockpit's form, else their default. Their values reach scripts as environment variables and
// targets and release metadata as ${NAME}; secret ones are declared secrets: masked everywhere.
import { oneLine } from '../visible.js';
import { MASK } from './secrets.js';
import { valueProblem, type ParamInput, type ParamType } from './schema-params.js';
import { ownValue, setOwn } from '../own.js';

export interface RunbookParam {
  name: string;
  description?: string;
  type: ParamType;
  /** The values an enum may take. */
  values?: string[];
  default?: string;
  pattern?: string;
  /**
   * The first line of the runbook using it in arithmetic (`$(( <REPLICAS> + 1 ))`), where bash
   * evaluates the value and so runs a `$(…)` in a subscript: its value must be an integer.
   */
  integer?: number;
  /** Given for this run, else the default; undefined when neither (the run cannot start). */
  value?: string;
  /**
   * A value a step's command needs that the runbook never declared (`<POD_NAME>`, an unset
   * `$VAR`): asked when that step comes, not before the run starts, as the operator often
   * learns it from an earlier step. Names the first step that needs it.
   */
  atStep?: string;
}

export function normalizeParams(input: Record<string, ParamInput> | undefined, given: Readonly<Record<string, string>>): RunbookParam[] {
  return Object.entries(input ?? {}).map(([name, p]) => {
    const out: RunbookParam = { name, type: p.type ?? 'string' };
    if (p.description !== undefined) out.description = p.description;
    if (p.values) out.values = [...p.values];
    if (p.default !== undefined) out.default = String(p.default);
    if (p.pattern !== undefined) out.pattern = p.pattern;
    const value = Object.hasOwn(given, name) ? given[name] : out.default;
    if (value !== undefined) out.value = value;
    return out;
  });
}

/** A name that says its value is a credential (`DB_PASSWORD`, `API_TOKEN`): a secret parameter. */
const CREDENTIAL_NAME = /PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL/i;

/**
 * The placeholders of the runbook's steps as parameters asked at their step: each name no
 * declared parameter or secret gives, with the value given for this run (--param), else the
 * one the operator's environment holds (it then "defines" it), else none yet. One whose name
 * says it is a credential is a secret parameter: masked on screen, in the ledger and in output.
 */
export function placeholderParams(
  steps: Iterable<{ title: string; placeholders?: string[] }>,
  declared: ReadonlySet<string>,
  given: Readonly<Record<string, string>>,
  env: NodeJS.ProcessEnv,
): RunbookParam[] {
  const out = new Map<string, RunbookParam>();
  for (const step of steps) {
    for (const name of step.placeholders ?? []) {
      if (declared.has(name) || out.has(name)) continue;
      const p: RunbookParam = { name, type: CREDENTIAL_NAME.test(name) ? 'secret' : 'string', description: `needed by "${step.title}"`, atStep: step.title };
      const value = Object.hasOwn(given, name) ? given[name] : ownValue(env, name) || undefined;
      if (value !== undefined) p.value = value;
      out.set(name, p);
    }
  }
  return [...out.values()];
}

/**
 * The environment that `${NAME}` references in targets and release metadata are filled from:
 * the operator's, with the parameters' values (given, else default) over it. Read from the
 * runbook as written, before validation, as the references are checked with the rest.
 */
export function interpolationEnv(raw: unknown, env: NodeJS.ProcessEnv, given: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  const params = isObj(raw) && isObj(raw.params) ? raw.params : undefined;
  if (!params) return env;
  const out = { ...env };
  for (const [name, p] of Object.entries(params)) {
    if (Object.hasOwn(given, name)) out[name] = given[name];
    else if (isObj(p) && ['string', 'number', 'boolean'].includes(typeof p.default)) out[name] = String(p.default);
    else delete out[name]; // a parameter is never read from the operator's shell
  }
  return out;
}

/** Secret parameters' names: declared secrets like the runbook's own. */
export function secretParamNames(input: Record<string, ParamInput> | undefined): string[] {
  return Object.entries(input ?? {})
    .filter(([, p]) => p.type === 'secret')
    .map(([name]) => name);
}

export interface ParamCheck {
  /** Given names the runbook does not declare. */
  unknown: string[];
  /** One sentence per bad value. */
  invalid: string[];
  /** Parameters with no value and no default. */
  missing: RunbookParam[];
}

/** What is wrong with the values a run would start with. */
export function checkParams(params: readonly RunbookParam[], given: Readonly<Record<string, string>>): ParamCheck {
  const declared = new Set(params.map((p) => p.name));
  const invalid: string[] = [];
  for (const p of params) {
    if (p.value === undefined) continue;
    const problem = valueProblem(p, p.value) ?? (p.atStep ? commandValueProblem(p.value) : undefined);
    if (problem) invalid.push(`parameter ${p.name}: ${problem}`);
  }
  // A value asked at its step is not missing before the run starts.
  return { unknown: Object.keys(given).filter((n) => !declared.has(n)), invalid, missing: params.filter((p) => p.value === undefined && !p.atStep) };
}

/** The operator's environment with the parameters' values over it: what scripts and secrets read. */
export function withParamValues(params: readonly RunbookParam[] | undefined, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (!params?.length) return env;
  const out = { ...env };
  for (const p of params) {
    if (p.value !== undefined) setOwn(out, p.name, p.value);
    else delete out[p.name];
  }
  return out;
}

/**
 * The parameters with the values a run recorded (its last run.params) over them; a name the
 * runbook does not declare is a value given at its step. Secret ones are recorded masked: the
 * value held here stays.
 */
export function withRecordedValues(params: readonly RunbookParam[], recorded: Readonly<Record<string, string>>): RunbookParam[] {
  const out = params.map((p) => (Object.hasOwn(recorded, p.name) && recorded[p.name] !== MASK ? { ...p, value: recorded[p.name] } : p));
  for (const [name, value] of Object.entries(recorded)) {
    if (value !== MASK && !out.some((p) => p.name === name)) out.push({ name, type: 'string', value, atStep: name });
  }
  return out;
}

/** The values as the ledger records them: secret ones as ***. */
export function recordedParams(params: readonly RunbookParam[]): Record<string, string> {
  return Object.fromEntries(params.filter((p) => p.value !== undefined).map((p) => [p.name, p.type === 'secret' ? MASK : (p.value as string)]));
}

/** `name=value` for the header, secret ones masked. */
export function shownParams(params: readonly RunbookParam[] | undefined): string {
  return (params ?? [])
    .filter((p) => p.value !== undefined || !p.atStep)
    .map((p) => `${p.name}=${p.value === undefined ? '?' : p.type === 'secret' ? MASK : p.value}`)
    .join(' ');
}

/** NAME=VALUE arguments (--param) → name → value; a malformed one is described. */
export function parseParamArgs(args: readonly string[]): { given: Record<string, string>; problems: string[] } {
  return parseAssignments(args, (a) => `--param ${a}: write --param NAME=VALUE`);
}

/**
 * NAME=VALUE pairs (--param, --choose) → name → value; `malformed` describes a bad one. A name
 * given twice with different values is a problem (which one the operator meant is not for the
 * tool to guess); `flag` names the option in it.
 */
export function parseAssignments(args: readonly string[], malformed: (arg: string) => string, flag = '--param'): { given: Record<string, string>; problems: string[] } {
  // No prototype: `--param __proto__=x` is a name like any other (and so an unknown one).
  const given = Object.create(null) as Record<string, string>;
  const problems: string[] = [];
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0) {
      problems.push(malformed(oneLine(arg)));
      continue;
    }
    const name = arg.slice(0, eq);
    const value = arg.slice(eq + 1);
    if (Object.hasOwn(given, name) && given[name] !== value) problems.push(`${flag} ${oneLine(name)} is given twice with different values: give it once`);
    else given[name] = value;
  }
  return { given, problems };
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * A value that stands for a word in a command (`<POD_NAME>`): blank, or with spaces around it,
 * it would change the command (`rm -rf /data/<DIR>` with DIR blank), so it is refused.
 */
export function commandValueProblem(value: string): string | undefined {
  if (value.trim() === '') return 'a value a command needs cannot be blank';
  if (value.trim() !== value) return 'a value a command needs cannot start or end with spaces';
  return undefined;
}
