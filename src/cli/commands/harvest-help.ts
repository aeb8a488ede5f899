// Help for `harvest`, kept apart so `--help` and other commands do not load its code.
export const harvestHelp = {
  usage:
    'opscockpit harvest reqlog|judgelog FILE.csv [FILE.csv ...] --out FILE.json [--window 60s] [--columns ts=NAME,...] [--error-status 500] [--ledger PATH] [--run ID] [--lock]',
  summary: 'Harvest request or judge logs into evidence: exact p50/p90/p95/p99 and error rate, versioned in the ledger.',
  details: `Reads CSV logs with a header row, by default ts,latency_ms,status,route (ts in ISO 8601 or
epoch milliseconds; a time without a zone is UTC). Several files are harvested as one log,
so their percentiles are exact. Writes overall, per-window and per-route stats to --out
atomically as the next WIP version and records its sha256 in the ledger.

Options:
  --out FILE.json       evidence file to write (e.g. var/evidence/latest.json)
  --window DURATION     window length: 30s, 1m, 5m or milliseconds (default 60s)
  --columns MAP         the log's own header names: ts=time,latency_ms=lat,status=code,route=path
  --error-status N      a status ≥ N counts as an error (default 500)
  --ledger PATH         SQLite ledger (default: .opscockpit/ledger.db in the current folder)
  --run ID              record in this run (e.g. the cutover's); default: a run of its own
  --lock                lock the new version (WIP → LOCKED, file made read-only)

A LOCKED version is never rewritten: the next harvest keeps it as NAME-vN.json and writes
vN+1. Exit codes: 0 written, 1 error, 2 insufficient data (0 samples; the file is still written).`,
};
