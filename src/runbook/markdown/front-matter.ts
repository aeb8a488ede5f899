// Front matter of a Markdown runbook, YAML (`---`) or TOML (`+++`), as static-site generators
// write it. It is never a reason to refuse a runbook: `title` (else `name`) names it, an
// `opscockpit:` key carries runbook settings in the YAML runbook format, and every other key
// (weight, cover, labels, tags, date, draft, Hugo's params …) is kept as metadata and ignored.
import { LineCounter, parseDocument } from 'yaml';
import { RunbookError } from '../errors.js';
import { SourceLocator, type Anchor, type PathSegment } from '../locate.js';
import { keyIssues, syntaxIssues } from '../syntax.js';
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
  /** Markdown line and column of a settings field. */
  position(path: readonly PathSegment[], anchor?: Anchor): { line: number; column: number };
}

/** The document's front matter (the first block, when it is one), read; undefined when there is none. */
export function readFrontMatter(blocks: readonly OutlineBlock[], file: string): FrontMatter | undefined {
  const block = blocks.find((b) => b.type === 'yaml' || b.type === 'toml');
  if (!block || (block.type !== 'yaml' && block.type !== 'toml')) return undefined;
  // The text between the fences starts on the line after the opening one.
  const first = block.line + 1;
  const read = block.type === 'yaml' ? readYaml(block.value, first, file) : readTomlFront(block.value, first, file);
  const { metadata, lineOf, position } = read;
  // A title that is not text (`title: [1, 2]`) would leave the runbook unnamed without a word.
  for (const key of ['title', 'name', 'description']) {
    const v = metadata[key];
    if (v !== undefined && v !== null && typeof v !== 'string' && typeof v !== 'number') {
      throw new RunbookError(file, [{ file, line: read.keyLine(key), column: 1, path: key, message: `front matter: ${key}: is text (the runbook's ${key}), not ${Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'a map' : typeof v}`, hint: `e.g. ${key}: Rotate the database credentials` }]);
    }
  }
  const settingsValue = metadata[SETTINGS_KEY];
  if (settingsValue !== undefined && settingsValue !== null && !isMap(settingsValue)) {
    throw new RunbookError(file, [
      { file, line: lineOf([], 'key'), column: position([], 'key').column, path: SETTINGS_KEY, message: `front matter: ${SETTINGS_KEY}: holds runbook settings as a map`, hint: 'e.g. opscockpit: { targets: { app: "http://127.0.0.1:8080" }, params: { … } }' },
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
    position,
  };
}

interface Read {
  metadata: Record<string, unknown>;
  /** Line of a settings path. */
  lineOf(path: readonly PathSegment[], anchor?: Anchor): number;
  /** Line and column of a settings path (column 1 where the format does not say). */
  position(path: readonly PathSegment[], anchor?: Anchor): { line: number; column: number };
  /** Line of a top-level key of the front matter. */
  keyLine(key: string): number;
}

function readYaml(value: string, first: number, file: string): Read {
  const lines = new LineCounter();
  const doc = parseDocument(value, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  const syntax = [...syntaxIssues(doc, lines, file), ...keyIssues(doc, lines, file, { unique: false })].map((i) => ({ ...i, line: i.line + first - 1, message: `front matter: ${i.message}` }));
  if (syntax.length > 0) throw new RunbookError(file, syntax);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new RunbookError(file, [{ file, line: first, column: 1, path: '', message: `front matter: ${(e as Error).message}` }]);
  }
  const locator = new SourceLocator(doc, lines, value);
  const position = (path: readonly PathSegment[], anchor?: Anchor) => {
    const at = locator.position([SETTINGS_KEY, ...path], anchor ?? 'value');
    return { line: first - 1 + at.line, column: at.column };
  };
  return {
    // A front matter that is a list or a scalar is no one's settings: nothing to keep.
    metadata: isMap(data) ? data : {},
    lineOf: (path, anchor) => position(path, anchor).line,
    position,
    keyLine: (key) => first - 1 + locator.position([key], 'key').line,
  };
}

function readTomlFront(value: string, first: number, file: string): Read {
  const toml = readToml(value);
  // Front matter that does not parse is an error, wherever it is: a `title = "bad` would
  // otherwise lose the runbook's title without a word.
  if (toml.skipped.length > 0) {
    throw new RunbookError(
      file,
      toml.skipped.map((e) => ({ file, line: first - 1 + e.line, column: e.column, path: e.path.join('.'), message: `front matter (TOML): ${e.message}` })),
    );
  }
  return {
    metadata: toml.data,
    keyLine: (key) => first - 1 + (toml.lines.get(pathKey([key])) ?? 1),
    position: (path) => ({ line: lineOfToml(toml.lines, first, path), column: 1 }),
    lineOf: (path) => lineOfToml(toml.lines, first, path),
  };
}

/** The deepest part of a settings path that has a line: the key itself, else the table holding it. */
function lineOfToml(lines: ReadonlyMap<string, number>, first: number, path: readonly PathSegment[]): number {
  for (let n = path.length; n >= 0; n--) {
    const at = lines.get(pathKey([SETTINGS_KEY, ...path.slice(0, n)]));
    if (at !== undefined) return first - 1 + at;
  }
  return first - 1;
}

const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v.trim() || undefined;
  if (typeof v === 'number') return String(v);
  return undefined;
}
