// The bundle's entry: runs the command and turns every operator-facing error into one clear
// block on stderr with exit code 1. Stack traces only with OPSCOCKPIT_DEBUG=1.
import { constants } from 'node:os';
import { main } from './main.js';
import { describeError } from './report-error.js';
import { visible } from '../visible.js';
import { terminalSafe } from './terminal-safe.js';
import { hidePasswordsFromPs } from './process-title.js';
import { KILL_GRACE_MS, PIPE_GRACE_MS, killLiveGroups } from '../../adapters/script-grace.js';

/**
 * After SIGINT/SIGTERM/SIGHUP the command has this long to shut down in order (kill the script's
 * group, TERM then KILL; record; close the ledger) before the process exits regardless.
 */
export const SHUTDOWN_DEADLINE_MS = KILL_GRACE_MS + PIPE_GRACE_MS + 2000;

export async function run(argv: string[]): Promise<number> {
  hidePasswordsFromPs(argv);
  ignoreClosedPipes();
  const interruptions = new Interruptions();
  try {
    const code = await main(argv, { stdout: terminalSafe(process.stdout), stderr: terminalSafe(process.stderr), env: process.env, shutdownSignal: () => interruptions.listen() });
    return interruptions.exitCode ?? code;
  } catch (err) {
    process.stderr.write(visible(describeError(err)) + '\n');
    // 2: a ledger this command does not support yet (LedgerLocationError); 3: refused, someone
    // drives the run (DrivenElsewhereError); else 1.
    const code = (err as { exitCode?: unknown })?.exitCode;
    return interruptions.exitCode ?? (code === 2 || code === 3 ? code : 1);
  } finally {
    interruptions.release();
  }
}

/**
 * The signals that shut a command down in order. SIGHUP too: the cockpit's terminal closed (a
 * tmux session killed, an ssh link dropped) is a quit nobody typed, not a crash to leave
 * scripts running after.
 */
const SHUTDOWN_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * SIGINT, SIGTERM and SIGHUP, for a command that runs scripts and asked for them (`listen`): the first
 * aborts the signal with why ("the process got SIGTERM") and the command shuts down in order;
 * a second one, or a shutdown past SHUTDOWN_DEADLINE_MS, exits at once. Exit 128 + the
 * signal's number, as a shell reports a process its signal ended. Commands that did not ask
 * keep Node's own handling: the signal ends them.
 */
class Interruptions {
  private readonly controller = new AbortController();
  private received?: NodeJS.Signals;
  private listening = false;
  private readonly onSignal = (sig: NodeJS.Signals) => {
    if (this.received) return this.exitNow();
    this.received = sig;
    setTimeout(() => this.exitNow(), SHUTDOWN_DEADLINE_MS).unref();
    this.controller.abort(`the process got ${sig}`);
  };

  listen(): AbortSignal {
    if (!this.listening) {
      this.listening = true;
      for (const sig of SHUTDOWN_SIGNALS) process.on(sig, this.onSignal);
    }
    return this.controller.signal;
  }

  get exitCode(): number | undefined {
    return this.received ? 128 + constants.signals[this.received] : undefined;
  }

  release(): void {
    for (const sig of SHUTDOWN_SIGNALS) process.off(sig, this.onSignal);
  }

  private exitNow(): never {
    // No time for the orderly shutdown: whatever it started goes with it, TERM or not.
    killLiveGroups();
    process.exit(this.exitCode);
  }
}

/**
 * `opscockpit schema | head`: the reader may close the pipe before everything is written. That
 * is the reader's choice, not an error of ours: what is left is dropped, never a stack trace.
 */
function ignoreClosedPipes(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      // EIO: the terminal closed under the cockpit (SIGHUP follows, and shuts it down).
      if (err.code !== 'EPIPE' && err.code !== 'EIO' && err.code !== 'ERR_STREAM_DESTROYED') throw err;
    });
  }
}
