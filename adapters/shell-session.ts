// One long-lived shell per run, as a person at a terminal has: `export`, `cd` and functions
// from one block are there in the next. The shell is its own process group with the runbook's
// environment only (the rules of runScript); a block that times out or is cancelled takes the
// whole group with it, and the next block starts in a fresh shell, which says so.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { ScriptCheck, ShellName } from '../src/runbook/model.js';
import type { CheckResult, ReasonCode } from '../src/engine/types.js';
import { expandRecord, MissingSecretError, redactorFor } from '../src/runbook/secrets.js';
import { childEnv, lastLine, seconds, signalGroup, TailBuffer } from './script.js';
import { KILL_GRACE_MS, PIPE_GRACE_MS, liveGroups } from './script-grace.js';
import { dialectOf, parseMarker, quote, type ShellDialect } from './shell-prelude.js';

const CHECK_OUTPUT_BYTES = 4096;
/** What a step says when the shell it ran in is gone. */
export const FRESH_SHELL = 'the next block runs in a fresh shell: exports, cd and functions from earlier steps are gone';

export interface ShellStart {
  shell: ShellName;
  pid: number;
  /** Why an earlier shell of this session is gone, when this one replaces it. */
  replaces?: string;
}

export interface ShellSessionOptions {
  env: NodeJS.ProcessEnv;
  secrets: readonly string[];
  /** Each shell started, the first and every fresh one after a timeout, a cancel or an exit. */
  onStart?: (start: ShellStart) => void;
}

export interface BlockContext {
  signal?: AbortSignal;
  onOutput?: (chunk: string) => void;
}

/** The text a shell check runs: the block of `bash -c BLOCK`, else its command line. */
export function blockOf(check: ScriptCheck): string {
  if (check.args[0] === '-c' && check.args.length === 2) return check.args[1];
  return [check.command, ...check.args].map(quote).join(' ');
}

interface Ending {
  exitCode?: number;
  line?: number;
  /** The shell is gone: why (timed out, cancelled, exited). */
  lost?: { code: ReasonCode; reason: string; signal?: string };
}

/** One shell process and the block it runs now. */
class LiveShell {
  readonly child: ChildProcess;
  readonly startEnv: Record<string, string>;
  gone?: string;
  private blocks = 0;
  private pending?: { nonce: string; text: string; emit: (s: string) => void; end: (e: Ending) => void };
  private exited: Promise<void>;
  private readonly dialect: ShellDialect;

