// mdast → outline: the parts of each top-level block the walker reads (texts, lines, list
// shape, code), as plain data; the walker reads outlines only (walk.ts).
import type { Blockquote, List, ListItem, Paragraph, RootContent, Table } from 'mdast';
import { markdownToMdast } from 'satteri';
import { isAnnotationComment, parseAnnotations, type ParsedAnnotations } from './annotations.js';
import { admonitionText, jsxTabs, type Shortcode } from './shortcodes.js';

export type OutlineBlock =
  | { type: 'heading'; line: number; depth: number; text: string }
  | { type: 'paragraph'; line: number; text: string }
  | OutlineList
  | ({ type: 'code'; line: number } & OutlineCode)
  /** A table or a blockquote, read as one line of context. */
  | { type: 'note'; text: string }
  /** Docusaurus `<Tabs>` / `<TabItem label="…">` tags and MkDocs `=== "Tab"`: tabs as Hugo writes them. */
  | { type: 'tabs'; line: number; codes: Shortcode[] }
  /** `<details><summary>Title</summary>` (title) … `</details>` (no title). */
  | { type: 'details'; line: number; title?: string }
  /** Front matter: YAML between `---` lines, TOML between `+++` lines. */
  | { type: 'yaml' | 'toml'; line: number; value: string }
  /** `<!-- opscockpit: … -->`: annotations for the code block that follows (annotations.ts). */
  | { type: 'annotation'; line: number; annotations: ParsedAnnotations }
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
  first?: { text: string; codes: string[]; onlyLink?: true };
  /** The item is one paragraph and nothing else. */
  soleParagraph: boolean;
  /** The other children in order: code blocks, texts (paragraphs, tables, quotes), lists. */
  parts: OutlinePart[];
}

/**
 * A code block: `meta` is the info string after the language (```sh {timeout=5m}), and
 * `annotations` what it says to opscockpit (annotations.ts), when it has a meta.
 */
export interface OutlineCode {
  lang: string | null;
  value: string;
  meta?: string;
  annotations?: ParsedAnnotations;
}

export type OutlinePart =
  | ({ type: 'code'; line: number } & OutlineCode)
  | { type: 'text'; text: string }
  | { type: 'list'; list: OutlineList }
  | { type: 'annotation'; line: number; annotations: ParsedAnnotations };

/**
 * Lists nested deeper than this are read as the text of the item that holds them: a runbook
 * nests a few levels, and the walker (which recurses per level) stays within its stack.
 */
export const MAX_LIST_DEPTH = 32;

/** Top-level mdast blocks → outline; `source` is the text their positions refer to. */
export function outlineOf(nodes: readonly RootContent[], source = ''): OutlineBlock[] {
  return joinAdmonitions(withMkdocsTabs(joinIndentedCode(nodes, source), source));
}

/** `=== "Docker"` (MkDocs Material content tabs); `===+` opens a tab too. */
const MKDOCS_TAB = /^===\+?\s+"([^"\n]*)"\s*$/;

/**
 * The blocks, with MkDocs content tabs read as tabs: each `=== "Title"` line and the indented
 * Markdown under it (which CommonMark reads as an indented code block) is a tab whose content
 * is read as Markdown, with lines of the whole file; a run of them is one set of tabs.
 */
function withMkdocsTabs(nodes: readonly RootContent[], source: string): OutlineBlock[] {
  const out: OutlineBlock[] = [];
  let open = false;
  const close = (line: number) => {
    if (open) out.push({ type: 'tabs', line, codes: [{ kind: 'tab', open: false, title: '' }, { kind: 'tabs', open: false }] });
    open = false;
  };
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i];
    const body = nodes[i + 1];
    const tab = n.type === 'paragraph' && body?.type === 'code' && body.lang == null && startsIndented(body, source) ? MKDOCS_TAB.exec(toString(n)) : null;
    if (tab && body?.type === 'code') {
      const line = lineOf(n);
      const opening: Shortcode[] = open ? [{ kind: 'tab', open: false, title: '' }] : [{ kind: 'tabs', open: true }];
      out.push({ type: 'tabs', line, codes: [...opening, { kind: 'tab', open: true, title: tab[1].trim() }] });
      open = true;
      const root = markdownToMdast(body.value) as { children?: RootContent[] };
      const offset = lineOf(body) - 1;
      for (const b of outlineOf(root.children ?? [], body.value)) out.push(shifted(b, offset));
      i++;
      continue;
    }
    close(lineOf(n));
    out.push(blockOf(n, source));
  }
  close(1);
  return out;
}

/** The block with every line in it moved down by `offset` (a tab's content read on its own). */
function shifted<T>(value: T, offset: number): T {
  if (Array.isArray(value)) return value.map((v) => shifted(v, offset)) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = k === 'line' && typeof v === 'number' ? v + offset : shifted(v, offset);
  return out as T;
}

/** Notes that open a Docusaurus admonition whose text follows in paragraphs of their own. */
const OPENING = new WeakSet<OutlineBlock>();

