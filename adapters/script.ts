// Scripts run as their own process group with a clean environment, so a timeout or an abort
// can kill everything they started (grandchildren included) and nothing from the operator's
// shell, other than PATH and the declared secrets, leaks into them.
import { existsSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { execa } from 'execa';
import type { Readable } from 'node:stream';
import type { ScriptCheck, ScriptSpec } from '../src/runbook/model.js';
import type { CheckResult, ScriptOutcome } from '../src/engine/types.js';
import { expandRecord, MissingSecretError, redactorFor } from '../src/runbook/secrets.js';
import { KILL_GRACE_MS, PIPE_GRACE_MS, liveGroups } from './script-grace.js';
import { ownValue, setOwn } from '../src/own.js';

export interface ScriptContext {
  env: NodeJS.ProcessEnv;
  /** Declared secret names; only these are expanded in spec.env. */
  secrets: readonly string[];
  /** Live output, chunk by chunk, for the cockpit's output pane. */
  onOutput?: (chunk: string, stream: 'stdout' | 'stderr') => void;
  signal?: AbortSignal;
}

export { KILL_GRACE_MS, PIPE_GRACE_MS };
const CHECK_OUTPUT_BYTES = 4096;
const SHORT_LINE = 80;

/** Keeps the last `cap` bytes: the end of a log says why it failed, the start rarely does. */
export class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  truncated = false;
  constructor(private readonly cap: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.cap) {
      this.truncated = true;
      const first = this.chunks[0];
      const excess = this.size - this.cap;
      if (first.length <= excess) {
        this.chunks.shift();
        this.size -= first.length;
      } else {
        // Copy, so the kept slice does not pin a large chunk in memory.
        this.chunks[0] = Buffer.from(first.subarray(excess));
        this.size -= excess;
      }
    }
  }

  text(): string {
    let buf = Buffer.concat(this.chunks);
    // A cut may land inside a UTF-8 sequence; drop the orphaned continuation bytes.
    let i = 0;
    while (this.truncated && i < buf.length && i < 3 && (buf[i] & 0xc0) === 0x80) i++;
    if (i > 0) buf = buf.subarray(i);
    return buf.toString('utf8');
  }
}

/**
 * PATH plus the env the runbook declares; nothing else from the operator's shell (a runbook
 * that needs HOME or LANG declares them).
 */
