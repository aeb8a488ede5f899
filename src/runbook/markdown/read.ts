// Markdown text → MarkdownRunbook: outline the document (with satteri, native.ts; where it
// cannot load, with remark section by section, each section's outline kept in the cache), read
// the front matter, walk the blocks.
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { RunbookError } from '../errors.js';
import { sectionCache, type SectionCache } from './cache.js';
import { nativeOutline } from './native.js';
import { outlineOf, shiftOutline, type OutlineBlock } from './outline.js';
import { normalizeSource, parseSection, sectionsOf } from './parse.js';
import type { MarkdownParserName, MarkdownRunbook } from './structure.js';
import { RunbookWalker } from './walk.js';

export interface ReadOptions {
  /** The native parser when it loads (the default), or remark. */
  parser?: 'native' | 'remark';
  /** remark: parse the heading sections apart (the default) or the whole document at once. */
  split?: boolean;
  /** Where parsed sections are kept; false parses every section. Default: the process's cache. */
  cache?: SectionCache | false;
}

export function readMarkdownRunbook(text: string, file: string, options: ReadOptions = {}): MarkdownRunbook {
  const { blocks, parser, walked } = tooDeepAsError(file, () => {
    const outline = readOutline(text, file, options);
    return { ...outline, walked: new RunbookWalker().walk(outline.blocks) };
  });
  const frontMatter = readFrontMatter(blocks, file);
  const fallbackName = path.basename(file).replace(/\.(md|markdown)$/i, '');
  const name = typeof frontMatter?.data.name === 'string' ? frontMatter.data.name : (walked.title ?? fallbackName);
  return { name, parser, description: walked.description, frontMatter, sections: walked.sections };
}

/**
 * Nesting thousands of levels deep runs a parser's stack out (remark's; satteri's reader and
 * the walker have their own limits): one clear error, not an internal one.
 */
function tooDeepAsError<T>(file: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (!(e instanceof RangeError && /call stack/i.test(e.message))) throw e;
    throw new RunbookError(file, [{ file, line: 1, column: 1, path: '', message: 'the Markdown nests too deeply to be read', hint: 'lists, quotes or emphasis nested hundreds of levels deep' }]);
  }
}

/** The document's top-level blocks, with lines of the whole file. */
export function outlineDocument(text: string, file: string | undefined, options: ReadOptions = {}): OutlineBlock[] {
  return readOutline(text, file, options).blocks;
}

function readOutline(text: string, file: string | undefined, { parser = 'native', split = true, cache = sectionCache }: ReadOptions): { blocks: OutlineBlock[]; parser: MarkdownParserName } {
  const source = normalizeSource(text);
  const native = parser === 'native' ? nativeOutline(source) : undefined;
  if (native) return { blocks: native, parser: 'satteri' };
  const sections = sectionsOf(source, split);
  const parse = (i: number) => outlineOf(parseSection(sections[i], { links: false }).children);
  const outlines = cache ? cache.outlines(sections, file, parse) : sections.map((_, i) => parse(i));
  return { blocks: sections.flatMap((s, i) => shiftOutline(outlines[i], s.line - 1)), parser: 'remark' };
}

function readFrontMatter(blocks: readonly OutlineBlock[], file: string): MarkdownRunbook['frontMatter'] {
  const node = blocks.find((c) => c.type === 'yaml');
  if (!node || node.type !== 'yaml') return undefined;
  const line = node.line;
  let data: unknown;
  try {
    data = parseYaml(node.value);
  } catch (e) {
    const message = (e as Error).message.split('\n')[0];
    throw new RunbookError(file, [{ file, line, column: 1, path: '', message: `front matter: ${message}`, hint: 'the block between the --- lines must be YAML' }]);
  }
  if (data === null || data === undefined) return undefined;
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new RunbookError(file, [{ file, line, column: 1, path: '', message: 'front matter must be a map (name:, targets:, secrets: …)' }]);
  }
  return { data: data as Record<string, unknown>, line };
}