  /**
   * `seed`: a state file a read-only check starts from (what the run's shell held after its
   * last block); without one, this is the run's shell, whose state after each block is kept
   * in `snapshot` for the read-only checks.
   */
  constructor(readonly name: ShellName, readonly dir: string, env: Record<string, string>, cwd: string, secrets: readonly string[], private readonly seed?: string) {
    this.startEnv = env;
    // A fresh shell holds nothing of the one it replaces: neither do the checks that read it.
    if (!seed) rmSync(this.snapshot, { force: true });
    this.dialect = dialectOf(name);
    liveGroups.prepare();
    this.child = spawn(this.dialect.command, this.dialect.args, { cwd, env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    const group = this.child.pid;
    if (group !== undefined) {
      liveGroups.add(group);
      this.child.once('exit', () => liveGroups.delete(group));
    }
    // Gone when it exits: a process that left its group (setsid, ssh -f) may hold the pipes
    // open for ever, so they are not waited for past PIPE_GRACE_MS after the exit.
    this.exited = new Promise((resolve) => {
      this.child.once('close', () => resolve());
      this.child.once('exit', () =>
        setTimeout(() => {
          this.child.stdout?.destroy();
          this.child.stderr?.destroy();
          resolve();
        }, PIPE_GRACE_MS).unref(),
      );
    });
    const out = new StringDecoder('utf8');
    const err = new StringDecoder('utf8');
    this.child.stdout?.on('data', (b: Buffer) => this.onStdout(out.write(b)));
    this.child.stderr?.on('data', (b: Buffer) => this.pending?.emit(err.write(b)));
    this.child.on('error', (e) => this.lose('spawn_failed', spawnFailure(this.dialect.command, cwd, e)));
    this.child.on('exit', (code, signal) => this.lose(signal ? 'signal' : 'exit_code', `the shell exited (${signal ? `killed by ${signal}` : `exit ${code}`})`, signal ?? undefined));
    this.child.stdin?.on('error', () => undefined); // a dead shell's stdin: its exit says why
    this.child.stdin?.write(this.dialect.prelude(secrets));
    if (seed) this.child.stdin?.write(`. ${quote(seed)}\n`);
  }

  /** What the run's shell held after its last block: variables, functions, working directory (never secrets). */
  get snapshot(): string {
    return path.join(this.dir, `snapshot-${this.name}`);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  run(block: string, exports: Record<string, string>, emit: (s: string) => void): Promise<Ending> {
    const n = ++this.blocks;
    const file = path.join(this.dir, `block-${n}`);
    const state = path.join(this.dir, `state-${n}`);
    const text = this.dialect.script(block);
    writeFileSync(file, text.endsWith('\n') ? text : `${text}\n`, { mode: 0o600 });
    const nonce = `__oc_end_${randomBytes(12).toString('hex')}`;
    return new Promise<Ending>((resolve) => {
      this.pending = {
        nonce,
        text: '',
        // The block file's path in the shell's own messages ("…/block-3: line 2: X: unbound variable").
        emit: (s) => emit(this.dialect.messages(s, file)),
        end: (e) => {
          this.pending = undefined;
          rmSync(file, { force: true });
          // The shell read the state back before its end marker: it is what the shell holds now.
          if (!this.seed && !e.lost && existsSync(state)) renameSync(state, this.snapshot);
          else rmSync(state, { force: true });
          resolve(e);
        },
      };
      this.hold(true);
      this.child.stdin?.write(this.dialect.blockLine({ file, state, nonce, exports }));
    }).finally(() => this.hold(false));
  }

  /** Between blocks the idle shell does not keep the process alive (its stdin closing ends it). */
  private hold(on: boolean): void {
    for (const h of [this.child, this.child.stdin, this.child.stdout, this.child.stderr] as ({ ref(): void; unref(): void } | null)[]) {
      if (on) h?.ref();
      else h?.unref();
    }
  }

  private onStdout(chunk: string): void {
    const p = this.pending;
    if (!p) return; // a background job's output between blocks
    p.text += chunk;
    const at = p.text.indexOf(`\n${p.nonce} `);
    if (at !== -1) {
      const eol = p.text.indexOf('\n', at + 1);
      if (eol === -1) return p.emit(flush(p, at));
      const marker = parseMarker(p.text.slice(at + 1, eol), p.nonce);
      p.emit(p.text.slice(0, at));
      p.text = '';
      return p.end(marker ?? { lost: { code: 'signal', reason: 'the shell sent a broken end marker' } });
    }
    p.emit(flush(p, p.text.length - markerStart(p.text, `\n${p.nonce} `)));
  }

  /** The shell is gone (or going): the block running now ends with why. */
  lose(code: ReasonCode, reason: string, signal?: string): void {
    this.gone ??= reason;
    if (!this.seed) rmSync(this.snapshot, { force: true }); // what it held went with it
    const p = this.pending;
    if (!p) return;
    this.pending = undefined; // what the output callback does (an abort) finds the block ended
    p.emit(p.text);
    p.text = '';
    p.end({ lost: { code, reason, ...(signal ? { signal } : {}) } });
  }

  /** TERM to the whole group, KILL after the grace period; resolves once the shell is gone. */
  async kill(why: string): Promise<void> {
    this.gone ??= why;
    const pid = this.child.pid;
    if (pid === undefined || this.child.exitCode !== null || this.child.signalCode !== null) return;
    signalGroup(pid, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), KILL_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
    signalGroup(pid, 'SIGKILL'); // what ignored TERM in the group, the shell gone already
  }
}

/** Why a shell did not start: `zsh is not installed` rather than an errno. */
function spawnFailure(command: string, cwd: string, e: Error): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' && !existsSync(cwd)) return `working directory ${cwd} does not exist`;
  if (code === 'ENOENT') return `${command} is not installed`;
  return `cannot start ${command} (${code ?? e.message})`;
}

/** Length of the longest end of `text` that begins the marker: held back until the next chunk. */
function markerStart(text: string, marker: string): number {
  for (let n = Math.min(marker.length - 1, text.length); n > 0; n--) if (text.endsWith(marker.slice(0, n))) return n;
  return 0;
}

function flush(p: { text: string }, upTo: number): string {
  const out = p.text.slice(0, upTo);
  p.text = p.text.slice(upTo);
  return out;
}

/** The run's shells: one per shell name, started at its first block, replaced when lost. */
export class ShellSession {
  private readonly shells = new Map<ShellName, LiveShell>();
  /** The read-only checks' shells running now. */
  private readonly checks = new Set<LiveShell>();
  private readonly dir = mkdtempSync(path.join(tmpdir(), 'opscockpit-shell-'));
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly opts: ShellSessionOptions) {}

  /**
   * Run one block (blocks run one after another), judged as a script check is. A read-only
   * check does not wait its turn: it runs at once in a fresh shell of its own, seeded with what
   * the run's shell held after its last block, so that it can never change the run's shell.
   */
  run(check: ScriptCheck & { shell: ShellName }, ctx: BlockContext = {}): Promise<CheckResult> {
    if (check.readOnly) return this.runNow(check, ctx);
    const next = this.queue.then(() => this.runNow(check, ctx));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private shellFor(check: ScriptCheck & { shell: ShellName }, env: Record<string, string>): LiveShell {
    if (check.readOnly) return this.checkShell(check, env);
    const live = this.shells.get(check.shell);
    if (live && !live.gone) return live;
    const shell = new LiveShell(check.shell, this.dir, env, check.cwd, this.opts.secrets);
    this.shells.set(check.shell, shell);
    if (shell.pid !== undefined) this.opts.onStart?.({ shell: check.shell, pid: shell.pid, ...(live?.gone ? { replaces: live.gone } : {}) });
    return shell;
  }

  /** A one-block shell for a read-only check, from a copy of the run's shell's last state. */
  private checkShell(check: ScriptCheck & { shell: ShellName }, env: Record<string, string>): LiveShell {
    const dir = mkdtempSync(path.join(this.dir, 'check-'));
    const snapshot = this.shells.get(check.shell)?.snapshot;
    let seed: string | undefined = path.join(dir, 'seed');
    try {
      copyFileSync(snapshot ?? '', seed);
    } catch {
      seed = undefined; // no block ran in this shell yet: nothing to see
    }
    const shell = new LiveShell(check.shell, dir, env, check.cwd, this.opts.secrets, seed ?? '/dev/null');
    shell.child.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    return shell;
  }

  private async runNow(check: ScriptCheck & { shell: ShellName }, ctx: BlockContext): Promise<CheckResult> {
    const startedAt = Date.now();
    const started = performance.now();
    const redact = redactorFor(this.opts.secrets, this.opts.env);
    const base = { check: check.name, startedAt };
    const combined = new TailBuffer(CHECK_OUTPUT_BYTES);
    const done = (r: Omit<CheckResult, 'check' | 'startedAt' | 'durationMs' | 'output'>): CheckResult =>
      redact.value({ ...base, durationMs: Math.round(performance.now() - started), output: redact.tail(combined.text(), combined.truncated), ...r });
    if (this.closed) return done({ status: 'error', code: 'spawn_failed', reason: 'the run\'s shell is closed' });
    let env: Record<string, string>;
    try {
      env = childEnv(check, this.opts);
      expandRecord(check.env, this.opts.env, this.opts.secrets);
    } catch (err) {
      if (!(err instanceof MissingSecretError)) throw err;
      return done({ status: 'error', code: 'secret_missing', reason: `secret ${err.secret} is not set in the environment` });
    }
    // A placeholder nobody filled: the block is not run with an empty string in its place.
    const unfilled = check.needs?.find((name) => !env[name]);
    if (unfilled) return done({ status: 'error', code: 'needs_value', reason: `needs a value for ${unfilled}` });
    if (ctx.signal?.aborted) return done({ status: 'error', code: 'signal', reason: 'cancelled before start' });
    const shell = this.shellFor(check, env);
    if (check.readOnly) this.checks.add(shell);
    // The step's own environment, where it differs from what the shell started with.
    const exports = Object.fromEntries(Object.entries(env).filter(([k, v]) => shell.startEnv[k] !== v));
    const masked = redact.stream();
    const emit = (text: string) => {
      if (!text) return;
      combined.push(Buffer.from(text));
      const shown = masked.push(text);
      if (shown) ctx.onOutput?.(shown);
    };
    const stop = (code: ReasonCode, reason: string) => () => {
      shell.lose(code, reason, 'SIGTERM');
      void shell.kill(reason);
    };
    const timer = setTimeout(stop('timeout', `timed out after ${seconds(check.timeoutMs)}, process group killed`), check.timeoutMs);
    const onAbort = stop('signal', 'killed by SIGTERM');
    ctx.signal?.addEventListener('abort', onAbort, { once: true });
    let ending: Ending;
    try {
      ending = await shell.run(blockOf(check), exports, emit);
    } finally {
      clearTimeout(timer);
      ctx.signal?.removeEventListener('abort', onAbort);
      if (check.readOnly) void shell.kill('the check ended').finally(() => this.checks.delete(shell));
    }
    const rest = masked.end();
    if (rest) ctx.onOutput?.(rest);
    if (ending.lost) {
      await shell.kill(ending.lost.reason);
      const { code, reason, signal } = ending.lost;
      // A shell that never started had no exports to lose; a check's own shell had none to give.
      const why = code === 'spawn_failed' || check.readOnly ? reason : `${reason}; ${FRESH_SHELL}`;
      return done({ status: 'error', code, reason: why, ...(signal ? { signal } : {}) });
    }
    return judge(check, ending.exitCode ?? 0, ending.line, redact.tail(combined.text(), combined.truncated), done);
  }

  /** A shell of this name is running, with what the run's blocks left in it. */
  alive(name: ShellName): boolean {
    const live = this.shells.get(name);
    return !this.closed && live !== undefined && !live.gone;
  }

  /** Kill every shell's group and remove the block files. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.shells.values(), ...this.checks].map((s) => s.kill('the run\'s shell closed')));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function judge(
  check: ScriptCheck,
  exitCode: number,
  line: number | undefined,
  output: string,
  done: (r: Omit<CheckResult, 'check' | 'startedAt' | 'durationMs' | 'output'>) => CheckResult,
): CheckResult {
  const tail = lastLine(output);
  const suffix = tail ? `: ${tail}` : '';
  // bash's own message names the line when the ERR trap could not ("block: line 2: X: unbound variable").
  const at = line ?? Number(/^block: line (\d+):/m.exec(output)?.[1] ?? NaN);
  const where = Number.isNaN(at) ? '' : ` at line ${at} of the block`;
  const status = check.exitCodes[exitCode];
  if (status === 'healthy') return done({ status, code: 'ok', exitCode, reason: `exit ${exitCode}${suffix}` });
  if (status === undefined) return done({ status: 'error', code: 'exit_code', exitCode, reason: `exit ${exitCode}${where} is not a known outcome${suffix}` });
  return done({ status, code: status === 'insufficient' ? 'insufficient_data' : 'exit_code', exitCode, reason: `exit ${exitCode}${where}${suffix}` });
}
