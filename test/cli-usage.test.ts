// Unknown words are errors with a hint, a URL is not a ledger path, and a reader that closes
// the pipe early (`| head`) is not a crash.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bin, cli } from './support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'oc-usage-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `opscockpit ARGS | head -c BYTES`, as a shell would run it: the exit code and stderr of opscockpit. */
function pipedToHead(args: string[], bytes = 10): Promise<{ code: number | null; stderr: string; head: string }> {
  return new Promise((resolve, reject) => {
    const script = `node ${JSON.stringify(bin)} ${args.map((a) => JSON.stringify(a)).join(' ')} 2>${JSON.stringify(join(dir, 'err'))} | head -c ${bytes}; echo " rc=\${PIPESTATUS[0]}"; cat ${JSON.stringify(join(dir, 'err'))}`;
    const child = spawn('bash', ['-c', script], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', () => {
      const m = / rc=(\d+)\n?([\s\S]*)$/.exec(out);
      resolve({ head: out.slice(0, bytes), code: m ? Number(m[1]) : null, stderr: m ? m[2] : out });
    });
  });
}

describe('unknown words', () => {
  it('a ledger subcommand it does not know: an error naming the subcommands', async () => {
    const r = await cli(['ledger', 'compact', '--ledger', join(dir, 'l.db')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no ledger subcommand "compact"');
    expect(existsSync(join(dir, 'l.db'))).toBe(false);
  });

  it('schema and demo take no extra words', async () => {
    for (const args of [['schema', 'extra'], ['demo', 'extra']]) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toContain('unexpected argument "extra"');
      expect(r.stderr).toContain(`Usage: opscockpit ${args[0]}`);
    }
  });

  it('--ledger with a URL is not a path: no folder named after its scheme appears', async () => {
    const r = await cli(['ledger', '--ledger', 'mysql://x@host/db'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--ledger mysql://… is a URL');
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(existsSync(join(dir, 'mysql:'))).toBe(false);
  });

  it('a ledger file its user may not write, or not read, is one clear line for every command', async () => {
    // Permission bits do not stop root (CI runs as root): there the commands run as nobody.
    const root = process.getuid?.() === 0;
    // The tests' own temporary folder is private to root; nobody reaches this one.
    const place = mkdtempSync(join(root ? '/tmp' : tmpdir(), 'oc-perm-'));
    chmodSync(place, 0o755);
    const runbook = join(place, 'ship.yaml');
    writeFileSync(runbook, 'version: 1\nname: Ship\nchecklists:\n  preflight:\n    - { id: go, title: Go, manual: true }\n');
    const made = await cli(['stop', 'on', '--ledger', join(place, 'ro.db')]);
    expect(made.code, made.stderr).toBe(0);
    copyFileSync(join(place, 'ro.db'), join(place, 'none.db'));
    chmodSync(join(place, 'ro.db'), 0o444);
    chmodSync(join(place, 'none.db'), 0o000);
    const as = (args: string[]) => {
      const argv = root ? ['runuser', '-u', 'nobody', '--', process.execPath, bin, ...args] : [process.execPath, bin, ...args];
      const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', cwd: place, env: { ...process.env, OPSCOCKPIT_LEDGER_KEY: '' } });
      return { code: r.status, stderr: r.stderr };
    };
    try {
      for (const args of [['stop', 'on', '--ledger', join(place, 'ro.db')], ['check', runbook, '--ledger', join(place, 'ro.db')]]) {
        const r = as(args);
        expect(r.code, args.join(' ')).toBe(1);
        expect(r.stderr.trim()).toMatch(new RegExp(`^opscockpit: cannot (?:open|write) ledger ${join(place, 'ro.db')}: you may not write the file(?: or its folder)? \\(attempt to write a readonly database\\)\\. Check (?:its|their) permissions \\(ls -l\\) or choose another ledger location\\.$`));
      }
      // A ledger it may read in a folder it may not write, without its -shm file (SQLite's WAL needs one).
      chmodSync(join(place, 'ro.db'), 0o644);
      if (!root) chmodSync(place, 0o555);
      const shmless = as(['ledger', '--ledger', join(place, 'ro.db')]);
      if (!root) chmodSync(place, 0o755);
      expect(shmless.code).toBe(1);
      expect(shmless.stderr.trim()).toBe(`opscockpit: cannot read ledger ${join(place, 'ro.db')}: SQLite must make its shared-memory file (${join(place, 'ro.db')}-shm) beside it, and you may not write in its folder. Copy the ledger where you may write, or ask its owner to leave the file there.`);
      chmodSync(join(place, 'ro.db'), 0o444);
      // A folder the user may write, and the file not: SQLite opens it read-only; the first append is refused.
      if (root) chownSync(place, Number(spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).stdout.trim()), 0);
      chmodSync(join(place, 'ro.db.head'), 0o644);
      const appended = as(['stop', 'off', '--reason', 'test', '--ledger', join(place, 'ro.db')]);
      expect(appended.code).toBe(1);
      expect(appended.stderr.trim()).toBe('opscockpit: cannot write the ledger: you may not write its file or folder (SQLite: attempt to write a readonly database); nothing was recorded.\nCheck their permissions (ls -l), or give a ledger you may write with --ledger PATH.');
      // A run's first write is its row: the same line, for run and check too.
      for (const args of [['run', runbook, '--yes'], ['check', runbook]]) expect(as([...args, '--ledger', join(place, 'ro.db')]).stderr).toContain('opscockpit: cannot write the ledger: you may not write its file or folder');
      for (const args of [['ledger'], ['ledger', 'verify'], ['report', 'last', '--timeline']]) {
        const r = as([...args, '--ledger', join(place, 'none.db')]);
        expect(r.code, args.join(' ')).toBe(1);
        expect(r.stderr.trim()).toMatch(/^opscockpit: cannot read ledger .*none\.db: EACCES: permission denied, open '.*none\.db'\. Check its permissions \(ls -l\) or choose another ledger location\.$/);
      }
    } finally {
      rmSync(place, { recursive: true, force: true });
    }
  });

  it('--ledger naming a folder is one clear line for the commands that only read it', async () => {
    const folder = join(dir, 'ledgers');
    mkdirSync(folder, { recursive: true });
    for (const args of [['ledger'], ['ledger', 'verify'], ['report', 'last', '--timeline']]) {
      const r = await cli([...args, '--ledger', folder], { cwd: dir });
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr.trim()).toBe(`opscockpit: cannot open ledger ${folder}: it is a folder; a ledger is a file (e.g. ${join(folder, 'ledger.db')}).`);
    }
  });
});

describe('a reader that closes the pipe', () => {
  it('schema | head: exit 0, nothing on stderr', async () => {
    const r = await pipedToHead(['schema']);
    expect(r.head).toBe('{\n  "$sche');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});

describe('convert --out', () => {
  it('never overwrites the Markdown it reads, and a folder or a missing folder is one clear line', async () => {
    const md = join(dir, 'self.md');
    const { writeFileSync, readFileSync, mkdirSync } = await import('node:fs');
    writeFileSync(md, '# Self\n\n## Before\n\n- [ ] Check the backups\n');
    const self = await cli(['convert', md, '--out', md, '--force']);
    expect(self.code).toBe(1);
    expect(self.stderr).toContain('is the Markdown runbook itself');
    expect(readFileSync(md, 'utf8')).toContain('# Self');
    mkdirSync(join(dir, 'adir'));
    for (const out of [join(dir, 'adir'), join(dir, 'missing', 'x.yaml')]) {
      const r = await cli(['convert', md, '--out', out, '--force']);
      expect(r.code, out).toBe(1);
      expect(r.stderr, out).not.toMatch(/internal error|\n\s+at /);
    }
  });
});
