// mdast → outline: the parts of each top-level block the walker reads (texts, lines, list
// shape, code), as plain data. An outline is much smaller than the tree it comes from, so it
// is what the section cache keeps (cache.ts), and the walker reads outlines only (walk.ts).
import type { Blockquote, List, ListItem, Paragraph, RootContent, Table } from 'mdast';

export type OutlineBlock =
  | { type: 'heading'; line: number; depth: number; text: string }
  | { type: 'paragraph'; line: number; text: string }
  | OutlineList
  | { type: 'code'; line: number; lang: string | null; value: string }
  /** A table or a blockquote, read as one line of context. */
  | { type: 'note'; text: string }
  | { type: 'yaml'; line: number; value: string }
  /** HTML, thematic breaks and the rest: nothing to read, but they separate blocks. */
  | { type: 'other' };

export interface OutlineList {
  type: 'list';
  line: number;
  ordered: boolean;
  items: OutlineItem[];
}

export interface OutlineItem {
  line: number;
  /** true/false for a task item (`- [x]`), null otherwise. */
  checked: boolean | null;
  /** Text of the item's first paragraph, and the code spans in it. */
  first?: { text: string; codes: string[] };
  /** The item is one paragraph and nothing else. */
  soleParagraph: boolean;
  /** The other children in order: code blocks, texts (paragraphs, tables, quotes), lists. */
  parts: OutlinePart[];
}

export type OutlinePart = { type: 'code'; lang: string | null; value: string } | { type: 'text'; text: string } | { type: 'list'; list: OutlineList };

/**
 * Lists nested deeper than this are read as the text of the item that holds them: a runbook
 * nests a few levels, and the walker (which recurses per level) stays within its stack.
 */
export const MAX_LIST_DEPTH = 32;

export function outlineOf(nodes: readonly RootContent[]): OutlineBlock[] {
  return nodes.map(blockOf);
}

function blockOf(node: RootContent): OutlineBlock {
  switch (node.type) {
    case 'heading':
      return { type: 'heading', line: lineOf(node), depth: node.depth, text: toString(node) };
    case 'paragraph':
      return { type: 'paragraph', line: lineOf(node), text: toString(node) };
    case 'list':
      return listOf(node);
    case 'code':
      return { type: 'code', line: lineOf(node), lang: node.lang ?? null, value: node.value };
    case 'table':
      return { type: 'note', text: tableText(node) };
    case 'blockquote':
      return { type: 'note', text: quoteText(node) };
    case 'yaml':
      return { type: 'yaml', line: lineOf(node), value: node.value };
    default:
      return { type: 'other' };
  }
}

function listOf(list: List, depth = 1): OutlineList {
  return { type: 'list', line: lineOf(list), ordered: list.ordered === true, items: list.children.map((item) => itemOf(item, depth)) };
}

function itemOf(item: ListItem, depth: number): OutlineItem {
  const first = item.children.find((c): c is Paragraph => c.type === 'paragraph');
  const parts: OutlinePart[] = [];
  for (const c of item.children) {
    if (c === first) continue;
    if (c.type === 'code') parts.push({ type: 'code', lang: c.lang ?? null, value: c.value });
    else if (c.type === 'paragraph') parts.push({ type: 'text', text: toString(c) });
    else if (c.type === 'table') parts.push({ type: 'text', text: tableText(c) });
    else if (c.type === 'blockquote') parts.push({ type: 'text', text: quoteText(c) });
    else if (c.type === 'list') parts.push(depth < MAX_LIST_DEPTH ? { type: 'list', list: listOf(c, depth + 1) } : { type: 'text', text: toString(c) });
  }
  return {
    line: lineOf(item),
    checked: item.checked === true || item.checked === false ? item.checked : null,
    first: first ? { text: toString(first), codes: first.children.filter((c) => c.type === 'inlineCode').map((c) => c.value) } : undefined,
    soleParagraph: item.children.length === 1 && item.children[0].type === 'paragraph',
    parts,
  };
}

/** Plain text of a node; hard line breaks read as spaces. */
export function toString(node: unknown): string {
  const n = node as { type?: string; value?: unknown; children?: unknown[] };
  if (n.type === 'break') return ' ';
  if (typeof n.value === 'string') return n.value;
  return Array.isArray(n.children) ? n.children.map(toString).join('') : '';
}

function lineOf(node: { position?: { start: { line: number } } }): number {
  return node.position?.start.line ?? 1;
}

function tableText(t: Table): string {
  return t.children.map((row) => row.children.map((cell) => toString(cell).trim()).join(' | ')).join('; ');
}

function quoteText(q: Blockquote): string {
  return q.children.map((c) => toString(c)).join(' ');
}

/** The code that makes outlines: cached outlines made by other code are not used (cache.ts). */
export function outlineCode(): string {
  return [outlineOf, blockOf, listOf, itemOf, toString, lineOf, tableText, quoteText].map(String).join('\n');
}

/** The same outline `by` lines further down (a section's outline placed in its document). */
export function shiftOutline(blocks: readonly OutlineBlock[], by: number): OutlineBlock[] {
  if (by === 0) return blocks as OutlineBlock[];
  return blocks.map((b) => {
    if (b.type === 'list') return shiftList(b, by);
    return 'line' in b ? { ...b, line: b.line + by } : b;
  });
}

function shiftList(list: OutlineList, by: number): OutlineList {
  return {
    ...list,
    line: list.line + by,
    items: list.items.map((item) => ({
      ...item,
      line: item.line + by,
      parts: item.parts.map((p) => (p.type === 'list' ? { type: 'list' as const, list: shiftList(p.list, by) } : p)),
    })),
  };
}
