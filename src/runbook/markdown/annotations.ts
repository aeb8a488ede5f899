// Annotations that leave the Markdown readable: attributes on a fence's info string
// (```sh {name=restart-db timeout=5m confirm=typed}) and HTML comments
// (<!-- opscockpit: check every=5s -->). A site generator shows neither; opscockpit reads both
// into the same BlockAnnotations, which annotate.ts applies to the code block they belong to.
//
// Keys (a bare key means true; values may be quoted; `#id` is short for name=id):
//   name=ID            the step's id (letters, digits, "_" and "-")
//   timeout=DURATION   how long the block may run, e.g. 30s, 5m
//   confirm=typed|enter  typed: the operator types the step's id before it runs; enter: Enter runs it,
//                      unless the block looks destructive: then typed all the same (destructive.ts)
//   check              the block is a read-only check: it may be polled and waited on by the Gate
//   every=DURATION     poll the check this often (implies check)
//   rollback           the block belongs to the rollback procedure, not the forward steps
//   expect-exit=0,3    exit codes that mean success (default 0)
//   shell=NAME         the shell session that runs the block: bash, sh (bash in POSIX mode) or zsh
//   scope=a:b          the permission the operator needs to run it
//   skip               not a step: shown as a note, never run
//   allow-hidden       the block's bidi controls or zero-width characters are meant (hidden.ts)
import { DURATION_PATTERN, parseDuration } from '../durations.js';
import { SHELL_NAMES, type ShellName } from '../model.js';

export interface BlockAnnotations {
  name?: string;
  /** As written (e.g. `5m`); a valid duration. */
  timeout?: string;
  confirm?: 'typed' | 'enter';
  check?: boolean;
  /** As written (e.g. `5s`); a valid duration. */
  every?: string;
  rollback?: boolean;
  expectExit?: number[];
  shell?: ShellName;
  scope?: string;
  skip?: boolean;
  allowHidden?: boolean;
}

/** Where a key was written in the Markdown file: 1-based, as an editor counts. */
export interface Place {
  line: number;
  column: number;
}

export interface ParsedAnnotations {
  annotations: BlockAnnotations;
  /**
   * Where each key was written, by its name (`expect-exit` for `expect_exit`, `name` for `#id`),
   * and '' for text that could not be read: problems name the key's own line and column.
   */
  places: Record<string, Place>;
  /** One sentence each, naming the key: values a known key cannot take. */
  problems: string[];
  /**
   * Keys opscockpit does not know, as written. In a comment addressed to opscockpit they are
   * mistakes; on a fence they may belong to the site generator (Docusaurus' title="…").
   */
  unknown: string[];
}

export const ANNOTATION_KEYS = ['name', 'timeout', 'confirm', 'check', 'every', 'rollback', 'expect-exit', 'shell', 'scope', 'skip', 'allow-hidden'] as const;

const COMMENT = /^<!--\s*opscockpit:([\s\S]*?)-->\s*$/i;

/** An HTML comment addressed to opscockpit (`<!-- opscockpit: … -->`). */
export function isAnnotationComment(html: string): boolean {
  return COMMENT.test(html.trim());
}

/**
 * Annotations from a fence's info string rest (satteri's `meta`: `{name=x timeout=5m}` or
 * `name=x`) or an annotation comment. Never throws: bad keys and values are listed in problems.
 * `origin`: where the text's first character is in the file (places count from it).
 */
export function parseAnnotations(text: string, origin: Place = { line: 1, column: 1 }): ParsedAnnotations {
  let from = text.length - text.trimStart().length;
  let body = text.trim();
  const comment = COMMENT.exec(body);
  if (comment) {
    const inner = comment[1];
    from += comment[0].indexOf(':') + 1 + (inner.length - inner.trimStart().length);
    body = inner.trim();
  }
  if (body.startsWith('{') && body.endsWith('}')) {
    body = body.slice(1, -1);
    from += 1;
  }
  const annotations: BlockAnnotations = {};
  const problems: string[] = [];
  const unknown: string[] = [];
  const places: Record<string, Place> = {};
  const { pairs, rest } = tokens(body);
  for (const { key, value, at } of pairs) {
    places[keyName(key)] ??= placeOf(text, from + at, origin);
    if (!apply(annotations, problems, key, value)) unknown.push(key);
  }
  if (rest) {
    problems.push(`cannot read "${rest.text}": write key=value pairs, e.g. timeout=5m confirm=typed`);
    places[''] = placeOf(text, from + rest.at, origin);
  }
  if (annotations.every !== undefined && annotations.check === undefined) annotations.check = true;
  return { annotations, places, problems, unknown };
}

