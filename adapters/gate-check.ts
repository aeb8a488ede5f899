// A gate check: evidence judged against SLO policy files with a quorum (seed 001's release
// gates), as one check of the runbook. Reads the files and asks the ledger whether the
// evidence still has the hash it recorded; the judging itself is pure (src/engine/slo.ts).
import type { GateCheck } from '../src/runbook/model.js';
import type { LedgerStore } from '../src/engine/ledger-store.js';
import type { CheckResult } from '../src/engine/types.js';
import type { SloPolicy } from '../src/engine/gate-types.js';
import { judge, quorum } from '../src/engine/slo.js';
import { loadSloPolicy } from '../src/evidence/slo-file.js';
import { readEvidence, sha256File, verifyEvidenceIn } from '../src/evidence/store.js';

export async function runGateCheck(check: GateCheck, ctx: { ledger?: LedgerStore; now?: () => number }): Promise<CheckResult> {
  const now = ctx.now ?? Date.now;
  const startedAt = now();
  const base = { check: check.name, startedAt };
  const failed = (reason: string): CheckResult => ({ ...base, status: 'error', code: 'gate_input', reason, durationMs: now() - startedAt });
  let policies: SloPolicy[];
  let evidence;
  try {
    policies = check.sloFiles.map((f) => loadSloPolicy(f));
    evidence = readEvidence(check.evidence);
  } catch (err) {
    return failed(firstLine(err));
  }
  const verified = ctx.ledger ? await verifyEvidenceIn(ctx.ledger, check.evidence) : undefined;
  const tampered = verified?.tampered ?? false;
  const results = policies.map((p) => judge(p, evidence, { tampered }));
  const q = quorum(results, check.quorum, results.length);
  const status = q.verdict === 'GO' ? 'healthy' : q.verdict === 'NO-GO' ? 'unhealthy' : 'insufficient';
  const tally = `quorum ${q.required}/${q.total}: ${q.passed} GO`;
  // The judges that did not pass, each with its first reason: what the operator acts on.
  const why = q.judges.filter((j) => j.verdict !== 'GO').map((j) => `${j.policy}: ${j.reasons[0] ?? j.verdict}`);
  const reason = [tampered ? 'evidence tampered: its hash differs from the one the ledger recorded' : undefined, q.verdict === 'GO' ? tally : `${tally} — ${why.join('; ')}`]
    .filter(Boolean)
    .join(' — ');
  return {
    ...base,
    status,
    code: tampered ? 'evidence_tampered' : q.verdict === 'GO' ? 'ok' : q.verdict === 'NO-GO' ? 'slo' : 'insufficient_data',
    reason,
    durationMs: now() - startedAt,
    gate: q,
    evidence: { path: check.evidence, sha256: verified?.actual ?? sha256File(check.evidence), tampered },
  };
}

function firstLine(err: unknown): string {
  const e = err as { format?: () => string; message?: string };
  const text = typeof e.format === 'function' ? e.format() : (e.message ?? String(err));
  return text.split('\n').filter(Boolean).slice(0, 3).join(' ').replace(/\s+/g, ' ');
}
