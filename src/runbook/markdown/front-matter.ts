// Front matter of a Markdown runbook, YAML (`---`) or TOML (`+++`), as static-site generators
// write it. It is never a reason to refuse a runbook: `title` (else `name`) names it, an
// `opscockpit:` key carries runbook settings in the YAML runbook format, and every other key
// (weight, cover, labels, tags, date, draft, Hugo's params …) is kept as metadata and ignored.
import { LineCounter, parseDocument } from 'yaml';
import { RunbookError } from '../errors.js';
import { SourceLocator, type Anchor, type PathSegment } from '../locate.js';
import { syntaxIssues } from '../syntax.js';
import type { OutlineBlock } from './outline.js';
import { pathKey, readToml } from './toml.js';

/** The key whose map holds runbook settings. */
export const SETTINGS_KEY = 'opscockpit';

export interface FrontMatter {
  /** Every key as written, the settings too. */
  metadata: Record<string, unknown>;
  /** What `opscockpit:` holds: targets, secrets, params, safety, actions, notify, release … */
  settings: Record<string, unknown>;
  /** opscockpit.name, else title, else name. */
  name?: string;
  /** opscockpit.description, else description. */
  description?: string;
  /** Line of the opening `---` or `+++`. */
  line: number;
  /** Markdown line of a settings field (`['targets', 'app']`); anchor as in SourceLocator. */
  lineOf(path: readonly PathSegment[], anchor?: Anchor): number;
}

/** The document's front matter (the first block, when it is one), read; undefined when there is none. */
export function readFrontMatter(blocks: readonly OutlineBlock[], file: string): FrontMatter | undefined {
  const block = blocks.find((b) => b.type === 'yaml' || b.type === 'toml');
  if (!block || (block.type !== 'yaml' && block.type !== 'toml')) return undefined;
  // The text between the fences starts on the line after the opening one.
  const first = block.line + 1;
  const read = block.type === 'yaml' ? readYaml(block.value, first, file) : readTomlFront(block.value, first, file);
  const { metadata, lineOf } = read;
  const settingsValue = metadata[SETTINGS_KEY];
  if (settingsValue !== undefined && settingsValue !== null && !isMap(settingsValue)) {
    throw new RunbookError(file, [
      { file, line: lineOf([], 'key'), column: 1, path: SETTINGS_KEY, message: `front matter: ${SETTINGS_KEY}: holds runbook settings as a map`, hint: 'e.g. opscockpit: { targets: { app: "http://127.0.0.1:8080" }, params: { … } }' },
    ]);
  }
  const settings = isMap(settingsValue) ? settingsValue : {};
  return {
    metadata,
    settings,
    name: text(settings.name) ?? text(metadata.title) ?? text(metadata.name),
    description: text(settings.description) ?? text(metadata.description),
    line: block.line,
    lineOf,
  };
}

interface Read {
  metadata: Record<string, unknown>;
  /** Line of a settings path. */
  lineOf(path: readonly PathSegment[], anchor?: Anchor): number;
}

function readYaml(value: string, first: number, file: string): Read {
  const lines = new LineCounter();
  const doc = parseDocument(value, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  const syntax = syntaxIssues(doc, lines, file).map((i) => ({ ...i, line: i.line + first - 1, message: `front matter: ${i.message}` }));
  if (syntax.length > 0) throw new RunbookError(file, syntax);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new RunbookError(file, [{ file, line: first, column: 1, path: '', message: `front matter: ${(e as Error).message}` }]);
  }
  const locator = new SourceLocator(doc, lines, value);
  return {
    // A front matter that is a list or a scalar is no one's settings: nothing to keep.
    metadata: isMap(data) ? data : {},
    lineOf: (path, anchor) => first - 1 + locator.position([SETTINGS_KEY, ...path], anchor ?? 'value').line,
  };
}

function readTomlFront(value: string, first: number, file: string): Read {
  const toml = readToml(value);
  // Only what opscockpit reads must be readable; a key it skips elsewhere is someone else's.
  const mine = toml.skipped.filter((e) => e.path[0] === SETTINGS_KEY);
  if (mine.length > 0) {
    throw new RunbookError(
      file,
      mine.map((e) => ({ file, line: first - 1 + e.line, column: 1, path: e.path.join('.'), message: `front matter (TOML): ${e.message}` })),
    );
  }
  return {
    metadata: toml.data,
    lineOf(path) {
      // The deepest part of the path that has a line: the key itself, else the table holding it.
      for (let n = path.length; n >= 0; n--) {
        const at = toml.lines.get(pathKey([SETTINGS_KEY, ...path.slice(0, n)]));
        if (at !== undefined) return first - 1 + at;
      }
      return first - 1;
    },
  };
}

const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v.trim() || undefined;
  if (typeof v === 'number') return String(v);
  return undefined;
}