export function childEnv(spec: ScriptSpec, ctx: Pick<ScriptContext, 'env' | 'secrets'>): Record<string, string> {
  const passed: Record<string, string> = {};
  for (const name of spec.passEnv ?? []) {
    const v = ownValue(ctx.env, name);
    if (v !== undefined) setOwn(passed, name, v); // `__proto__` too: bash takes it as a name
  }
  return { PATH: ctx.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', ...passed, ...expandRecord(spec.env, ctx.env, ctx.secrets) };
}

/** Signal the whole group; false when it no longer exists. */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

function spawnFailure(code: string | undefined, spec: ScriptSpec): string {
  if (code === 'ENOENT' && !existsSync(spec.cwd)) return `working directory ${spec.cwd} does not exist`;
  if (code === 'ENOENT') return `command ${spec.command} not found (ENOENT)`;
  if (code === 'EACCES') return `command ${spec.command} is not executable (EACCES)`;
  return `cannot start ${spec.command} (${code ?? 'unknown error'})`;
}

export async function runScript(spec: ScriptSpec, ctx: ScriptContext): Promise<ScriptOutcome> {
  const started = performance.now();
  const redact = redactorFor(ctx.secrets, ctx.env);
  const elapsed = () => Math.round(performance.now() - started);
  const stdout = new TailBuffer(spec.maxOutputBytes);
  const stderr = new TailBuffer(spec.maxOutputBytes);
  const outcome = (o: Partial<ScriptOutcome>): ScriptOutcome =>
    redact.value({
      timedOut: false,
      stdout: redact.tail(stdout.text(), stdout.truncated),
      stderr: redact.tail(stderr.text(), stderr.truncated),
      truncated: stdout.truncated || stderr.truncated,
      durationMs: elapsed(),
      ...o,
    });

  let env: Record<string, string>;
  try {
    env = childEnv(spec, ctx);
  } catch (err) {
    if (err instanceof MissingSecretError) return outcome({ spawnError: `secret ${err.secret} is not set in the environment` });
    throw err;
  }
  if (ctx.signal?.aborted) return outcome({ spawnError: 'cancelled before start' });

  liveGroups.prepare();
  const child = execa(spec.command, spec.args, {
    cwd: spec.cwd,
    env,
    extendEnv: false,
    detached: true, // own process group: we kill -pid, which reaches grandchildren
    stdin: 'ignore',
    buffer: false, // we keep a capped tail ourselves instead of execa's unbounded buffer
    reject: false,
  });
  const pid = child.pid;
  if (pid !== undefined) liveGroups.add(pid);

  const capture = (stream: Readable | null, tail: TailBuffer, name: 'stdout' | 'stderr') => {
    const decoder = new StringDecoder('utf8');
    // A secret printed in pieces is masked across chunks: what may begin one waits for the next.
    const masked = redact.stream();
    const emit = (text: string) => {
      if (text && ctx.onOutput) ctx.onOutput(text, name);
    };
    stream?.on('data', (chunk: Buffer) => {
      tail.push(chunk);
      emit(masked.push(decoder.write(chunk)));
    });
    stream?.on('close', () => emit(masked.push(decoder.end()) + masked.end()));
  };
  capture(child.stdout, stdout, 'stdout');
  capture(child.stderr, stderr, 'stderr');

  let timedOut = false;
  let killTimer: NodeJS.Timeout | undefined;
  let cutTimer: NodeJS.Timeout | undefined;
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let cut!: () => void;
  const cutOff = new Promise<'cut'>((resolve) => (cut = () => resolve('cut')));
  const cutAfter = (ms: number) => {
    clearTimeout(cutTimer);
    cutTimer = setTimeout(cut, ms);
  };
  const terminate = () => {
    if (pid === undefined || killTimer) return;
    signalGroup(pid, 'SIGTERM');
    killTimer = setTimeout(() => signalGroup(pid, 'SIGKILL'), KILL_GRACE_MS);
  };
  const timer = setTimeout(() => {
    timedOut = true;
    terminate();
    // The step ends on time whatever the processes do: at the latest once the kill is due.
    cutAfter(KILL_GRACE_MS + PIPE_GRACE_MS);
  }, spec.timeoutMs);
  ctx.signal?.addEventListener('abort', terminate, { once: true });
  // When the script itself exits, whatever it left behind in its group goes too; whatever
  // left the group and still holds the pipes is not waited for past PIPE_GRACE_MS.
  child.on('exit', (code, signal) => {
    exited = { code, signal };
    terminate();
    cutAfter(PIPE_GRACE_MS);
  });

  try {
    const result = await Promise.race([child, cutOff]);
    if (result === 'cut') {
      child.stdout?.destroy();
      child.stderr?.destroy();
      child.catch(() => undefined);
      const note = '\n[opscockpit: output cut off: a process outside the script\'s group kept its output open]\n';
      stderr.push(Buffer.from(note));
      if (!exited) return outcome({ signal: 'SIGKILL', timedOut });
      return outcome({ exitCode: exited.code ?? undefined, signal: exited.signal ?? undefined, timedOut });
    }
    if (pid === undefined || (result.exitCode === undefined && !result.signal)) {
      return outcome({ spawnError: spawnFailure(result.code, spec) });
    }
    return outcome({ exitCode: result.exitCode, signal: result.signal, timedOut });
  } finally {
    clearTimeout(timer);
    clearTimeout(killTimer);
    clearTimeout(cutTimer);
    ctx.signal?.removeEventListener('abort', terminate);
    // The outputs are closed, but a member that ignored SIGTERM may still run: no grace left.
    if (pid !== undefined) {
      signalGroup(pid, 'SIGKILL');
      liveGroups.delete(pid);
    }
  }
}

export function lastLine(text: string): string | undefined {
  const line = text.split('\n').map((l) => l.trim()).filter(Boolean).pop();
  if (!line) return undefined;
  return line.length <= SHORT_LINE ? line : `${line.slice(0, SHORT_LINE - 1)}…`;
}

export function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

function matches(pattern: string | undefined, ...texts: string[]): boolean {
  if (!pattern) return false;
  try {
    const re = new RegExp(pattern, 'm');
    return texts.some((t) => re.test(t));
  } catch {
    return false; // the parser validates patterns; a bad one must not crash a poll
  }
}

export async function runScriptCheck(check: ScriptCheck, ctx: ScriptContext): Promise<CheckResult> {
  const startedAt = Date.now();
  const redact = redactorFor(ctx.secrets, ctx.env);
  const base = { check: check.name, startedAt };
  try {
    expandRecord(check.env, ctx.env, ctx.secrets);
  } catch (err) {
    if (!(err instanceof MissingSecretError)) throw err;
    return { ...base, durationMs: 0, status: 'error', code: 'secret_missing', reason: `secret ${err.secret} is not set in the environment` };
  }

  // Interleaved stdout+stderr tail for the result, alongside the caller's live stream.
  const combined = new TailBuffer(CHECK_OUTPUT_BYTES);
  const out = await runScript(check, {
    ...ctx,
    onOutput: (chunk, stream) => {
      combined.push(Buffer.from(chunk));
      ctx.onOutput?.(chunk, stream);
    },
  });
  const output = combined.text();
  const done = (r: Omit<CheckResult, 'check' | 'startedAt' | 'durationMs' | 'output'>): CheckResult =>
    redact.value({ ...base, durationMs: out.durationMs, output, ...r });
  const tailLine = lastLine(output);
  const suffix = tailLine ? `: ${tailLine}` : '';

  if (out.spawnError) return done({ status: 'error', code: 'spawn_failed', reason: out.spawnError });
  if (out.timedOut) {
    return done({ status: 'error', code: 'timeout', reason: `timed out after ${seconds(check.timeoutMs)}, process group killed`, signal: out.signal });
  }
  if (out.signal || out.exitCode === undefined) {
    return done({ status: 'error', code: 'signal', reason: `killed by ${out.signal ?? 'unknown signal'}`, signal: out.signal });
  }
  const exitCode = out.exitCode;
  const status = check.exitCodes[exitCode];
  if (status === undefined) {
    return done({ status: 'error', code: 'exit_code', exitCode, reason: `exit ${exitCode} is not a known outcome${suffix}` });
  }
  if (status === 'unhealthy' && matches(check.insufficientPattern, out.stdout, out.stderr)) {
    return done({ status: 'insufficient', code: 'insufficient_data', exitCode, reason: `insufficient data (exit ${exitCode})${suffix}` });
  }
  if (status === 'healthy') return done({ status, code: 'ok', exitCode, reason: `exit ${exitCode} in ${out.durationMs} ms${suffix}` });
  return done({ status, code: status === 'insufficient' ? 'insufficient_data' : 'exit_code', exitCode, reason: `exit ${exitCode}${suffix}` });
}
