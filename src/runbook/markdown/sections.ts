// Cutting a Markdown document into sections that parse on their own exactly as they parse
// inside the whole document, so each can be parsed (and cached) apart. A cut is made only
// before a heading line that starts at column 0: an ATX heading (`## Deploy`), or the text
// line of a setext heading that follows a blank line, and only where the line scan is sure
// that no fenced code block, HTML block or front matter is open.
//
// The scan does not parse containers; where a line could mean two things (a fence indented
// 2–3 spaces may sit in a list item or at the top level; an HTML tag line may start a block
// or continue a paragraph) it follows every reading at once and cuts only where all agree.
// A document with `]:` anywhere (link reference or footnote definitions, which reach across
// sections) is not cut at all, nor one whose first line opens front matter that never closes.

export interface SourceSection {
  text: string;
  /** 1-based line of the section's first line in the whole document. */
  line: number;
  /** Offset of the section's first character in the whole document. */
  offset: number;
  /** The first line of the next section (it closes what this one leaves open); none for the last. */
  next?: string;
}

/** What may be open at the end of a line, in one reading of the document. */
type State =
  | { kind: 'none' }
  | { kind: 'front' }
  | { kind: 'fence'; char: string; size: number; item: number }
  | { kind: 'html'; end: RegExp | 'blank'; item: number };

/** A safeguard: with more open readings than this the scan stops cutting. */
const MAX_READINGS = 16;

const NONE: State = { kind: 'none' };
const ATX = /^#{1,6}(?:[ \t]|$)/;
const SETEXT_UNDERLINE = /^ {0,3}(?:=+|-+)[ \t]*$/;
const LIST_OR_QUOTE = /^(?:[-+*>]|\d{1,9}[.)])(?:[ \t]|$)/;
const FRONT_FENCE = /^---[ \t]*$/;
const FENCE_OPEN = /^(`{3,}|~{3,})(.*)$/;
const HTML_END: [RegExp, RegExp][] = [
  [/^<(?:script|pre|style|textarea)(?=[ \t>]|$)/i, /<\/(?:script|pre|style|textarea)>/i],
  [/^<!--/, /-->/],
  [/^<\?/, /\?>/],
  [/^<!\[CDATA\[/, /\]\]>/],
  [/^<![A-Za-z]/, />/],
];

/** Sections of `source` (LF line endings, no BOM), in order; together they are `source`. */
export function splitSections(source: string): SourceSection[] {
  if (source.includes(']:')) return [{ text: source, line: 1, offset: 0 }];
  const lines = source.split('\n');
  // An unclosed `---` on the first line sends remark-frontmatter's failed attempt through the
  // whole document, which then parses differently (a later `> quote` may become text): such a
  // document is parsed whole, as it always was.
  const front = FRONT_FENCE.test(lines[0]);
  if (front && !frontMatterAhead(lines)) return [{ text: source, line: 1, offset: 0 }];
  const out: SourceSection[] = [];
  let states: State[] = [front ? { kind: 'front' } : NONE];
  let start = 0;
  let startLine = 1;
  let offset = 0;
  let stuck = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (i > 0 && !stuck && states.length === 1 && states[0].kind === 'none' && startsSection(lines, i) && offset > start) {
      out.push({ text: source.slice(start, offset), line: startLine, offset: start, next: line });
      start = offset;
      startLine = i + 1;
    }
    if (!stuck) {
      states = step(states, line, i === 0);
      if (states.length > MAX_READINGS) stuck = true;
    }
    offset += line.length + 1;
  }
  out.push({ text: source.slice(start), line: startLine, offset: start });
  return out;
}

/** Line i (0-based) may begin a section: a column-0 heading line. */
function startsSection(lines: string[], i: number): boolean {
  const line = lines[i];
  if (ATX.test(line)) return true;
  // Setext: a one-line paragraph after a blank line, underlined. A list item or quote after a
  // blank line may still belong to the list or quote above, so those never start one, and a
  // section never starts with `---` (it would open front matter).
  return (
    isBlank(lines[i - 1]) &&
    !isBlank(line) &&
    indentOf(line) === 0 &&
    !LIST_OR_QUOTE.test(line) &&
    !FRONT_FENCE.test(line) &&
    i + 1 < lines.length &&
    SETEXT_UNDERLINE.test(lines[i + 1])
  );
}

/** After a first line `---`: a closing `---` later makes it front matter (remark-frontmatter). */
function frontMatterAhead(lines: string[]): boolean {
  for (let i = 1; i < lines.length; i++) if (FRONT_FENCE.test(lines[i])) return true;
  return false;
}

function step(states: State[], line: string, first: boolean): State[] {
  if (states.length === 1 && states[0].kind === 'none' && !/^ {0,3}[`~<]/.test(line)) return states;
  const next = new Map<string, State>();
  for (const s of states) for (const n of advance(s, line, first)) next.set(keyOf(n), n);
  return [...next.values()];
}

