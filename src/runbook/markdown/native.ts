// Markdown text → outline (outline.ts) with satteri: pulldown-cmark, a CommonMark + GFM parser
// written in Rust, building mdast in native memory. The outline is read straight from its
// serialized tree (the node types, texts, lines and list data the walker needs), so no
// JavaScript object is made for the ~90,000 nodes of a 1 MB runbook that the walker never
// reads. The outline is the one remark's tree gives (test/markdown-native.test.ts checks it
// on the seeds and on random documents, and pins the few corners where they differ); remark
// stays the parser where the native one cannot load or fails (read.ts).
//
// The tree is read by the native addon where it is built (native/outline.c: the same reading,
// written as JSON that JSON.parse turns into the outline), else by OutlineReader below. The
// addon returns null for the documents it is not sure of, and OutlineReader reads them.
//
// satteri's version is pinned (package.json): this reads its native entry points and its arena
// layout (satteri/dist/generated/arena-layout.js) directly, and checks the layout it finds.
import { createRequire } from 'node:module';
import path from 'node:path';
import { nativePart } from '../../native-addon.js';
import { MAX_LIST_DEPTH, type OutlineBlock, type OutlineItem, type OutlineList, type OutlinePart } from './outline.js';

/** Node type tags of satteri's mdast arena (satteri/dist/mdast/generated/node-types.js). */
const T = {
  root: 0, paragraph: 1, heading: 2, blockquote: 4, list: 5, listItem: 6, html: 7, code: 8,
  text: 10, inlineCode: 13, break: 14, image: 16, imageReference: 18, table: 21,
  yaml: 25, toml: 26, math: 27, inlineMath: 28,
} as const;

/** Nodes whose children are blocks (code blocks among them). */
const HOLDS_BLOCKS = new Set<number>([T.root, T.blockquote, T.listItem, 19 /* footnoteDefinition */]);

/** The arena's header and node fields (byte offsets, u32 little-endian unless noted). */
export const HEADER = { magic: 0, kind: 4, nodeSize: 8, nodeCount: 12, nodes: 16, children: 24, typeData: 32, pool: 40 } as const;
export const FIELD = { type: 4 /* u8 */, startOffset: 12, endOffset: 16, startLine: 20, startColumn: 24, childrenStart: 36, childrenCount: 40, dataOffset: 44, dataLen: 48 } as const;
export const ARENA = { magic: 0x5241444d, kindMdast: 1, nodeSize: 52 } as const;

/** Parser options: GFM (tables, strikethrough, task lists, footnotes) and YAML front matter
 *  only, as remark-gfm and remark-frontmatter(['yaml']) read (satteri/dist/generated/parse-options.js). */
export const PARSE_OPTIONS = (1 << 1) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 11) | (1 << 7);

/** What this module uses of satteri: its native entry points. */
interface Satteri {
  createMdastHandle(source: string, parseOptions: number, trackPositions: boolean): unknown;
  serializeHandle(handle: unknown): Uint8Array;
  dropHandle(handle: unknown): void;
}

/** satteri's reader of the arena's string pool, which OutlineReader uses. */
type PoolReader = new (buffer: Uint8Array) => { getString(offset: number, length: number): string };

let loaded: Satteri | null | undefined;
let poolReader: PoolReader | null | undefined;

const satteriFile = (...parts: string[]) => {
  const require = createRequire(import.meta.url);
  return { require, file: path.join(path.resolve(path.dirname(require.resolve('satteri')), '..'), ...parts) };
};

/**
 * satteri, or null where its native binary cannot load (a platform it ships none for). Loaded
 * on first use, and only the parts used here: only Markdown runbooks need it.
 */
export function nativeParser(): Satteri | null {
  if (loaded === undefined) {
    try {
      const { require, file } = satteriFile('index.js');
      const binding = require(file) as Satteri;
      loaded = typeof binding.createMdastHandle === 'function' && typeof binding.serializeHandle === 'function' && typeof binding.dropHandle === 'function' ? binding : null;
    } catch {
      loaded = null;
    }
  }
  return loaded;
}

/**
 * satteri's MdastReader, or null where it cannot load: loaded when OutlineReader first runs
 * (the addon reads the pool itself).
 */
function mdastReader(): PoolReader | null {
  if (poolReader === undefined) {
    try {
      const { require, file } = satteriFile('dist', 'mdast', 'mdast-reader.js');
      const reader = (require(file) as { MdastReader?: unknown }).MdastReader;
      poolReader = typeof reader === 'function' ? (reader as PoolReader) : null;
    } catch {
      poolReader = null;
    }
  }
  return poolReader;
}

/** The addon's reader of the arena (native/outline.c). */
interface OutlineAddon {
  /** The outline as JSON, or null where it is not sure of the document. */
  outlineJson(arena: Uint8Array, source: string): string | null;
}

