// Markdown text → mdast with remark (CommonMark + GFM + YAML front matter). remark accepts
// any input, so a malformed runbook still parses.
//
// micromark's time grows faster than the length of its input, so the document is cut into
// its heading sections (sections.ts), each parsed alone, and the positions of each section's
// nodes are shifted back to lines and offsets of the whole file: the tree is the one a parse
// of the whole document gives.
import type { Root, RootContent } from 'mdast';
import remarkFrontmatter from 'remark-frontmatter';
import remarkGfm from 'remark-gfm';
import remarkParse from 'remark-parse';
import { unified, type Processor } from 'unified';
import { splitSections, type SourceSection } from './sections.js';

const processor = unified().use(remarkParse).use(remarkGfm).use(remarkFrontmatter, ['yaml']);

/**
 * The same parser without remark-gfm's one tree transform, which walks every node to turn bare
 * URLs and e-mail addresses inside text into link nodes holding that same text. What reads
 * only the text (outline.ts) gets the same result for about a quarter less parsing time.
 */
const textProcessor = unified().use(remarkParse).use(remarkGfm).use(remarkFrontmatter, ['yaml']).use(withoutTreeTransforms);

function withoutTreeTransforms(this: Processor): undefined {
  const data = this.data();
  const drop = <T extends object>(e: T): T => ({ ...e, transforms: [] });
  data.fromMarkdownExtensions = (data.fromMarkdownExtensions ?? []).map((e) => (Array.isArray(e) ? e.map(drop) : drop(e)));
}

/**
 * Without a BOM, with LF line endings, and U+0000 replaced by U+FFFD as CommonMark asks: the
 * text every position refers to.
 */
export function normalizeSource(text: string): string {
  let source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (source.includes('\r')) source = source.replace(/\r\n?/g, '\n');
  return source.includes('\0') ? source.replaceAll('\0', '\uFFFD') : source;
}

/**
 * One section (or a whole document) parsed alone; positions relative to its own text. The
 * first line of the next section is parsed with it and its node dropped: in the whole
 * document that line is what closes a block left open at the end of the section (a fence in a
 * list item, say), and so it does here, with the same end positions. `links: false`: bare URLs
 * stay text.
 */
export function parseSection(section: SourceSection, { links = true } = {}): Root {
  const tree = (links ? processor : textProcessor).parse(section.next === undefined ? section.text : section.text + section.next);
  if (section.next !== undefined) {
    const lines = countLines(section.text); // the text ends with a line break
    while (tree.children.length > 0 && (tree.children[tree.children.length - 1].position?.start.line ?? 0) > lines) tree.children.pop();
  }
  return tree;
}

function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** The document's sections: the whole of it in one when `split` is false. */
export function sectionsOf(source: string, split = true): SourceSection[] {
  return split ? splitSections(source) : [{ text: source, line: 1, offset: 0 }];
}

export function parseMarkdown(text: string, options: { split?: boolean } = {}): Root {
  const source = normalizeSource(text);
  const root: Root = { type: 'root', children: [], position: documentSpan(source) };
  for (const section of sectionsOf(source, options.split)) {
    for (const node of parseSection(section).children) {
      shiftPositions(node, section.line - 1, section.offset);
      root.children.push(node as RootContent);
    }
  }
  return root;
}

/** What micromark gives the root: from the first character to the end of the text. */
function documentSpan(source: string): NonNullable<Root['position']> {
  return {
    start: { line: 1, column: 1, offset: 0 },
    end: { line: countLines(source) + 1, column: source.length - source.lastIndexOf('\n'), offset: source.length },
  };
}

type Point = { line: number; offset?: number };
type Positioned = { position?: { start: Point; end: Point }; children?: unknown[] };

/** Moves a node and its descendants down by `lines` lines and `offset` characters. */
export function shiftPositions(node: Positioned, lines: number, offset: number): void {
  if (lines === 0 && offset === 0) return;
  const p = node.position;
  if (p) {
    p.start.line += lines;
    p.end.line += lines;
    if (p.start.offset !== undefined) p.start.offset += offset;
    if (p.end.offset !== undefined) p.end.offset += offset;
  }
  if (Array.isArray(node.children)) for (const c of node.children) shiftPositions(c as Positioned, lines, offset);
}
