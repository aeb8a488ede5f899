// A small reader of shell text, line by line: where a command is still open. It knows what a
// person splitting or joining a script must respect: quotes, `$( )`, `( )`, `{ }`, `${ }`,
// if/fi, case/esac, for|while|until|select … done, here-documents, a trailing backslash and a
// line ending in `|`, `&&` or `||`. Not a parser: enough to never cut a command in two.

type Frame = "'" | '"' | '`' | '$(' | '(' | '{' | '${' | 'if' | 'case' | 'loop';

/** Keywords that open a compound command, and the one that closes it. */
const OPENS: Record<string, Frame> = { if: 'if', case: 'case', for: 'loop', while: 'loop', until: 'loop', select: 'loop' };
const CLOSES: Record<string, Frame> = { fi: 'if', esac: 'case', done: 'loop', '}': '{' };
/** Words after which the next word starts a command. */
const LEADS = new Set(['then', 'do', 'else', 'elif', 'if', 'while', 'until', '!', 'time', '{']);
const HEREDOC = /^<<(-?)[ \t]*(?:'([^'\n]*)'|"([^"\n]*)"|(\\?)([^\s;&|<>()]+))/;

/** How the shell reads a character of a line (ShellScanner.feed with marks). */
export const Quoting = {
  Code: 0,
  Single: 1,
  Double: 2,
  /** The text of a here-document whose delimiter is unquoted: `$` expands, nothing splits. */
  HereDoc: 3,
  /** The text of a here-document whose delimiter is quoted (`<<'EOF'`): nothing expands. */
  LiteralHereDoc: 4,
} as const;
export type Quoting = (typeof Quoting)[keyof typeof Quoting];

export class ShellScanner {
  private readonly stack: Frame[] = [];
  /** Here-documents announced on the current line, read from the next. */
  private pending: { delim: string; strip: boolean; literal: boolean }[] = [];
  private heredoc?: { delim: string; strip: boolean; literal: boolean };
  /** The last line ended with a backslash, `|`, `&&` or `||`. */
  private continued = false;
  private backslash = false;

  /** Nothing is open after the lines read so far: a command may end here. */
  get complete(): boolean {
    return this.stack.length === 0 && !this.heredoc && this.pending.length === 0 && !this.continued;
  }

  /** Inside a here-document's text (nothing in it is a command). */
  get inHeredoc(): boolean {
    return this.heredoc !== undefined;
  }

  /** The next line starts outside quotes and here-documents, not carried over by a backslash. */
  get lineStartsCode(): boolean {
    const top = this.stack[this.stack.length - 1];
    return !this.heredoc && this.pending.length === 0 && !this.backslash && top !== "'" && top !== '"' && top !== '`' && top !== '${';
  }

  /** The last line ended with a backslash: the next line goes on with it, whatever it is. */
  get endsWithBackslash(): boolean {
    return this.backslash;
  }

  /** With feed(line, true): how the shell reads each character of the line fed last. */
  quoting: Quoting[] = [];

