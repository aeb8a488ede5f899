// Markdown text → mdast with remark (CommonMark + GFM + YAML front matter). remark accepts
// any input, so a malformed runbook still parses.
//
// remark's cost grows faster than the length of the input, so a long file is parsed in
// slices of about SLICE characters cut just before a top-level ATX heading (`# ` or `## `
// at the start of a line, outside a fenced block); each slice is a complete run of sections,
// and its node positions are shifted back to lines of the whole file.
import type { Root, RootContent } from 'mdast';
import remarkFrontmatter from 'remark-frontmatter';
import remarkGfm from 'remark-gfm';
import remarkParse from 'remark-parse';
import { unified } from 'unified';

const SLICE = 32 * 1024;
const processor = unified().use(remarkParse).use(remarkGfm).use(remarkFrontmatter, ['yaml']);

export function parseMarkdown(text: string): Root {
  const source = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  if (source.length <= SLICE * 2) return processor.parse(source);
  const root: Root = { type: 'root', children: [] };
  for (const slice of slices(source)) {
    const part = processor.parse(slice.text);
    for (const node of part.children) {
      if (slice.firstLine > 1) shiftLines(node, slice.firstLine - 1);
      root.children.push(node as RootContent);
    }
  }
  return root;
}

interface Slice {
  text: string;
  firstLine: number;
}

function slices(source: string): Slice[] {
  const out: Slice[] = [];
  let start = 0;
  let startLine = 1;
  let line = 1;
  let fence: string | undefined;
  let pos = 0;
  while (pos < source.length) {
    const nl = source.indexOf('\n', pos);
    const end = nl === -1 ? source.length : nl;
    const text = source.slice(pos, end);
    const marker = /^ {0,3}(`{3,}|~{3,})/.exec(text)?.[1];
    if (fence) {
      if (marker && marker[0] === fence[0] && marker.length >= fence.length && text.trim() === marker) fence = undefined;
    } else if (marker) {
      fence = marker;
    } else if (pos - start >= SLICE && /^#{1,2} /.test(text)) {
      out.push({ text: source.slice(start, pos), firstLine: startLine });
      start = pos;
      startLine = line;
    }
    pos = end + 1;
    line += 1;
  }
  out.push({ text: source.slice(start), firstLine: startLine });
  return out;
}

type Positioned = { position?: { start: { line: number }; end: { line: number } }; children?: unknown[] };

function shiftLines(node: Positioned, by: number): void {
  if (node.position) {
    node.position.start.line += by;
    node.position.end.line += by;
  }
  if (Array.isArray(node.children)) for (const c of node.children) shiftLines(c as Positioned, by);
}
