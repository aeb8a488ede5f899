// Read-only checks (polled, or waited on by the Gate) against the run's real shell: they see
// what the run exported, stop on error like any block, never change the run's shell, and a
// check whose placeholder has no value is not run.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ShellSession } from '../adapters/shell-session.js';
import type { ScriptCheck, ShellName } from '../src/runbook/model.js';

const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'oc-shell-check-')));
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
const check = (text: string, over: Partial<ScriptCheck> = {}) => block(text, { readOnly: true, ...over });

function open(env: NodeJS.ProcessEnv = { PATH: process.env.PATH }, secrets: string[] = []) {
  const session = new ShellSession({ env, secrets });
  sessions.push(session);
  return session;
}

describe('read-only checks', () => {
  it('see what the run exported and where it is, taken after each block', async () => {
    const session = open();
    await session.run(block('export ENV=gprd\nmkdir -p sub && cd sub'));
    const r = await session.run(check('echo "query fqdn:patroni-*-db-${ENV}*"; pwd'));
    expect(r).toMatchObject({ status: 'healthy', output: `query fqdn:patroni-*-db-gprd*\n${path.join(dir, 'sub')}\n` });
    await session.run(block('export ENV=gstg'));
    expect((await session.run(check('echo "$ENV"'))).output).toBe('gstg\n');
  });

  it('fail on an unset variable, as "unbound variable", before the block that sets it ran', async () => {
    const session = open();
    const r = await session.run(check('echo "query fqdn:patroni-*-db-${ENV}*"'));
    expect(r.status).toBe('error');
    expect(r.reason).toMatch(/ENV: unbound variable/);
    expect(r.output).not.toContain('query');
  });

  it('stop at the first failing line, pipes included', async () => {
    const session = open();
    const r = await session.run(check('false | cat\necho not-here'));
    expect(r).toMatchObject({ status: 'error', exitCode: 1 });
    expect(r.output).not.toContain('not-here');
  });

  it('can never change the run\'s shell: its variables, working directory or functions', async () => {
    const session = open();
    await session.run(block('export TARGET=staging\ncd /'));
    const r = await session.run(check('TARGET=production; export LEAK=1; cd /tmp; f() { :; }; echo changed'));
    expect(r.status).toBe('healthy');
    const after = await session.run(block('echo "$TARGET ${LEAK:-none} $PWD"; type -t f || echo no-f'));
    expect(after.output).toBe('staging none /\nno-f\n');
  });

  it('run at once while a block of the run is still running', async () => {
    const session = open();
    await session.run(block('export STAGE=one'));
    const long = session.run(block('sleep 1.5; export STAGE=two'));
    const started = Date.now();
    const r = await session.run(check('echo "$STAGE"'));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(r.output).toBe('one\n');
    await long;
    expect((await session.run(check('echo "$STAGE"'))).output).toBe('two\n');
  });

  it('are not run when a placeholder has no value: "needs a value for NAMESPACE", never healthy', async () => {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH };
    const session = open(env);
    const marker = path.join(dir, `ran-${Date.now()}`);
    const c = check(`echo "ns=[\${NAMESPACE}]" > ${marker}`, { needs: ['NAMESPACE'], passEnv: ['NAMESPACE'] });
    const r = await session.run(c);
    expect(r).toMatchObject({ status: 'error', code: 'needs_value', reason: 'needs a value for NAMESPACE' });
    const { existsSync, readFileSync } = await import('node:fs');
    expect(existsSync(marker)).toBe(false);
    env.NAMESPACE = 'payments';
    expect((await session.run(c)).status).toBe('healthy');
    expect(readFileSync(marker, 'utf8')).toBe('ns=[payments]\n');
  });

  it('start from nothing after the run\'s shell was replaced', async () => {
    const session = open();
    await session.run(block('export GONE=1'));
    await session.run(block('sleep 5', { timeoutMs: 300 }));
    const r = await session.run(check('echo "${GONE:-gone}"'));
    expect(r.output).toBe('gone\n');
  });
});
