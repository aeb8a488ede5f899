// Markdown text → outline (outline.ts) with satteri: pulldown-cmark, a CommonMark + GFM parser
// written in Rust, building mdast in native memory. The outline is read straight from its
// serialized tree (the node types, texts, lines and list data the walker needs), so no
// JavaScript object is made for the ~90,000 nodes of a 1 MB runbook that the walker never
// reads. The outline is the one remark's tree gives (test/markdown-native.test.ts checks it
// on the seeds and on random documents of tricky lines); remark stays the parser where the
// native one cannot load (read.ts).
import { createRequire } from 'node:module';
import type { OutlineBlock, OutlineItem, OutlineList, OutlinePart } from './outline.js';

/** Node type tags of satteri's mdast arena (satteri/dist/mdast/generated/node-types.js). */
const T = {
  root: 0, paragraph: 1, heading: 2, blockquote: 4, list: 5, listItem: 6, html: 7, code: 8,
  text: 10, inlineCode: 13, break: 14, image: 16, imageReference: 18, table: 21,
  yaml: 25, toml: 26, math: 27, inlineMath: 28,
} as const;

/** What this module uses of satteri: its public handle API and the arena reader. */
interface Satteri {
  createMdastHandle(source: string, features: Record<string, unknown>, trackPositions: boolean): unknown;
  serializeHandle(handle: unknown): Uint8Array;
  dropHandle(handle: unknown): void;
  MdastReader: new (buffer: Uint8Array) => Reader;
}

interface Point {
  line: number;
  column: number;
  offset: number;
}

interface Reader {
  getNodeType(id: number): number;
  getChildIds(id: number): number[];
  getPosition(id: number): { start: Point; end: Point } | undefined;
  fieldU8(id: number, offset: number, fallback: number): number;
  fieldString(id: number, offset: number): string;
  getListData(id: number): { ordered: boolean };
  getListItemData(id: number): { checked: boolean | null };
}

let loaded: Satteri | null | undefined;

/**
 * satteri, or null where its native binary cannot load (a platform it ships none for). Loaded
 * on first use: only Markdown runbooks need it.
 */
export function nativeParser(): Satteri | null {
  if (loaded === undefined) {
    try {
      loaded = createRequire(import.meta.url)('satteri') as Satteri;
    } catch {
      loaded = null;
    }
  }
  return loaded;
}

/** Front matter: YAML only, as remark-frontmatter is set up (a `+++` block is text there). */
const FEATURES = { gfm: true, frontmatter: true };

/** The outline of a whole document (LF line endings, no BOM), or undefined without satteri. */
export function nativeOutline(source: string): OutlineBlock[] | undefined {
  const satteri = nativeParser();
  if (!satteri) return undefined;
  const handle = satteri.createMdastHandle(source, FEATURES, true);
  let reader: Reader;
  try {
    reader = new satteri.MdastReader(satteri.serializeHandle(handle));
  } finally {
    satteri.dropHandle(handle);
  }
  return new OutlineReader(reader, source).blocks();
}

/** An indented code block: what follows the node's start column is four columns of blank. */
const INDENTED = /^(?: {4}| {0,3}\t)/;

class OutlineReader {
  constructor(
    private readonly r: Reader,
    private readonly source: string,
  ) {}

  blocks(): OutlineBlock[] {
    return this.children(0).map((id) => this.block(id));
  }

  /**
   * A node's children, with one mend. After a list or quote that ends without a blank line,
   * satteri hands an indented code block over as one code node per line (or per run of lines
   * between blank lines). CommonMark has no two indented code blocks side by side, so such
   * runs are read back as the one block they are: `codes` holds its value.
   */
  private children(id: number): number[] {
    const ids = this.r.getChildIds(id);
    for (let i = ids.length - 1; i > 0; i--) {
      const joined = this.joinedCode(ids[i - 1], ids[i]);
      if (joined === undefined) continue;
      this.codes.set(ids[i - 1], joined);
      ids.splice(i, 1);
    }
    return ids;
  }

  private readonly codes = new Map<number, string>();

