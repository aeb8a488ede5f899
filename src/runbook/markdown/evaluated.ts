// Where bash reads a value again as code. A `<NAME>` is written as one word (placeholders.ts),
// but some places evaluate a word after it is expanded: arithmetic (`$(( ))`, `(( ))`, `$[ ]`,
// `[[ a -gt b ]]`, `let`, `declare -i`, an array subscript, a variable name given to `printf -v`,
// `unset`, `read`, `${!name}`) evaluates `a[$(cmd)]` and so runs cmd; `eval`, `source <(…)`,
// `bash -c "…"`, `bash <(…)`, a pipe into a shell, `trap`, `watch` and a prompt variable (`PS4=`)
// run the value itself, as do a here-string or here-document a shell reads, a command named by
// a variable and awk's program, and `python -c`, `node -e`, `perl -e`, `psql -c` … run it in
// their own language. The value of a parameter used in arithmetic
// must be an integer (params.ts); one used where it is run as code is refused in the runbook.
// Not a parser: where it is unsure, a place counts as evaluating.
import { Quoting, ShellScanner } from './shell-scan.js';

/** `unchecked`: in a command too long to check where its values go (READ_BUDGET); treated as code. */
export type Evaluation = 'arithmetic' | 'code' | 'unchecked';

export interface EvaluatedUse {
  /** The parameter's name (`REPLICAS`). */
  name: string;
  /** As written: `<REPLICAS>`, `$REPLICAS`, or a bare name inside arithmetic. */
  written: string;
  kind: Evaluation;
  /** Where: `arithmetic $(( ))`, `eval`. */
  why: string;
  /** Line of the script (0-based) and column in it (0-based); read.ts makes them the Markdown's. */
  line: number;
  column: number;
  /** The script's line as written, to find it in the block. */
  text: string;
}

/**
 * Characters read, in all, to place the values of one command: each value's place is read from
 * the command's start, so thousands of values in one very long command (`${P:-${P:-…}}` nested
 * thousands deep) would take minutes. Past it, the command's values are not placed one by one:
 * each is `unchecked`, which refuses the runbook where it is a placeholder, and asks an integer
 * of a YAML parameter.
 */
const READ_BUDGET = 16_000_000;

