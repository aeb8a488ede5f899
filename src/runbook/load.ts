// Loading a runbook: read the file, parse the YAML keeping positions, validate the shape
// (schema.ts) and the references between sections (crossref.ts), then normalise
// (normalize.ts). Every problem found is collected and thrown as one RunbookError.
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { crossCheck } from './crossref.js';
import { RunbookError, type RunbookIssue } from './errors.js';
import { SourceLocator } from './locate.js';
import { keyIssues, syntaxIssues } from './syntax.js';
import type { Runbook } from './model.js';
import { normalizeRunbook } from './normalize.js';
import { interpolationEnv } from './params.js';
import { readRunbookText } from './read-file.js';
import { RunbookSchema } from './schema.js';
import { problemsFromZod, type Problem } from './zod-issues.js';

export { RunbookError } from './errors.js';
export type { RunbookIssue } from './errors.js';

/** Runbook files read as Markdown rather than YAML. */
export const MARKDOWN_FILE = /\.(md|markdown)$/i;

type MarkdownParser = (text: string, file: string, env: NodeJS.ProcessEnv, params?: Params, choose?: Params) => Runbook;
/** Parameter values (--param NAME=VALUE) or options (--choose NAME=OPTION) given for the run, or in the cockpit's form. */
type Params = Readonly<Record<string, string>>;
let markdownParser: MarkdownParser | undefined;

/**
 * The Markdown loader registers itself when it is imported. It is a large module (a full
 * Markdown parser), so YAML runbooks and every headless command start without loading it.
 */
export function registerMarkdownParser(parse: MarkdownParser): void {
  markdownParser = parse;
}

/** Load any runbook file, loading the Markdown support first when the file needs it. */
export async function loadRunbookFile(file: string, env: NodeJS.ProcessEnv = process.env, params: Params = {}, choose: Params = {}): Promise<Runbook> {
  if (MARKDOWN_FILE.test(file) && !markdownParser) await import('./markdown/load.js');
  return loadRunbook(file, env, params, choose);
}

/**
 * Load, validate and normalise a runbook file (YAML, or Markdown for .md/.markdown once the
 * Markdown support is loaded: see loadRunbookFile). Throws RunbookError listing every problem.
 */
export function loadRunbook(file: string, env: NodeJS.ProcessEnv = process.env, params: Params = {}, choose: Params = {}): Runbook {
  const text = readRunbookText(file);
  if (MARKDOWN_FILE.test(file)) {
    if (!markdownParser) throw new Error(`Markdown support is not loaded for ${file}; use loadRunbookFile`);
    return markdownParser(text, file, env, params, choose);
  }
  return parseRunbook(text, file, env, params, choose);
}

/** Validate and normalise runbook text; `file` names it in messages and anchors relative paths. */
export function parseRunbook(text: string, file: string, env: NodeJS.ProcessEnv = process.env, params: Params = {}, choose: Params = {}): Runbook {
  const source = text.replace(/^\uFEFF/, '');
  const lineCounter = new LineCounter();
  // Unique keys are checked by keyIssues, in linear time.
  const doc = parseDocument(source, { lineCounter, prettyErrors: false, merge: true, uniqueKeys: false });
  const syntax = [...syntaxIssues(doc, lineCounter, file), ...keyIssues(doc, lineCounter, file)];
  if (syntax.length > 0) throw new RunbookError(file, syntax);

  const locator = new SourceLocator(doc, lineCounter, source);
  const toIssue = (p: Problem): RunbookIssue => {
    const { line, column } = locator.position(p.path, p.anchor, p.needle);
    const issue: RunbookIssue = { file, line, column, path: formatPath(p.path), message: p.message };
    if (p.hint) issue.hint = p.hint;
    return issue;
  };

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    throw new RunbookError(file, [{ file, line: 1, column: 1, path: '', message: `YAML: ${(e as Error).message}` }]);
  }
  if (raw === null || raw === undefined) {
    throw new RunbookError(file, [
      { file, line: 1, column: 1, path: '', message: 'the runbook is empty', hint: 'start with "version: 1" and "name:"' },
    ]);
  }

  const parsed = RunbookSchema.safeParse(raw);
  const problems: Problem[] = parsed.success ? [] : problemsFromZod(parsed.error.issues, raw, RunbookSchema);
  const refs = crossCheck(raw, interpolationEnv(raw, env, params), (p) => locator.line(p));
  problems.push(...refs.problems);

  if (problems.length > 0 || !parsed.success) throw new RunbookError(file, problems.map(toIssue));

  const absolute = path.resolve(file);
  return normalizeRunbook(parsed.data, {
    file: absolute,
    dir: path.dirname(absolute),
    targets: refs.targets,
    release: refs.release,
    lineOf: (p) => locator.line(p),
    params,
    choose,
    env,
  });
}

/** `checks.readyz.http.timeout`, `checklists.preflight[2].check`, `expect.json["data.status"]`. */
export function formatPath(segments: readonly (string | number)[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (/^[A-Za-z0-9_][A-Za-z0-9_-]*$/.test(s)) out += out ? `.${s}` : s;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}
