// Help for `gate`, kept apart so `--help` and other commands do not load its code.
export const gateHelp = {
  usage: 'opscockpit gate --slo FILE [--slo FILE ...] --evidence FILE [--quorum K/N] [--json] [--ledger PATH]',
  summary: 'Judge an evidence file against SLO policies; K of N judges must say GO.',
  details: `Each --slo file (JSON or YAML: name, p95_ms_max, p99_ms_max, error_rate_max, min_samples,
route) is one judge. A judge is NO-GO when a threshold is exceeded, INSUFFICIENT when there
are too few samples (never a pass), GO otherwise. --quorum K/N (default: all of them) needs
N = the number of --slo files; the gate is GO with K judges GO, NO-GO once K can no longer
be reached, INSUFFICIENT in between.

Options:
  --evidence FILE  evidence JSON (schema opscockpit.evidence/v1)
  --ledger PATH    record the verdict as a "gate" run, and refuse to pass (NO-GO, evidence
                   tampered) when the evidence differs from the hash the ledger recorded
  --json           print the quorum result as JSON
Exit codes: 0 GO, 2 NO-GO or INSUFFICIENT, 1 error.`,
};
