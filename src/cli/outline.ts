// `opscockpit validate RUNBOOK --outline`: what the cockpit makes of a runbook, before anyone
// opens it — each phase's steps in order, what each one runs and how it is started, the notes
// it carries, the values it still needs, the choices, the parameters and the actions. Read
// from the normalised runbook, so a Markdown runbook and the YAML it converts to print alike.
import type { Action, Check, ChecklistStep, Runbook } from '../runbook/model.js';
import { PHASES } from '../runbook/model.js';
import { actionKey } from '../keys/keymap.js';
import { visible } from '../visible.js';
import { identityLine } from '../runbook/identity.js';

const NOTE_CHARS = 96;

export function formatOutline(rb: Runbook, shown: string): string {
  const lines = [`${rb.name}  (${shown})`];
  // Why two copies in two folders are one runbook to a shared ledger.
  const identity = identityLine(rb);
  if (identity) lines.push(identity);
  if (rb.description) lines.push(...rb.description.split('\n').map((l) => `  ${l}`));
  if (rb.params.length) {
    lines.push('', 'parameters');
    for (const p of rb.params) {
      const type = p.type === 'enum' && p.values ? p.values.join('|') : p.type;
      const kind = p.integer === undefined ? type : `${p.type === 'string' ? '' : `${type}, `}an integer: used in arithmetic at line ${p.integer}`;
      const value = p.value === undefined ? (p.atStep ? 'asked when its step comes' : 'no value yet') : p.type === 'secret' ? 'set' : `= ${p.value}`;
      lines.push(`  ${p.name} (${kind}) ${value}${p.description ? ` — ${p.description}` : ''}`);
    }
  }
  for (const c of rb.choices) {
    lines.push('', `choice: ${c.title}  (--choose ${c.name}=OPTION)`);
    for (const o of c.options) lines.push(`  ${o.name === c.chosen ? '●' : '○'} ${o.name}  ${o.title}${o.name === c.chosen ? '  (walked)' : ''}`);
  }
  let n = 0;
  let lastSection: string | undefined;
  for (const phase of PHASES) {
    const steps = rb.checklists[phase];
    lines.push('', `${phase}${steps.length ? '' : ': no steps'}`);
    const params = new Set(rb.params.filter((p) => !p.atStep || p.value !== undefined).map((p) => p.name));
    for (const step of steps) {
      // The section a step sits in is printed where it changes; each note of the step after it.
      const [section, ...notes] = notesOf(step);
      const context = [...(section !== undefined && section !== lastSection ? [`in: ${section}`] : []), ...notes.map((t) => `note: ${t}`)];
      lines.push(...stepLines(++n, step, step.check ? rb.checks[step.check] : undefined, params, context));
      lastSection = section;
    }
  }
  const actions = Object.values(rb.actions);
  if (actions.length) {
    lines.push('', 'actions');
    for (const a of actions) lines.push(...actionLines(a, actionKey(rb, a.name)));
  }
  return lines.map(visible).join('\n');
}

function stepLines(n: number, step: ChecklistStep, check: Check | undefined, params: ReadonlySet<string>, context: string[]): string[] {
  const how = [startedBy(step, check)];
  const uses = (step.placeholders ?? []).filter((p) => params.has(p));
  const needs = (step.placeholders ?? []).filter((p) => !params.has(p));
  if (uses.length) how.push(`uses ${uses.join(', ')}`);
  if (needs.length) how.push(`needs a value for ${needs.join(', ')}`);
  if (!step.blocking) how.push('not blocking');
  const out = [`  ${String(n).padStart(2)}. ${step.title}`, `      ${how.join(' · ')}`];
  out.push(...commandLines(check).map((l) => `      $ ${l}`));
  out.push(...context.map((c) => `      ${c}`));
  return out;
}

function startedBy(step: ChecklistStep, check: Check | undefined): string {
  if (!check) return 'a person confirms it';
  if (step.confirm === 'typed') return `runs after you type "${step.id}"`;
  if (step.confirm) return 'runs when you press Enter';
  const every = check.everyMs !== undefined ? `, every ${seconds(check.everyMs)}` : '';
  const gate = step.blocking ? '; the Gate waits on it' : '';
  return `${check.kind === 'gate' ? 'release gate' : 'check'}${every}${gate}`;
}

function commandLines(check: Check | undefined): string[] {
  if (!check) return [];
  if (check.kind === 'http') return [`${check.method} ${check.url}`];
  if (check.kind === 'gate') return [`${check.quorum} of ${check.sloFiles.length} SLO policies on ${check.evidence}`];
  return scriptLines(check);
}

function actionLines(a: Action, k: string | undefined): string[] {
  const key = k ? ` (key ${k})` : '';
  const out = [`  ${a.name}${key}: ${a.title} — type "${a.confirm}" to run; scope ${a.scope}`];
  if (a.http) out.push(`      $ ${a.http.method} ${a.http.url}`);
  if (a.script) out.push(...scriptLines(a.script).map((l) => `      $ ${l}`));
  return out;
}

/** A shell block's own lines (`bash -c BLOCK`), else the command line. */
function scriptLines(s: { command: string; args: string[] }): string[] {
  if (s.args.length === 2 && s.args[0] === '-c' && /(^|\/)(ba|z)?sh$/.test(s.command)) return s.args[1].split('\n');
  return [[s.command, ...s.args].join(' ')];
}

/**
 * The step's description as its parts: first where it sits (a Markdown step's section), then
 * each note, one line each.
 */
function notesOf(step: ChecklistStep): string[] {
  const text = step.description?.replace(/\s+/g, ' ').trim();
  if (!text) return [];
  return text.split(' — ').map((t) => (t.length > NOTE_CHARS ? `${t.slice(0, NOTE_CHARS - 1)}…` : t));
}

function seconds(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000}m` : ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
