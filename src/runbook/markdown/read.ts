// Markdown text → MarkdownRunbook: parse, read the front matter, walk the sections.
import type { Root } from 'mdast';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { RunbookError } from '../errors.js';
import { parseMarkdown } from './parse.js';
import type { MarkdownRunbook } from './structure.js';
import { RunbookWalker, lineOf } from './walk.js';

export function readMarkdownRunbook(text: string, file: string): MarkdownRunbook {
  const root = parseMarkdown(text);
  const frontMatter = readFrontMatter(root, file);
  const walked = new RunbookWalker().walk(root);
  const fallbackName = path.basename(file).replace(/\.(md|markdown)$/i, '');
  const name = typeof frontMatter?.data.name === 'string' ? frontMatter.data.name : (walked.title ?? fallbackName);
  return { name, description: walked.description, frontMatter, sections: walked.sections };
}

function readFrontMatter(root: Root, file: string): MarkdownRunbook['frontMatter'] {
  const node = root.children.find((c) => c.type === 'yaml');
  if (!node || node.type !== 'yaml') return undefined;
  const line = lineOf(node);
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
