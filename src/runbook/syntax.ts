// YAML syntax errors as runbook issues, positioned where the author can fix them.
import { isAlias, isCollection, isMap, isScalar, visit, type Document, type LineCounter, type Range, type YAMLError } from 'yaml';
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

/**
 * Keys a runbook cannot use: the key `__proto__` anywhere (read into a plain object, it would set
 * the object's prototype and the entry would vanish) and, when `unique`, keys repeated in one
 * mapping, found with a set per mapping: yaml's own uniqueKeys check compares each key with every
 * earlier one, which takes minutes on a runbook of 200,000 checks.
 */
export function keyIssues(doc: Document, lines: LineCounter, file: string, { unique = true } = {}): RunbookIssue[] {
  const issues: RunbookIssue[] = [];
  const at = (key: { range?: Range | null }, message: string) => {
    const { line, col } = lines.linePos(key.range?.[0] ?? 0);
    issues.push({ file, line, column: col, path: '', message });
  };
  visit(doc, {
    Map(_key, map) {
      if (!isMap(map)) return;
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        const key = pair.key;
        if (isAlias(key)) {
          // `*k :` is the anchored node's value as a key: `__proto__` that way vanishes too.
          const target = key.resolve(doc);
          if (isScalar(target) && target.value === '__proto__') at(key, '"__proto__" cannot be a key: choose another name');
          if (isCollection(target)) at(key, 'a key is a name, not a list or a map');
          continue;
        }
        if (isCollection(key)) {
          // yaml would make it text ("[a]") with a warning of its own on stderr.
          at(key, 'a key is a name, not a list or a map');
          continue;
        }
        if (!isScalar(key) || key.value === '<<') continue; // merge keys may repeat
        if (key.value === '__proto__') at(key, '"__proto__" cannot be a key: choose another name');
        if (!unique) continue;
        if (!seen.has(key.value)) {
          seen.add(key.value);
          continue;
        }
        at(key, `YAML syntax: Map keys must be unique ("${String(key.value)}" appears twice)`);
      }
    },
  });
  return issues;
}