  /** The value of code blocks a and b read as one, or undefined when they are two. */
  private joinedCode(a: number, b: number): string | undefined {
    if (this.r.getNodeType(a) !== T.code || this.r.getNodeType(b) !== T.code) return undefined;
    const pa = this.r.getPosition(a);
    const pb = this.r.getPosition(b);
    if (!pa || !pb || !this.indented(pa.start) || !this.indented(pb.start)) return undefined;
    const between = this.source.slice(pa.end.offset, pb.start.offset);
    if (between.trim() !== '' || !between.startsWith('\n')) return undefined;
    // Blank lines inside the block keep what lies past its indentation.
    const cut = pa.start.column - 1 + 4;
    const blanks = between.split('\n').slice(1, -1).map((l) => l.slice(Math.min(cut, l.length - l.trimStart().length)));
    return [this.codeValue(a), ...blanks, this.codeValue(b)].join('\n');
  }

  private indented(start: Point): boolean {
    return INDENTED.test(this.source.slice(start.offset, start.offset + 4));
  }

  private codeValue(id: number): string {
    return this.codes.get(id) ?? this.r.fieldString(id, 16);
  }

  private block(id: number): OutlineBlock {
    switch (this.r.getNodeType(id)) {
      case T.heading:
        return { type: 'heading', line: this.line(id), depth: this.r.fieldU8(id, 0, 1), text: this.text(id) };
      case T.paragraph:
        return { type: 'paragraph', line: this.line(id), text: this.text(id) };
      case T.list:
        return this.list(id);
      case T.code:
        return { type: 'code', line: this.line(id), lang: this.r.fieldString(id, 0) || null, value: this.codeValue(id) };
      case T.table:
        return { type: 'note', text: this.table(id) };
      case T.blockquote:
        return { type: 'note', text: this.quote(id) };
      case T.yaml:
        return { type: 'yaml', line: this.line(id), value: this.r.fieldString(id, 0) };
      default:
        return { type: 'other' };
    }
  }

  private list(id: number): OutlineList {
    return { type: 'list', line: this.line(id), ordered: this.r.getListData(id).ordered, items: this.children(id).map((i) => this.item(i)) };
  }

  private item(id: number): OutlineItem {
    const children = this.children(id);
    const first = children.find((c) => this.r.getNodeType(c) === T.paragraph);
    const parts: OutlinePart[] = [];
    for (const c of children) {
      if (c === first) continue;
      switch (this.r.getNodeType(c)) {
        case T.code:
          parts.push({ type: 'code', lang: this.r.fieldString(c, 0) || null, value: this.codeValue(c) });
          break;
        case T.paragraph:
          parts.push({ type: 'text', text: this.text(c) });
          break;
        case T.table:
          parts.push({ type: 'text', text: this.table(c) });
          break;
        case T.blockquote:
          parts.push({ type: 'text', text: this.quote(c) });
          break;
        case T.list:
          parts.push({ type: 'list', list: this.list(c) });
          break;
      }
    }
    return {
      line: this.line(id),
      checked: this.r.getListItemData(id).checked,
      first: first === undefined ? undefined : { text: this.text(first), codes: this.codeSpans(first) },
      soleParagraph: children.length === 1 && first !== undefined,
      parts,
    };
  }

  private codeSpans(paragraph: number): string[] {
    return this.r.getChildIds(paragraph).filter((c) => this.r.getNodeType(c) === T.inlineCode).map((c) => this.r.fieldString(c, 0));
  }

  private line(id: number): number {
    return this.r.getPosition(id)?.start.line ?? 1;
  }

  /** Plain text, as outline.ts's toString reads an mdast node. */
  private text(id: number): string {
    switch (this.r.getNodeType(id)) {
      case T.break:
        return ' ';
      case T.text:
      case T.inlineCode:
      case T.html:
      case T.yaml:
      case T.toml:
        return this.r.fieldString(id, 0);
      case T.code:
        return this.codeValue(id);
      case T.math:
      case T.inlineMath:
        return this.r.fieldString(id, 8);
      case T.image:
      case T.imageReference:
        return '';
      default: {
        let out = '';
        for (const c of this.children(id)) out += this.text(c);
        return out;
      }
    }
  }

  private table(id: number): string {
    return this.r
      .getChildIds(id)
      .map((row) => this.r.getChildIds(row).map((cell) => this.text(cell).trim()).join(' | '))
      .join('; ');
  }

  private quote(id: number): string {
    return this.children(id).map((c) => this.text(c)).join(' ');
  }
}
