// Help texts of the release ledger commands (kept apart so `--help` loads no ledger code).
export const ledgerHelp = {
  usage:
    'opscockpit ledger [list|show RUN_ID|export|verify|init|migrate] [--ledger PATH|postgres://… | --runbook FILE] …   (no subcommand: recent runs)',
  summary: 'The release ledger: recent runs, filtered pages, one run in full, exports, the hash chain.',
  details: `opscockpit ledger [--limit N] [--json]
    Recent runs, newest first (--json adds their events).
opscockpit ledger list [--status S] [--type T] [--branch B] [--since DATE] [--until DATE]
                       [--page N] [--page-size N] [--json]
    Status counts, then one page of runs, newest first: status, type, branch, start, duration,
    events, operator and what happened last. S may be a list: --status failed,aborted.
    DATE: 2026-11-23, 2026-11-23T14:00 (UTC unless a zone is given), or an age: 30m, 24h, 7d.
opscockpit ledger show RUN_ID [--json]
    One run in full: every event with its time, operator, step, verdict, reasons, evidence and
    the complete action output. RUN_ID "last" is the newest run.
opscockpit ledger export --format csv|json [--events] [--out FILE] [the list filters]
    Every run matching the filters (seed 000's release-ledger fields); --events: every event of
    them (CSV: one row per event; JSON: nested in each run). Written as it is read.
opscockpit ledger verify [--json]
    Walk the hash chain: exit 0 intact, 2 broken (the first broken event is named), 1 error.
    Also on a PostgreSQL ledger: --ledger postgres://… (or OPSCOCKPIT_LEDGER).
opscockpit ledger init --ledger postgres://OWNER@HOST/DB
    Set a PostgreSQL ledger up as the login that is to own it: the schema (versioned
    migrations) and the role opscockpit_operator (read, and append events; never change or
    remove one). Idempotent: run it again to upgrade. Operators are logins in that role.
    libpq conventions: PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, ~/.pgpass.
opscockpit ledger migrate --from PATH|postgres://… --to postgres://…|PATH
    Move a whole ledger (runs, events with their chain, the stage) into an empty one, SQLite
    and PostgreSQL either way; both sides are verified, counts and head hashes printed.
    Into PostgreSQL as its owner. A migration that fails leaves the target empty.

The ledger is .opscockpit/ledger.db in the current folder, beside --runbook FILE, or --ledger PATH;
list, show, export, verify and report also read a PostgreSQL ledger: --ledger postgres://… or
OPSCOCKPIT_LEDGER=postgres://….
In the cockpit, l opens the same ledger as a screen.`,
};

export const reportHelp = {
  usage: 'opscockpit report RUN_ID --release-notes|--timeline [--out FILE] [--ledger PATH | --runbook FILE]',
  summary: 'Release notes or the incident timeline of a run, from the ledger.',
  details: `--release-notes fills the release-notes template (seed 004): release, date, scope, known risk,
validation results, and the rollback target (the last succeeded run of the same runbook with
another commit) with its trigger owner.
--timeline writes the incident timeline in Markdown: who did what when, every verdict with its
reasons and evidence, action output, and the durations: time to detect (goal MTTD < 5 min) and
time to abort or roll back (goal MTTR < 15 min).
RUN_ID "last" is the newest run. --out FILE writes to a file instead of stdout.`,
};
