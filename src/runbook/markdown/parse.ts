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

/** Without a BOM, with LF line endings: the text every position refers to. */
export function normalizeSource(text: string): string {
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  return source.includes('\r') ? source.replace(/\r\n?/g, '\n') : source;
}

/**
 * One section (or a whole document) parsed alone; positions relative to its own text. The
 * line break that ends a section is left out: a block left open at the end of a section (a
 * fence in a list item, closed in the whole document by the next heading) then ends where it
 * ends in the whole document, not on the line after. `links: false`: bare URLs stay text.
 */
export function parseSection(section: SourceSection, last: boolean, { links = true } = {}): Root {
  const text = last || !section.text.endsWith('\n') ? section.text : section.text.slice(0, -1);
  return (links ? processor : textProcessor).parse(text);
}

/** The document's sections: the whole of it in one when `split` is false. */
export function sectionsOf(source: string, split = true): SourceSection[] {
  return split ? splitSections(source) : [{ text: source, line: 1, offset: 0 }];
}

export function parseMarkdown(text: string, options: { split?: boolean } = {}): Root {
  const source = normalizeSource(text);
  const root: Root = { type: 'root', children: [], position: documentSpan(source) };
  const sections = sectionsOf(source, options.split);
  for (const [i, section] of sections.entries()) {
    for (const node of parseSection(section, i === sections.length - 1).children) {
      shiftPositions(node, section.line - 1, section.offset);
      root.children.push(node as RootContent);
    }
  }
  return root;
}

/** What micromark gives the root: from the first character to the end of the text. */
function documentSpan(source: string): NonNullable<Root['position']> {
  const lastBreak = source.lastIndexOf('\n');
  let lines = 1;
  for (let i = source.indexOf('\n'); i !== -1; i = source.indexOf('\n', i + 1)) lines++;
  return {
    start: { line: 1, column: 1, offset: 0 },
    end: { line: lines, column: source.length - lastBreak, offset: source.length },
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
