// Help for the safety commands, kept apart so `--help` does not load the session.
import { startOptionsHelp } from './start-help.js';

/** Exit code when a safety control refused: distinct from an error (1) and from unhealthy (2). */
export const EXIT_REFUSED = 3;
/** Exit code when a person has to decide first (an action of unknown outcome, with --yes). */
export const EXIT_NEEDS_PERSON = 2;

export const actHelp = {
  usage: 'opscockpit act RUNBOOK ACTION [--param NAME=VALUE]... [--choose NAME=OPTION]... [--ledger PATH|URL] [--yes] [--confirm ACTION] [--take-over REASON]',
  summary: 'Run a runbook action headless, through the same safety controls as the cockpit.',
  details: `The emergency stop, scopes (OPSCOCKPIT_ALLOW_SCOPES), the allowlist, the mode and the
real-enable window decide exactly as they do for the key in the cockpit. Without --yes you are
asked to type the action's confirmation word (a terminal is needed for that).
An action whose last outcome is unknown (the cockpit running it died) may still have run or be
running: --yes does not run it again (exit 2) unless --confirm ACTION names it; at a terminal
its word is asked once more, under the warning. Check by hand before either.
Exit codes: 0 done (or shown, in DRY_RUN), 1 error or the action failed, 2 its outcome unknown (above), 3 refused by a
control (its name and remedy on stderr) or because someone drives the runbook's run, 130/143 stopped by SIGINT/SIGTERM (the script's
process group killed, the cancellation and the outcome recorded).
${startOptionsHelp('act')}`,
};

export const stopHelp = {
  usage: 'opscockpit stop on|off [--reason TEXT] [--ledger PATH|URL | --runbook FILE]',
  summary: 'Turn the emergency stop on (anyone, no reason needed) or off (scope safety:stop-off and a reason).',
  details: `While it is on no action runs, in any cockpit or headless command on the same ledger.
Turning it off needs safety:stop-off in OPSCOCKPIT_ALLOW_SCOPES; without it the refusal is recorded (exit 3).
With --runbook FILE whose notify: names a webhook, the stop is sent there too (as the cockpit's ! does).`,
};

export const modeHelp = {
  usage: 'opscockpit mode MOCK_ONLY|DRY_RUN|REAL_ENABLED --reason TEXT --runbook FILE [--ledger PATH|URL]',
  summary: "Switch the execution mode of a runbook with a safety: section.",
  details: `MOCK_ONLY runs the actions' mock: commands; DRY_RUN shows what would run; REAL_ENABLED runs for real inside an approved real-enable window.
Switching needs safety:mode in OPSCOCKPIT_ALLOW_SCOPES; without it the refusal is recorded (exit 3).`,
};

export const windowHelp = {
  usage: 'opscockpit window request|approve|status --runbook FILE [--ledger PATH|URL] [--json]',
  summary: 'Real-enable windows: request one, approve it (a second, different operator), or show it.',
  details: `A window lasts safety.window.ttl (default 15m), needs safety.window.approvals distinct approvers (default 2), and one real action uses it up.
Who approves: on a SQLite ledger the name OPSCOCKPIT_OPERATOR (or the OS user) asserts; on a PostgreSQL
ledger the database login, which the ledger stamps on every event: distinct logins count, the requester's never.`,
};


export const unlockHelp = {
  usage: 'opscockpit unlock RUNBOOK --reason TEXT [--ledger PATH|URL]',
  summary: 'Unlock a runbook locked after a rollback, with a reason (recorded).',
  details: `After a rollback succeeds in a run, the runbook is locked in the ledger: every cockpit and command on
it refuses a new run and forward actions ("locked after the rollback at 10:42 by alice: unlock with a
reason") until someone unlocks it. Abort and rollback are never held back. U in the cockpit does the same.
Unlocking needs safety:unlock in OPSCOCKPIT_ALLOW_SCOPES; without it the refusal is recorded (exit 3).`,
};
