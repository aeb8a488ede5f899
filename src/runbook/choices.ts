// A runbook's choices (Linux / macOS / Windows, online / offline): the operator picks one
// option of each, and only its steps are walked. The first option is the default;
// OPSCOCKPIT_CHOOSE=name=option[,name=option] (what `run --choose` sets) picks another.
import { RunbookError } from './errors.js';
import type { RunbookInput } from './schema.js';

export interface RunbookChoice {
  name: string;
  title: string;
  options: { name: string; title: string; steps: string[] }[];
  /** The option walked. */
  chosen: string;
}

/** The choices with their chosen options, and the step ids the others hold (not walked). */
export function resolveChoices(input: RunbookInput, choose: string | undefined, file: string): { choices: RunbookChoice[]; dropped: Set<string> } {
  const wanted = new Map<string, string>();
  for (const pair of (choose ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const at = pair.indexOf('=');
    wanted.set(at > 0 ? pair.slice(0, at).trim() : pair, at > 0 ? pair.slice(at + 1).trim() : '');
  }
  const dropped = new Set<string>();
  const choices: RunbookChoice[] = [];
  for (const c of input.choices ?? []) {
    const want = wanted.get(c.name);
    wanted.delete(c.name);
    const option = want === undefined ? c.options[0] : c.options.find((o) => o.name === want);
    if (!option) throw problem(file, `no option "${want}" in choice "${c.name}"`, `choose one of: ${c.options.map((o) => o.name).join(', ')}`);
    for (const o of c.options) if (o !== option) for (const id of o.steps) dropped.add(id);
    choices.push({ name: c.name, title: c.title ?? c.name, options: c.options.map((o) => ({ name: o.name, title: o.title ?? o.name, steps: [...o.steps] })), chosen: option.name });
  }
  // A step of the chosen option is walked even where another option lists it too.
  for (const c of choices) for (const id of c.options.find((o) => o.name === c.chosen)!.steps) dropped.delete(id);
  const [unknown] = wanted.keys();
  if (unknown !== undefined) throw problem(file, `the runbook has no choice "${unknown}"`, choices.length ? `its choices: ${choices.map((c) => c.name).join(', ')}` : 'it offers no choices');
  return { choices, dropped };
}

function problem(file: string, message: string, hint: string): RunbookError {
  return new RunbookError(file, [{ file, line: 1, column: 1, path: 'choices', message, hint }]);
}
