// The bundle's entry: runs the command and turns every operator-facing error into one clear
// block on stderr with exit code 1. Stack traces only with OPSCOCKPIT_DEBUG=1.
import { main } from './main.js';
import { UsageError, isOperatorError } from './errors.js';
import { commandHelp } from './usage.js';

export async function run(argv: string[]): Promise<number> {
  try {
    return await main(argv);
  } catch (err) {
    process.stderr.write(describe(err) + '\n');
    return 1;
  }
}

function describe(err: unknown): string {
  if (err instanceof UsageError) {
    const usage = err.command ? commandHelp(err.command)?.split('\n')[0] : undefined;
    return `opscockpit: ${err.message}\n${usage ?? 'Run "opscockpit --help" for usage.'}`;
  }
  if (isOperatorError(err)) return typeof err.format === 'function' ? err.format() : `opscockpit: ${err.message}`;
  const detail = process.env.OPSCOCKPIT_DEBUG && err instanceof Error ? `\n${err.stack}` : '';
  return `opscockpit: internal error: ${err instanceof Error ? err.message : String(err)}${detail}\nSet OPSCOCKPIT_DEBUG=1 for details; nothing recorded in the ledger is lost.`;
}
