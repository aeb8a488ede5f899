// DRY_RUN: say exactly what an action would run, and run nothing.
import type { Action, Check } from '../runbook/model.js';
import type { ActionOutcome } from './runners.js';

export function describePlan(action: Action): string[] {
  const lines: string[] = [];
  if (action.script) {
    const s = action.script;
    lines.push(`would run: ${[s.command, ...s.args].map(quote).join(' ')}`, `  in ${s.cwd}`, `  timeout ${Math.round(s.timeoutMs / 1000)} s`);
    const env = Object.keys(s.env);
    if (env.length) lines.push(`  env: ${env.join(', ')} (values not shown)`);
  }
  if (action.http) {
    const h = action.http;
    lines.push(`would send: ${h.method} ${h.url}`, `  expecting ${h.expectStatus.join(', ')}`);
    if (Object.keys(h.headers).length) lines.push(`  headers: ${Object.keys(h.headers).join(', ')} (values not shown)`);
  }
  return lines;
}

export function dryRun(action: Action, onOutput: (chunk: string) => void, why = 'DRY_RUN: nothing ran'): ActionOutcome {
  const output = [...describePlan(action), why].join('\n') + '\n';
  onOutput(output);
  return { status: 'dry-run', reason: why, output, durationMs: 0 };
}

/** A check's command in one line (what a confirm-first step would run). */
export function describeCommand(check: Check | undefined): string {
  if (!check) return 'nothing';
  if (check.kind === 'script') return [check.command, ...check.args].map(quote).join(' ');
  if (check.kind === 'http') return `${check.method} ${check.url}`;
  return `the ${check.kind} check ${check.name}`;
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
