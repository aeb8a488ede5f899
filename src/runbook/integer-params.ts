// Parameters a runbook's shell scripts use in arithmetic (`$(( $REPLICAS + 1 ))`, `let`,
// `declare -i` …: markdown/evaluated.ts reads where): bash evaluates their value there, and a
// `$(…)` in a subscript of it runs, so the value must be an integer (schema-params.ts). Read
// from the scripts every runbook runs, YAML or Markdown: a `bash -c SCRIPT` check or action.
import type { ChecklistStep } from '../engine/checklist.js';
import { PHASES } from '../engine/types.js';
import { evaluatedUses } from './markdown/evaluated.js';
import type { Action, Check, Phase, RunbookParam, ScriptSpec } from './model.js';

const SHELLS = /(?:^|\/)(?:ba|z|k|da)?sh$/;

/** The script of `bash -c SCRIPT` (sh, zsh …); a script file is not read. */
function inlineScript(spec: ScriptSpec | undefined): string | undefined {
  return spec && SHELLS.test(spec.command) && spec.args[0] === '-c' && typeof spec.args[1] === 'string' ? spec.args[1] : undefined;
}

/**
 * The parameters with `integer` set to the line of the first step (or action) whose script
 * uses them in arithmetic; `exact` gives a better line where the reader knows it (Markdown).
 */
export function withIntegerParams(
  params: RunbookParam[],
  runbook: { checklists: Record<Phase, ChecklistStep[]>; checks: Record<string, Check>; actions: Record<string, Action> },
  actionLine: (name: string) => number,
  exact?: ReadonlyMap<string, number>,
): RunbookParam[] {
  const names = new Map<string, number>();
  const read = (spec: ScriptSpec | undefined, line: number) => {
    const script = inlineScript(spec);
    // A value too deep in a command to place (unchecked) must be an integer too.
    if (script) for (const u of evaluatedUses(script, () => undefined)) if (u.kind !== 'code' && !names.has(u.name)) names.set(u.name, line);
  };
  for (const phase of PHASES) {
    for (const step of runbook.checklists[phase]) {
      const check = step.check ? runbook.checks[step.check] : undefined;
      if (check?.kind === 'script') read(check, step.line);
    }
  }
  for (const [name, a] of Object.entries(runbook.actions)) read(a.script, actionLine(name));
  if (names.size === 0 && !exact?.size) return params;
  return params.map((p) => {
    const line = exact?.get(p.name) ?? names.get(p.name);
    return line === undefined ? p : { ...p, integer: line };
  });
}
