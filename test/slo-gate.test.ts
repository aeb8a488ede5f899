// `opscockpit gate` through a fake Io: evidence judged by SLO policy files, with and without a ledger.
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openLedger } from '../adapters/ledger.js';
import { gateCommand } from '../src/cli/commands/gate.js';
import type { Io } from '../src/cli/main.js';
import type { EvidenceDoc, QuorumResult } from '../src/engine/gate-types.js';

/** An Io whose writes land in strings. */
function fakeIo(env: NodeJS.ProcessEnv = {}) {
  const captured = { stdout: '', stderr: '' };
  const stream = (key: 'stdout' | 'stderr') =>
    ({
      write: (chunk: string | Uint8Array) => {
        captured[key] += String(chunk);
        return true;
      },
      isTTY: false,
    }) as unknown as NodeJS.WriteStream;
  const io: Io = { stdout: stream('stdout'), stderr: stream('stderr'), env: { OPSCOCKPIT_OPERATOR: 'gate-test', ...env } };
  return { io, captured };
}

const SLO = ['--slo', 'fixtures/slo/slo-judge-infra.json', '--slo', 'fixtures/slo/slo-billing-strict-v2.json', '--slo', 'fixtures/slo/slo-latency-loose.yaml'];

async function gate(args: string[]) {
  const { io, captured } = fakeIo();
  const code = await gateCommand(args, io);
  return { code, ...captured };
}

