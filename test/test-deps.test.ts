// scripts/test-deps.mjs, the first part of `npm test`, run for real with PATH pointing at a
// folder of our own: stand-ins for the needed programs (present or left out), and for the
// install case a stand-in apt-get. No system package is installed or removed.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NEEDED, postgresInstalled } from '../scripts/test-deps.mjs';

const SCRIPT = join(import.meta.dirname, '..', 'scripts', 'test-deps.mjs');

/** A folder holding an executable stand-in for each named program. */
function binDir(commands: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'test-deps-'));
  for (const c of commands) writeFileSync(join(dir, c), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  return dir;
}

function runDeps(path: string, extra: Record<string, string> = {}) {
  const env: Record<string, string> = { PATH: path, HOME: tmpdir(), ...extra };
  const r = spawnSync(process.execPath, [SCRIPT], { env, encoding: 'utf8', timeout: 10_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const commands = NEEDED.map((n) => n.command);
const isRoot = process.getuid?.() === 0;

describe('npm test sets up what the tests need', () => {
  it('lists tmux, prometheus, git and sqlite3 among the programs it needs', () => {
    expect(commands).toEqual(expect.arrayContaining(['tmux', 'prometheus', 'git', 'sqlite3']));
  });

  it('needs PostgreSQL, found where Debian keeps it (/usr/lib/postgresql/N/bin), off PATH', () => {
    const need = NEEDED.find((n) => n.package === 'postgresql');
    expect(need).toMatchObject({ command: 'initdb', service: true });
    const root = mkdtempSync(join(tmpdir(), 'pg-lib-'));
    const savedPath = process.env.PATH;
    process.env.PATH = binDir([]);
    try {
      expect(postgresInstalled(root)).toBe(false);
      mkdirSync(join(root, '16', 'bin'), { recursive: true });
      writeFileSync(join(root, '16', 'bin', 'initdb'), '#!/bin/sh\n', { mode: 0o755 });
      expect(postgresInstalled(root)).toBe(true);
    } finally {
      process.env.PATH = savedPath;
    }
  });

  it('says nothing and goes on when everything is present', () => {
    const r = runDeps(binDir(commands));
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('where it may not install, stops with one line naming what is missing and the command', () => {
    const dir = binDir(commands.filter((c) => c !== 'tmux' && c !== 'prometheus'));
    const r = runDeps(dir, { OPSCOCKPIT_TEST_DEPS_NO_INSTALL: '1' });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('npm test: missing tmux, prometheus; install with: sudo apt-get install -y tmux prometheus\n');
  });

  it('without apt-get it cannot install either, and says so the same way', () => {
    const r = runDeps(binDir(commands.filter((c) => c !== 'git')));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('npm test: missing git; install with: sudo apt-get install -y git\n');
  });

  it('as root with apt-get, installs what is missing with one line saying so (a stand-in apt-get)', () => {
    const dir = binDir(commands.filter((c) => c !== 'tmux'));
    const calls = join(dir, 'apt-calls.txt');
    // The stand-in records its arguments and, on install, puts the program where PATH finds it.
    writeFileSync(
      join(dir, 'apt-get'),
      `#!${process.execPath}\n` +
        `const fs = require('node:fs');\n` +
        `fs.appendFileSync(${JSON.stringify(calls)}, process.argv.slice(2).join(' ') + '\\n');\n` +
        `if (process.argv[2] === 'install') fs.writeFileSync(${JSON.stringify(join(dir, 'tmux'))}, '#!/bin/sh\\n', { mode: 0o755 });\n`,
      { mode: 0o755 },
    );
    const r = runDeps(dir);
    if (isRoot) {
      expect(r).toEqual({ code: 0, stdout: '', stderr: 'npm test: installing tmux (apt-get)\n' });
      expect(readFileSync(calls, 'utf8')).toBe('update -qq\ninstall -y -qq tmux\n');
    } else {
      expect(r.code).toBe(1);
      expect(r.stderr).toBe('npm test: missing tmux; install with: sudo apt-get install -y tmux\n');
    }
  });

  it('is what npm test runs before the build and the tests', () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8'));
    expect(pkg.scripts.test).toMatch(/^node scripts\/test-deps\.mjs && /);
    const ci = readFileSync(join(import.meta.dirname, '..', '.ci', 'run'), 'utf8');
    expect(ci).toMatch(/\nnpm ci --no-audit --no-fund\nnpm test\n$/);
    expect(ci).not.toMatch(/apt-get/);
  });
});
