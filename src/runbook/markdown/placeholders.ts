// Values a command needs that nobody gave: `<POD_NAME>` written for a person to fill in, and
// `$VAR` / `${VAR}` that no block of the runbook sets. Such a command is never run with an
// empty string in their place: the step names them, and waits until each has a value.
import { evaluatedUses, type EvaluatedUse } from './evaluated.js';
import { Quoting, ShellScanner } from './shell-scan.js';

/** Variables every shell has, or that bash or zsh set themselves: never a value to ask for. */
const SHELL_VARIABLES = new Set(
  [
    'HOME PATH USER LOGNAME PWD OLDPWD SHELL HOSTNAME HOST LANG LANGUAGE TERM TMPDIR TZ MAIL EDITOR VISUAL PAGER DISPLAY',
    'RANDOM SRANDOM UID EUID PPID SECONDS EPOCHSECONDS EPOCHREALTIME LINENO IFS OSTYPE HOSTTYPE MACHTYPE PIPESTATUS REPLY',
    'OPTARG OPTIND OPTERR FUNCNAME FUNCNEST GROUPS PS1 PS2 PS3 PS4 PROMPT_COMMAND SHLVL SHELLOPTS COLUMNS LINES DIRSTACK CDPATH',
    'HISTFILE HISTSIZE HISTFILESIZE HISTCONTROL HISTCMD TIMEFORMAT GLOBIGNORE TMOUT POSIXLY_CORRECT',
    'BASH BASHOPTS BASHPID BASH_ALIASES BASH_ARGC BASH_ARGV BASH_ARGV0 BASH_CMDS BASH_COMMAND BASH_EXECUTION_STRING',
    'BASH_LINENO BASH_LOADABLES_PATH BASH_REMATCH BASH_SOURCE BASH_SUBSHELL BASH_VERSINFO BASH_VERSION BASH_ENV',
    'ZSH_VERSION ZSH_NAME ZSH_PATCHLEVEL ZSH_SUBSHELL ZSH_ARGZERO ZSH_EVAL_CONTEXT ZSH_EXECUTION_STRING ZDOTDIR',
    'status pipestatus argv',
  ]
    .join(' ')
    .split(' '),
);

/**
 * `<POD_NAME>`, `<pod-name>`: not a here-document (`<<EOF`), process substitution or
 * redirection, and only a name that looks like one (placeholderLike): `"<ok>"` is text.
 */
const ANGLE = /(?<![<\w$])<([A-Za-z][A-Za-z0-9_-]*)>(?!>)/g;

