// zsh blocks in the run's session, against real zsh: the same contract as bash's
// (shell-session.test.ts): what a block sets carries to the next, the first failing line stops
// it with its line, and a shell that is not installed is a failed block, not a crash.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ShellSession, type ShellStart } from '../adapters/shell-session.js';
import type { ScriptCheck, ShellName } from '../src/runbook/model.js';

const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'oc-zsh-test-')));
const sessions: ShellSession[] = [];
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
});

let n = 0;
function block(text: string, shell: ShellName = 'zsh', over: Partial<ScriptCheck> = {}): ScriptCheck & { shell: ShellName } {
  return {
    kind: 'script', name: `z${++n}`, title: `block ${n}`, command: 'bash', args: ['-c', text], cwd: dir, env: {},
    timeoutMs: 10_000, maxOutputBytes: 1 << 20, exitCodes: { 0: 'healthy', 1: 'error', 2: 'unhealthy' }, shell, ...over,
  };
}

function open(env: NodeJS.ProcessEnv = { PATH: process.env.PATH }, secrets: string[] = []) {
  const starts: ShellStart[] = [];
  const session = new ShellSession({ env, secrets, onStart: (s) => starts.push(s) });
  sessions.push(session);
  return { session, starts };
}

describe('zsh blocks in the run session', () => {
  it('carries exports, arrays, cd, functions and unsets from one zsh block to the next, in one zsh', async () => {
    const { session, starts } = open();
    const first = await session.run(block('export ENV=gprd\nmkdir -p zsub && cd zsub\ngreet() { print -r -- "hello $1 from $ENV" }\nhosts=(db1 db2)\nGONE=1\nexport PATH="$PATH:/opt/oc-extra"'));
    expect(first).toMatchObject({ status: 'healthy' });
    const second = await session.run(block('print -r -- $ZSH_NAME $PWD\ngreet ops\nprint -r -- ${hosts[2]} ${#hosts}\n[[ $PATH == *:/opt/oc-extra ]] && print path-kept\nunset GONE'));
    expect(second.output).toBe(`zsh ${path.join(dir, 'zsub')}\nhello ops from gprd\ndb2 2\npath-kept\n`);
    const third = await session.run(block('print -r -- ${GONE-unset}'));
    expect(third.output).toBe('unset\n');
    expect(starts.map((s) => s.shell)).toEqual(['zsh']);
  });

  it('stops a zsh block at its first failing line, names the line, and the shell survives', async () => {
    const { session, starts } = open();
    await session.run(block('export KEPT=yes'));
    const failed = await session.run(block('print one\nfalse\nprint not-here'));
    expect(failed).toMatchObject({ status: 'error', exitCode: 1, reason: 'exit 1 at line 2 of the block: one' });
    expect(failed.output).toBe('one\n');
    const inFunction = await session.run(block('f() {\n  ls /no/such/dir\n  print in-f-after\n}\nprint x\nf\nprint not-here'));
    expect(inFunction.reason).toMatch(/^exit 2 at line 6 of the block: ls: cannot access/);
    expect(inFunction.output).not.toContain('after');
    const piped = await session.run(block('print x | grep -q y | cat\nprint not-here'));
    expect(piped.reason).toBe('exit 1 at line 1 of the block');
    const unset = await session.run(block('print ok\nprint -r -- "$NOT_SET"'));
    expect(unset.reason).toBe('exit 1 at line 2 of the block: block: line 2: NOT_SET: parameter not set');
    const missing = await session.run(block('nosuchcommand-oc'));
    expect(missing).toMatchObject({ exitCode: 127, reason: 'exit 127 at line 1 of the block is not a known outcome: block: line 1: command not found: nosuchcommand-oc' });
    const next = await session.run(block('print -r -- "kept=$KEPT"'));
    expect(next).toMatchObject({ status: 'healthy', output: 'kept=yes\n' });
    expect(starts).toHaveLength(1);
  });

  it('keeps zsh and bash sessions apart: one shell each', async () => {
    const { session, starts } = open();
    await session.run(block('export WHERE=zsh-side'));
    await session.run(block('export WHERE=bash-side', 'bash'));
    expect((await session.run(block('print -r -- $WHERE'))).output).toBe('zsh-side\n');
    expect((await session.run(block('echo "$WHERE"', 'bash'))).output).toBe('bash-side\n');
    expect(starts.map((s) => s.shell)).toEqual(['zsh', 'bash']);
  });

  it('a shell that is not installed fails the block with that reason, and the session goes on', async () => {
    const empty = realpathSync(mkdtempSync(path.join(tmpdir(), 'oc-no-zsh-')));
    const { session, starts } = open({ PATH: empty });
    const r = await session.run(block('print hi'));
    expect(r).toMatchObject({ status: 'error', code: 'spawn_failed', reason: 'zsh is not installed' });
    expect(starts).toEqual([]);
    const again = await session.run(block('print hi'));
    expect(again.reason).toBe('zsh is not installed');
  });
});