/** `:::caution`, its paragraphs, `:::`: one note. */
function joinAdmonitions(blocks: OutlineBlock[]): OutlineBlock[] {
  const out: OutlineBlock[] = [];
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i];
    out.push(b);
    if (!OPENING.has(b) || b.type !== 'note') continue;
    const texts = [b.text];
    while (blocks[i + 1]?.type === 'paragraph') {
      const p = blocks[++i] as { text: string };
      const closes = /\n?:::\s*$/.test(p.text);
      texts.push(p.text.replace(/\n?:::\s*$/, ''));
      if (closes) break;
    }
    out[out.length - 1] = { type: 'note', text: texts.join(' ').trim() };
  }
  return out;
}

type Code = Extract<RootContent, { type: 'code' }>;

/**
 * One indented code block, as CommonMark reads it, where the parser hands over a node per run
 * of lines (after a thematic break or a quote that ends without a blank line): consecutive
 * indented blocks with only blank lines between them are one block.
 */
function joinIndentedCode<T extends { type: string }>(nodes: readonly T[], source: string): T[] {
  const out: T[] = [];
  for (const node of nodes) {
    const prev = out[out.length - 1] as unknown as Code | undefined;
    const code = node as unknown as Code;
    if (prev?.type === 'code' && code.type === 'code' && isIndented(prev, source) && isIndented(code, source) && onlyBlankBetween(prev, code, source)) {
      const gap = (code.position?.start.line ?? 0) - (prev.position?.end.line ?? 0);
      out[out.length - 1] = { ...prev, value: prev.value + '\n'.repeat(gap) + code.value, position: { start: prev.position!.start, end: code.position!.end } } as unknown as T;
    } else out.push(node);
  }
  return out;
}

/** The block's first line starts with four spaces or a tab: indented content (a MkDocs tab's). */
function startsIndented(code: Code, source: string): boolean {
  const at = code.position?.start.offset;
  if (at === undefined) return false;
  const from = source.lastIndexOf('\n', at - 1) + 1;
  return /^( {4}|\t)/.test(source.slice(from, from + 4));
}

function isIndented(code: Code, source: string): boolean {
  const at = code.position?.start.offset;
  if (at === undefined || !source) return false;
  const rest = source.slice(at, at + 8).trimStart();
  return code.lang == null && !rest.startsWith('```') && !rest.startsWith('~~~');
}

function onlyBlankBetween(a: Code, b: Code, source: string): boolean {
  const from = a.position?.end.offset;
  const to = b.position?.start.offset;
  if (from === undefined || to === undefined || to < from) return false;
  // From the end of the first block to the start of the second: line ends, blank lines and
  // the second block's indentation.
  return /^[ \t\n]*$/.test(source.slice(from, to));
}

function blockOf(node: RootContent, source: string): OutlineBlock {
  switch (node.type) {
    case 'heading':
      return { type: 'heading', line: lineOf(node), depth: node.depth, text: toString(node) };
    case 'paragraph': {
      const text = toString(node);
      // A Docusaurus admonition (`:::caution` … `:::`) is a note; its fences alone are nothing.
      if (text.startsWith(':::')) return admonitionNote(text);
      return { type: 'paragraph', line: lineOf(node), text };
    }
    case 'list':
      return listOf(node, source);
    case 'code':
      return { type: 'code', line: lineOf(node), ...codeOf(node, source) };
    case 'table':
      return { type: 'note', text: tableText(node) };
    case 'blockquote':
      return { type: 'note', text: quoteText(node) };
    case 'yaml':
      return { type: 'yaml', line: lineOf(node), value: node.value };
    case 'html': {
      if (isAnnotationComment(node.value)) return { type: 'annotation', line: lineOf(node), annotations: commentAnnotations(node, source) };
      const codes = jsxTabs(node.value);
      if (codes.length > 0) return { type: 'tabs', line: lineOf(node), codes };
      return detailsOf(node.value, lineOf(node)) ?? { type: 'other' };
    }
    default:
      // satteri reads `+++` front matter as a toml node, which mdast's types do not list.
      if ((node as { type: string }).type === 'toml') return { type: 'toml', line: lineOf(node), value: (node as unknown as { value: string }).value };
      return { type: 'other' };
  }
}

function admonitionNote(text: string): OutlineBlock {
  const note = admonitionText(text);
  if (!note) return { type: 'other' };
  const block: OutlineBlock = { type: 'note', text: note };
  if (note.endsWith(':') && !text.trim().endsWith(':::')) OPENING.add(block);
  return block;
}

function codeOf(node: Code, source: string): OutlineCode {
  const code: OutlineCode = { lang: node.lang ?? null, value: node.value };
  const meta = node.meta?.trim();
  if (meta) {
    code.meta = meta;
    code.annotations = parseAnnotations(meta, metaPlace(node, meta, source));
  }
  return code;
}

type Positioned = { position?: { start: { line: number; column: number; offset?: number }; end: { offset?: number } } };

/** An annotation comment read from the file as written (a list item's indentation and all), so each key's place is its own. */
function commentAnnotations(node: { value: string } & Positioned, source: string): ParsedAnnotations {
  const start = node.position?.start;
  const raw = start?.offset !== undefined ? source.slice(start.offset, node.position?.end.offset) : '';
  if (start && isAnnotationComment(raw)) return parseAnnotations(raw, start);
  return parseAnnotations(node.value, start ?? { line: 1, column: 1 });
}

