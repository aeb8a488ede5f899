// MarkdownRunbook → runbook format v1 (the data a YAML runbook holds), with the Markdown
// line of each part so validation problems point into the .md file. Every step's check is
// written in place, so it is named `<phase>.<step id>` like any inline check.
import type { Anchor, PathSegment } from '../locate.js';
import { PHASES, type Phase } from '../model.js';
import type { StepInput } from '../schema.js';
import type { MarkdownRunbook, MarkdownStep } from './structure.js';
import { SETTINGS_KEY } from './front-matter.js';
import { rollbackAction, secretsUsed } from './rollback.js';
import { blockConfirm } from './destructive.js';
import { cut, squash } from './words.js';

/** Script steps run with bash -c from the runbook folder; ops commands may take a while. */
export const SCRIPT_TIMEOUT = '10m';

export type RunbookDocument = Record<string, unknown> & { version: 1; name: string; checklists: Partial<Record<Phase, StepInput[]>> };

export interface ConvertedRunbook {
  /** The front matter's opscockpit settings as written; targets and checklists made from the text. */
  document: RunbookDocument;
  /** The front matter's other keys (title, weight, tags …): kept, not validated, not run. */
  metadata: Record<string, unknown>;
  lineOf(path: PathSegment[], anchor?: Anchor): number;
  /** The field as the author wrote it: `opscockpit.targets.app` for a front matter setting. */
  fieldOf(path: PathSegment[]): PathSegment[];
}

export function toRunbookDocument(md: MarkdownRunbook): ConvertedRunbook {
  const fm = md.frontMatter?.settings ?? {};
  const targets: Record<string, string> = {};
  const checklists = {} as Record<Phase, StepInput[]>;
  const stepLines = {} as Record<Phase, number[]>; // the Markdown line of each step, by index
  const ids = new Set<string>();
  const secrets = new Set<string>(Array.isArray(fm.secrets) ? fm.secrets.map(String) : []);
  const given = givenValues(fm, secrets);
  const stepIds = new Map<string, string[]>(); // section slug → its step ids
  // Named steps (name=, unique: annotate.ts) keep their names; the others' ids go round them.
  const named = new Set(md.sections.flatMap((s) => s.steps.flatMap((st) => (st.id ? [st.id] : []))));
  for (const phase of PHASES) {
    checklists[phase] = [];
    stepLines[phase] = [];
  }
  for (const section of md.sections) {
    const steps = section.steps;
    const into = checklists[section.phase];
    const lines = stepLines[section.phase];
    for (let i = 0; i < steps.length; i++) {
      let id = steps[i].id ?? `${section.slug}-${i + 1}`;
      while (!steps[i].id && (ids.has(id) || named.has(id))) id += '-x';
      ids.add(id);
      into.push(stepData(id, steps[i], targets, given, secrets));
      const own = stepIds.get(section.slug);
      if (own) own.push(id);
      else stepIds.set(section.slug, [id]);
      lines.push(steps[i].line);
    }
  }
  const document = { version: 1, name: md.name } as Omit<RunbookDocument, 'checklists'> & Partial<Pick<RunbookDocument, 'checklists'>>;
  if (md.description) document.description = md.description;
  // The opscockpit: settings; name and description are read with the title (read.ts).
  for (const [key, value] of Object.entries(fm)) {
    if (key === 'version' || key === 'name' || key === 'description') continue;
    if (key === 'targets' && isObj(value)) Object.assign(targets, value);
    else if (key === 'secrets' && Array.isArray(value)) document.secrets = [...new Set(value)];
    else document[key] = value; // unknown keys too, so validation names them
  }
  if (Object.keys(targets).length > 0) document.targets = targets;
  if (md.choices && md.choices.length > 0 && document.choices === undefined) {
    document.choices = md.choices.map((c) => ({
      name: c.name,
      title: c.title,
      options: c.options.map((o) => ({ name: o.name, title: o.title, steps: o.sections.flatMap((s) => stepIds.get(s) ?? []) })),
    }));
  }
  const rollback = md.rollback && rollbackAction(md.rollback, given, secrets);
  const actions = isObj(document.actions) ? document.actions : {};
  if (rollback && actions.rollback === undefined) document.actions = { ...actions, rollback };
  const nonEmpty = Object.fromEntries(PHASES.filter((p) => checklists[p].length > 0).map((p) => [p, checklists[p]]));
  // Last, in the order convert prints the keys; a checklists: key in the front matter is replaced.
  delete document.checklists;
  document.checklists = nonEmpty;
  const fmKeys = new Set(Object.keys(fm));
  const { [SETTINGS_KEY]: _settings, ...metadata } = md.frontMatter?.metadata ?? {};
  return {
    document: document as RunbookDocument,
    metadata,
    fieldOf: (path) => (typeof path[0] === 'string' && fmKeys.has(path[0]) ? [SETTINGS_KEY, ...path] : path),
    lineOf(path, anchor) {
      const head = path[0];
      const phase = path[1];
      const index = path[2];
      if (head === 'checklists' && typeof phase === 'string' && typeof index === 'number')
        return stepLines[phase as Phase]?.[index] ?? 1;
      if (typeof head === 'string' && fmKeys.has(head) && md.frontMatter) return md.frontMatter.lineOf(path, anchor);
      if (head === 'targets') return firstStepUsing(String(phase), checklists, stepLines);
      return 1;
    },
  };
}

