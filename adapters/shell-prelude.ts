// What the run's shell is told. Each block runs in a subshell of the long-lived shell with
// real `set -Eeuo pipefail`, so the first failing line ends the block (and `exit`, an unbound
// variable or `set +e` behave as in a script) while the shell itself survives. As the subshell
// exits, it writes its state (working directory, variables, functions, what it unset) to a
// file the shell then reads: `export`, `cd` and functions carry to the next block, as they
// would in a person's terminal. zsh is told the same in its own words (shell-prelude-zsh.ts).
// A failure inside `$( )` counts (inherit_errexit), and so does one assigned by export, local,
// readonly or declare (shell-declare.ts splits such a line before the shell reads it).
import type { ShellName } from '../src/runbook/model.js';
import { splitDeclarations } from './shell-declare.js';
import { zshBlockLine, zshMessages, zshPrelude } from './shell-prelude-zsh.js';

/** Bash's own variables: read-only, dynamic, or about the subshell, never carried over. */
const OWN_VARS = [
  'BASH', 'BASHOPTS', 'BASHPID', 'BASH_ALIASES', 'BASH_ARGC', 'BASH_ARGV', 'BASH_ARGV0', 'BASH_CMDS', 'BASH_COMMAND',
  'BASH_EXECUTION_STRING', 'BASH_LINENO', 'BASH_LOADABLES_PATH', 'BASH_REMATCH', 'BASH_SOURCE', 'BASH_SUBSHELL',
  'BASH_VERSINFO', 'BASH_VERSION', 'COLUMNS', 'COMP_WORDBREAKS', 'DIRSTACK', 'EPOCHREALTIME', 'EPOCHSECONDS', 'EUID',
  'FUNCNAME', 'GROUPS', 'HISTCMD', 'HOSTNAME', 'HOSTTYPE', 'LINENO', 'LINES', 'MACHTYPE', 'OLDPWD', 'OPTERR', 'OPTIND',
  'OSTYPE', 'PIPESTATUS', 'PPID', 'PWD', 'RANDOM', 'SECONDS', 'SHELLOPTS', 'SHLVL', 'SRANDOM', 'UID', '_',
];

/** Single-quoted for the shell. */
export const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Defined once in the shell. `__oc_err` (the ERR trap) finds the failing line within the
 * block, or the block's line that called the failing function; `__oc_exit` (the EXIT trap)
 * writes the state. Secrets are left out of the state file: they come from the shell's
 * environment, never from disk.
 */
export function prelude(secrets: readonly string[]): string {
  // A failing command inside $( ) fails the substitution: X="$(curl …; echo fallback)" stops the block.
  return `shopt -s inherit_errexit
__oc_skip=' ${OWN_VARS.join(' ')} '
__oc_secrets=' ${secrets.join(' ')} '
__oc_save() {
  local __oc_n
  {
    printf 'cd -- %q\\n' "$PWD"
    for __oc_n in $__oc_vars0; do
      case "$__oc_skip" in *" $__oc_n "*) continue ;; esac
      [ -v "$__oc_n" ] || printf 'unset -v %s\\n' "$__oc_n"
    done
    for __oc_n in $(compgen -v); do
      case "$__oc_skip$__oc_secrets" in *" $__oc_n "*) continue ;; esac
      case "$__oc_n" in __oc_*) continue ;; esac
      case "\${!__oc_n@a}" in *r*) continue ;; esac
      declare -p "$__oc_n"
    done
    for __oc_n in $__oc_funcs0; do
      declare -F "$__oc_n" >/dev/null || printf 'unset -f %s\\n' "$__oc_n"
    done
    declare -f | sed '/^__oc_/,/^}/d'
    printf '__oc_line=%q\\n' "$__oc_line"
  } > "$1"
}
__oc_err() {
  [[ $- == *e* ]] || return 0
  local __oc_k
  for ((__oc_k = 1; __oc_k < \${#BASH_SOURCE[@]}; __oc_k++)); do
    if [ "\${BASH_SOURCE[__oc_k]}" = "$__oc_file" ]; then __oc_line=\${BASH_LINENO[__oc_k - 1]}; return 0; fi
  done
}
__oc_exit() {
  local __oc_rc=$?
  set +eu
  trap - ERR
  __oc_save "$1"
  return $__oc_rc
}
`;
}

/**
 * One block, as one line the shell reads: the subshell (its input from /dev/null, its stderr
 * with its stdout, so the operator sees them in order), then the state read back, then the
 * end marker with the block's exit status and failing line. Only the marker's nonce, never
 * shown to the block, ends a block: a block printing a marker of its own cannot end it.
 */
export function blockLine(o: { file: string; state: string; nonce: string; exports: Record<string, string> }): string {
  const exports = Object.entries(o.exports).map(([k, v]) => `export ${k}=${quote(v)}; `).join('');
  const sub =
    `( __oc_file=${quote(o.file)}; __oc_line=; __oc_vars0=$(compgen -v); __oc_funcs0=$(compgen -A function); ` +
    `trap ${quote(`__oc_exit ${quote(o.state)}`)} EXIT; trap '__oc_err $LINENO' ERR; ${exports}` +
    `set -Eeuo pipefail; . "$__oc_file" ) </dev/null 2>&1`;
  return `${sub}; __oc_rc=$?; __oc_line=; . ${quote(o.state)} 2>/dev/null; printf '\\n%s %s %s\\n' ${o.nonce} "$__oc_rc" "$__oc_line"\n`;
}

/** The marker's line after the block's output: `<nonce> <status> <line>`. */
export function parseMarker(line: string, nonce: string): { exitCode: number; line?: number } | undefined {
  const m = new RegExp(`^${nonce} (\\d+) (\\d*)$`).exec(line);
  if (!m) return undefined;
  return { exitCode: Number(m[1]), ...(m[2] ? { line: Number(m[2]) } : {}) };
}

/** How a shell of the session is started and spoken to. */
export interface ShellDialect {
  command: string;
  args: string[];
  prelude(secrets: readonly string[]): string;
  blockLine(o: { file: string; state: string; nonce: string; exports: Record<string, string> }): string;
  /** The shell's messages with the block file's path written as `block: line N: …`. */
  messages(text: string, file: string): string;
  /** What the shell reads for a block: declarations of a command substitution split (shell-declare.ts). */
  script(block: string): string;
}

const bashMessages = (text: string, file: string) => text.split(`${file}: `).join('block: ');

export function dialectOf(name: ShellName): ShellDialect {
  if (name === 'zsh') return { command: 'zsh', args: ['-f'], prelude: zshPrelude, blockLine: zshBlockLine, messages: zshMessages, script: splitDeclarations };
  // sh is bash in POSIX mode: the same prelude, the same messages.
  const args = name === 'sh' ? ['--posix', '--noprofile', '--norc'] : ['--noprofile', '--norc'];
  return { command: 'bash', args, prelude, blockLine, messages: bashMessages, script: splitDeclarations };
}