/** A small document with every kind of block the outline holds, for the addon's check. */
export const SAMPLE = [
  '---\nname: sample\n---',
  '# Título 점검 *em* `code`',
  'Before:\n\n- [ ] task `GET /health`\n  more\n\n  ```bash\n  echo "hi"\\\n  ```\n\n  | a | b |\n  |---|---|\n  |  ä\u00a0 | x |\n\n  > quoted\n  - [x] nested\n    1. deeper',
  'Text before code.',
  '    indented code',
  '```\nplain\n```',
  '> ⚠️ **Note**\n> line\n\n<div>html</div>\n\n***\n\n![img](x.png) text\tafter\u0001',
].join('\n\n');

/** SAMPLE's outline as OutlineReader reads it (test/markdown-native.test.ts checks that it still does). */
export const SAMPLE_OUTLINE =
  "[{\"type\":\"yaml\",\"line\":1,\"value\":\"name: sample\"},{\"type\":\"heading\",\"line\":5,\"depth\":1,\"text\":\"Título 점검 em code\"},{\"type\":\"paragraph\",\"line\":7,\"text\":\"Before:\"},{\"type\":\"list\",\"line\":9,\"ordered\":false,\"items\":[{\"line\":9,\"checked\":false,\"first\":{\"text\":\"task GET /health\\nmore\",\"codes\":[\"GET /health\"]},\"soleParagraph\":false,\"parts\":[{\"type\":\"code\",\"lang\":\"bash\",\"value\":\"echo \\\"hi\\\"\\\\\"},{\"type\":\"text\",\"text\":\"a | b; ä | x\"},{\"type\":\"text\",\"text\":\"quoted\"},{\"type\":\"list\",\"list\":{\"type\":\"list\",\"line\":21,\"ordered\":false,\"items\":[{\"line\":21,\"checked\":true,\"first\":{\"text\":\"nested\",\"codes\":[]},\"soleParagraph\":false,\"parts\":[{\"type\":\"list\",\"list\":{\"type\":\"list\",\"line\":22,\"ordered\":true,\"items\":[{\"line\":22,\"checked\":null,\"first\":{\"text\":\"deeper\",\"codes\":[]},\"soleParagraph\":true,\"parts\":[]}]}}]}]}}]}]},{\"type\":\"paragraph\",\"line\":24,\"text\":\"Text before code.\"},{\"type\":\"code\",\"line\":26,\"lang\":null,\"value\":\"indented code\"},{\"type\":\"code\",\"line\":28,\"lang\":null,\"value\":\"plain\"},{\"type\":\"note\",\"text\":\"⚠️ Note\\nline\"},{\"type\":\"other\"},{\"type\":\"other\"},{\"type\":\"paragraph\",\"line\":39,\"text\":\" text\\tafter\\u0001\"}]";

/** The addon's outline reader, used once it outlines SAMPLE as OutlineReader does. */
const outlineAddon = nativePart<OutlineAddon>(['outlineJson'], (addon) => {
  const arena = arenaOf(SAMPLE);
  return arena !== undefined && addon.outlineJson(arena.bytes, SAMPLE) === SAMPLE_OUTLINE;
});

/** Who reads the tree: the addon where it can (the default), or only one of the two. */
export type OutlineReaderName = 'auto' | 'addon' | 'javascript';

/**
 * The outline of a whole document (LF line endings, no BOM), or undefined without satteri (or
 * with an arena laid out otherwise than this module reads). With reader 'addon', undefined
 * also where the addon is not there or not sure of the document.
 */
export function nativeOutline(source: string, reader: OutlineReaderName = 'auto'): OutlineBlock[] | undefined {
  const arena = arenaOf(source);
  if (!arena) return undefined;
  if (reader !== 'javascript') {
    const json = outlineAddon()?.outlineJson(arena.bytes, source) ?? null;
    if (json !== null) return JSON.parse(json) as OutlineBlock[];
    if (reader === 'addon') return undefined;
  }
  return readArena(arena, source);
}

interface Arena {
  /** The serialized tree, aligned to 4 bytes. */
  bytes: Uint8Array;
  words: Uint32Array;
}

/** satteri's serialized tree of the document, where satteri loads and lays it out as read here. */
function arenaOf(source: string): Arena | undefined {
  const satteri = nativeParser();
  if (!satteri) return undefined;
  let buffer: Uint8Array;
  try {
    const handle = satteri.createMdastHandle(source, PARSE_OPTIONS, true);
    try {
      buffer = satteri.serializeHandle(handle);
    } finally {
      satteri.dropHandle(handle);
    }
  } catch {
    return undefined; // a native parser error: remark reads the document instead
  }
  // Typed-array reads: cheaper than a DataView's in code that runs once, as this does.
  const bytes = buffer.byteOffset % 4 === 0 ? buffer : buffer.slice();
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 2);
  const header = (field: number) => words[field >> 2];
  if (header(HEADER.magic) !== ARENA.magic || header(HEADER.kind) !== ARENA.kindMdast || header(HEADER.nodeSize) !== ARENA.nodeSize) return undefined;
  if (header(HEADER.nodes) % 4 !== 0 || header(HEADER.children) % 4 !== 0) return undefined;
  return { bytes, words };
}

