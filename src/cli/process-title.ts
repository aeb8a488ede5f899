// A password written into a ledger URL on the command line (postgres://bob:secret@db/ops) is
// there for anyone on the machine to read in `ps` for as long as the cockpit stays open. The
// process's title (what `ps` and /proc/PID/cmdline show) becomes the command line without it.
// PGPASSWORD or ~/.pgpass keep it off the command line altogether (docs/operations.md).
import { passwordsMasked } from '../../adapters/ledger-path.js';

/** The command line as `ps` should show it, or undefined when nothing in it needs hiding. */
export function titleWithoutPasswords(argv: readonly string[]): string | undefined {
  const masked = argv.map(passwordsMasked);
  return masked.some((a, i) => a !== argv[i]) ? ['opscockpit', ...masked].join(' ') : undefined;
}

export function hidePasswordsFromPs(argv: readonly string[]): void {
  const title = titleWithoutPasswords(argv);
  if (title !== undefined) process.title = title;
}
