// The bundle's entry: runs the command and turns every operator-facing error into one clear
// block on stderr with exit code 1. Stack traces only with OPSCOCKPIT_DEBUG=1.
import { main } from './main.js';
import { describeError } from './report-error.js';

export async function run(argv: string[]): Promise<number> {
  try {
    return await main(argv);
  } catch (err) {
    process.stderr.write(describeError(err) + '\n');
    return 1;
  }
}