/** OutlineReader's outline; undefined where satteri's pool reader cannot load (remark reads). */
function readArena(arena: Arena, source: string): OutlineBlock[] | undefined {
  const Reader = mdastReader();
  return Reader ? new OutlineReader(arena.bytes, arena.words, new Reader(arena.bytes), source).blocks() : undefined;
}

/** An indented code block: what follows the node's start column is four columns of blank. */
const INDENTED = /^(?: {4}| {0,3}\t)/;

const NODE_WORDS = ARENA.nodeSize / 4;

class OutlineReader {
  /** Where the node table and the child table start, in words; the type data, in bytes. */
  private readonly nodes: number;
  private readonly childTable: number;
  private readonly typeData: number;
  private readonly codes = new Map<number, string>();

  constructor(
    private readonly bytes: Uint8Array,
    private readonly words: Uint32Array,
    private readonly pool: { getString(offset: number, length: number): string },
    private readonly source: string,
  ) {
    this.nodes = words[HEADER.nodes >> 2] >> 2;
    this.childTable = words[HEADER.children >> 2] >> 2;
    this.typeData = words[HEADER.typeData >> 2];
  }

  blocks(): OutlineBlock[] {
    return this.children(0).map((id) => this.block(id));
  }

  private field(id: number, field: number): number {
    return this.words[this.nodes + id * NODE_WORDS + (field >> 2)];
  }

  private type(id: number): number {
    return this.bytes[(this.nodes << 2) + id * ARENA.nodeSize + FIELD.type];
  }

  /** Byte `at` of the node's type data, or `fallback` where it has fewer bytes. */
  private dataByte(id: number, at: number, fallback: number): number {
    return at < this.field(id, FIELD.dataLen) ? this.bytes[this.typeData + this.field(id, FIELD.dataOffset) + at] : fallback;
  }

  /** The string whose reference (pool offset, length) is at byte `at` of the type data. */
  private string(id: number, at: number): string {
    if (at + 8 > this.field(id, FIELD.dataLen)) return '';
    const ref = this.typeData + this.field(id, FIELD.dataOffset) + at;
    const length = this.u32At(ref + 4);
    return length === 0 ? '' : this.pool.getString(this.u32At(ref), length);
  }

  /** A little-endian u32 at any byte offset. */
  private u32At(at: number): number {
    const b = this.bytes;
    return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
  }

  /**
   * A node's children, with one mend. After a list or quote that ends without a blank line,
   * satteri hands an indented code block over as one code node per line (or per run of lines
   * between blank lines). CommonMark has no two indented code blocks side by side, so such
   * runs are read back as the one block they are: `codes` holds its value. Not inside a
   * quote, where the lines between carry `>` markers: there only a note's text is made of
   * them, and it reads the same but for line breaks.
   */
  private children(id: number): number[] {
    const start = this.field(id, FIELD.childrenStart);
    const ids: number[] = new Array(this.field(id, FIELD.childrenCount));
    for (let i = 0; i < ids.length; i++) ids[i] = this.words[this.childTable + start + i];
    if (!HOLDS_BLOCKS.has(this.type(id))) return ids; // inline content: no code blocks in it
    for (let i = ids.length - 1; i > 0; i--) {
      const joined = this.joinedCode(ids[i - 1], ids[i]);
      if (joined === undefined) continue;
      this.codes.set(ids[i - 1], joined);
      ids.splice(i, 1);
    }
    return ids;
  }

  /** The value of code blocks a and b read as one, or undefined when they are two. */
  private joinedCode(a: number, b: number): string | undefined {
    if (this.type(a) !== T.code || this.type(b) !== T.code) return undefined;
    const startA = this.field(a, FIELD.startOffset);
    const startB = this.field(b, FIELD.startOffset);
    if (!this.indented(startA) || !this.indented(startB)) return undefined;
    const between = this.source.slice(this.field(a, FIELD.endOffset), startB);
    if (between.trim() !== '' || !between.startsWith('\n')) return undefined;
    // Blank lines inside the block keep what lies past its indentation.
    const cut = this.field(a, FIELD.startColumn) - 1 + 4;
    const blanks = between.split('\n').slice(1, -1).map((l) => pastColumns(l, cut));
    return [this.codeValue(a), ...blanks, this.codeValue(b)].join('\n');
  }

