// Maps a field path (as zod and the cross-reference checks report it) back to the YAML node
// it came from, so every problem can name a line and column.
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node, type Pair } from 'yaml';

export type PathSegment = string | number;

/**
 * Where to point:
 *  - `value`: the value at the path (default);
 *  - `key`: the key of the last segment (unknown or badly named fields);
 *  - `parent`: the map that should hold the last segment (missing required fields).
 */
export type Anchor = 'value' | 'key' | 'parent';

export interface Position {
  line: number;
  column: number;
}

interface Found {
  node?: Node; // value node at the deepest segment found
  key?: Node; // key node of that value, when it is in a map
  complete: boolean; // every segment was found
}

export class SourceLocator {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
    private readonly text: string,
  ) {}

  position(path: readonly PathSegment[], anchor: Anchor = 'value', needle?: string): Position {
    if (anchor === 'parent') {
      const found = this.find(path.slice(0, -1));
      // The line that introduces the parent map (`http:`), else the map itself.
      return this.at(found.key ?? found.node);
    }
    const found = this.find(path);
    if (!found.complete) return this.at(found.key ?? found.node);
    if (anchor === 'key') return this.at(found.key ?? found.node);
    const node = found.node ?? found.key;
    if (needle && node?.range) {
      const [start, end] = node.range;
      const index = this.text.slice(start, end).indexOf(needle);
      if (index >= 0) return this.offset(start + index);
    }
    return this.at(node);
  }

  /** Line of the node at the path (e.g. a checklist step's `- id:` line). */
  line(path: readonly PathSegment[]): number {
    return this.position(path).line;
  }

  private at(node: Node | undefined): Position {
    const start = node?.range?.[0] ?? this.doc.contents?.range?.[0] ?? 0;
    return this.offset(start);
  }

  private offset(offset: number): Position {
    const { line, col } = this.lines.linePos(offset);
    return { line, column: col };
  }

  private find(path: readonly PathSegment[]): Found {
    let node = this.deref(this.doc.contents ?? undefined);
    let key: Node | undefined;
    for (const segment of path) {
      if (isMap(node)) {
        const pair = this.pairOf(node.items as Pair[], String(segment));
        if (!pair) return { node, key, complete: false };
        key = isScalar(pair.key) || isMap(pair.key) || isSeq(pair.key) ? (pair.key as Node) : key;
        const value = this.deref(pair.value as Node | null);
        if (!value) return { node: undefined, key, complete: segment === path[path.length - 1] };
        node = value;
      } else if (isSeq(node) && Number.isInteger(Number(segment))) {
        const item = this.deref(node.items[Number(segment)] as Node | undefined);
        if (!item) return { node, key, complete: false };
        node = item;
        key = undefined;
      } else {
        return { node, key, complete: false };
      }
    }
    return { node, key, complete: true };
  }

  /** The pair for `name`, also looking into `<<` merge keys. */
  private pairOf(items: Pair[], name: string): Pair | undefined {
    const direct = items.find((p) => keyText(p.key) === name);
    if (direct) return direct;
    for (const p of items) {
      if (keyText(p.key) !== '<<') continue;
      const sources = isSeq(p.value) ? p.value.items : [p.value];
      for (const s of sources) {
        const src = this.deref(s as Node);
        if (isMap(src)) {
          const found = this.pairOf(src.items as Pair[], name);
          if (found) return found;
        }
      }
    }
    return undefined;
  }

  private deref(node: Node | null | undefined): Node | undefined {
    if (!node) return undefined;
    if (isAlias(node)) return (node.resolve(this.doc) as Node | undefined) ?? node;
    return node;
  }
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  if (key === null || key === undefined) return undefined;
  return String(key);
}
