// The bundle's entry: runs the command and turns every operator-facing error into one clear
// block on stderr with exit code 1. Stack traces only with OPSCOCKPIT_DEBUG=1.
import { main } from './main.js';
import { describeError } from './report-error.js';
import { visible } from '../visible.js';

export async function run(argv: string[]): Promise<number> {
  ignoreClosedPipes();
  try {
    return await main(argv);
  } catch (err) {
    process.stderr.write(visible(describeError(err)) + '\n');
    return 1;
  }
}

/**
 * `opscockpit schema | head`: the reader may close the pipe before everything is written. That
 * is the reader's choice, not an error of ours: what is left is dropped, never a stack trace.
 */
function ignoreClosedPipes(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err;
    });
  }
}
