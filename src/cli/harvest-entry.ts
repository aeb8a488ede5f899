// The bundle's entry for `opscockpit harvest`, apart from the other commands so that a harvest
// loads only what it needs (no runbook schema, no YAML, no Ink): bin/opscockpit picks it.
import { harvestCommand } from './commands/harvest.js';
import { describeError } from './report-error.js';
import { terminalSafe } from './terminal-safe.js';
import { visible } from '../visible.js';

/** argv as for the main entry: ['harvest', ...]. */
export async function run(argv: string[]): Promise<number> {
  try {
    return await harvestCommand(argv.slice(1), { stdout: terminalSafe(process.stdout), stderr: terminalSafe(process.stderr), env: process.env });
  } catch (err) {
    process.stderr.write(visible(describeError(err)) + '\n');
    return 1;
  }
}
