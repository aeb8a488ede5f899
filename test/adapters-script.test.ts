// Real bash scripts from fixtures/scripts/test, real processes, real signals.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runScript, runScriptCheck, type ScriptContext } from '../adapters/script.js';
import type { ScriptCheck, ScriptSpec } from '../src/runbook/model.js';
import { waitGone } from './support/processes.js';

const DIR = resolve(import.meta.dirname, '../fixtures/scripts/test');
const tmp = mkdtempSync(join(tmpdir(), 'opscockpit-script-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function spec(script: string, over: Partial<ScriptSpec> = {}): ScriptSpec {
  return { command: join(DIR, script), args: [], cwd: DIR, env: {}, timeoutMs: 5000, maxOutputBytes: 64 * 1024, ...over };
}

function check(script: string, over: Partial<ScriptCheck> = {}): ScriptCheck {
  return {
    ...spec(script),
    kind: 'script',
    name: script,
    title: script,
    exitCodes: { 0: 'healthy', 1: 'unhealthy', 2: 'insufficient' },
    ...over,
  };
}

const ctx = (over: Partial<ScriptContext> = {}): ScriptContext => ({ env: { PATH: process.env.PATH }, secrets: [], ...over });

describe('runScriptCheck exit codes', () => {
  it('exit 0 is healthy, with the last output line', async () => {
    const r = await runScriptCheck({ ...check('exit.sh'), args: ['0'] }, ctx());
    expect(r).toMatchObject({ status: 'healthy', code: 'ok', exitCode: 0 });
    expect(r.reason).toMatch(/^exit 0 in \d+ ms: result line for exit 0$/);
    expect(r.output).toContain('checking replicas');
  });

  it('exit 1 is unhealthy', async () => {
    const r = await runScriptCheck({ ...check('exit.sh'), args: ['1'] }, ctx());
    expect(r).toMatchObject({ status: 'unhealthy', code: 'exit_code', exitCode: 1 });
  });

  it('exit 2 maps to insufficient through exitCodes', async () => {
    const r = await runScriptCheck({ ...check('exit.sh'), args: ['2'] }, ctx());
    expect(r).toMatchObject({ status: 'insufficient', code: 'insufficient_data', exitCode: 2 });
  });

  it('an unlisted exit code is an error', async () => {
    const r = await runScriptCheck({ ...check('exit.sh'), args: ['7'] }, ctx());
    expect(r).toMatchObject({ status: 'error', code: 'exit_code', exitCode: 7 });
    expect(r.reason).toContain('exit 7');
  });

  it('unhealthy with the insufficient token becomes insufficient', async () => {
    const c = check('insufficient.sh', { insufficientPattern: 'status=insufficient_data' });
    const r = await runScriptCheck(c, ctx());
    expect(r).toMatchObject({ status: 'insufficient', code: 'insufficient_data', exitCode: 1 });
    // Without the pattern the same script is plainly unhealthy.
    const plain = await runScriptCheck(check('insufficient.sh'), ctx());
    expect(plain.status).toBe('unhealthy');
  });
});

describe('runScript environment', () => {
  it('passes only PATH and the declared env', async () => {
    const env = { PATH: process.env.PATH, HOME: '/home/op', LEAKY_TOKEN: 'must-not-pass', API_TOKEN: 's3cr3t-value' };
    const out = await runScript(spec('env.sh', { env: { MAX_SKEW_MS: '500', TOKEN: '${API_TOKEN}' } }), {
      env,
      secrets: ['API_TOKEN'],
    });
    expect(out.exitCode).toBe(0);
    // The outcome masks the secret, so check the variable names and the plain values.
    const vars = new Map(out.stdout.split('\0').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
    // bash itself exports PWD, SHLVL and _ to its children.
    const allowed = new Set(['PATH', 'MAX_SKEW_MS', 'TOKEN', 'PWD', 'SHLVL', '_']);
    expect([...vars.keys()].filter((k) => !allowed.has(k))).toEqual([]);
    expect(vars.get('MAX_SKEW_MS')).toBe('500');
    expect(vars.has('HOME')).toBe(false);
    expect(vars.get('TOKEN')).toBe('***');
    expect(vars.has('LEAKY_TOKEN')).toBe(false);
  });

  it('the secret reaches the script but not the outcome', async () => {
    const seen: string[] = [];
    const c = check('secret.sh', { env: { API_TOKEN: '${API_TOKEN}' } });
    const r = await runScriptCheck(c, ctx({ env: { PATH: process.env.PATH, API_TOKEN: 's3cr3t-value' }, secrets: ['API_TOKEN'], onOutput: (s) => seen.push(s) }));
    expect(r.status).toBe('healthy');
    expect(r.output).toContain('token is ***');
    expect(JSON.stringify(r)).not.toContain('s3cr3t-value');
    expect(seen.join('')).not.toContain('s3cr3t-value');
  });

  it('a missing secret is reported by name', async () => {
    const r = await runScriptCheck(check('secret.sh', { env: { API_TOKEN: '${API_TOKEN}' } }), ctx({ secrets: ['API_TOKEN'] }));
    expect(r).toMatchObject({ status: 'error', code: 'secret_missing' });
    expect(r.reason).toContain('API_TOKEN');
  });
});

describe('runScript timeouts and the process group', () => {
  it('a hanging script and its grandchild are both killed on timeout', async () => {
    const pidFile = join(tmp, 'hang.pid');
    const started = Date.now();
    const r = await runScriptCheck(check('hang.sh', { args: [pidFile], timeoutMs: 500 }), ctx());
    expect(Date.now() - started).toBeLessThan(3000);
    expect(r).toMatchObject({ status: 'error', code: 'timeout' });
    expect(r.reason).toBe('timed out after 500 ms, process group killed');
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    expect(grandchild).toBeGreaterThan(0);
    expect(await waitGone(grandchild)).toBe(true);
  });

  describe('a process that leaves the group and keeps the output open (setsid)', () => {
    const escaped: number[] = [];
    afterAll(() => {
      for (const pid of escaped) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    });
    const bash = (script: string, timeoutMs: number): ScriptSpec => ({ command: 'bash', args: ['-c', script], cwd: tmp, env: {}, timeoutMs, maxOutputBytes: 64 * 1024 });

    it('is not waited for once the script has exited: its output is cut off', async () => {
      const pidFile = join(tmp, 'setsid-exit.pid');
      const started = Date.now();
      const out = await runScript(bash(`setsid sleep 31 & echo $! > ${pidFile}; sleep 0.3; echo hi`, 2000), ctx());
      escaped.push(Number(readFileSync(pidFile, 'utf8')));
      expect(Date.now() - started).toBeLessThan(2000);
      expect(out).toMatchObject({ exitCode: 0, timedOut: false });
      expect(out.stdout).toBe('hi\n');
      expect(out.stderr).toContain('output cut off');
    });

    it('does not hold the timeout: the step ends on time', async () => {
      const pidFile = join(tmp, 'setsid-hang.pid');
      const started = Date.now();
      const r = await runScriptCheck({ ...check('exit.sh'), command: 'bash', args: ['-c', `setsid sleep 31 & echo $! > ${pidFile}; sleep 30`], cwd: tmp, timeoutMs: 1000 }, ctx());
      escaped.push(Number(readFileSync(pidFile, 'utf8')));
      expect(Date.now() - started).toBeLessThan(1000 + 1000 + 1500);
      expect(r).toMatchObject({ status: 'error', code: 'timeout' });
      expect(r.reason).toBe('timed out after 1 s, process group killed');
    });
  });

  it('a group that ignores SIGTERM gets SIGKILL after the grace', async () => {
    const pidFile = join(tmp, 'stubborn.pid');
    const out = await runScript(spec('stubborn.sh', { args: [pidFile], timeoutMs: 300 }), ctx());
    expect(out).toMatchObject({ timedOut: true, signal: 'SIGKILL' });
    expect(await waitGone(Number(readFileSync(pidFile, 'utf8')))).toBe(true);
  });

  it('an abort signal kills the group and is reported as a signal', async () => {
    const pidFile = join(tmp, 'abort.pid');
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const r = await runScriptCheck(check('hang.sh', { args: [pidFile] }), ctx({ signal: ac.signal }));
    expect(r).toMatchObject({ status: 'error', code: 'signal', signal: 'SIGTERM' });
    expect(await waitGone(Number(readFileSync(pidFile, 'utf8')))).toBe(true);
  });
});

describe('runScript output', () => {
  it('caps 10 MB of output and keeps the tail', async () => {
    const cap = 64 * 1024;
    const out = await runScript(spec('flood.sh', { maxOutputBytes: cap }), ctx());
    expect(out.exitCode).toBe(0);
    expect(out.truncated).toBe(true);
    expect(Buffer.byteLength(out.stdout)).toBeLessThanOrEqual(cap);
    expect(Buffer.byteLength(out.stdout)).toBeGreaterThan(cap - 100);
    expect(out.stdout.endsWith('END-OF-FLOOD\n')).toBe(true);
  });

  it('streams chunks live through onOutput, per stream', async () => {
    const chunks: { chunk: string; stream: string; at: number }[] = [];
    const out = await runScript(spec('stream.sh'), ctx({ onOutput: (chunk, stream) => chunks.push({ chunk, stream, at: Date.now() }) }));
    expect(out.exitCode).toBe(0);
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    expect(chunks.filter((c) => c.stream === 'stderr').map((c) => c.chunk).join('')).toBe('warning on stderr\n');
    expect(chunks.filter((c) => c.stream === 'stdout').map((c) => c.chunk).join('')).toBe('step 1\nstep 3\n');
    // Live: the first chunk came well before the script finished.
    expect(chunks[chunks.length - 1].at - chunks[0].at).toBeGreaterThan(250);
    expect(out.stderr).toBe('warning on stderr\n');
  });
});

describe('spawn failures', () => {
  it('a missing command is spawn_failed and names the path', async () => {
    const r = await runScriptCheck(check('does-not-exist.sh'), ctx());
    expect(r).toMatchObject({ status: 'error', code: 'spawn_failed' });
    expect(r.reason).toContain(join(DIR, 'does-not-exist.sh'));
    expect(r.reason).toContain('ENOENT');
  });

  it('a file that is not executable is spawn_failed with EACCES', async () => {
    const out = await runScript({ ...spec('x'), command: resolve(import.meta.dirname, '../package.json') }, ctx());
    expect(out.spawnError).toMatch(/package\.json is not executable \(EACCES\)/);
    expect(out.exitCode).toBeUndefined();
  });
});
