// `opscockpit gate`: seed 001's release gate (`judge quorum --slo … --evidence … --quorum 2/3`).
// Each SLO policy file is one judge of the evidence; K of N judges must say GO. With a
// ledger, the verdict is recorded as a run and the evidence is checked against the hash the
// ledger recorded for it: evidence changed since then never passes.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { openLedger, type SqliteLedger, chainKeyFrom } from '../../../adapters/ledger.js';
import type { QuorumResult, SloPolicy } from '../../engine/gate-types.js';
import { QuorumError, formatMetric, judge, parseQuorum, quorum } from '../../engine/slo.js';
import type { EventBody } from '../../engine/types.js';
import { loadSloPolicy } from '../../evidence/slo-file.js';
import { loadEvidence } from '../../evidence/evidence-file.js';
import { lastRecorded } from '../../evidence/store.js';
import { RunbookError } from '../../runbook/errors.js';
import { operatorName } from '../../session/operator.js';
import { UsageError } from '../errors.js';
import type { Io } from '../main.js';
import { gateHelp } from './gate-help.js';

export { gateHelp };


export async function gateCommand(args: string[], io: Io): Promise<number> {
  try {
    return runGate(args, io);
  } catch (err) {
    // Anything else is a bug: the entry point reports it (with a stack on request).
    if (!isOperatorFacing(err)) throw err;
    io.stderr.write(describeError(err) + '\n');
    return 1;
  }
}

/** What the text output shows besides the quorum result. */
export interface GateReport {
  evidence: { file: string; sha256: string; samples: number };
  policies: SloPolicy[];
  result: QuorumResult;
  /** Tamper check against the ledger; absent without --ledger. */
  tamper?: { recorded?: string; tampered: boolean };
  run?: { runId: string; ledger: string };
}

function runGate(args: string[], io: Io): number {
  const opts = parseGateArgs(args);
  if (opts.help) {
    io.stdout.write(`Usage: ${gateHelp.usage}\n\n${gateHelp.summary}\n\n${gateHelp.details}\n`);
    return 0;
  }
  const policies = opts.slo.map(loadSloPolicy);
  checkDistinct(policies);
  let k = policies.length;
  if (opts.quorum !== undefined) ({ k } = parseQuorum(opts.quorum, policies.length));
  const evidence = loadEvidence(opts.evidence);

  const ledger = opts.ledger === undefined ? undefined : openLedger(resolve(opts.ledger), { chainKey: chainKeyFrom(io.env) });
  try {
    const path = resolve(opts.evidence);
    const recorded = ledger && lastRecorded(ledger, path)?.sha256;
    const tampered = ledger ? recorded !== undefined && recorded !== evidence.sha256 : undefined;
    const result = quorum(policies.map((p) => judge(p, evidence.doc, { tampered })), k);
    const report: GateReport = {
      evidence: { file: opts.evidence, sha256: evidence.sha256, samples: evidence.doc.overall.samples },
      policies,
      result,
    };
    if (ledger) {
      report.tamper = { recorded, tampered: tampered === true };
      report.run = { runId: recordGate(ledger, io.env, { path, sha256: evidence.sha256, recorded, policies, result }), ledger: resolve(opts.ledger!) };
    }
    io.stdout.write((opts.json ? JSON.stringify(result, null, 2) : formatGate(report)) + '\n');
    return result.verdict === 'GO' ? 0 : 2;
  } finally {
    ledger?.close();
  }
}

interface GateArgs {
  slo: string[];
  evidence: string;
  quorum?: string;
  json: boolean;
  ledger?: string;
  help: boolean;
}

