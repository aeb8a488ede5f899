// `export NAME=$(cmd)` succeeds when cmd fails: the status is export's own, so stop-on-error
// never sees the failure (likewise local, readonly, declare, typeset). Before a block runs,
// each such line is split the way a careful author writes it: `export NAME; NAME=$(cmd)`
// (with -r or readonly: `NAME=$(cmd); readonly NAME`), on the same line, so a failing
// substitution fails its line and line numbers stay those of the block. The operator sees the
// block as written; only what the shell reads is split.
import { ShellScanner } from '../src/runbook/markdown/shell-scan.js';

const DECLARATION = /^(\s*)(export|local|readonly|declare|typeset)((?:\s+[-+][a-zA-Z]+)*)\s+(?=[A-Za-z_])/;
const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)\+?=/;

/** The script with each declaration that assigns a command substitution split in two. */
export function splitDeclarations(script: string): string {
  if (!script.includes('$(') && !script.includes('`')) return script;
  const lines = script.split('\n');
  const scan = new ShellScanner();
  let out = '';
  let l = 0;
  while (l < lines.length) {
    const starts = scan.lineStartsCode;
    const m = starts ? DECLARATION.exec(lines[l]) : null;
    const split = m ? splitAt(lines, l, m) : undefined;
    if (split) {
      out += split.text;
      for (let k = l; k < split.next; k++) scan.feed(lines[k]);
      l = split.next;
      continue;
    }
    scan.feed(lines[l]);
    out += lines[l] + (l < lines.length - 1 ? '\n' : '');
    l++;
  }
  return out;
}

/** The declaration starting on line l, split; undefined when it assigns no substitution or is not plain. */
function splitAt(lines: string[], l: number, m: RegExpExecArray): { text: string; next: number } | undefined {
  const [head, indent, keyword, flags] = m;
  if (/[-+][a-zA-Z]*[fnpaA]/.test(flags)) return undefined; // functions, un-export, print, arrays: as written
  const rest = lines.slice(l).join('\n').slice(head.length);
  const words = wordsOf(rest);
  if (!words || words.list.length === 0) return undefined;
  const names: string[] = [];
  for (const w of words.list) {
    const a = ASSIGNMENT.exec(w);
    if (!a) return undefined;
    names.push(a[1]);
  }
  if (!words.list.some((w) => w.includes('$(') || w.includes('`'))) return undefined;
  const assigns = rest.slice(0, words.end);
  const restOfLine = rest.slice(words.end).split('\n')[0];
  const readonly = keyword === 'readonly' || /-[a-zA-Z]*r/.test(flags);
  const plainFlags = flags.replace(/(-[a-zA-Z]*?)r/g, '$1').replace(/\s+-(?=\s|$)/g, '');
  const before = keyword === 'readonly' ? '' : `${keyword}${plainFlags} ${names.join(' ')}; `;
  const tail = readonly ? `; ${keyword}${flags} ${names.join(' ')}` : '';
  const next = l + `${head}${assigns}`.split('\n').length;
  return { text: `${indent}${before}${assigns}${tail}${restOfLine}${next < lines.length ? '\n' : ''}`, next };
}

/** The shell words at the start of text, up to the end of the command; with where they end. */
function wordsOf(text: string): { list: string[]; end: number } | undefined {
  const list: string[] = [];
  const stack: string[] = [];
  let cur = '';
  let end = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const top = stack[stack.length - 1];
    if (top === "'") {
      if (c === "'") stack.pop();
      cur += c;
      end = i + 1;
      continue;
    }
    if (c === '\\') {
      cur += c + (text[i + 1] ?? '');
      i++;
      end = i + 1;
      continue;
    }
    if (top === '"' || top === '`') {
      if (c === top) stack.pop();
      else if (c === '$' && text[i + 1] === '(') {
        stack.push('(');
        cur += '$';
        i++;
      }
      cur += text[i];
      end = i + 1;
      continue;
    }
    if (stack.length > 0) {
      // Inside $( ) or ( ): quotes nest, parentheses count.
      if (c === "'" || c === '"' || c === '`') stack.push(c);
      else if (c === '(') stack.push('(');
      else if (c === ')') stack.pop();
      cur += c;
      end = i + 1;
      continue;
    }
    if (c === ' ' || c === '\t') {
      if (cur) list.push(cur), (cur = '');
      continue;
    }
    if (c === '\n' || c === ';' || c === '&' || c === '|' || c === '#' || c === ')' || c === '<' || c === '>') {
      if (c === '#' && cur) return undefined;
      break;
    }
    if (c === "'" || c === '"' || c === '`' || c === '(') stack.push(c);
    cur += c;
    end = i + 1;
  }
  if (stack.length > 0) return undefined;
  if (cur) list.push(cur);
  return { list, end };
}