describe('opscockpit gate', () => {
  it('exits 0 on good evidence and prints each criterion as value vs threshold, then the quorum', async () => {
    const r = await gate([...SLO, '--evidence', 'fixtures/evidence/good.json', '--quorum', '2/3']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const sha = createHash('sha256').update(readFileSync('fixtures/evidence/good.json')).digest('hex');
    expect(r.stdout).toBe(
      [
        `evidence fixtures/evidence/good.json  (1840 samples, sha256 ${sha.slice(0, 12)})`,
        '',
        'slo-judge-infra: GO',
        '  samples     1840 vs >= 500       GO',
        '  p95_ms      188 ms vs <= 250 ms  GO',
        '  p99_ms      342 ms vs <= 500 ms  GO',
        '  error_rate  0.38% vs <= 1%       GO',
        '',
        'slo-billing-strict-v2 (route /billing/charge): GO',
        '  samples     420 vs >= 200        GO',
        '  p95_ms      121 ms vs <= 150 ms  GO',
        '  p99_ms      262 ms vs <= 300 ms  GO',
        '  error_rate  0.12% vs <= 0.2%     GO',
        '',
        'slo-latency-loose: GO',
        '  samples     1840 vs >= 100       GO',
        '  p95_ms      188 ms vs <= 400 ms  GO',
        '  p99_ms      342 ms vs <= 800 ms  GO',
        '',
        'quorum 2/3: passed 3 → GO',
        '',
      ].join('\n'),
    );
  });

  it('exits 2 on slow evidence: two judges NO-GO, one GO, quorum 2/3 NO-GO', async () => {
    const r = await gate([...SLO, '--evidence', 'fixtures/evidence/slow.json', '--quorum', '2/3']);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('slo-judge-infra: NO-GO\n  samples     1905 vs >= 500       GO\n  p95_ms      310 ms vs <= 250 ms  NO-GO\n');
    expect(r.stdout).toContain('  error_rate  0.26% vs <= 0.2%     NO-GO\n  - p95 240 ms > 150 ms\n  - p99 412 ms > 300 ms\n  - error rate 0.26% > 0.2%\n');
    expect(r.stdout).toContain('slo-latency-loose: GO\n');
    expect(r.stdout).toContain('quorum 2/3: passed 1 → NO-GO\n  1 of 3 judges GO, 2 required: 2 NO-GO, the quorum can no longer be reached\n');
  });

  it('defaults to all judges: one NO-GO of three is a NO-GO without --quorum', async () => {
    const r = await gate([...SLO, '--evidence', 'fixtures/evidence/slow.json', '--json']);
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout) as QuorumResult;
    expect(doc).toMatchObject({ verdict: 'NO-GO', required: 3, total: 3, passed: 1 });
  });

  it('--json prints the QuorumResult', async () => {
    const r = await gate([...SLO, '--evidence', 'fixtures/evidence/good.json', '--quorum', '2/3', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as QuorumResult;
    expect(Object.keys(doc).sort()).toEqual(['judges', 'passed', 'reasons', 'required', 'total', 'verdict']);
    expect(doc).toMatchObject({ verdict: 'GO', required: 2, total: 3, passed: 3, reasons: ['3 of 3 judges GO, 2 required'] });
    expect(doc.judges.map((j) => [j.policy, j.verdict])).toEqual([
      ['slo-judge-infra', 'GO'],
      ['slo-billing-strict-v2', 'GO'],
      ['slo-latency-loose', 'GO'],
    ]);
    expect(doc.judges[1].criteria[1]).toEqual({ name: 'p95_ms', value: 121, threshold: 150, op: '<=', verdict: 'GO' });
  });

  it('exits 2 with INSUFFICIENT when the evidence has too few samples', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oc-gate-'));
    const file = join(dir, 'thin.json');
    const doc = JSON.parse(readFileSync('fixtures/evidence/good.json', 'utf8')) as EvidenceDoc;
    doc.overall = { ...doc.overall, samples: 80 };
    delete doc.routes;
    writeFileSync(file, JSON.stringify(doc));
    const r = await gate([...SLO, '--evidence', file, '--quorum', '2/3', '--json']);
    expect(r.code).toBe(2);
    const q = JSON.parse(r.stdout) as QuorumResult;
    expect(q.verdict).toBe('INSUFFICIENT');
    expect(q.reasons).toEqual([
      '0 of 3 judges GO, 2 required: 3 without enough data could still decide it',
      'slo-judge-infra: samples 80 < 500 required',
      'slo-billing-strict-v2: no samples for route /billing/charge',
      'slo-latency-loose: samples 80 < 100 required',
    ]);
  });

  it('exits 1 naming the evidence file when it is missing or not JSON', async () => {
    const missing = await gate([...SLO, '--evidence', 'var/evidence/latest.json']);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toBe('var/evidence/latest.json: 1 problem\n  cannot read the evidence: no such file\n  hint: check the --evidence path\n');

    const dir = mkdtempSync(join(tmpdir(), 'oc-gate-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{\n  "schema": "opscockpit.evidence/v1",\n  "kind": "reqlog"\n  "overall": {}\n}\n');
    const r = await gate([...SLO, '--evidence', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`${bad}: 1 problem\n  line 4, column 3\n    not valid JSON: Expected ',' or '}' after property value\n    hint: the evidence must be one JSON document\n`);
  });

  it('exits 1 on evidence that is JSON but not an evidence document, with line and column', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oc-gate-'));
    const file = join(dir, 'odd.json');
    writeFileSync(file, '{\n  "schema": "opscockpit.evidence/v2",\n  "kind": "reqlog",\n  "overall": { "samples": -3, "error_rate": 4 }\n}\n');
    const r = await gate(['--slo', 'fixtures/slo/slo-judge-infra.json', '--evidence', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('line 2, column 13  schema\n    expected "opscockpit.evidence/v1", got "opscockpit.evidence/v2"');
    expect(r.stderr).toContain('line 4, column 27  overall.samples\n    must be at least 0');
    expect(r.stderr).toContain('line 4, column 45  overall.error_rate\n    error_rate is a fraction from 0 to 1');
  });

  it('exits 1 on a bad SLO file, a bad quorum or bad arguments', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oc-gate-'));
    const slo = join(dir, 'typo.json');
    writeFileSync(slo, '{ "name": "typo", "p99_ms_mx": 300 }');
    const typo = await gate(['--slo', slo, '--evidence', 'fixtures/evidence/good.json']);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toBe(`${slo}: 1 problem\n  line 1, column 19  p99_ms_mx\n    unknown field "p99_ms_mx" — did you mean "p99_ms_max"?\n`);

    const q = await gate(['--slo', 'fixtures/slo/slo-judge-infra.json', '--evidence', 'fixtures/evidence/good.json', '--quorum', '2/3']);
    expect(q.code).toBe(1);
    expect(q.stderr).toMatch(/^opscockpit gate: quorum 2\/3 needs 3 judges \(one SLO policy each\), 1 given\nUsage: opscockpit gate --slo FILE/);

    for (const [args, message] of [
      [['--evidence', 'fixtures/evidence/good.json'], 'missing --slo FILE (one per judge)'],
      [['--slo', 'fixtures/slo/slo-judge-infra.json'], 'missing --evidence FILE'],
      [['--slo', 'fixtures/slo/slo-judge-infra.json', '--evidence', 'x.json', 'extra'], 'unexpected argument "extra"'],
      [['--slo', 'fixtures/slo/slo-judge-infra.json', '--slo', './fixtures/slo/slo-judge-infra.json', '--evidence', 'fixtures/evidence/good.json'], 'is given twice'],
    ] as const) {
      const r = await gate([...args]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(message);
    }
    const unknown = await gate(['--slo', 'a.json', '--evidnce', 'x']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^opscockpit gate: Unknown option '--evidnce'/);
  });

  it('refuses two policies with the same name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oc-gate-'));
    const copy = join(dir, 'copy.json');
    writeFileSync(copy, readFileSync('fixtures/slo/slo-judge-infra.json'));
    const r = await gate(['--slo', 'fixtures/slo/slo-judge-infra.json', '--slo', copy, '--evidence', 'fixtures/evidence/good.json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`fixtures/slo/slo-judge-infra.json and ${copy} are both named "slo-judge-infra"`);
  });

  describe('with --ledger', () => {
    function setup() {
      const dir = mkdtempSync(join(tmpdir(), 'oc-gate-ledger-'));
      const file = join(dir, 'latest.json');
      writeFileSync(file, readFileSync('fixtures/evidence/good.json'));
      const ledgerPath = join(dir, 'ledger.db');
      const sha = createHash('sha256').update(readFileSync(file)).digest('hex');
      const ledger = openLedger(ledgerPath);
      const run = ledger.startRun({ runbook: join(dir, 'harvest.yaml'), name: 'harvest' }, 1_000);
      ledger.append(run.runId, 'harvester', { kind: 'evidence.recorded', path: file, sha256: sha, version: 1, state: 'WIP', samples: 1840 }, 1_000);
      ledger.completeRun(run.runId, 'succeeded', 1_001);
      ledger.close();
      return { dir, file, ledgerPath, sha };
    }

    function gateRuns(ledgerPath: string) {
      const ledger = openLedger(ledgerPath);
      try {
        return ledger.listRuns(10).filter((r) => r.name === 'gate').map((r) => ({ run: r, events: ledger.events(r.runId) }));
      } finally {
        ledger.close();
      }
    }

    it('records a gate run with gate.judged when the evidence matches its recorded hash', async () => {
      const { file, ledgerPath, sha } = setup();
      const r = await gate([...SLO, '--evidence', file, '--quorum', '2/3', '--ledger', ledgerPath]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('  unchanged since the ledger recorded it\n');
      expect(r.stdout).toContain('  tampered    false vs == false    GO\n');
      const runs = gateRuns(ledgerPath);
      expect(runs).toHaveLength(1);
      expect(r.stdout).toContain(`run ${runs[0].run.runId} recorded in ${resolve(ledgerPath)}`);
      expect(runs[0].run.status).toBe('succeeded');
      expect(runs[0].events.map((e) => e.body.kind)).toEqual(['run.started', 'gate.judged', 'run.completed']);
      expect(runs[0].events.every((e) => e.operator === 'gate-test')).toBe(true);
      const judged = runs[0].events[1].body;
      expect(judged).toMatchObject({ kind: 'gate.judged', gate: 'slo-judge-infra, slo-billing-strict-v2, slo-latency-loose', evidence: { path: file, sha256: sha } });
      if (judged.kind === 'gate.judged') expect(judged.result).toMatchObject({ verdict: 'GO', required: 2, total: 3, passed: 3 });
    });

    it('refuses to pass evidence changed since the ledger recorded it: NO-GO "evidence tampered"', async () => {
      const { file, ledgerPath, sha } = setup();
      // Better numbers than before, but not the evidence that was recorded.
      writeFileSync(file, readFileSync(file, 'utf8').replace('"p99_ms": 342', '"p99_ms": 300'));
      const r = await gate([...SLO, '--evidence', file, '--quorum', '2/3', '--ledger', ledgerPath, '--json']);
      expect(r.code).toBe(2);
      const q = JSON.parse(r.stdout) as QuorumResult;
      expect(q.verdict).toBe('NO-GO');
      expect(q.passed).toBe(0);
      expect(q.judges.every((j) => j.verdict === 'NO-GO' && j.reasons.includes('evidence tampered'))).toBe(true);
      const runs = gateRuns(ledgerPath);
      expect(runs[0].run.status).toBe('failed');
      const now = createHash('sha256').update(readFileSync(file)).digest('hex');
      expect(runs[0].events.map((e) => e.body)).toContainEqual({ kind: 'evidence.tampered', path: file, expected: sha, actual: now });

      const text = await gate([...SLO, '--evidence', file, '--quorum', '2/3', '--ledger', ledgerPath]);
      expect(text.stdout).toContain(`  TAMPERED: the ledger recorded sha256 ${sha.slice(0, 12)} for this file; it has changed since\n`);
      expect(text.stdout).toContain('  - evidence tampered\n');
    });

    it('compares with the newest recorded hash (evidence re-recorded after a legitimate update)', async () => {
      const { file, ledgerPath } = setup();
      writeFileSync(file, readFileSync(file, 'utf8').replace('"version": 1', '"version": 2'));
      const ledger = openLedger(ledgerPath);
      const run = ledger.startRun({ runbook: file, name: 'harvest' }, 2_000);
      const sha2 = createHash('sha256').update(readFileSync(file)).digest('hex');
      ledger.append(run.runId, 'harvester', { kind: 'evidence.recorded', path: file, sha256: sha2, version: 2, state: 'LOCKED', samples: 1840 }, 2_000);
      ledger.close();
      const r = await gate([...SLO, '--evidence', file, '--quorum', '2/3', '--ledger', ledgerPath]);
      expect(r.code).toBe(0);
    });

    it('passes evidence the ledger never recorded, saying there was nothing to compare', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'oc-gate-ledger-'));
      const r = await gate([...SLO, '--evidence', 'fixtures/evidence/good.json', '--ledger', join(dir, 'ledger.db')]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('  not recorded in the ledger before (nothing to compare)\n');
    });

    it('exits 1 when the ledger cannot be opened', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'oc-gate-ledger-'));
      const notDb = join(dir, 'ledger.db');
      writeFileSync(notDb, 'this is not sqlite, just text that is long enough to have a header page '.repeat(20));
      const r = await gate([...SLO, '--evidence', 'fixtures/evidence/good.json', '--ledger', notDb]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`cannot open ledger ${notDb}`);
    });
  });
});
