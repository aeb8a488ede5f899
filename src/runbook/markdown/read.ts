// Markdown text → MarkdownRunbook: satteri (pulldown-cmark: CommonMark, GFM, YAML and TOML
// front matter, read by front-matter.ts) parses the document into mdast through its public markdownToMdast; outline.ts
// keeps the parts the walker reads; the walker turns them into sections and steps.
import path from 'node:path';
import { markdownToMdast } from 'satteri';
import { RunbookError } from '../errors.js';
import { readFrontMatter } from './front-matter.js';
import { outlineOf, type OutlineBlock } from './outline.js';
import type { MarkdownRunbook } from './structure.js';
import { RunbookWalker } from './walk.js';

export function readMarkdownRunbook(text: string, file: string): MarkdownRunbook {
  const { blocks, walked } = tooDeepAsError(file, () => {
    const blocks = outlineDocument(text);
    return { blocks, walked: new RunbookWalker().walk(blocks) };
  });
  if (walked.problems.length > 0) {
    throw new RunbookError(file, walked.problems.map((p) => ({ file, line: p.line, column: p.column, path: p.key, message: p.message })));
  }
  const frontMatter = readFrontMatter(blocks, file);
  const fallbackName = path.basename(file).replace(/\.(md|markdown)$/i, '');
  const name = frontMatter?.name ?? walked.title ?? fallbackName;
  return { name, description: frontMatter?.description ?? walked.description, frontMatter, sections: walked.sections, choices: walked.choices, rollback: walked.rollback };
}

/**
 * Nesting thousands of levels deep runs the outline's stack out: one clear error, not an
 * internal one.
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
export function outlineDocument(text: string): OutlineBlock[] {
  const source = normalizeSource(text);
  const root = markdownToMdast(source) as { children?: unknown[] };
  return outlineOf((root.children ?? []) as Parameters<typeof outlineOf>[0], source);
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