/** Something in the script that may evaluate: the pass is skipped without one. */
const TRIGGER = /\(\(|<<|<\(|\$\{!|\btrap\b|\bwatch\b|\bPS[014]=|\bPROMPT_COMMAND=|\s-[A-Za-z]*[eErp]\b|\s--?(?:eval|print|command|execute|Command)\b|\bssh\b|\$\{\w+:|\$\[|\[|\blet\b|\beval\b|\bsource\b|(?:^|[\s;&|(])\.\s|\s-[A-Za-z]*c\b|\b(?:declare|typeset|local|readonly|export|unset|read|mapfile|readarray|printf|wait|test)\b|\|\s*(?:sudo\s+)?\S*sh\b|\\\n|\b[gmn]?awk\b|\bxargs\b|(?:^|[;&|(]|\n)\s*[\"']?\$/;
const ANGLE = /(?<![<\w$])<([A-Za-z][A-Za-z0-9_-]*)>(?!>)/g;
const VARIABLE = /\$\{[#!]?([A-Za-z_][A-Za-z0-9_]*)|\$([A-Za-z_][A-Za-z0-9_]*)/g;
const BARE = /(?<![\w$#{])[A-Za-z_][A-Za-z0-9_]*/g;
/** Words a command may start with before its name. */
const PREFIX = new Set(['sudo', 'env', 'command', 'builtin', 'exec', 'time', 'nohup', '!', 'then', 'do', 'else', 'elif', 'if', 'while', 'until', '{', 'xargs']);
const SHELL_C = /(?:^|[\s;&|(`'"])(?:[^\s;&|(`'"]*\/)?(?:ba|z|da|k|a|c|tc|fi)?sh["']?\s+(?:--?[A-Za-z][\w-]*(?:\s+[^-\s;&|][^\s;&|]*)?\s+)*?-[A-Za-z]*c\s+|(?:^|[\s;&|(`])su\s+(?:\S+\s+)*-c\s+/g;
const SOURCE_SUB = /(?:^|[\s;&|(`])(?:source|\.|eval)\s+["']?(?:<\(|\$\()|(?:^|[\s;&|(`])(?:[^\s;&|(`]*\/)?(?:ba|z|da|k)?sh\s+(?:-\S+\s+)*(?:<\s*)?<\(/g;
/** Another language's code given on the command line: `python -c "…"`, `psql -c "…"`, `node -e "…"`. */
const CODE_FLAG =
  /(?:^|[\s;&|(`'"])(?:[^\s;&|(`'"]*\/)?(?:(?:python|pypy)[\d.]*\s+(?:[^\s;&|]+\s+){0,16}?-[A-Za-z]*c|(?:node|nodejs|deno)\s+(?:[^\s;&|]+\s+){0,16}?(?:-e|-p|--eval|--print)|(?:perl|ruby)\s+(?:[^\s;&|]+\s+){0,16}?-[A-Za-z]*[eE]|(?:lua|osascript)\s+(?:[^\s;&|]+\s+){0,16}?-e|php\s+(?:[^\s;&|]+\s+){0,16}?-r|psql\s+(?:[^\s;&|]+\s+){0,16}?(?:-[A-Za-z]*c|--command)|(?:mysql|mariadb)\s+(?:[^\s;&|]+\s+){0,16}?(?:-[A-Za-z]*e|--execute)|(?:pwsh|powershell)\s+(?:[^\s;&|]+\s+){0,16}?(?:-c|-Command|-command))(?:\s+|=)/g;
/** Shell variables whose value the shell expands, and so runs `$(…)` in, each time it prompts or traces. */
const PROMPTS = /^(?:PS[014]|PROMPT_COMMAND)=/;
const PIPE_TO_SHELL = /\|\s*(?:sudo\s+(?:-\S+\s+)*)?(?:[^\s;&|(`]*\/)?(?:(?:ba|z|da|k|a)?sh|source|eval)\b|\|\s*xargs\b[^|;&]*?\b(?:(?:ba|z|da|k|a)?sh|eval)\b/;
const SUBSTRING = /\$\{[A-Za-z_][A-Za-z0-9_]*(?:\[[^\]]*\])?:(?![-=?+])[^}]*$/;
const SUBSCRIPT = /[A-Za-z_][A-Za-z0-9_]*\[[^\]]*$/;
const EXPANDED_SUBSCRIPT = /\$\{[A-Za-z_][A-Za-z0-9_]*\[[^\]]*$/;
const SHELL_READS_HEREDOC = /(?:^|[\s;&|(])(?:[^\s;&|(]*\/)?(?:(?:(?:ba|z|da|k|a)?sh|ssh|source)\b|\.(?=\s))[^<;&|]*<<(?!<)/;
/** A here-string (`<<<`) given to a shell, to source or to xargs: what it holds is run as code. */
const HERESTRING_TO_SHELL = /(?:^|[\s;&|(])(?:[^\s;&|(]*\/)?(?:(?:(?:ba|z|da|k|a)?sh|source|xargs)\b|\.(?=\s))[^;&|]*<<</g;
/** ssh options that take a value: the word after them is not the destination. */
const SSH_VALUE_OPTIONS = /^-[BbcDEeFIiJLlmOopQRSWw]$/;
const AWKS = new Set(['awk', 'gawk', 'mawk', 'nawk']);
/** `run=eval`, `sh="bash -c"`: a variable set to a command that runs its words as code. */
const RUNNER_SET = /(?:^|[\s;&|(])([A-Za-z_][A-Za-z0-9_]*)=["']?(?:eval|source|\.|(?:[^\s;&|"']*\/)?(?:ba|z|da|k|a)?sh)(?=["'\s;&|]|$)/gm;

/** Whether the word after `words` (awk's) is its program: no program given before it, inline or as -f FILE. */
function inAwkProgram(words: readonly string[]): boolean {
  for (let k = 1; k < words.length; k++) {
    const w = words[k];
    if (w === '-f' || w.startsWith('--file')) return false;
    if (w === '-v' || w === '-F') {
      if (k === words.length - 1) return false; // the value is that option's
      k++;
    } else if (!w.startsWith('-')) return false; // the program came before
  }
  return true;
}
const NAME_TAKERS = new Set(['unset', 'read', 'mapfile', 'readarray', 'getopts']);
const DECLARERS = new Set(['declare', 'typeset', 'local', 'readonly', 'export']);

/**
 * Each use of a value where bash evaluates it: `<NAME>`s (placeholderLike decides which are
 * placeholders), `$NAME`/`${NAME}`, and bare names inside arithmetic.
 */
export function evaluatedUses(script: string, placeholderName: (written: string) => string | undefined): EvaluatedUse[] {
  if (!TRIGGER.test(script)) return [];
  const out: EvaluatedUse[] = [];
  const lines = script.split('\n');
  // Variables the script sets to a command that runs its words as code.
  const runners = new Set([...script.matchAll(RUNNER_SET)].map((m) => m[1]));
  const scan = new ShellScanner();
  const stack: Nesting = { kinds: [], inner: [] }; // arithmetic and parentheses open across lines
  // The command a line goes on with (after a backslash, or inside a quote left open), and
  // whether the here-document being read is a script a shell runs (`bash <<EOF`, `ssh h <<EOF`).
  // Kept as parts and joined only when a value in the command is placed: joining at every line
  // of a quote left open for thousands of lines took minutes.
  let carry = { parts: [] as string[], quoting: [] as Quoting[][], length: 0 };
  let shellDoc = false;
  let read = 0; // characters read for the command so far (READ_BUDGET)
  let unchecked = new Set<string>(); // names past it, each said once per command
  for (let l = 0; l < lines.length; l++) {
    const line = lines[l];
    const docLine = scan.inHeredoc;
    const continued = !docLine && !scan.lineStartsCode;
    scan.feed(line, true);
    const quoting = Array.from({ length: line.length }, (_, i) => scan.quoting[i] ?? Quoting.Code);
    const offset = continued ? carry.length : 0;
    let whole: { text: string; quoting: Quoting[] } | undefined;
    const command = () => (whole ??= continued ? joinParts([...carry.parts, line], [...carry.quoting, quoting]) : { text: line, quoting });
    const arith = arithmeticMarks(line, quoting, stack);
    if (!docLine) shellDoc = SHELL_READS_HEREDOC.test(line) || (/<<(?!<)/.test(line) && PIPE_TO_SHELL.test(line)) || (shellDoc && !/<<(?!<)/.test(line));
    if (!continued) {
      read = 0;
      unchecked = new Set();
    }
    const add = (name: string, written: string, at: number) => {
      if (read <= READ_BUDGET) read += command().text.length;
      if (read > READ_BUDGET && unchecked.has(name)) return;
      if (read > READ_BUDGET) unchecked.add(name);
      const how: { kind: Evaluation; why: string } | undefined =
        read > READ_BUDGET ? { kind: 'unchecked', why: `more than ${READ_BUDGET.toLocaleString('en-US')} characters read to place its values` }
        : docLine && shellDoc ? { kind: 'code', why: 'a here-document a shell runs' }
        : classify(command().text, offset + at, command().quoting, arith[at], runners);
      if (how) out.push({ name, written, kind: how.kind, why: how.why, line: l, column: at, text: line });
    };
    for (const m of line.matchAll(ANGLE)) {
      const name = placeholderName(m[1]);
      if (name !== undefined && quoting[m.index] !== Quoting.LiteralHereDoc) add(name, m[0], m.index);
    }
    for (const m of line.matchAll(VARIABLE)) if (expands(quoting[m.index])) add(m[1] ?? m[2], m[0], m.index);
    for (const m of line.matchAll(BARE)) if (arith[m.index] && line[m.index - 1] !== '<') out.push({ name: m[0], written: m[0], kind: 'arithmetic', why: arith[m.index], line: l, column: m.index, text: line });
    if (scan.inHeredoc || scan.lineStartsCode) carry = { parts: [], quoting: [], length: 0 };
    else {
      // A backslash at the end joins the lines as they are (`ev\` + `al` is eval, as bash reads
      // it); a quote goes on across the line end, with the line end in it.
      const part = scan.endsWithBackslash ? line.slice(0, -1) : `${line} `;
      if (!continued) carry = { parts: [], quoting: [], length: 0 };
      carry.parts.push(part);
      carry.quoting.push(scan.endsWithBackslash ? quoting.slice(0, part.length) : [...quoting.slice(0, part.length - 1), Quoting.Double]);
      carry.length += part.length;
    }
  }
  return out;
}

function joinParts(parts: readonly string[], quotings: readonly (readonly Quoting[])[]): { text: string; quoting: Quoting[] } {
  const quoting: Quoting[] = [];
  for (const q of quotings) for (const x of q) quoting.push(x);
  return { text: parts.join(''), quoting };
}

const expands = (q: Quoting | undefined) => q !== Quoting.Single && q !== Quoting.LiteralHereDoc;

/** Open parentheses and arithmetic (across lines): what each opened, and the innermost arithmetic at its depth. */
interface Nesting {
  kinds: string[];
  inner: string[];
}

/**
 * For each character, the arithmetic it sits in (`$(( ))`), or ''. The innermost arithmetic is
 * kept for each depth, so the answer at each character is read at once, however deep the nesting.
 */
function arithmeticMarks(line: string, quoting: readonly Quoting[], stack: Nesting): string[] {
  const marks: string[] = new Array<string>(line.length).fill('');
  const top = () => stack.inner[stack.inner.length - 1] ?? '';
  const open = (kind: string) => {
    stack.inner.push(kind === '(' ? top() : kind);
    stack.kinds.push(kind);
  };
  const close = () => {
    stack.inner.pop();
    return stack.kinds.pop()!;
  };
  for (let i = 0; i < line.length; i++) {
    const q = quoting[i] ?? Quoting.Code;
    const code = q === Quoting.Code;
    if (expands(q)) {
      if (line.startsWith('$((', i) || (code && line.startsWith('((', i))) {
        open(line[i] === '$' ? 'arithmetic $(( ))' : 'arithmetic (( ))');
        i += line[i] === '$' ? 2 : 1;
      } else if (line.startsWith('$[', i)) {
        open('arithmetic $[ ]');
        i++;
      } else if (line.startsWith('$(', i) || (code && line[i] === '(')) {
        open('(');
        if (line[i] === '$') i++;
      } else if (line[i] === ')' && stack.kinds.length > 0) {
        if (close().endsWith('))') && line[i + 1] === ')') i++;
      } else if (line[i] === ']' && stack.kinds[stack.kinds.length - 1] === 'arithmetic $[ ]') close();
    }
    marks[i] = top();
  }
  // [[ a -gt b ]]: both sides are arithmetic; so is [[ -v name ]] (a subscript). Each part
  // between && and || on its own: [[ <ENV> == prod && $n -gt 1 ]] compares ENV as text.
  for (const m of line.matchAll(/\[\[(.*?)\]\]/g)) {
    if (quoting[m.index] !== Quoting.Code) continue;
    let from = m.index + 2;
    for (const part of m[1].split(/(&&|\|\|)/)) {
      const op = /(?:^|\s)-(eq|ne|lt|le|gt|ge|v)\s/.exec(part);
      if (op) for (let i = from; i < from + part.length; i++) marks[i] ||= `[[ -${op[1]} ]]`;
      from += part.length;
    }
  }
  return marks;
}

/** Whether the value at `at` is evaluated, and how. */
function classify(line: string, at: number, quoting: readonly Quoting[], arithmetic: string, runners: ReadonlySet<string>): { kind: Evaluation; why: string } | undefined {
  const before = line.slice(0, at);
  // Run as code: eval, source <(…), bash -c "…", su -c, or piped into a shell.
  for (const m of before.matchAll(SOURCE_SUB)) if (!separated(line, quoting, m.index, at)) return { kind: 'code', why: m[0].trim().replace(/^[;&|(`]/, '').replace(/["']/g, '') + '…)' };
  for (const m of before.matchAll(SHELL_C)) if (!separated(line, quoting, m.index, at) && oneWord(line, quoting, m.index + m[0].length, at)) return { kind: 'code', why: m[0].trim().replace(/^[;&|(`'"]/, '').replace(/["']/g, '') + ' "…"' };
  for (const m of before.matchAll(CODE_FLAG)) if (!separated(line, quoting, m.index, at) && oneWord(line, quoting, m.index + m[0].length, at)) return { kind: 'code', why: m[0].trim().replace(/^[;&|(`'"]/, '').replace(/\s+\S+(?=\s)/g, '').replace(/\s+/g, ' ') + ' "…"' };
  for (const m of before.matchAll(HERESTRING_TO_SHELL)) if (!separated(line, quoting, m.index, at)) return { kind: 'code', why: 'a here-string a shell reads' };
  // ${!name}: the value is the name of a variable to read, and a name may hold a subscript.
  if (line.startsWith('${!', at)) return { kind: 'arithmetic', why: 'an indirect expansion ${!name}' };
  const words = commandWords(line, quoting, at);
  const command = words[0];
  if (command === 'eval' || command === 'source' || command === '.') return { kind: 'code', why: command };
  if (command === 'trap') return { kind: 'code', why: 'trap (its action is run as code)' };
  // A command named by a variable the script sets to eval, source or a shell (`run=eval; $run "…"`).
  const named = command === undefined ? undefined : /^["']?\$\{?([A-Za-z_][A-Za-z0-9_]*)/.exec(command);
  if (named && runners.has(named[1])) return { kind: 'code', why: 'a command named by a variable' };
  if (command !== undefined && AWKS.has(command) && inAwkProgram(words)) return { kind: 'code', why: `${command}'s program (it can run commands with system())` };
  if (command === 'watch') return { kind: 'code', why: 'watch (it runs its words with sh -c)' };
  if (PROMPTS.test(currentWord(line, quoting, at).replace(/^export\s+/, ''))) return { kind: 'code', why: `${currentWord(line, quoting, at).split('=')[0]}= (the shell runs what it holds each time it prints it)` };
  if (command === 'ssh' && sshCommandStarted(words)) return { kind: 'code', why: 'the command ssh gives the remote shell' };
  const after = line.slice(at);
  const end = after.search(/;|&&|\|\||(?<!\|)&(?!&)/);
  if (PIPE_TO_SHELL.test(end === -1 ? after : after.slice(0, end)) && quoting[at] !== Quoting.HereDoc) return { kind: 'code', why: 'piped into a shell' };
  if (arithmetic) return { kind: 'arithmetic', why: arithmetic };
  const q = quoting[at] ?? Quoting.Code;
  const word = currentWord(line, quoting, at);
  if (expands(q) && SUBSTRING.test(before)) return { kind: 'arithmetic', why: 'a substring offset ${name:offset}' };
  // An array subscript: ${arr[<V>]}, arr[<V>]=x (a quoted one is a subscript to the commands below).
  if (expands(q) && (q === Quoting.Code ? SUBSCRIPT : EXPANDED_SUBSCRIPT).test(q === Quoting.Code ? word : before)) return { kind: 'arithmetic', why: 'an array subscript' };
  if (q === Quoting.HereDoc) return undefined;
  // A command reads its words: `let 'n = <V> + 1'` evaluates what the quotes hold.
  const previous = words[words.length - 1];
  const bare = word.replace(/['"]/g, '');
  if (command === 'let') return { kind: 'arithmetic', why: 'let' };
  if (command !== undefined && DECLARERS.has(command)) {
    const flags = words.slice(1).filter((w) => w.startsWith('-')).join('');
    if (/[ina]/.test(flags)) return { kind: 'arithmetic', why: `${command} ${flags.match(/-[A-Za-z]*[ina][A-Za-z]*/)?.[0] ?? flags}` };
    if (!/^[A-Za-z_][A-Za-z0-9_]*\+?=/.test(bare)) return { kind: 'arithmetic', why: `a variable name given to ${command}` };
  }
  if (command !== undefined && NAME_TAKERS.has(command) && !/^-[pdtnNuCcO]$/.test(previous ?? '')) return { kind: 'arithmetic', why: `a variable name given to ${command}` };
  if ((command === 'printf' || command === 'wait' || command === 'test' || command === '[') && previous === '-v') return { kind: 'arithmetic', why: `${command} -v` };
  return undefined;
}

/** The words before the value hold ssh's destination: the value is part of the remote command. */
function sshCommandStarted(words: readonly string[]): boolean {
  for (let i = 1; i < words.length; i++) {
    if (SSH_VALUE_OPTIONS.test(words[i])) i++;
    else if (!words[i].startsWith('-')) return true;
  }
  return false;
}

/** A command ends between `from` and `to` (an unquoted ;, &&, || or &). */
function separated(line: string, quoting: readonly Quoting[], from: number, to: number): boolean {
  for (let i = from + 1; i < to; i++) {
    if ((quoting[i] ?? Quoting.Code) !== Quoting.Code) continue;
    if (line[i] === ';' || line[i] === '&' || (line[i] === '|' && line[i + 1] === '|')) return true;
  }
  return false;
}

/** No unquoted blank between `from` and `to`: one word (the string after -c). */
function oneWord(line: string, quoting: readonly Quoting[], from: number, to: number): boolean {
  for (let i = from; i < to; i++) if ((quoting[i] ?? Quoting.Code) === Quoting.Code && /\s/.test(line[i])) return false;
  return true;
}

/** The words of the simple command up to `at` (assignments and sudo, env … skipped), quotes kept. */
function commandWords(line: string, quoting: readonly Quoting[], at: number): string[] {
  let start = 0;
  for (let i = at - 1; i >= 0; i--) {
    if ((quoting[i] ?? Quoting.Code) === Quoting.Code && /[;&|(){}`]/.test(line[i])) {
      start = i + 1;
      break;
    }
  }
  const words = line.slice(start, at).trim().split(/\s+/).filter(Boolean);
  if (!/\s$/.test(line.slice(start, at)) && words.length > 0) words.pop(); // the word the value is in
  let i = 0;
  while (i < words.length && (PREFIX.has(words[i]) || /^[A-Za-z_][A-Za-z0-9_]*\+?=/.test(words[i]) || (i > 0 && PREFIX.has(words[i - 1]) && words[i].startsWith('-')))) i++;
  return words.slice(i);
}

/** The text of the word `at` sits in, before `at`. */
function currentWord(line: string, quoting: readonly Quoting[], at: number): string {
  let i = at;
  while (i > 0 && !((quoting[i - 1] ?? Quoting.Code) === Quoting.Code && /[\s;&|()]/.test(line[i - 1]))) i--;
  return line.slice(i, at);
}

/**
 * The uses at their place in the Markdown: `block` is the code block's text, `fence` its
 * fence's line. A script's line is found in the block (prompts and groups cut it out of it).
 */
export function placedUses(uses: readonly EvaluatedUse[], block: string, fence: number): EvaluatedUse[] {
  const lines = block.split('\n');
  // Uses come in the script's order: each is looked for from the line of the one before, then
  // from the top (looking from the top each time took minutes on a block of 50,000 such lines).
  let from = 0;
  const find = (text: string) => {
    for (let j = from; j < lines.length; j++) if (lines[j].includes(text)) return (from = j);
    for (let j = 0; j < from; j++) if (lines[j].includes(text)) return (from = j);
    return -1;
  };
  return uses.map((u) => {
    const text = u.text.trim();
    const j = text === '' ? -1 : find(text);
    if (j === -1) return { ...u, line: fence, column: 1 };
    const lead = u.text.length - u.text.trimStart().length;
    return { ...u, line: fence + j + 1, column: lines[j].indexOf(text) + u.column - lead + 1 };
  });
}

/** A value that would be run as code: why the runbook is refused. */
export function runAsCode(use: EvaluatedUse, takes?: readonly string[]): string {
  if (use.kind === 'unchecked') return `sits in a command too long to check where its values go (${use.why}): split it into shorter commands`;
  if (takes) return `is set in this script, which takes values (${takes.join(', ')}), and run as code inside ${use.why}: a value may be in it; run it without ${use.why}`;
  return `sits inside ${use.why}: a value inside ${use.why} is run as code; pass it as a variable instead (NAME=value in the environment, read as "$NAME" by a command that is not built from it)`;
}

/** Each parameter used in arithmetic, with the first Markdown line it is used on. */
export function arithmeticLines(scripts: Iterable<{ evaluated?: readonly EvaluatedUse[] }>): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of scripts) for (const u of s.evaluated ?? []) if (u.kind === 'arithmetic' && (out.get(u.name) ?? Infinity) > u.line) out.set(u.name, u.line);
  return out;
}
