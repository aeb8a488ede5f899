// A driver killed but not yet reaped by its parent (a zombie) holds its run no more: the cockpit
// reopened after `kill -9` takes the run back at once instead of saying it is driven elsewhere.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { pidAlive } from '../adapters/ledger-leases.js';

describe('whether a lease holder lives', () => {
  it('a killed process its parent has not reaped yet is gone; a running one is not', async () => {
    // The shell starts `sleep 0` and then becomes `sleep 30`, which never reaps it: a zombie.
    const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const [line] = (await once(parent.stdout, 'data')) as [Buffer];
      const child = Number(String(line).trim());
      const state = () => readFileSync(`/proc/${child}/stat`, 'utf8').split(') ').pop()![0];
      for (let i = 0; i < 100 && state() !== 'Z'; i++) await new Promise((r) => setTimeout(r, 20));
      expect(state()).toBe('Z');
      expect(pidAlive(child)).toBe(false);
      expect(pidAlive(parent.pid!)).toBe(true);
      expect(pidAlive(process.pid)).toBe(true);
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