/** Upper case (`<ID>`) or with a `_` or `-` (`<pod-name>`), at least 2 characters: not `<ok>` or `<b>`. */
function placeholderLike(written: string): boolean {
  return written.length >= 2 && (written === written.toUpperCase() || /[_-]/.test(written));
}
/** `${NAME}` with what follows the name (a default, `:-x`), or `$NAME`. */
const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)([^}]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;
const ASSIGNMENT = /(?:^|[\s;&|(`])(?:(?:export|local|readonly|declare(?:\s+-\w+)*)\s+)?([A-Za-z_][A-Za-z0-9_]*)\+?=/g;
const FOR = /\bfor\s+([A-Za-z_][A-Za-z0-9_]*)\s+in\b/g;
const READ = /\bread\b([^;&|\n]*)/g;
const GETOPTS = /\bgetopts\s+\S+\s+([A-Za-z_][A-Za-z0-9_]*)/g;

/** The placeholder's parameter name: `pod-name` → `POD_NAME`. */
export function parameterName(written: string): string {
  return written.replace(/[^A-Za-z0-9_]+/g, '_').toUpperCase();
}

/** The variables a script sets (assignments, exports, `for X in`, `read X`). */
export function variablesSet(script: string): string[] {
  const out: string[] = [];
  const text = withoutSingleQuotes(script);
  for (const m of text.matchAll(ASSIGNMENT)) out.push(m[1]);
  for (const m of text.matchAll(FOR)) out.push(m[1]);
  for (const m of text.matchAll(GETOPTS)) out.push(m[1]);
  for (const m of text.matchAll(READ)) for (const w of m[1].trim().split(/\s+/)) if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(w)) out.push(w);
  return out;
}

export interface FilledScript {
  /**
   * The script with each `<NAME>` written so that a value reaches it from the environment as
   * exactly one word, as typed (never split at spaces, never a glob): `"${NAME}"` in code,
   * `${NAME}` inside double quotes and here-documents, `'"${NAME}"'` inside single quotes (the
   * quote closed and reopened).
   */
  script: string;
  /** Names the script needs a value for, in order of first use. */
  placeholders: string[];
  /** `<NAME>`s in a here-document whose delimiter is quoted (`<<'EOF'`): no value can reach them. */
  unfillable?: string[];
  /** Values used where bash evaluates them (arithmetic, eval …): evaluated.ts. */
  evaluated?: EvaluatedUse[];
}

/**
 * Placeholders of a script, given the variables the runbook sets (earlier blocks) and the
 * secrets it declares. `${NAME:-default}` and the like have a value already.
 */
export function placeholdersOf(script: string, defined: ReadonlySet<string>): FilledScript {
  const own = new Set(variablesSet(script));
  // Sets keep the order names are first met in, and stay linear with 100,000 distinct names.
  const names = new Set<string>();
  const need = (name: string) => {
    if (!names.has(name) && !defined.has(name) && !own.has(name) && !SHELL_VARIABLES.has(name) && !/^(?:OPSCOCKPIT_|LC_|COMP_)/.test(name)) names.add(name);
  };
  const unfillable = new Set<string>();
  const filled = script.includes('<') ? fillAngles(script, need, unfillable) : script;
  for (const m of withoutSingleQuotes(script).matchAll(VARIABLE)) {
    if (m[3] !== undefined) need(m[3]);
    else if (!/^:?[-=+?]/.test(m[2])) need(m[1]);
  }
  const out: FilledScript = { script: filled, placeholders: [...names] };
  if (unfillable.size > 0) out.unfillable = [...unfillable];
  const evaluated = evaluatedUses(script, (written) => (placeholderLike(written) ? parameterName(written) : undefined));
  if (evaluated.length > 0) out.evaluated = evaluated;
  return out;
}

/** `<NAME>` as one word wherever it is (FilledScript.script); one in a quoted here-document stays as written and is listed. */
function fillAngles(script: string, need: (name: string) => void, unfillable: Set<string>): string {
  const lines = script.split('\n');
  const scan = new ShellScanner();
  for (let l = 0; l < lines.length; l++) {
    const line = lines[l];
    const marks = line.includes('<');
    scan.feed(line, marks);
    if (!marks) continue;
    const quoting = scan.quoting;
    lines[l] = line.replace(ANGLE, (all, written: string, at: number) => {
      if (!placeholderLike(written)) return all;
      const name = parameterName(written);
      switch (quoting[at] ?? Quoting.Code) {
        case Quoting.LiteralHereDoc:
          unfillable.add(written);
          return all;
        case Quoting.Single:
          need(name);
          return `'"\${${name}}"'`;
        case Quoting.Double:
        case Quoting.HereDoc:
          need(name);
          return `\${${name}}`;
        default:
          need(name);
          return `"\${${name}}"`;
      }
    });
  }
  return lines.join('\n');
}

/** Characters that make a word more or other than itself: blanks, quotes, expansions, globs, operators. */
const SHELL_SPECIAL = /[\s'"\\$`!*?[\]{}()<>|&;#~^]/;

/** Single-quoted for the shell: read back as exactly `s`. */
export const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** A value as one shell word: as it is when nothing in it is special to the shell, else single-quoted. */
export function shellWord(value: string): string {
  return value !== '' && !SHELL_SPECIAL.test(value) ? value : shellQuote(value);
}

/**
 * A line of a filled script as the operator reads it before it runs: each value given in
 * place of its reference, written so that the line read as shell means what runs. `"${NAME}"`
 * (a `<NAME>` in code) shows the value as one shell word; `'"${NAME}"'` (inside single
 * quotes) the value itself where it has no quote; `${NAME}` and `$NAME` the value.
 */
export function lineWithValues(line: string, shown: ReadonlyMap<string, string>): string {
  return line.replace(SHOWN_REFERENCE, (all, sq?: string, dq?: string, braced?: string, bare?: string) => {
    const value = shown.get((sq ?? dq ?? braced ?? bare)!);
    if (value === undefined) return all;
    if (sq !== undefined) return value.includes("'") ? `'"${value.replace(/["$`\\]/g, '\\$&')}"'` : value;
    if (dq !== undefined) return shellWord(value);
    return value;
  });
}

const SHOWN_REFERENCE = /'"\$\{([A-Za-z_][A-Za-z0-9_]*)\}"'|"\$\{([A-Za-z_][A-Za-z0-9_]*)\}"|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/** Single-quoted text expands nothing: blanked out before looking for variables. */
function withoutSingleQuotes(script: string): string {
  if (!script.includes("'")) return script;
  // As bash reads them (shell-scan.ts): a ' inside "…" is a character, and "'$X'" expands $X.
  const scan = new ShellScanner();
  return script
    .split('\n')
    .map((line) => {
      scan.feed(line, true);
      const quoting = scan.quoting;
      return line.split('').map((ch, i) => (quoting[i] === Quoting.Single ? ' ' : ch)).join('');
    })
    .join('\n');
}
