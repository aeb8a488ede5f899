// A Markdown runbook's golden outline: each step on a line of its own, as a person reads it in
// the checklist, and what would run. Shared by the shape and corpus goldens.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { markdownToDocument, parseMarkdownRunbook } from '../../src/runbook/markdown/load.js';
import type { StepInput } from '../../src/runbook/schema.js';

export const MARKDOWN_DIR = 'fixtures/runbooks/markdown';

export type MarkdownDocument = ReturnType<typeof markdownToDocument>['document'];

/** The runbook format v1 document a fixture reads as. */
export const doc = (name: string): MarkdownDocument => markdownToDocument(readFileSync(join(MARKDOWN_DIR, name), 'utf8'), name).document;

/** A fixture loaded as the cockpit loads it (choices made, parameters checked). */
export const load = (name: string, choose: Record<string, string> = {}, params: Record<string, string> = {}) =>
  parseMarkdownRunbook(readFileSync(join(MARKDOWN_DIR, name), 'utf8'), resolve(MARKDOWN_DIR, name), {}, params, choose);

export type Outline = { phase: string; title: string; runs?: string; http?: string; confirm?: true | 'typed'; every?: string; placeholders?: string[]; manual?: true };

/** Each step in a line of its own: what a person reads in the checklist, and what would run. */
export function outline(d: MarkdownDocument): Outline[] {
  const out: Outline[] = [];
  for (const [phase, steps] of Object.entries(d.checklists) as [string, StepInput[]][]) {
    for (const s of steps) {
      const o: Outline = { phase, title: s.title! };
      const check = typeof s.check === 'object' ? s.check : undefined;
      if (check?.script) o.runs = check.script.args![1];
      if (check?.http) o.http = `${check.http.method ?? 'GET'} ${check.http.target}${check.http.path}`;
      if (check?.every) o.every = String(check.every);
      if (s.confirm) o.confirm = s.confirm;
      if (s.placeholders) o.placeholders = s.placeholders;
      if (s.manual) o.manual = true;
      out.push(o);
    }
  }
  return out;
}

/** What the rollback action runs. */
export const rollbackScript = (d: MarkdownDocument) => (d.actions as { rollback?: { script: { args: string[] } } } | undefined)?.rollback?.script.args[1];

/** A step's description: its section path and its notes. */
export const description = (d: MarkdownDocument, id: string) => Object.values(d.checklists).flat().find((s) => s!.id === id)?.description;