/** A key as opscockpit reads it: `Expect_Exit` is `expect-exit`, `#id` is `name`. */
export function keyName(rawKey: string): string {
  return rawKey.startsWith('#') ? 'name' : rawKey.toLowerCase().replace(/_/g, '-');
}

/** The place of text[offset], text starting at origin. */
function placeOf(text: string, offset: number, origin: Place): Place {
  const before = text.slice(0, offset);
  const nl = before.lastIndexOf('\n');
  if (nl === -1) return { line: origin.line, column: origin.column + offset };
  let lines = 0;
  for (let i = 0; i <= nl; i++) if (before.charCodeAt(i) === 10) lines++;
  return { line: origin.line + lines, column: offset - nl };
}

/** key=value pairs (value undefined for a bare key) with where each key starts, separated by spaces or commas outside quotes. */
function tokens(body: string): { pairs: Array<{ key: string; value: string | undefined; at: number }>; rest?: { text: string; at: number } } {
  const pairs: Array<{ key: string; value: string | undefined; at: number }> = [];
  const re = /\s*([^\s=,"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|(\[[^\]]*\]|\d+(?:,\d+)+(?![^\s,])|[^\s,]+)))?\s*,?/y;
  let at = 0;
  let m: RegExpExecArray | null;
  while (at < body.length && (m = re.exec(body)) !== null && m[0] !== '') {
    pairs.push({ key: m[1], value: m[2] ?? m[3] ?? m[4], at: at + m[0].indexOf(m[1]) });
    at = re.lastIndex;
  }
  const left = body.slice(at);
  return left.trim() ? { pairs, rest: { text: left.trim(), at: at + left.length - left.trimStart().length } } : { pairs };
}

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;
const SCOPE = /^[a-z][a-z0-9_-]*:[a-z][a-z0-9_-]*$/;

/** false for a key opscockpit does not know. */
function apply(a: BlockAnnotations, problems: string[], rawKey: string, value: string | undefined): boolean {
  if (rawKey.startsWith('.')) return true; // a class, as Pandoc writes the language: {.sh}
  if (rawKey.startsWith('#') && value === undefined) return apply(a, problems, 'name', rawKey.slice(1));
  const key = rawKey.toLowerCase().replace(/_/g, '-');
  const need = (what: string) => problems.push(`${rawKey}: ${what}`);
  switch (key) {
    case 'name':
      if (value && NAME.test(value)) a.name = value;
      else need('expected a name of letters, digits, "_" and "-", e.g. name=restart-db');
      break;
    case 'timeout':
    case 'every':
      if (value && DURATION_PATTERN.test(value) && parseDuration(value) !== undefined) a[key] = value;
      else need('expected a duration such as 30s, 5m or 1h');
      break;
    case 'confirm':
      if (value === 'typed' || value === 'enter') a.confirm = value;
      else if (value === undefined) a.confirm = 'typed';
      else need('expected confirm=typed or confirm=enter');
      break;
    case 'check':
    case 'rollback':
    case 'skip':
    case 'allow-hidden': {
      const flag = boolOf(value);
      if (flag === undefined) need('expected no value, true or false');
      else a[key === 'allow-hidden' ? 'allowHidden' : key] = flag;
      break;
    }
    case 'expect-exit': {
      const codes = (value ?? '').replace(/^\[|\]$/g, '').split(/[\s,;]+/).filter(Boolean);
      const nums = codes.map(Number);
      if (codes.length > 0 && nums.every((n) => Number.isInteger(n) && n >= 0 && n <= 255)) a.expectExit = [...new Set(nums)];
      else need('expected exit codes from 0 to 255, e.g. expect-exit=0,3');
      break;
    }
    case 'shell':
      if (value && (SHELL_NAMES as readonly string[]).includes(value)) a.shell = value as ShellName;
      else need(`expected one of ${SHELL_NAMES.join(', ')}, e.g. shell=zsh`);
      break;
    case 'scope':
      if (value && SCOPE.test(value)) a.scope = value;
      else need('expected a scope such as run:steps');
      break;
    default:
      return false;
  }
  return true;
}

function boolOf(value: string | undefined): boolean | undefined {
  if (value === undefined || value === 'true' || value === 'yes') return true;
  if (value === 'false' || value === 'no') return false;
  return undefined;
}
