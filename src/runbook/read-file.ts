// Reading a runbook file: only a regular file, only up to MAX_RUNBOOK_BYTES, only text. A FIFO
// would block the cockpit forever, /dev/zero would fill the memory, and a binary file would be
// read as an empty runbook: each is one clear problem instead.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { RunbookError } from './errors.js';

/** Larger than any runbook a team writes by hand, small enough to load at once. */
export const MAX_RUNBOOK_BYTES = 8 * 1024 * 1024;

export function readRunbookText(file: string): string {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO with no writer must not wait for one.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw problem(file, readProblem(e));
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw problem(file, { message: 'cannot read the runbook: it is a directory, not a file' });
    if (!stat.isFile()) throw problem(file, { message: `cannot read the runbook: it is ${kindOf(stat)}, not a regular file`, hint: 'save the runbook to a file and open that' });
    if (stat.size > MAX_RUNBOOK_BYTES) throw problem(file, tooLarge(stat.size));
    // Read at most one byte past the limit: a file that grows while it is read is still cut.
    const buf = Buffer.allocUnsafe(Math.min(stat.size, MAX_RUNBOOK_BYTES) + 1);
    let length = 0;
    for (let n = 1; n > 0 && length < buf.length; length += n) n = readSync(fd, buf, length, buf.length - length, null);
    if (length > MAX_RUNBOOK_BYTES) throw problem(file, tooLarge(length));
    const bytes = buf.subarray(0, length);
    if (bytes.includes(0)) throw problem(file, { message: 'cannot read the runbook: it is not a text file (it holds NUL bytes)', hint: 'a runbook is YAML or Markdown text in UTF-8' });
    return bytes.toString('utf8');
  } catch (e) {
    if (e instanceof RunbookError) throw e;
    throw problem(file, readProblem(e));
  } finally {
    closeSync(fd);
  }
}

function problem(file: string, p: { message: string; hint?: string }): RunbookError {
  return new RunbookError(file, [{ file, line: 0, column: 0, path: '', ...p }]);
}

function tooLarge(bytes: number): { message: string; hint: string } {
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
  return { message: `cannot read the runbook: it is larger than ${mb(MAX_RUNBOOK_BYTES)} (${bytes > MAX_RUNBOOK_BYTES ? 'over ' : ''}${mb(bytes)})`, hint: 'split it into several runbooks' };
}

function kindOf(stat: import('node:fs').Stats): string {
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  return 'not a file';
}

function readProblem(e: unknown): { message: string; hint?: string } {
  const code = (e as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOENT':
      return { message: 'cannot read the runbook: no such file', hint: 'check the path' };
    case 'EISDIR':
      return { message: 'cannot read the runbook: it is a directory, not a file' };
    case 'EACCES':
    case 'EPERM':
      return { message: 'cannot read the runbook: permission denied' };
    default:
      return { message: `cannot read the runbook: ${code ?? (e as Error)?.message ?? String(e)}` };
  }
}
