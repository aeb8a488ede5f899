// What a zsh session is told: the same contract as bash's (shell-prelude.ts). Each block runs
// in a subshell with `setopt errexit nounset pipefail` (set -euo pipefail), the first failing
// line ends it, and its state (directory, parameters, functions, what it unset) is written to
// a file the long-lived shell reads back. zsh runs no EXIT trap when errexit fires inside a
// function, so TRAPZERR writes the state too, and finds the block's line from funcfiletrace.
import { quote } from './shell-prelude.js';

/** zsh's own parameters that say where or when the subshell is, never carried over. */
const OWN_PARAMS = ['PWD', 'OLDPWD', 'SHLVL', '_', 'LINENO', 'RANDOM', 'SECONDS', 'EPOCHSECONDS', 'EPOCHREALTIME', 'ZSH_SUBSHELL', 'ZSH_EXECUTION_STRING'];

export function zshPrelude(secrets: readonly string[]): string {
  return `zmodload zsh/parameter
__oc_skip=' ${OWN_PARAMS.join(' ')} '
__oc_secrets=' ${secrets.join(' ')} '
__oc_save() {
  setopt localoptions; unsetopt errexit nounset
  local __oc_n __oc_t
  {
    print -r -- "cd -- \${(q)PWD}"
    for __oc_n in \${=__oc_vars0}; do
      [[ $__oc_skip == *" $__oc_n "* || $__oc_n == __oc_* ]] && continue
      (( \${+parameters[$__oc_n]} )) || print -r -- "unset -- \${(q)__oc_n}"
    done
    for __oc_n in \${(k)parameters}; do
      [[ "$__oc_skip$__oc_secrets" == *" $__oc_n "* || $__oc_n == __oc_* ]] && continue
      __oc_t=\${parameters[$__oc_n]}
      [[ $__oc_t == *readonly* || $__oc_t == *local* ]] && continue
      if [[ $__oc_t == *special* ]]; then
        [[ $__oc_t == scalar*export* ]] && print -r -- "export $__oc_n=\${(q)\${(P)__oc_n}}"
        continue
      fi
      typeset -p -- $__oc_n
    done
    for __oc_n in \${=__oc_funcs0}; do
      (( \${+functions[$__oc_n]} )) || print -r -- "unfunction -- \${(q)__oc_n}"
    done
    for __oc_n in \${(k)functions}; do
      [[ $__oc_n == __oc_* || $__oc_n == TRAP* ]] && continue
      functions -- $__oc_n
    done
    print -r -- "__oc_line=\${(q)__oc_line}"
  } > $1
}
__oc_err() {
  [[ -o errexit ]] || return 0
  local __oc_at
  for __oc_at in \${(Oa)funcfiletrace}; do
    if [[ \${__oc_at%:*} == $__oc_file ]]; then __oc_line=\${__oc_at##*:}; break; fi
  done
  __oc_save $1
}
__oc_exit() {
  local __oc_rc=$?
  __oc_save $1
  return $__oc_rc
}
`;
}

/** One block as one line zsh reads: as blockLine (shell-prelude.ts) does for bash. */
export function zshBlockLine(o: { file: string; state: string; nonce: string; exports: Record<string, string> }): string {
  const exports = Object.entries(o.exports).map(([k, v]) => `export ${k}=${quote(v)}; `).join('');
  const sub =
    `( __oc_file=${quote(o.file)}; __oc_line=; __oc_vars0="\${(k)parameters}"; __oc_funcs0="\${(k)functions}"; ` +
    `trap ${quote(`__oc_exit ${quote(o.state)}`)} EXIT; TRAPZERR() { __oc_err ${quote(o.state)}; }; ${exports}` +
    `setopt errexit nounset pipefail; . "$__oc_file" ) </dev/null 2>&1`;
  return `${sub}; __oc_rc=$?; __oc_line=; . ${quote(o.state)} 2>/dev/null; printf '\\n%s %s %s\\n' ${o.nonce} "$__oc_rc" "$__oc_line"\n`;
}

/** zsh names the block file as `FILE:LINE: message`: the operator reads `block: line LINE: message`. */
export function zshMessages(text: string, file: string): string {
  const parts = text.split(`${file}:`);
  let out = parts[0];
  for (let i = 1; i < parts.length; i++) out += /^\d+: /.test(parts[i]) ? parts[i].replace(/^(\d+): /, 'block: line $1: ') : `${file}:${parts[i]}`;
  return out;
}
