// Stop-on-error where bash hides a failure: inside $( ) and behind export, local, readonly,
// declare. Against real bash and zsh sessions; the split itself as a pure function.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { splitDeclarations } from '../adapters/shell-declare.js';
import { ShellSession } from '../adapters/shell-session.js';
import type { ScriptCheck, ShellName } from '../src/runbook/model.js';

const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'oc-errexit-test-')));
const sessions: ShellSession[] = [];
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
});

let n = 0;
function block(text: string, shell: ShellName = 'bash'): ScriptCheck & { shell: ShellName } {
  return {
    kind: 'script', name: `b${++n}`, title: `block ${n}`, command: shell === 'zsh' ? 'zsh' : 'bash', args: ['-c', text], cwd: dir, env: {},
    timeoutMs: 10_000, maxOutputBytes: 1 << 20, exitCodes: { 0: 'healthy', 1: 'error', 2: 'unhealthy' }, shell,
  };
}

function open(): ShellSession {
  const session = new ShellSession({ env: { PATH: process.env.PATH }, secrets: [], onStart: () => {} });
  sessions.push(session);
  return session;
}

describe('a failure behind a declaration or inside $( ) fails the block', () => {
  it.each([
    ['export POD=$(false)', 'export'],
    ['f() {\n  local X="$(exit 3)"\n  echo in-f\n}\nf', 'local'],
    ['readonly R=`false`', 'readonly'],
    ['declare -i N=$(false)', 'declare'],
    ['X="$(false; echo fallback)"', 'inherit_errexit'],
  ])('%s (%s) stops at its line', async (text) => {
    const session = open();
    const r = await session.run(block(`${text}\necho after`));
    expect(r.status).toBe('error');
    expect(r.output).not.toContain('after');
    expect(r.output).not.toContain('in-f');
  });

  it('a succeeding one still exports, and the next block sees it; line numbers are the written ones', async () => {
    const session = open();
    const first = await session.run(block('export POD=$(echo api-1)\nreadonly STAMP=$(echo s1)\necho "$POD $STAMP"'));
    expect(first).toMatchObject({ status: 'healthy', output: 'api-1 s1\n' });
    expect((await session.run(block('bash -c \'echo "child sees $POD"\''))).output).toBe('child sees api-1\n');
    const failed = await session.run(block('echo one\nexport MISSING=$(grep -q x /no/such/file)\necho three'));
    expect(failed.reason).toMatch(/^exit 2 at line 2 of the block/);
  });

  it('zsh is told the same', async () => {
    const session = open();
    const r = await session.run(block('export POD=$(false)\necho after', 'zsh'));
    expect(r.status).toBe('error');
    expect(r.output).not.toContain('after');
  });
});

describe('splitDeclarations', () => {
  it('splits on the same line, keeps everything else as written', () => {
    expect(splitDeclarations('export POD=$(kubectl get pods -o name | head -1)')).toBe('export POD; POD=$(kubectl get pods -o name | head -1)');
    expect(splitDeclarations('  local -r X="$(date)" Y=2 # note')).toBe('  local X Y; X="$(date)" Y=2; local -r X Y # note');
    expect(splitDeclarations('readonly V=`cat f`; echo $V')).toBe('V=`cat f`; readonly V; echo $V');
    expect(splitDeclarations('export X=$(\n  ls\n)\necho $X')).toBe('export X; X=$(\n  ls\n)\necho $X');
    for (const same of ['export FOO=bar', 'export -f myfn', "echo 'export X=$(no)'", 'cat <<EOF\nexport X=$(no)\nEOF', 'export PATH="$PATH:$(pwd)/bin" B'])
      expect(splitDeclarations(same)).toBe(same);
  });
});
