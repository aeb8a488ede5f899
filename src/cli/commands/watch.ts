// `opscockpit watch RUNBOOK|RUN_ID`: a read-only cockpit on a run another cockpit drives.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseCommandArgs } from '../args.js';
import { UsageError } from '../errors.js';
import { chosenLedgerLocation } from '../../../adapters/ledger-path.js';
import { openLedgerStore } from '../../../adapters/ledger-store-open.js';
import { loadWithParams } from '../params.js';
import type { Io } from '../main.js';

export async function watchCommand(args: string[], io: Io, requireTerminal: (io: Io) => boolean): Promise<number> {
  const { values, positionals } = parseCommandArgs('watch', args, { ledger: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (positionals.length !== 1) throw new UsageError(positionals.length ? 'give one runbook file or one run id' : 'missing RUNBOOK or RUN_ID', 'watch');
  const target = positionals[0];
  const isFile = existsSync(target);
  const ledgerPath = chosenLedgerLocation({ ledger: values.ledger, runbook: isFile ? resolve(target) : undefined }, io.env);
  let file = isFile ? resolve(target) : undefined;
  let runId: string | undefined;
  if (!file) {
    // A run id: its runbook is the one the ledger recorded for it.
    const ledger = await openLedgerStore(ledgerPath, {});
    try {
      const run = await ledger.getRun(target);
      if (!run) throw new UsageError(`no runbook file and no run "${target}" in ${ledger.location}`, 'watch');
      if (run.status !== 'running') throw new UsageError(`run ${target} has ended (${run.status.replace('_', ' ')}); "opscockpit ledger show ${target}" shows its record`, 'watch');
      // Its runbook as recorded: the key, and the driver's copy when the key is not a path.
      const started = (await ledger.events(run.runId)).find((e) => e.body.kind === 'run.started')?.body;
      const recorded = started?.kind === 'run.started' && started.file ? started.file : run.runbook;
      if (!existsSync(recorded)) throw new UsageError(`run ${target} is of runbook ${run.runbook}, recorded at ${recorded}, which is not on this machine: give your copy of it, "opscockpit watch PATH"`, 'watch');
      [file, runId] = [recorded, run.runId];
    } finally {
      await ledger.close();
    }
  }
  // The runbook with the run's recorded parameters and options: its checklist and header as the driver's.
  const loaded = await loadWithParams('watch', file, {}, io, { shown: target, ledgerPath, seat: { wish: 'watch', runId } });
  if (typeof loaded === 'number') return loaded;
  if (!requireTerminal(io)) return 1;
  const { runTui } = await import('../tui.js');
  await runTui({ runbook: loaded.runbook, ledgerPath, env: loaded.env, signal: io.shutdownSignal?.(), seat: 'watch', watchRun: runId });
  return 0;
}
