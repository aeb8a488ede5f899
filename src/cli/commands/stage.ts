// `opscockpit stage [--ledger PATH] [--json]`: the release stage from its signed file, and
// whether the file is intact (seed 001: stage file integrity). Exit 0 intact or not yet
// written, 2 damaged or unsigned (the stage falls back to stable), 1 error.
import { chosenLedgerPath } from '../../../adapters/ledger-path.js';
import { StageTracker, stagePathFor } from '../../session/stage.js';
import { operatorName } from '../../session/operator.js';
import { parseCommandArgs } from '../args.js';
import { UsageError } from '../errors.js';
import type { Io } from '../main.js';

export function stageCommand(args: string[], io: Io): number {
  const { values, positionals } = parseCommandArgs('stage', args, { ledger: { type: 'string' }, json: { type: 'boolean' } });
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`, 'stage');
  const ledgerPath = chosenLedgerPath(values);
  const tracker = new StageTracker(stagePathFor(ledgerPath), io.env, operatorName(io.env), () => Date.now());
  const view = tracker.read();
  const intact = !view.problem || view.problem === 'missing';
  const doc = { schema: 'opscockpit.stage/v1', file: tracker.path, stage: view.stage, signed: view.signed, intact, ...(view.problem ? { problem: view.problem } : {}), ...(view.detail ? { detail: view.detail } : {}) };
  if (values.json) io.stdout.write(JSON.stringify(doc, null, 2) + '\n');
  else io.stdout.write(`stage status=${intact ? 'ok' : 'fail'} stage=${view.stage}${view.problem ? ` problem=${view.problem}` : ''}${view.detail && !intact ? ` (${view.detail})` : ''}\n`);
  return intact ? 0 : 2;
}
