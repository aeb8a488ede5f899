// A small TOML reader for `+++` front matter (Hugo, Zola): tables, array tables, dotted and
// quoted keys, strings (basic, literal, multi-line), numbers, booleans, dates (kept as text),
// arrays and inline tables. It records the line of every key, so a problem in the opscockpit
// settings points at its line. A statement it cannot read is a TomlError with its line and
// column; front matter that does not parse is an error (front-matter.ts).
import { ownValue } from '../../own.js';

export class TomlError extends Error {
  constructor(
    message: string,
    /** 1-based line in the TOML text. */
    readonly line: number,
    /** The table or key path the statement was writing to. */
    readonly path: string[],
    /** 1-based column where reading stopped, when known. */
    readonly column = 1,
  ) {
    super(message);
  }
}

export interface TomlDocument {
  data: Record<string, unknown>;
  /** Line of each key path (joined with "\u0000"), and of each table header. */
  lines: Map<string, number>;
  /** Statements that could not be read: skipped, with where they were. */
  skipped: TomlError[];
}

type Table = Record<string, unknown>;

export const pathKey = (path: readonly (string | number)[]): string => path.map(String).join('\u0000');

/** Read TOML; statements that cannot be read are skipped and listed (see TomlDocument.skipped). */
export function readToml(text: string): TomlDocument {
  const r = new Reader(text);
  const data: Table = {};
  const lines = new Map<string, number>();
  const skipped: TomlError[] = [];
  let table = data;
  let tablePath: string[] = [];
  for (;;) {
    r.skipBlank();
    if (r.done()) break;
    const line = r.line;
    let path: string[] = tablePath;
    try {
      if (r.peek('[')) {
        const array = r.peek('[[');
        r.pos += array ? 2 : 1;
        path = r.keyPath();
        r.expect(array ? ']]' : ']');
        r.endOfLine();
        tablePath = path;
        table = array ? appendTable(data, path, line) : tableAt(data, path, line);
        lines.set(pathKey(path), line);
        continue;
      }
      const key = r.keyPath();
      path = [...tablePath, ...key];
      r.spaces();
      r.expect('=');
      r.spaces();
      const value = r.value(lines, path);
      r.endOfLine();
      const holder = tableAt(table, key.slice(0, -1), line);
      holder[key[key.length - 1]] = value;
      lines.set(pathKey(path), line);
    } catch (e) {
      if (!(e instanceof TomlError)) throw e;
      skipped.push(new TomlError(e.message, e.line, path, e.line === r.line ? r.column() : 1));
      r.skipLine();
    }
  }
  return { data, lines, skipped };
}

function tableAt(root: Table, path: readonly string[], line: number): Table {
  let t = root;
  for (const k of path) {
    const next = ownValue(t, k); // `constructor` is a key like any other
    if (Array.isArray(next) && isTable(next[next.length - 1])) t = next[next.length - 1] as Table;
    else if (isTable(next)) t = next;
    else if (next === undefined) t = t[k] = {};
    else throw new TomlError(`"${k}" is a value already, not a table`, line, [...path]);
  }
  return t;
}

function appendTable(root: Table, path: readonly string[], line: number): Table {
  const parent = tableAt(root, path.slice(0, -1), line);
  const k = path[path.length - 1];
  const list = Object.hasOwn(parent, k) ? parent[k] : (parent[k] = []);
  if (!Array.isArray(list)) throw new TomlError(`"${k}" is not an array of tables`, line, [...path]);
  const t: Table = {};
  list.push(t);
  return t;
}

const isTable = (v: unknown): v is Table => v !== null && typeof v === 'object' && !Array.isArray(v);

const ESCAPES: Record<string, string> = { b: '\b', t: '\t', n: '\n', f: '\f', r: '\r', '"': '"', '\\': '\\' };

class Reader {
  pos = 0;
  line = 1;
  constructor(private readonly s: string) {}

  done(): boolean {
    return this.pos >= this.s.length;
  }
  peek(t: string): boolean {
    return this.s.startsWith(t, this.pos);
  }
  /** 1-based column of the reading position. */
  column(): number {
    return this.pos - this.s.lastIndexOf('\n', this.pos - 1);
  }
  fail(message: string): never {
    throw new TomlError(message, this.line, []);
  }
  expect(t: string): void {
    if (!this.peek(t)) this.fail(`expected "${t}"`);
    this.pos += t.length;
  }
  spaces(): void {
    while (this.s[this.pos] === ' ' || this.s[this.pos] === '\t') this.pos++;
  }
  /** Spaces, comments and line ends. */
  skipBlank(): void {
    for (;;) {
      this.spaces();
      const c = this.s[this.pos];
      if (c === '#') while (!this.done() && this.s[this.pos] !== '\n') this.pos++;
      else if (c === '\n') this.newline();
      else if (c === '\r') this.pos++;
      else return;
    }
  }
  newline(): void {
    this.pos++;
    this.line++;
  }
  skipLine(): void {
    while (!this.done() && this.s[this.pos] !== '\n') this.pos++;
  }
  endOfLine(): void {
    this.spaces();
    if (this.peek('#')) this.skipLine();
    if (this.peek('\r')) this.pos++;
    if (!this.done() && !this.peek('\n')) this.fail(`unexpected "${this.s.slice(this.pos, this.pos + 10)}" after the value`);
  }

