// `opscockpit stage [--ledger PATH|postgres://…] [--json]`: the release stage from its signed
// file (on PostgreSQL, its newest signed row), and whether it is intact (seed 001: stage file
// integrity). Exit 0 intact or not yet written, 2 damaged or unsigned (falls back to stable), 1 error.
import { chosenLedgerPath, isPostgresLocation, postgresFromEnv } from '../../../adapters/ledger-path.js';
import { StageTracker, stagePathFor, type StageView } from '../../session/stage.js';
import { loadStageKeys, SAFE_STAGE, type StageKeys } from '../../../adapters/stage-file.js';
import { operatorName } from '../../session/operator.js';
import { parseCommandArgs } from '../args.js';
import { UsageError } from '../errors.js';
import type { Io } from '../main.js';

export async function stageCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs('stage', args, { ledger: { type: 'string' }, json: { type: 'boolean' } });
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`, 'stage');
  const url = (values.ledger as string | undefined) ?? postgresFromEnv(io.env);
  let where: Record<string, string>;
  let view: StageView;
  if (url !== undefined && isPostgresLocation(url)) ({ where, view } = await pgStage(url, io.env));
  else {
    const tracker = new StageTracker(stagePathFor(chosenLedgerPath(values)), io.env, operatorName(io.env), () => Date.now());
    where = { file: tracker.path };
    view = tracker.read();
  }
  const intact = !view.problem || view.problem === 'missing';
  const doc = { schema: 'opscockpit.stage/v1', ...where, stage: view.stage, signed: view.signed, intact, ...(view.problem ? { problem: view.problem } : {}), ...(view.detail ? { detail: view.detail } : {}) };
  if (values.json) io.stdout.write(JSON.stringify(doc, null, 2) + '\n');
  else io.stdout.write(`stage status=${intact ? 'ok' : 'fail'} stage=${view.stage}${view.problem ? ` problem=${view.problem}` : ''}${view.detail && !intact ? ` (${view.detail})` : ''}\n`);
  return intact ? 0 : 2;
}

/** The stage row of a PostgreSQL ledger, read as the stage file is (unsigned without keys). */
async function pgStage(url: string, env: NodeJS.ProcessEnv): Promise<{ where: Record<string, string>; view: StageView }> {
  const { openPgLedger } = await import('../../../adapters/pg-ledger.js');
  const ledger = await openPgLedger(url, { poolSize: 1 });
  try {
    const where = { ledger: ledger.location };
    let keys: StageKeys;
    try {
      keys = loadStageKeys(env);
    } catch (err) {
      return { where, view: { stage: SAFE_STAGE, signed: false, problem: 'unsigned', detail: (err as Error).message } };
    }
    const r = await ledger.stage.read(keys);
    return { where, view: r.ok ? { stage: r.stage, signed: true } : { stage: r.stage, signed: true, problem: r.problem, detail: r.detail } };
  } finally {
    await ledger.close();
  }
}
