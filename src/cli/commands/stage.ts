// `opscockpit stage [--ledger PATH|postgres://…] [--json]`: the release stage from its signed
// file (on PostgreSQL, its newest signed row), and whether it is intact (seed 001: stage file
// integrity). Exit 0 intact or not yet written, 2 damaged or unsigned (falls back to stable), 1 error.
import { chosenLedgerPath, isPostgresLocation, postgresFromEnv } from '../../../adapters/ledger-path.js';
import { StageTracker, stageFile, stagePathFor, stageRows, type StagePlace, type StageView } from '../../session/stage.js';
import { operatorName } from '../../session/operator.js';
import { parseCommandArgs } from '../args.js';
import { UsageError } from '../errors.js';
import type { Io } from '../main.js';

export async function stageCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs('stage', args, { ledger: { type: 'string' }, json: { type: 'boolean' } });
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`, 'stage');
  const url = (values.ledger as string | undefined) ?? postgresFromEnv(io.env);
  const { where, view } = url !== undefined && isPostgresLocation(url) ? await pgStage(url, io.env) : await readAt(stageFile(stagePathFor(chosenLedgerPath(values))), io.env);
  const intact = !view.problem || view.problem === 'missing';
  const doc = { schema: 'opscockpit.stage/v1', ...where, stage: view.stage, signed: view.signed, intact, ...(view.problem ? { problem: view.problem } : {}), ...(view.detail ? { detail: view.detail } : {}) };
  if (values.json) io.stdout.write(JSON.stringify(doc, null, 2) + '\n');
  else io.stdout.write(`stage status=${intact ? 'ok' : 'fail'} stage=${view.stage}${view.problem ? ` problem=${view.problem}` : ''}${view.detail && !intact ? ` (${view.detail})` : ''}\n`);
  return intact ? 0 : 2;
}

async function readAt(place: StagePlace, env: NodeJS.ProcessEnv): Promise<{ where: Record<string, string>; view: StageView }> {
  return { where: place.where, view: await new StageTracker(place, env, operatorName(env), () => Date.now()).read() };
}

/** The stage row of a PostgreSQL ledger, read as the stage file is (unsigned without keys). */
async function pgStage(url: string, env: NodeJS.ProcessEnv): Promise<{ where: Record<string, string>; view: StageView }> {
  const { openPgLedger } = await import('../../../adapters/pg-ledger.js');
  const ledger = await openPgLedger(url, { poolSize: 1 });
  try {
    return await readAt(stageRows(ledger.stage, ledger.location), env);
  } finally {
    await ledger.close();
  }
}
