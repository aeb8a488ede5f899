// A password written into a ledger URL on the command line (postgres://bob:secret@db/ops) is
// there for anyone on the machine to read in `ps` for as long as the cockpit stays open. The
// process's title (what `ps` and /proc/PID/cmdline show) becomes the command line without it.
// PGPASSWORD or ~/.pgpass keep it off the command line altogether (docs/operations.md). So does
// a parameter's value (`--param DB_PASSWORD=…`): which parameters are secret is the runbook's to
// say, read later, so every --param value is shown as *** there.
import { passwordsMasked } from '../../adapters/ledger-path.js';

/** `--param NAME=VALUE` and `--param=NAME=VALUE`: the value hidden. */
function paramsMasked(argv: readonly string[]): string[] {
  return argv.map((a, i) => {
    if (argv[i - 1] === '--param') return a.replace(/=.*/s, '=***');
    return a.startsWith('--param=') ? a.replace(/^(--param=[^=]*)=.*/s, '$1=***') : a;
  });
}

/** The command line as `ps` should show it, or undefined when nothing in it needs hiding. */
export function titleWithoutPasswords(argv: readonly string[]): string | undefined {
  const masked = paramsMasked(argv).map(passwordsMasked);
  return masked.some((a, i) => a !== argv[i]) ? ['opscockpit', ...masked].join(' ') : undefined;
}

export function hidePasswordsFromPs(argv: readonly string[]): void {
  const title = titleWithoutPasswords(argv);
  if (title !== undefined) process.title = title;
}