  feed(line: string, marks = false): void {
    if (marks) this.quoting = [];
    if (this.heredoc) {
      if (marks) this.quoting = new Array<Quoting>(line.length).fill(this.heredoc.literal ? Quoting.LiteralHereDoc : Quoting.HereDoc);
      const text = this.heredoc.strip ? line.replace(/^\t+/, '') : line;
      if (text === this.heredoc.delim || text.trimEnd() === this.heredoc.delim) this.heredoc = this.pending.shift();
      return;
    }
    // A new line starts a command, unless a backslash carried the last one over.
    let command = !this.backslash;
    this.continued = false;
    this.backslash = false;
    let last = ''; // the last operator or word read in code
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      const top = this.stack[this.stack.length - 1];
      if (marks) this.quoting[i] = this.quoting[i + 1] = top === "'" ? Quoting.Single : top === '"' ? Quoting.Double : Quoting.Code;
      if (top === "'") {
        if (c === "'") this.stack.pop();
        continue;
      }
      if (c === '\\') {
        if (i === line.length - 1) this.continued = this.backslash = true;
        i++;
        continue;
      }
      if (top === '"' || top === '`') {
        if (c === top) this.stack.pop();
        else if (c === '$' && line[i + 1] === '(') this.stack.push('$('), i++;
        else if (c === '$' && line[i + 1] === '{') this.stack.push('${'), i++;
        else if (c === '`') this.stack.push('`');
        continue;
      }
      if (top === '${') {
        if (c === '}') this.stack.pop();
        else if (c === "'" || c === '"') this.stack.push(c);
        continue;
      }
      // Code: at top level, in $( ), ( ), { } or a compound command.
      if (c === ' ' || c === '\t') continue;
      if (c === '#' && (i === 0 || /[\s;&|()]/.test(line[i - 1]))) break; // a comment
      if (c === "'" || c === '"' || c === '`') {
        this.stack.push(c);
        command = false;
        last = 'word';
        continue;
      }
      if (c === '$' && line[i + 1] === '(') {
        this.stack.push('$(');
        i++;
        command = true;
        last = 'word';
        continue;
      }
      if (c === '$' && line[i + 1] === '{') {
        this.stack.push('${');
        i++;
        last = 'word';
        continue;
      }
      if (c === '(') {
        this.stack.push('(');
        command = true;
        last = '(';
        continue;
      }
      if (c === ')') {
        // In a case, `x)` ends a pattern; elsewhere it closes the innermost ( or $(.
        if (top === '(' || top === '$(') this.stack.pop();
        // After $( ) the word goes on; after ( ) or a pattern a command may follow.
        command = top !== '$(';
        last = ')';
        continue;
      }
      if (line.startsWith('<<<', i)) {
        i += 2;
        last = '<';
        continue;
      }
      if (c === '<' && line[i + 1] === '<') {
        const m = HEREDOC.exec(line.slice(i));
        if (m) {
          this.pending.push({ delim: m[2] ?? m[3] ?? m[5], strip: m[1] === '-', literal: m[5] === undefined || m[4] === '\\' });
          i += m[0].length - 1;
          last = 'word';
          continue;
        }
      }
      if (c === ';' || c === '&' || c === '|') {
        const two = line.slice(i, i + 2);
        if (two === '&&' || two === '||' || two === ';;' || two === '|&') i++;
        last = two === '&&' || two === '||' || two === '|&' ? two : c;
        command = true;
        continue;
      }
      if (c === '<' || c === '>') {
        last = c;
        continue;
      }
      // A word: up to a blank or an operator.
      let j = i;
      while (j < line.length && !/[\s;&|()<>'"`\\]/.test(line[j]) && !(line[j] === '$' && /[({]/.test(line[j + 1] ?? ''))) j++;
      const word = line.slice(i, j);
      if (word === '') {
        last = 'word';
        continue;
      }
      i = j - 1;
      last = 'word';
      if (!command) continue;
      if (OPENS[word]) this.stack.push(OPENS[word]);
      else if (word === '{') this.stack.push('{');
      else if (CLOSES[word] && top === CLOSES[word]) this.stack.pop();
      command = LEADS.has(word) || /^[A-Za-z_][A-Za-z0-9_]*\+?=/.test(word);
    }
    if (marks) this.quoting.length = line.length;
    if (last === '|' || last === '&&' || last === '||' || last === '|&') this.continued = true;
    if (this.stack[this.stack.length - 1] === '`' || this.stack[this.stack.length - 1] === '"' || this.stack[this.stack.length - 1] === "'") return;
    if (this.pending.length > 0 && !this.heredoc) this.heredoc = this.pending.shift();
  }
}

/** For each line, whether nothing is open after it: where a script may be cut. */
export function closedAfter(lines: readonly string[]): boolean[] {
  const s = new ShellScanner();
  const out: boolean[] = [];
  for (let i = 0; i < lines.length; i++) {
    s.feed(lines[i]);
    out.push(s.complete);
  }
  return out;
}

/** The command text is unfinished: its next line belongs to it. */
export function unfinished(text: string): boolean {
  const s = new ShellScanner();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) s.feed(lines[i]);
  return !s.complete;
}