function keyOf(s: State): string {
  if (s.kind === 'fence') return `f${s.char}${s.size}:${s.item}`;
  if (s.kind === 'html') return `h${String(s.end)}:${s.item}`;
  return s.kind;
}

/** The readings after `line`, given one reading before it. */
function advance(s: State, line: string, first: boolean): State[] {
  if (s.kind === 'none') return opened(line);
  if (s.kind === 'front') return !first && FRONT_FENCE.test(line) ? [NONE] : [s];
  const indent = indentOf(line);
  if (s.item > 0 && !isBlank(line)) {
    // Opened in a list item: a line indented less than any list content closes the item and
    // with it the block; a line that may or may not be inside the item counts both ways.
    if (indent < 2) return opened(line);
    if (indent < s.item) return [...inside(s, line, indent), ...opened(line)];
  }
  return inside(s, line, indent);
}

/** Still in the fence or HTML block, or closed by this line. */
function inside(s: State & { kind: 'fence' | 'html' }, line: string, indent: number): State[] {
  if (s.kind === 'fence') return indent <= 3 && closesFence(line.slice(indent), s.char, s.size) ? [NONE] : [s];
  if (s.end === 'blank') return isBlank(line) ? [NONE] : [s];
  return s.end.test(line) ? [NONE] : [s];
}

/** The readings after a line seen at the top level (nothing open before it). */
function opened(line: string): State[] {
  const indent = indentOf(line);
  if (indent > 3) return [NONE];
  const rest = line.slice(indent);
  // A list item's content starts at least 2 columns in, so 2–3 spaces may mean "in an item".
  const readings = (s: State): State[] => (indent >= 2 ? [s, { ...s, item: indent } as State] : [s]);
  const fence = FENCE_OPEN.exec(rest);
  if (fence && !(fence[1][0] === '`' && fence[2].includes('`'))) {
    return readings({ kind: 'fence', char: fence[1][0], size: fence[1].length, item: 0 });
  }
  if (rest[0] !== '<') return [NONE];
  for (const [open, end] of HTML_END) {
    const start = open.exec(rest);
    if (!start) continue;
    const block: State = { kind: 'html', end, item: 0 };
    // The end may be found on the start line itself (`<!-- note -->`); where it overlaps the
    // opening (`<!-->`, `<?>`) the block may or may not be over: both readings.
    if (end.test(rest.slice(start[0].length))) return [NONE];
    if (end.test(rest.slice(1))) return [NONE, ...readings(block)];
    return readings(block);
  }
  // Other tags start a block that runs to a blank line, unless they continue a paragraph
  // (or are not a block tag at all): both readings.
  if (/^<\/?[A-Za-z]/.test(rest)) return [NONE, ...readings({ kind: 'html', end: 'blank', item: 0 })];
  return [NONE];
}

/** A closing fence: at least `size` of `char`, then only spaces or tabs. */
function closesFence(rest: string, char: string, size: number): boolean {
  let n = 0;
  while (rest[n] === char) n++;
  return n >= size && isBlank(rest.slice(n));
}

function isBlank(line: string): boolean {
  return /^[ \t]*$/.test(line);
}

/** Columns of leading whitespace (tabs to the next multiple of 4). */
function indentOf(line: string): number {
  let col = 0;
  for (let i = 0; i < line.length; i++) {
    if (line[i] === ' ') col++;
    else if (line[i] === '\t') col += 4 - (col % 4);
    else break;
  }
  return col;
}