function parseGateArgs(args: string[]): GateArgs {
  let values: Record<string, unknown>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args,
      options: {
        slo: { type: 'string', multiple: true },
        evidence: { type: 'string' },
        quorum: { type: 'string' },
        json: { type: 'boolean', default: false },
        ledger: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: true,
      strict: true,
    }));
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message.split('\n')[0] : String(err), 'gate');
  }
  const help = values.help === true;
  if (!help) {
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`, 'gate');
    if (!(values.slo as string[] | undefined)?.length) throw new UsageError('missing --slo FILE (one per judge)', 'gate');
    if (values.evidence === undefined) throw new UsageError('missing --evidence FILE', 'gate');
  }
  return {
    slo: (values.slo as string[] | undefined) ?? [],
    evidence: (values.evidence as string | undefined) ?? '',
    quorum: values.quorum as string | undefined,
    json: values.json === true,
    ledger: values.ledger as string | undefined,
    help,
  };
}

/** The same file twice, or two files with one name, would let one judge count twice. */
function checkDistinct(policies: SloPolicy[]): void {
  const byPath = new Map<string, string>();
  const byName = new Map<string, string>();
  for (const p of policies) {
    const file = p.file ?? '';
    const abs = resolve(file);
    if (byPath.has(abs)) throw new UsageError(`--slo ${file} is given twice; each judge counts once`, 'gate');
    byPath.set(abs, file);
    const other = byName.get(p.name);
    if (other !== undefined) throw new UsageError(`${other} and ${file} are both named "${p.name}"; give each SLO policy its own name`, 'gate');
    byName.set(p.name, file);
  }
}

function recordGate(
  ledger: SqliteLedger,
  env: NodeJS.ProcessEnv,
  g: { path: string; sha256: string; recorded?: string; policies: SloPolicy[]; result: QuorumResult },
): string {
  const operator = operatorName(env);
  const gate = g.policies.map((p) => p.name).join(', ');
  const spec = `${g.result.required}/${g.result.total}`;
  const bodies: EventBody[] = [{ kind: 'run.started', runbook: g.path, name: 'gate' }];
  if (g.recorded !== undefined && g.recorded !== g.sha256) bodies.push({ kind: 'evidence.tampered', path: g.path, expected: g.recorded, actual: g.sha256 });
  bodies.push({ kind: 'gate.judged', gate, result: g.result, evidence: { path: g.path, sha256: g.sha256 } });
  const status = g.result.verdict === 'GO' ? 'succeeded' : 'failed';
  const now = Date.now();
  // The run, its events and its end (run.completed and the status, as finishRun records a
  // run's end) in one transaction: a crash part-way would leave a run listed as running.
  return ledger.atomically(() => {
    const run = ledger.startRun({ runbook: g.path, name: 'gate', releaseType: 'gate', note: `gate ${gate} (quorum ${spec})` }, now);
    ledger.appendMany(run.runId, operator, [...bodies, { kind: 'run.completed', status }], now);
    ledger.completeRun(run.runId, status, now, `gate ${gate} (quorum ${spec}): ${g.result.verdict}`);
    return run.runId;
  }, { durable: true });
}

/** The text report: each judge and criterion as `value vs threshold`, then the quorum line. */
export function formatGate(r: GateReport): string {
  const lines = [`evidence ${r.evidence.file}  (${r.evidence.samples} samples, sha256 ${r.evidence.sha256.slice(0, 12)})`];
  if (r.tamper) {
    lines.push(
      r.tamper.tampered
        ? `  TAMPERED: the ledger recorded sha256 ${r.tamper.recorded!.slice(0, 12)} for this file; it has changed since`
        : r.tamper.recorded
          ? '  unchanged since the ledger recorded it'
          : '  not recorded in the ledger before (nothing to compare)',
    );
  }
  const width = Math.max(...r.result.judges.flatMap((j) => j.criteria.map((c) => c.name.length)));
  const cells = r.result.judges.map((j) =>
    j.criteria.map((c) => `${formatMetric(c.name, c.value)} vs ${c.op} ${formatMetric(c.name, c.threshold)}`),
  );
  const cellWidth = Math.max(...cells.flat().map((c) => c.length));
  r.result.judges.forEach((j, i) => {
    const route = r.policies[i]?.route;
    lines.push('', `${j.policy}${route === undefined ? '' : ` (route ${route})`}: ${j.verdict}`);
    j.criteria.forEach((c, n) => lines.push(`  ${c.name.padEnd(width)}  ${cells[i][n].padEnd(cellWidth)}  ${c.verdict}`));
    for (const why of j.reasons) lines.push(`  - ${why}`);
  });
  const q = r.result;
  lines.push('', `quorum ${q.required}/${q.total}: passed ${q.passed} → ${q.verdict}`);
  if (q.verdict !== 'GO') lines.push(`  ${q.reasons[0]}`);
  if (r.run) lines.push(`run ${r.run.runId} recorded in ${r.run.ledger}`);
  return lines.join('\n');
}

function isOperatorFacing(err: unknown): boolean {
  return err instanceof UsageError || err instanceof RunbookError || err instanceof QuorumError || (err instanceof Error && err.name === 'LedgerError');
}

function describeError(err: unknown): string {
  if (err instanceof UsageError) return `opscockpit gate: ${err.message}\nUsage: ${gateHelp.usage}`;
  if (err instanceof QuorumError) return `opscockpit gate: ${err.message}\nUsage: ${gateHelp.usage}`;
  if (err instanceof RunbookError) return err.format();
  return `opscockpit: ${(err as Error).message}`;
}