function stepData(id: string, step: MarkdownStep, targets: Record<string, string>, given: ReadonlySet<string>, secrets: ReadonlySet<string>): StepInput {
  const out: StepInput = { id, title: step.title };
  // The section path and every context text are squashed already (walk.ts).
  const description = joinedCut(step.section, step.context, ' — ', 400);
  if (step.http) {
    const h = step.http;
    targets[h.target] ??= h.base;
    const http: NonNullable<Exclude<StepInput['check'], string | undefined>['http']> = { target: h.target, path: h.path };
    if (h.method !== 'GET') http.method = h.method;
    if (Object.keys(h.headers).length > 0) http.headers = { ...h.headers };
    http.expect = { status: 200 };
    out.check = { title: squash(h.label, 120), http };
  } else if (step.script) {
    const s = step.script;
    // A block the operator starts runs in the run's one shell (exports and cd carry); a
    // read-only check (polled, or waited on by the Gate) in a fresh shell of its own that starts
    // with what the run's shell holds, so that it sees the run's exports and can never change
    // where or with what the operator's next step runs.
    const shell = s.shell ?? 'bash';
    const run = { command: shell === 'zsh' ? 'zsh' : 'bash', args: ['-c', s.block], timeout: s.timeout ?? SCRIPT_TIMEOUT };
    const script: NonNullable<Exclude<StepInput['check'], string | undefined>['script']> = s.check ? { ...run, shell, readOnly: true } : { ...run, shell };
    if (s.expectExit) script.exitCodes = expectedExits(s.expectExit);
    const check: Exclude<StepInput['check'], string | undefined> = { title: squash(s.label, 120), script };
    // Only a block the runbook calls a read-only check runs without a person, and is polled
    // with every:; any other block waits for Enter, a destructive one for typed confirmation.
    if (s.check) {
      if (s.check.every) check.every = s.check.every;
    } else out.confirm = blockConfirm(s);
    out.check = check;
    const needs = (s.placeholders ?? []).filter((n) => !given.has(n));
    if (needs.length > 0) out.placeholders = needs;
    // The value the operator gives (in the environment) reaches the block, and so do the
    // declared secrets it uses (masked in its output like any secret).
    const passed = [...needs, ...secretsUsed(s.block, secrets)];
    if (passed.length > 0) script.passEnv = passed;
  } else {
    out.manual = true;
  }
  if (step.scope) out.scope = step.scope;
  if (description) out.description = description;
  return out;
}

/** expect-exit=0,3 as the script check's exit codes: the listed ones pass, 0 too only when listed. */
function expectedExits(codes: readonly number[]): Record<string, 'healthy' | 'error'> {
  const out: Record<string, 'healthy' | 'error'> = codes.includes(0) ? {} : { 0: 'error' };
  for (const c of codes) out[c] = 'healthy';
  return out;
}

/**
 * cut([first, ...rest].join(separator), max), joining no further than the cut: a step's
 * context may hold long texts, and only its first `max` characters are kept.
 */
function joinedCut(first: string, rest: readonly string[], separator: string, max: number): string {
  let out = first;
  for (let i = 0; i < rest.length && out.length <= max; i++) out += separator + rest[i];
  return cut(out, max);
}

/**
 * Names the runbook gives a value to: its secrets, and the parameters its front matter
 * declares (asked before the run starts, passed to every script). A block using them has no
 * placeholder left to fill.
 */
function givenValues(fm: Record<string, unknown>, secrets: ReadonlySet<string>): Set<string> {
  const out = new Set(secrets);
  if (isObj(fm.params)) for (const name of Object.keys(fm.params)) out.add(name);
  return out;
}

function firstStepUsing(target: string, checklists: Record<Phase, StepInput[]>, lines: Record<Phase, number[]>): number {
  for (const phase of PHASES) {
    const i = checklists[phase].findIndex((s) => typeof s.check === 'object' && s.check.http?.target === target);
    if (i !== -1) return lines[phase][i] ?? 1;
  }
  return 1;
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
