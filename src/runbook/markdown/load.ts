// Loading a Markdown runbook: read it into format v1 (read.ts, document.ts), then the same
// validation and normalisation as a YAML runbook (schema, cross-references, normalize), so
// both kinds reach the engine as the same Runbook.
import path from 'node:path';
import { crossCheck } from '../crossref.js';
import { RunbookError, type RunbookIssue } from '../errors.js';
import { formatPath, registerMarkdownParser } from '../load.js';
import type { Runbook } from '../model.js';
import { normalizeRunbook } from '../normalize.js';
import { interpolationEnv } from '../params.js';
import { RunbookSchema } from '../schema.js';
import { problemsFromZod, type Problem } from '../zod-issues.js';
import { toRunbookDocument, type ConvertedRunbook } from './document.js';
import { SETTINGS_KEY } from './front-matter.js';
import { readMarkdownRunbook } from './read.js';
import { arithmeticLines } from './evaluated.js';

export const MARKDOWN_EXTENSIONS = /\.(md|markdown)$/i;

/** Markdown text → the runbook format v1 document it stands for (what `convert` prints). */
export function markdownToDocument(text: string, file: string): ConvertedRunbook {
  return toRunbookDocument(readMarkdownRunbook(text, file));
}

/** Validate and normalise a Markdown runbook; throws RunbookError with Markdown line numbers. */
export function parseMarkdownRunbook(text: string, file: string, env: NodeJS.ProcessEnv = process.env, params: Readonly<Record<string, string>> = {}, choose: Readonly<Record<string, string>> = {}): Runbook {
  if (text.trim() === '' || text.trim() === '\uFEFF') {
    throw new RunbookError(file, [{ file, line: 1, column: 1, path: '', message: 'the runbook is empty', hint: 'a Markdown runbook has a # title and steps: task items (- [ ]), numbered steps or shell blocks' }]);
  }
  const md = readMarkdownRunbook(text, file);
  const { document, metadata, lineOf, fieldOf } = toRunbookDocument(md);
  // The schema checks what a person wrote here: the front matter. The steps are written by
  // document.ts in the schema's own types (StepInput), and the tests pass converted documents
  // through the whole schema (test/markdown-native.test.ts); checking a 1 MB runbook's 13,000
  // steps again on every load would cost more than parsing it.
  const { checklists, ...written } = document;
  const parsed = RunbookSchema.safeParse(written);
  const problems: Problem[] = parsed.success ? [] : problemsFromZod(parsed.error.issues, written, RunbookSchema);
  const refs = crossCheck(document, interpolationEnv(document, env, params), lineOf);
  problems.push(...refs.problems);
  if (problems.length > 0 || !parsed.success) {
    const toIssue = (p: Problem): RunbookIssue => {
      const field = fieldOf(p.path);
      // A field of the front matter's settings has a column; the walked steps have lines only.
      const column = field[0] === SETTINGS_KEY && md.frontMatter ? md.frontMatter.position(p.path, p.anchor).column : 1;
      const issue: RunbookIssue = { file, line: lineOf(p.path, p.anchor), column, path: formatPath(field), message: p.message };
      if (p.hint) issue.hint = p.hint;
      return issue;
    };
    throw new RunbookError(file, problems.map(toIssue));
  }
  const absolute = path.resolve(file);
  // A parameter used in arithmetic takes an integer only (integer-params.ts), named with the line of the block's text that uses it.
  const integerLines = arithmeticLines([...md.sections, ...(md.rollback ? [md.rollback] : [])].flatMap((s) => s.steps.flatMap((st) => (st.script ? [st.script] : []))));
  const runbook = normalizeRunbook({ ...parsed.data, checklists }, { file: absolute, dir: path.dirname(absolute), targets: refs.targets, release: refs.release, lineOf, params, choose, env, integerLines });
  return Object.keys(metadata).length > 0 ? { ...runbook, metadata } : runbook;
}

registerMarkdownParser(parseMarkdownRunbook);
