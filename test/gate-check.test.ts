// Gates as runbook checks: SLO judges with a quorum over an evidence file, run headless
// through the built binary, with the ledger's tamper check.
import { describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLedger } from '../adapters/ledger.js';
import { recordEvidence, readEvidence } from '../src/evidence/store.js';
import { cli, root } from './support/cli.js';

function gateRunbook(evidence: string): { dir: string; file: string; evidence: string } {
  const dir = mkdtempSync(join(tmpdir(), 'oc-gate-'));
  const copy = join(dir, 'latest.json');
  copyFileSync(join(root, 'fixtures', 'evidence', evidence), copy);
  const slo = join(root, 'fixtures', 'slo');
  const file = join(dir, 'cutover.yaml');
  writeFileSync(
    file,
    `version: 1
name: Release gates
checks:
  infra-gate:
    title: Release gates (quorum 2/3)
    gate:
      slo: [${slo}/slo-judge-infra.json, ${slo}/slo-billing-strict-v2.json, ${slo}/slo-latency-loose.yaml]
      evidence: latest.json
      quorum: 2/3
checklists:
  preflight:
    - { id: gates, check: infra-gate }
`,
  );
  return { dir, file, evidence: copy };
}

describe('gate checks in a runbook', () => {
  it('GO with good evidence: each judge and criterion is in the JSON report and the ledger', async () => {
    const { dir, file } = gateRunbook('good.json');
    const ledgerPath = join(dir, 'l.db');
    const r = await cli(['check', file, '--json', '--ledger', ledgerPath]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).steps[0]).toMatchObject({ status: 'healthy', reason: 'quorum 2/3: 3 GO' });
    const ledger = openLedger(ledgerPath);
    const result = ledger.events(ledger.listRuns(1)[0].runId).find((e) => e.body.kind === 'step.result')!.body;
    ledger.close();
    expect(result).toMatchObject({ result: { gate: { verdict: 'GO', required: 2, total: 3, passed: 3 } } });
    const judges = (result as { result: { gate: { judges: { policy: string; criteria: { name: string }[] }[] } } }).result.gate.judges;
    expect(judges.map((j) => j.policy)).toEqual(['slo-judge-infra', 'slo-billing-strict-v2', 'slo-latency-loose']);
    expect(judges[0].criteria.map((c) => c.name)).toEqual(expect.arrayContaining(['samples', 'p95_ms', 'p99_ms', 'error_rate']));
  });

  it('NO-GO with slow evidence, naming the failing criteria', async () => {
    const { dir, file } = gateRunbook('slow.json');
    const r = await cli(['check', file, '--ledger', join(dir, 'l.db')]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/quorum 2\/3: 1 GO/);
    expect(r.stdout).toMatch(/p95 310 ms > 250 ms/);
  });

  it('evidence changed after the ledger recorded it never passes', async () => {
    const { dir, file, evidence } = gateRunbook('good.json');
    const ledgerPath = join(dir, 'l.db');
    const ledger = openLedger(ledgerPath);
    const run = ledger.startRun({ runbook: file, name: 'harvest' }, Date.now());
    recordEvidence(ledger, run.runId, 'sre', evidence, readEvidence(evidence), Date.now());
    ledger.close();
    expect((await cli(['check', file, '--ledger', ledgerPath])).code).toBe(0);
    const doc = readEvidence(evidence);
    doc.overall.p99_ms = 1; // someone makes the numbers look better by hand
    writeFileSync(evidence, JSON.stringify(doc));
    const r = await cli(['check', file, '--json', '--ledger', ledgerPath]);
    expect(r.code).toBe(2);
    const report = JSON.parse(r.stdout);
    expect(report.verdict).toBe('NO-GO');
    expect(report.reasons.join('\n')).toMatch(/tampered/);
  });

  it('a missing SLO file is an error check naming the file', async () => {
    const { dir } = gateRunbook('good.json');
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, `version: 1\nname: Bad gate\nchecks:\n  g:\n    gate: { slo: nope.json, evidence: latest.json }\nchecklists:\n  preflight:\n    - { id: g, check: g }\n`);
    const r = await cli(['check', file, '--json', '--ledger', join(dir, 'l.db')]);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).steps[0]).toMatchObject({ status: 'error', reason: expect.stringContaining('nope.json') });
  });
});
