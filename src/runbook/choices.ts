// A runbook's choices (Linux / macOS / Windows, online / offline): the operator picks one
// option of each, and only its steps are walked. Given with --choose NAME=OPTION (or its
// environment form OPSCOCKPIT_CHOOSE=name=option,…) or in the cockpit's form; a choice nobody
// made walks its first option, which only `check` accepts (it never runs blocks).
import type { RunbookInput } from './schema.js';
import { parseAssignments } from './params.js';
import { controlProblem } from './schema-params.js';
import { oneLine } from '../visible.js';

export interface RunbookChoice {
  name: string;
  title: string;
  options: { name: string; title: string; steps: string[] }[];
  /** The option walked: the one given, else the first. */
  chosen: string;
  /** Whether a person chose it (--choose, OPSCOCKPIT_CHOOSE, the form, the resumed run). */
  given: boolean;
}

/** The choices with their chosen options, and the step ids the others hold (not walked). */
export function resolveChoices(input: RunbookInput, wanted: Readonly<Record<string, string>>): { choices: RunbookChoice[]; dropped: Set<string> } {
  const dropped = new Set<string>();
  const choices: RunbookChoice[] = [];
  for (const c of input.choices ?? []) {
    const want = Object.hasOwn(wanted, c.name) ? wanted[c.name] : undefined;
    // An option that does not exist is reported by checkChoices; the first stands in for it.
    const given = want === undefined ? undefined : c.options.find((o) => o.name === want);
    const option = given ?? c.options[0];
    for (const o of c.options) if (o !== option) for (const id of o.steps) dropped.add(id);
    choices.push({ name: c.name, title: c.title ?? c.name, options: c.options.map((o) => ({ name: o.name, title: o.title ?? o.name, steps: [...o.steps] })), chosen: option.name, given: !!given });
  }
  // A step of the chosen option is walked even where another option lists it too.
  for (const c of choices) for (const id of c.options.find((o) => o.name === c.chosen)!.steps) dropped.delete(id);
  return { choices, dropped };
}

export interface ChoiceCheck {
  /** One sentence per choice name the runbook does not have, or option its choice does not. */
  invalid: string[];
  /** Choices nobody made. */
  missing: RunbookChoice[];
}

/** What is wrong with the options given for a run. */
export function checkChoices(choices: readonly RunbookChoice[], wanted: Readonly<Record<string, string>>): ChoiceCheck {
  const invalid: string[] = [];
  for (const [name, option] of Object.entries(wanted)) {
    const c = choices.find((x) => x.name === name);
    if (!c) invalid.push(`the runbook has no choice "${name}" (${choices.length ? `choices: ${choices.map((x) => x.name).join(', ')}` : 'it offers no choices'})`);
    else if (!c.options.some((o) => o.name === option)) invalid.push(`choice "${name}": no option "${oneLine(option)}" (options: ${optionNames(c)})`);
  }
  return { invalid, missing: choices.filter((c) => !c.given) };
}

/** OPSCOCKPIT_CHOOSE's pairs, then --choose's (which win): name → option. */
export function parseChooseArgs(args: readonly string[], env: string | undefined): { given: Record<string, string>; problems: string[] } {
  const fromEnv = (env ?? '').split(',').map((p) => p.trim()).filter(Boolean);
  const e = parseAssignments(fromEnv, (a) => `OPSCOCKPIT_CHOOSE ${a}: write NAME=OPTION[,NAME=OPTION]`, 'OPSCOCKPIT_CHOOSE');
  const f = parseAssignments(args, (a) => `--choose ${a}: write --choose NAME=OPTION`, '--choose');
  // An option is a name: a control character in it is refused before it is echoed anywhere.
  for (const [name, option] of Object.entries(f.given)) {
    const problem = controlProblem(option);
    if (problem) f.problems.push(`--choose ${oneLine(name)}: the option ${problem}`);
  }
  return { given: { ...e.given, ...f.given }, problems: [...e.problems, ...f.problems] };
}

/** The options as the ledger records them: choice name → option name. */
export function recordedChoices(choices: readonly RunbookChoice[]): Record<string, string> {
  return Object.fromEntries(choices.map((c) => [c.name, c.chosen]));
}

/** `name=option` for the header. */
export function shownChoices(choices: readonly RunbookChoice[] | undefined): string {
  return (choices ?? []).map((c) => `${c.name}=${c.chosen}`).join(' ');
}

/** `linux|macos|windows`: what --choose may give. */
export function optionNames(c: Pick<RunbookChoice, 'options'>, sep = ', '): string {
  return c.options.map((o) => o.name).join(sep);
}