/** Where a fence's info string rest starts: on the fence's first line, after the language. */
function metaPlace(node: Code, meta: string, source: string): { line: number; column: number } {
  const start = node.position?.start ?? { line: 1, column: 1 };
  if (start.offset === undefined) return start;
  const end = source.indexOf('\n', start.offset);
  const fence = source.slice(start.offset, end === -1 ? undefined : end);
  const at = fence.indexOf(meta, fence.indexOf(node.lang ?? '') + (node.lang ?? '').length);
  return at === -1 ? start : { line: start.line, column: start.column + at };
}

function listOf(list: List, source: string, depth = 1): OutlineList {
  return { type: 'list', line: lineOf(list), ordered: list.ordered === true, items: list.children.map((item) => itemOf(item, source, depth)) };
}

function itemOf(item: ListItem, source: string, depth: number): OutlineItem {
  const first = item.children.find((c): c is Paragraph => c.type === 'paragraph');
  const parts: OutlinePart[] = [];
  for (const c of joinIndentedCode(item.children, source)) {
    if (c === first) continue;
    if (c.type === 'code') parts.push({ type: 'code', line: lineOf(c), ...codeOf(c, source) });
    else if (c.type === 'html' && isAnnotationComment(c.value)) parts.push({ type: 'annotation', line: lineOf(c), annotations: commentAnnotations(c, source) });
    else if (c.type === 'paragraph') parts.push({ type: 'text', text: toString(c) });
    else if (c.type === 'table') parts.push({ type: 'text', text: tableText(c) });
    else if (c.type === 'blockquote') parts.push({ type: 'text', text: quoteText(c) });
    else if (c.type === 'list') parts.push(depth < MAX_LIST_DEPTH ? { type: 'list', list: listOf(c, source, depth + 1) } : { type: 'text', text: toString(c) });
  }
  return {
    line: lineOf(item),
    checked: item.checked === true || item.checked === false ? item.checked : null,
    first: first ? { text: toString(first), codes: first.children.filter((c) => c.type === 'inlineCode').map((c) => c.value), ...(onlyLink(first) ? { onlyLink: true as const } : {}) } : undefined,
    soleParagraph: item.children.length === 1 && item.children[0].type === 'paragraph',
    parts,
  };
}

/**
 * Plain text of a node; hard line breaks read as spaces. Iterative: emphasis or quotes nested
 * tens of thousands deep read as text, within the stack.
 */
export function toString(node: unknown): string {
  let out = '';
  const stack: unknown[] = [node];
  while (stack.length > 0) {
    const n = stack.pop() as { type?: string; value?: unknown; children?: unknown[] };
    if (n.type === 'break') out += ' ';
    else if (typeof n.value === 'string') out += n.value;
    else if (Array.isArray(n.children)) for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]);
  }
  return out;
}

/** A paragraph that is a link and nothing more (a link list's item). */
function onlyLink(p: Paragraph): boolean {
  const kids = p.children.filter((c) => !(c.type === 'text' && /^[\s\-–—:,.]*$/.test(c.value)));
  return kids.length === 1 && (kids[0].type === 'link' || kids[0].type === 'linkReference');
}

function lineOf(node: { position?: { start: { line: number } } }): number {
  return node.position?.start.line ?? 1;
}

function tableText(t: Table): string {
  return t.children.map((row) => row.children.map((cell) => toString(cell).trim()).join(' | ')).join('; ');
}

/** A quote's text; a GitHub alert's `[!WARNING]` and a `**Warning**` line read as `Warning:`. */
function quoteText(q: Blockquote): string {
  const text = q.children.map((c) => toString(c)).join(' ');
  const first = q.children[0];
  if (first?.type === 'paragraph' && first.children[0]?.type === 'strong' && first.children.length > 1) {
    const next = first.children[1];
    const label = toString(first.children[0]).trim();
    if (/^[A-Za-z]+$/.test(label) && (next.type === 'break' || (next.type === 'text' && next.value.startsWith('\n')))) return `${label}:${text.slice(toString(first.children[0]).length)}`;
  }
  return text.replace(/^\s*\[!([A-Za-z]+)\]\s*/, (_all, kind: string) => `${kind[0].toUpperCase()}${kind.slice(1).toLowerCase()}: `);
}

/** `<details>` with its `<summary>`, or `</details>`, in an HTML block; undefined for other HTML. */
function detailsOf(html: string, line: number): OutlineBlock | undefined {
  const t = html.trim();
  if (/^<details\b/i.test(t)) {
    const summary = /<summary\b[^>]*>([\s\S]*?)<\/summary>/i.exec(t);
    return { type: 'details', line, title: (summary?.[1] ?? '').replace(/<[^>]*>/g, '').replace(/\s+/g, ' ').trim() };
  }
  if (/^<\/details>\s*$/i.test(t)) return { type: 'details', line };
  return undefined;
}
