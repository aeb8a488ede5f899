// YAML syntax errors as runbook issues, positioned where the author can fix them.
import { isCollection, isScalar, visit, type Document, type LineCounter, type YAMLError } from 'yaml';
import type { RunbookIssue } from './errors.js';

export function syntaxIssues(doc: Document, lines: LineCounter, file: string): RunbookIssue[] {
  return doc.errors.map((err) => {
    const opening = openingOf(doc, err);
    const offset = opening ?? err.pos[0];
    const { line, col } = lines.linePos(offset);
    let message = `YAML syntax: ${cleanMessage(err.message)}`;
    if (opening !== undefined) message += ' (it is opened here and never closed)';
    return { file, line, column: col, path: '', message };
  });
}

/**
 * yaml reports an unclosed quote or flow collection where it gave up (often the end of the
 * file); the useful place is where the quote or bracket was opened.
 */
function openingOf(doc: Document, err: YAMLError): number | undefined {
  const quote = err.code === 'MISSING_CHAR' && /quote/i.test(err.message);
  const flow = /^Flow (sequence|map)/.test(err.message);
  if (!quote && !flow) return undefined;
  const pos = err.pos[0];
  let best: number | undefined;
  visit(doc, (_key, node) => {
    let range: readonly number[] | null | undefined;
    if (quote && isScalar(node) && (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE')) range = node.range;
    else if (flow && isCollection(node) && node.flow === true) range = node.range;
    if (!range) return;
    const [start, end] = range;
    if (start < pos && end >= pos - 1 && end <= pos + 1 && (best === undefined || start > best)) best = start;
  });
  return best;
}

/** yaml may append " at line L, column C" and a source excerpt; the issue carries the position. */
function cleanMessage(message: string): string {
  return message
    .replace(/\s+at line \d+, column \d+:?[\s\S]*$/, '')
    .replace(/^Missing closing (["'])quote/, 'missing closing $1 quote')
    .trim();
}
