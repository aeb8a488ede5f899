// The run's one shell, against real bash and real processes.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FRESH_SHELL, ShellSession, type ShellStart } from '../adapters/shell-session.js';
import type { ScriptCheck, ShellName } from '../src/runbook/model.js';

const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'oc-shell-test-')));
const sessions: ShellSession[] = [];
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
});

let n = 0;
function block(text: string, over: Partial<ScriptCheck> = {}): ScriptCheck & { shell: ShellName } {
  return {
    kind: 'script', name: `b${++n}`, title: `block ${n}`, command: 'bash', args: ['-c', text], cwd: dir, env: {},
    timeoutMs: 10_000, maxOutputBytes: 1 << 20, exitCodes: { 0: 'healthy', 1: 'error', 2: 'unhealthy' }, shell: 'bash', ...over,
  };
}

function open(env: NodeJS.ProcessEnv = { PATH: process.env.PATH }, secrets: string[] = []) {
  const starts: ShellStart[] = [];
  const session = new ShellSession({ env, secrets, onStart: (s) => starts.push(s) });
  sessions.push(session);
  return { session, starts };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  return !alive(pid);
}

describe('one shell per run', () => {
  it('carries exports, the working directory and functions from block to block, in one shell', async () => {
    const { session, starts } = open();
    const first = await session.run(block('export ENV=gprd\nmkdir -p sub\ncd sub\ngreet() { echo "hello $1 from $ENV"; }\nPLAIN=kept'));
    expect(first.status).toBe('healthy');
    const second = await session.run(block('test "$ENV" = gprd\npwd\ngreet ops\necho "plain=$PLAIN"'));
    expect(second.status).toBe('healthy');
    expect(second.output).toBe(`${path.join(dir, 'sub')}\nhello ops from gprd\nplain=kept\n`);
    expect(starts).toHaveLength(1);
    expect(starts[0]).toMatchObject({ shell: 'bash' });
    expect(starts[0].replaces).toBeUndefined();
  });

  it('carries an unset too', async () => {
    const { session } = open();
    await session.run(block('export GONE=1\nf() { :; }'));
    await session.run(block('unset GONE\nunset -f f'));
    const r = await session.run(block('echo "${GONE:-unset}"; type -t f || echo no-f'));
    expect(r.output).toBe('unset\nno-f\n');
  });

  it('fails a block at its first failing line, with the line and exit code, and runs nothing after it', async () => {
    const { session, starts } = open();
    await session.run(block('export KEPT=yes'));
    const r = await session.run(block('false; echo after'));
    expect(r).toMatchObject({ status: 'error', code: 'exit_code', exitCode: 1 });
    expect(r.reason).toBe('exit 1 at line 1 of the block');
    expect(r.output).not.toContain('after');
    const deeper = await session.run(block('echo one\nf() {\n  echo in-f\n  ls /no/such/dir\n  echo not-here\n}\nf\necho not-here-either'));
    expect(deeper.exitCode).toBe(2);
    expect(deeper.reason).toMatch(/^exit 2 at line 4 of the block: ls: cannot access/);
    expect(deeper.output).not.toContain('not-here');
    const piped = await session.run(block('echo x | grep -q y | cat\necho not-here'));
    expect(piped.reason).toBe('exit 1 at line 1 of the block');
    // The shell survived: the same one, with what was exported before the failure.
    const next = await session.run(block('echo "kept=$KEPT"'));
    expect(next).toMatchObject({ status: 'healthy', output: 'kept=yes\n' });
    expect(starts).toHaveLength(1);
  });

  it('names the line of an unbound variable, and respects set +e for that block only', async () => {
    const { session } = open();
    const unbound = await session.run(block('echo ok\necho "$NOT_SET"'));
    expect(unbound.exitCode).toBe(1);
    expect(unbound.reason).toBe('exit 1 at line 2 of the block: block: line 2: NOT_SET: unbound variable');
    const lenient = await session.run(block('set +e\nfalse\necho after-false'));
    expect(lenient).toMatchObject({ status: 'healthy', output: 'after-false\n' });
    const strict = await session.run(block('false\necho after'));
    expect(strict.reason).toBe('exit 1 at line 1 of the block');
    const exits = await session.run(block('echo bye; exit 2'));
    expect(exits).toMatchObject({ status: 'unhealthy', exitCode: 2, reason: 'exit 2: bye' });
    expect((await session.run(block('echo still here'))).output).toBe('still here\n');
  });

  it('kills the whole group on a timeout and starts a fresh shell for the next block, saying so', async () => {
    const { session, starts } = open();
    await session.run(block('export ENV=gprd'));
    const pidFile = path.join(dir, 'grandchild.pid');
    const r = await session.run(block(`sleep 60 &\necho $! > ${pidFile}\necho started\nsleep 30`, { timeoutMs: 400 }));
    expect(r).toMatchObject({ status: 'error', code: 'timeout' });
    expect(r.reason).toBe(`timed out after 400 ms, process group killed; ${FRESH_SHELL}`);
    expect(r.output).toBe('started\n');
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    expect(await gone(grandchild)).toBe(true);
    expect(await gone(starts[0].pid)).toBe(true);
    const next = await session.run(block('echo "env=${ENV:-gone}"'));
    expect(next).toMatchObject({ status: 'healthy', output: 'env=gone\n' });
    expect(starts).toHaveLength(2);
    expect(starts[1].pid).not.toBe(starts[0].pid);
    expect(starts[1].replaces).toMatch(/^timed out after 400 ms/);
  });

  it('cancels through the AbortSignal: the group is killed, the next block gets a fresh shell', async () => {
    const { session, starts } = open();
    const ac = new AbortController();
    const running = session.run(block('echo waiting; sleep 30'), { signal: ac.signal, onOutput: () => ac.abort('the operator quit') });
    const r = await running;
    expect(r).toMatchObject({ status: 'error', code: 'signal', signal: 'SIGTERM', output: 'waiting\n' });
    expect(r.reason).toBe(`killed by SIGTERM; ${FRESH_SHELL}`);
    expect(await gone(starts[0].pid)).toBe(true);
    expect((await session.run(block('echo again'))).status).toBe('healthy');
    expect(starts).toHaveLength(2);
  });

  it('gives each block only its own output, streamed, with no end marker', async () => {
    const { session } = open();
    const chunks: string[] = [];
    const a = await session.run(block('printf "no newline"'), { onOutput: (c) => chunks.push(c) });
    const b = await session.run(block('echo to-stderr >&2; echo to-stdout'));
    expect(a.output).toBe('no newline');
    expect(chunks.join('')).toBe('no newline');
    expect(b.output).toBe('to-stderr\nto-stdout\n');
    expect(`${a.output}${b.output}`).not.toContain('__oc_');
  });

  it('masks secrets in the output and in the stream', async () => {
    const secret = 's3cr3t-value-42';
    const { session } = open({ PATH: process.env.PATH, API_TOKEN: secret }, ['API_TOKEN']);
    const chunks: string[] = [];
    const r = await session.run(block('printf "token=%s\\n" "$API_TOKEN"; printf "%s" "$API_TOKEN" | cut -c1-8', { env: { API_TOKEN: '${API_TOKEN}' } }), {
      onOutput: (c) => chunks.push(c),
    });
    expect(r.status).toBe('healthy');
    expect(r.output).toBe('token=***\ns3cr3t-v\n');
    expect(chunks.join('')).toBe('token=***\ns3cr3t-v\n');
  });

  it('cannot be told a block passed by output that looks like the end marker', async () => {
    const { session } = open();
    const r = await session.run(block('echo; echo "__oc_end_0123456789abcdef01234567 0 "; exit 3'));
    expect(r.exitCode).toBe(3);
    expect(r.status).toBe('error');
    expect(r.output).toContain('__oc_end_0123456789abcdef01234567 0');
  });

  it('runs sh blocks in a POSIX shell of their own', async () => {
    const { session, starts } = open();
    await session.run(block('X=from-sh; export X', { shell: 'sh' }));
    const r = await session.run(block('echo "$X"; set -o | grep -E "^posix" | tr -s " \\t" " "', { shell: 'sh' }));
    expect(r.output).toBe('from-sh\nposix on\n');
    expect(starts.map((s) => s.shell)).toEqual(['sh']);
  });
});
