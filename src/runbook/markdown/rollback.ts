// The rollback section as the runbook's `rollback` action: one script that runs the
// section's blocks in order and stops at the first failing line (its HTTP checks as curl, its
// manual steps printed). One action, not one per
// block: the R key and `act rollback` start one thing behind one typed confirmation, recorded
// as one intent and one outcome, and a half-done rollback stops where it failed.
import type { ActionInput } from '../schema.js';
import type { MarkdownRollback } from './structure.js';
import { squash } from './words.js';
import { shellQuote } from './placeholders.js';

/** Rollbacks take as long as they take, within reason. */
export const ROLLBACK_TIMEOUT = '30m';

/** The rollback action for the section, or undefined when it is empty. */
export function rollbackAction(rollback: MarkdownRollback, given: ReadonlySet<string>, secrets: ReadonlySet<string> = new Set()): ActionInput | undefined {
  const parts: string[] = [];
  for (const step of rollback.steps) {
    parts.push(`# ${squash(step.title, 120)} (line ${step.line})`);
    if (step.script) parts.push(step.script.block);
    else if (step.http) parts.push(`curl -fsS ${step.http.method === 'HEAD' ? '-I ' : ''}"${step.http.base}${step.http.path}"`);
    // A step done by hand is printed where it falls, so the rollback's output is its checklist.
    else parts.push(`echo ${shellQuote(`by hand: ${squash(step.title, 160)}`)}`);
  }
  if (parts.length === 0) return undefined;
  const needs = [...new Set(rollback.steps.flatMap((s) => s.script?.placeholders ?? []))].filter((n) => !given.has(n));
  // A placeholder nobody filled stops the rollback before its first command, never runs as an
  // empty string; -u stops it at any other unset variable.
  const guards = needs.map((n) => `: "\${${n}:?needs a value for ${n}}"`);
  const script = ['set -euo pipefail', ...guards, ...parts].join('\n');
  // In the run's shell when one is alive, as a person at the terminal would roll back: what the
  // forward steps exported is there. Its placeholders are parameters of the run (--param).
  const action: ActionInput = { title: squash(rollback.title, 120), script: { command: 'bash', args: ['-c', script], timeout: ROLLBACK_TIMEOUT, shell: 'bash' } };
  if (needs.length > 0) action.placeholders = needs;
  const passed = [...needs, ...secretsUsed(script, secrets)];
  if (passed.length > 0) action.script!.passEnv = passed;
  return action;
}

/** The declared secrets a block uses, as `$NAME` or `${NAME…}`. */
export function secretsUsed(block: string, secrets: ReadonlySet<string>): string[] {
  return [...secrets].filter((name) => block.includes('$') && new RegExp(`\\$(?:\\{${name}\\b|${name}(?![A-Za-z0-9_]))`).test(block));
}
