// Values a command needs that nobody gave: `<POD_NAME>` written for a person to fill in, and
// `$VAR` / `${VAR}` that no block of the runbook sets. Such a command is never run with an
// empty string in their place: the step names them, and waits until each has a value.

/** Variables every shell has, or that bash sets itself. */
const SHELL_VARIABLES = new Set(
  'HOME PATH USER LOGNAME PWD OLDPWD SHELL HOSTNAME HOST LANG LC_ALL TERM TMPDIR RANDOM UID EUID PPID SECONDS LINENO BASH_SOURCE BASH_VERSION BASHPID IFS OSTYPE HOSTTYPE MACHTYPE PIPESTATUS REPLY OPTARG OPTIND FUNCNAME GROUPS EDITOR PS1 PS4'.split(' '),
);

/** `<POD_NAME>`, `<pod-name>`: not a here-document (`<<EOF`), process substitution or redirection. */
const ANGLE = /(?<![<\w$])<([A-Za-z][A-Za-z0-9_-]*)>(?!>)/g;
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
  /** The script with each `<NAME>` written as `${NAME}`, so a value reaches it from the environment. */
  script: string;
  /** Names the script needs a value for, in order of first use. */
  placeholders: string[];
}

/**
 * Placeholders of a script, given the variables the runbook sets (earlier blocks) and the
 * secrets it declares. `${NAME:-default}` and the like have a value already.
 */
export function placeholdersOf(script: string, defined: ReadonlySet<string>): FilledScript {
  const own = new Set(variablesSet(script));
  const names: string[] = [];
  const need = (name: string) => {
    if (!names.includes(name) && !defined.has(name) && !own.has(name) && !SHELL_VARIABLES.has(name) && !name.startsWith('OPSCOCKPIT_')) names.push(name);
  };
  const filled = script.includes('<')
    ? script.replace(ANGLE, (_all, written: string) => {
        const name = parameterName(written);
        need(name);
        return `\${${name}}`;
      })
    : script;
  for (const m of withoutSingleQuotes(script).matchAll(VARIABLE)) {
    if (m[3] !== undefined) need(m[3]);
    else if (!/^:?[-=+?]/.test(m[2])) need(m[1]);
  }
  return { script: filled, placeholders: names };
}

/** Single-quoted text expands nothing: blanked out before looking for variables. */
function withoutSingleQuotes(script: string): string {
  return script.includes("'") ? script.replace(/'[^'\n]*'/g, (q) => ' '.repeat(q.length)) : script;
}