  private indented(offset: number): boolean {
    return INDENTED.test(this.source.slice(offset, offset + 4));
  }

  private codeValue(id: number): string {
    return this.codes.get(id) ?? this.string(id, 16);
  }

  private block(id: number): OutlineBlock {
    switch (this.type(id)) {
      case T.heading:
        return { type: 'heading', line: this.line(id), depth: this.dataByte(id, 0, 1), text: this.text(id) };
      case T.paragraph:
        return { type: 'paragraph', line: this.line(id), text: this.text(id) };
      case T.list:
        return this.list(id);
      case T.code:
        return { type: 'code', line: this.line(id), lang: this.string(id, 0) || null, value: this.codeValue(id) };
      case T.table:
        return { type: 'note', text: this.table(id) };
      case T.blockquote:
        return { type: 'note', text: this.quote(id) };
      case T.yaml:
        return { type: 'yaml', line: this.line(id), value: this.string(id, 0) };
      default:
        return { type: 'other' };
    }
  }

  private list(id: number, depth = 1): OutlineList {
    return { type: 'list', line: this.line(id), ordered: this.dataByte(id, 4, 0) !== 0, items: this.children(id).map((i) => this.item(i, depth)) };
  }

  private item(id: number, depth: number): OutlineItem {
    const children = this.children(id);
    const first = children.find((c) => this.type(c) === T.paragraph);
    const parts: OutlinePart[] = [];
    for (const c of children) {
      if (c === first) continue;
      switch (this.type(c)) {
        case T.code:
          parts.push({ type: 'code', lang: this.string(c, 0) || null, value: this.codeValue(c) });
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
          // Lists nested deeper than MAX_LIST_DEPTH are read as text, as outline.ts does.
          parts.push(depth < MAX_LIST_DEPTH ? { type: 'list', list: this.list(c, depth + 1) } : { type: 'text', text: this.text(c) });
          break;
      }
    }
    return {
      line: this.line(id),
      checked: checkedOf(this.dataByte(id, 0, 2)),
      first: first === undefined ? undefined : { text: this.text(first), codes: this.codeSpans(first) },
      soleParagraph: children.length === 1 && first !== undefined,
      parts,
    };
  }

  private codeSpans(paragraph: number): string[] {
    return this.children(paragraph).filter((c) => this.type(c) === T.inlineCode).map((c) => this.string(c, 0));
  }

  private line(id: number): number {
    return this.field(id, FIELD.startLine) || 1;
  }

  /**
   * Plain text, as outline.ts's toString reads an mdast node. Past 256 levels (quotes or
   * emphasis nested thousands deep) the rest is walked with a stack of its own, so the call
   * stack cannot run out.
   */
  private text(id: number, depth = 0): string {
    const leaf = this.leafText(id);
    if (leaf !== undefined) return leaf;
    if (depth >= 256) return this.deepText(id);
    let out = '';
    for (const c of this.children(id)) out += this.text(c, depth + 1);
    return out;
  }

  private deepText(id: number): string {
    let out = '';
    const stack = this.children(id).reverse();
    while (stack.length > 0) {
      const c = stack.pop()!;
      const l = this.leafText(c);
      if (l !== undefined) out += l;
      else for (const g of this.children(c).reverse()) stack.push(g);
    }
    return out;
  }

  /** The text of a node that has no children to read, or undefined for the others. */
  private leafText(id: number): string | undefined {
    switch (this.type(id)) {
      case T.break:
        return ' ';
      case T.text:
      case T.inlineCode:
      case T.html:
      case T.yaml:
      case T.toml:
        return this.string(id, 0);
      case T.code:
        return this.codeValue(id);
      case T.math:
      case T.inlineMath:
        return this.string(id, 8);
      case T.image:
      case T.imageReference:
        return '';
      default:
        return undefined;
    }
  }

  private table(id: number): string {
    return this.children(id)
      .map((row) => this.children(row).map((cell) => this.text(cell).trim()).join(' | '))
      .join('; ');
  }

  private quote(id: number): string {
    return this.children(id).map((c) => this.text(c)).join(' ');
  }
}

/** A list item's task byte: 0 unchecked, 1 checked, 2 not a task item. */
const checkedOf = (b: number): boolean | null => (b === 2 ? null : b === 1);

/**
 * What is left of a blank line once its first `columns` columns are taken away, tabs stopping
 * at every fourth column as CommonMark counts them; the rest of a tab cut through stays as
 * spaces.
 */
export function pastColumns(line: string, columns: number): string {
  let col = 0;
  let i = 0;
  while (i < line.length && col < columns && (line[i] === ' ' || line[i] === '\t')) {
    col = line[i] === '\t' ? col + 4 - (col % 4) : col + 1;
    i++;
  }
  return ' '.repeat(Math.max(0, col - columns)) + line.slice(i);
}
