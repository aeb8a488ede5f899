// What the runbook path may be: only a regular text file of at most 8 MB. A FIFO, a device, a
// huge or a binary file, an empty Markdown file: each is one clear line naming the file.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'oc-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function expectOneClearLine(r: { code: number; stderr: string }, file: string, words: RegExp): void {
  expect(r.code).toBe(1);
  expect(r.stderr).toContain(file);
  expect(r.stderr).toMatch(words);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stderr.split('\n').length).toBeLessThan(8);
}

describe('the runbook path', () => {
  it('a FIFO is refused at once, not waited on', async () => {
    const fifo = join(dir, 'pipe.yaml');
    execFileSync('mkfifo', [fifo]);
    const r = await cli(['validate', fifo], { timeoutMs: 10_000 });
    expectOneClearLine(r, fifo, /a FIFO \(named pipe\), not a regular file/);
  });

  it('/dev/zero is refused: a device, not a file', async () => {
    const r = await cli(['validate', '/dev/zero'], { timeoutMs: 10_000 });
    expectOneClearLine(r, '/dev/zero', /a character device, not a regular file/);
  });

  it('a runbook over 8 MB is refused before it is read', async () => {
    const big = join(dir, 'big.yaml');
    writeFileSync(big, 'version: 1\n');
    truncateSync(big, 50 * 1024 * 1024); // sparse: 50 MB that cost nothing to make
    const r = await cli(['validate', big], { timeoutMs: 10_000 });
    expectOneClearLine(r, big, /larger than 8\.0 MB \(over 50\.0 MB\)/);
    const md = join(dir, 'big.md');
    writeFileSync(md, '# Big\n\n' + 'Prose without any nesting at all.\n\n'.repeat(300_000));
    expectOneClearLine(await cli(['validate', md], { timeoutMs: 10_000 }), md, /larger than 8\.0 MB/);
  });

  it('a binary file is not a runbook, and neither is an empty Markdown file', async () => {
    const bin = join(dir, 'binary.md');
    writeFileSync(bin, Buffer.from([0x23, 0x20, 0x41, 0x0a, 0x00, 0xff, 0xfe, 0x00, 0x01]));
    expectOneClearLine(await cli(['validate', bin]), bin, /not a text file/);
    const empty = join(dir, 'empty.md');
    writeFileSync(empty, '\n  \n');
    expectOneClearLine(await cli(['validate', empty]), empty, /the runbook is empty/);
  });

  it('a runbook of ordinary size still loads', async () => {
    const ok = join(dir, 'ok.md');
    writeFileSync(ok, '# Small\n\n## Before\n\n- [ ] Check the backups\n');
    const r = await cli(['validate', ok]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});

describe('durations are bounded in the schema', () => {
  const runbook = (every: string) => {
    const file = join(dir, `every-${every.replace(/\W/g, '_')}.yaml`);
    writeFileSync(file, `version: 1\nname: d\nchecks:\n  c:\n    every: ${every}\n    script: { command: /bin/true, timeout: 5s }\nchecklists:\n  preflight:\n    - { id: a, check: c }\n`);
    return file;
  };

  it('every: 0ms and timeout: 99999999999h are refused by validate, with the field and line', async () => {
    for (const [every, words] of [['0ms', 'at least 1 ms'], ['0.2ms', 'at least 1 ms'], ['99999999999h', 'at most a week'], ['169h', 'at most a week']] as const) {
      const r = await cli(['validate', runbook(every)]);
      expect(r.code, every).toBe(1);
      expect(r.stderr, every).toMatch(/line 5, column 12 {2}checks\.c\.every/);
      expect(r.stderr, every).toContain(words);
    }
  });

  it('the bounds themselves are valid', async () => {
    for (const every of ['1ms', '168h']) expect((await cli(['validate', runbook(every)])).code, every).toBe(0);
  });
});