  keyPath(): string[] {
    const keys: string[] = [];
    for (;;) {
      this.spaces();
      const start = this.pos;
      const key = this.key();
      // As a key of a plain object it would reach Object.prototype (tableAt walks into it).
      if (key === '__proto__') {
        this.pos = start;
        this.fail('"__proto__" cannot be a key: choose another name');
      }
      keys.push(key);
      this.spaces();
      if (!this.peek('.')) return keys;
      this.pos++;
    }
  }

  private key(): string {
    if (this.peek('"')) return this.basicString();
    if (this.peek("'")) return this.literalString();
    const m = /^[A-Za-z0-9_-]+/.exec(this.s.slice(this.pos, this.pos + 256));
    if (!m) this.fail('expected a key');
    this.pos += m[0].length;
    return m[0];
  }

  value(lines: Map<string, number>, path: string[]): unknown {
    const c = this.s[this.pos];
    if (this.peek('"""')) return this.multiline('"""');
    if (this.peek("'''")) return this.multiline("'''");
    if (c === '"') return this.basicString();
    if (c === "'") return this.literalString();
    if (c === '[') return this.array(lines, path);
    if (c === '{') return this.inlineTable(lines, path);
    const m = /^[^\s,\]}#]+(?: [0-9:.+Z-]+)?/.exec(this.s.slice(this.pos, this.pos + 128));
    if (!m) this.fail('expected a value');
    const word = m[0];
    this.pos += word.length;
    if (word === 'true' || word === 'false') return word === 'true';
    const n = word.replace(/_/g, '');
    if (/^[+-]?(\d+|0x[0-9a-f]+|0o[0-7]+|0b[01]+)$/i.test(n)) return Number(n.replace(/^\+/, ''));
    if (/^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(n)) return Number(n);
    if (/^[+-]?(inf|nan)$/.test(n)) return n.endsWith('inf') ? (n.startsWith('-') ? -Infinity : Infinity) : NaN;
    if (/^\d{4}-\d{2}-\d{2}|^\d{2}:\d{2}/.test(word)) return word; // a date or time, as written
    this.fail(`"${word}" is not a TOML value (strings are quoted)`);
  }

  private basicString(): string {
    this.pos++;
    let out = '';
    for (;;) {
      const c = this.s[this.pos];
      if (c === undefined || c === '\n') this.fail('missing closing " quote');
      this.pos++;
      if (c === '"') return out;
      if (c !== '\\') out += c;
      else out += this.escape();
    }
  }

  private escape(): string {
    const e = this.s[this.pos++];
    if (e in ESCAPES) return ESCAPES[e];
    const size = e === 'u' ? 4 : e === 'U' ? 8 : 0;
    const hex = this.s.slice(this.pos, this.pos + size);
    if (!size || !/^[0-9a-fA-F]+$/.test(hex) || hex.length !== size) this.fail(`unknown escape "\\${e ?? ''}"`);
    this.pos += size;
    return String.fromCodePoint(parseInt(hex, 16));
  }

  private literalString(): string {
    const end = this.s.indexOf("'", this.pos + 1);
    const nl = this.s.indexOf('\n', this.pos + 1);
    if (end === -1 || (nl !== -1 && nl < end)) this.fail("missing closing ' quote");
    const out = this.s.slice(this.pos + 1, end);
    this.pos = end + 1;
    return out;
  }

  private multiline(quote: string): string {
    this.pos += 3;
    if (this.peek('\n')) this.newline();
    let out = '';
    for (;;) {
      if (this.done()) this.fail(`missing closing ${quote}`);
      if (this.peek(quote)) {
        this.pos += 3;
        return out;
      }
      const c = this.s[this.pos];
      if (c === '\n') {
        this.newline();
        out += '\n';
      } else if (c === '\\' && quote === '"""') {
        this.pos++;
        if (/^[ \t]*\r?\n/.test(this.s.slice(this.pos, this.pos + 64))) {
          this.skipBlank(); // a line-ending backslash joins the lines
        } else out += this.escape();
      } else {
        out += c;
        this.pos++;
      }
    }
  }

  private array(lines: Map<string, number>, path: string[]): unknown[] {
    this.pos++;
    const out: unknown[] = [];
    for (;;) {
      this.skipBlank();
      if (this.peek(']')) {
        this.pos++;
        return out;
      }
      if (this.done()) this.fail('missing closing ]');
      lines.set(pathKey([...path, out.length]), this.line);
      out.push(this.value(lines, [...path, String(out.length)]));
      this.skipBlank();
      if (this.peek(',')) this.pos++;
      else if (!this.peek(']')) this.fail('expected "," or "]" in the array');
    }
  }

  private inlineTable(lines: Map<string, number>, path: string[]): Table {
    this.pos++;
    const out: Table = {};
    for (;;) {
      this.spaces();
      if (this.peek('}')) {
        this.pos++;
        return out;
      }
      const key = this.keyPath();
      this.spaces();
      this.expect('=');
      this.spaces();
      const at = [...path, ...key];
      lines.set(pathKey(at), this.line);
      tableAt(out, key.slice(0, -1), this.line)[key[key.length - 1]] = this.value(lines, at);
      this.spaces();
      if (this.peek(',')) this.pos++;
      else if (!this.peek('}')) this.fail('expected "," or "}" in the inline table');
    }
  }
}
