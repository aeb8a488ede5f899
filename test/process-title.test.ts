// A password in a ledger URL on the command line is not left for `ps` to show: the real
// binary, waiting on a PostgreSQL server that never answers, is read from /proc/PID/cmdline.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { titleWithoutPasswords } from '../src/cli/process-title.js';
import { waitFor } from './support/cockpit.js';

const root = join(import.meta.dirname, '..');
let server: Server | undefined;
afterEach(() => server?.close());

describe('a password on the command line', () => {
  it('is masked in the title; a command line without one is left alone', () => {
    expect(titleWithoutPasswords(['watch', 'rb.md', '--ledger', 'postgres://bob:s3cr%40t@db:5432/ops?sslmode=require'])).toBe('opscockpit watch rb.md --ledger postgres://bob:***@db:5432/ops?sslmode=require');
    expect(titleWithoutPasswords(['open', 'rb.md', '--ledger', 'postgresql://alice@db/ops'])).toBeUndefined();
    expect(titleWithoutPasswords(['open', 'rb.md', '--choose', 'platform=linux'])).toBeUndefined();
    // A parameter may be a secret (which, the runbook says later): every value is hidden.
    expect(titleWithoutPasswords(['run', 'rb.md', '--param', 'DB_PASSWORD=hunter2', '--param=TOKEN=abc=def', '--yes'])).toBe('opscockpit run rb.md --param DB_PASSWORD=*** --param=TOKEN=*** --yes');
  });

  it('never shows in /proc/PID/cmdline while the command runs', async () => {
    // A server that accepts the connection and never says a word: the command waits on it.
    server = createServer(() => undefined);
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const child = spawn(process.execPath, [join(root, 'bin', 'opscockpit'), 'ledger', 'verify', '--ledger', `postgres://bob:hunter2-pw@127.0.0.1:${port}/ops`], { stdio: 'ignore' });
    try {
      let cmdline = '';
      await waitFor(() => (cmdline = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').replaceAll('\0', ' ')).startsWith('opscockpit ledger'), 'the title set', 5000);
      expect(cmdline).toContain('postgres://bob:***@127.0.0.1');
      expect(cmdline).not.toContain('hunter2');
    } finally {
      child.kill('SIGKILL');
    }
  });
});
