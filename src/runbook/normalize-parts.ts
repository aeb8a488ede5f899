// What every part of the normalisation shares: the defaults, the context it runs in, and how
// a script, a command and a URL are resolved against the runbook's folder and targets.
import path from 'node:path';
import { durationMs } from './durations.js';
import type { PathSegment } from './locate.js';
import type { CheckStatus, ScriptSpec } from './model.js';
import type { ScriptActionSpecInput } from './schema.js';

export const DEFAULTS = {
  httpTimeoutMs: 5_000,
  httpActionTimeoutMs: 30_000,
  scriptTimeoutMs: 30_000,
  maxBodyBytes: 1024 * 1024,
  maxOutputBytes: 1024 * 1024,
  status: [200],
  actionExpectStatus: [200, 201, 202, 204],
  exitCodes: { 0: 'healthy', 1: 'error', 2: 'unhealthy' } as Record<number, CheckStatus>,
  insufficientPattern: 'status=insufficient_data',
} as const;

export interface NormalizeContext {
  file: string; // absolute
  dir: string; // absolute
  /** Targets after environment interpolation (see crossref.ts). */
  targets: Record<string, string>;
  release: Record<string, string>;
  lineOf(path: PathSegment[]): number;
  /** Parameter values given for this run (--param or the cockpit's form). */
  params?: Readonly<Record<string, string>>;
  /** Passed to every script: the parameters' names (set by normalizeRunbook). */
  paramNames?: readonly string[];
  /** Choice name → option given for this run (--choose, the cockpit's form); the first of each by default. */
  choose?: Readonly<Record<string, string>>;
  /** The operator's environment: a value a step needs and the runbook never declared may be there. */
  env?: NodeJS.ProcessEnv;
  /** The exact line each parameter is first used in arithmetic on, where the reader knows it (Markdown). */
  integerLines?: ReadonlyMap<string, number>;
}

export function scriptSpec(s: ScriptActionSpecInput, ctx: NormalizeContext): ScriptSpec {
  return {
    command: resolveCommand(s.command, ctx.dir),
    args: [...(s.args ?? [])],
    cwd: s.cwd === undefined ? ctx.dir : path.resolve(ctx.dir, s.cwd),
    env: { ...(s.env ?? {}) },
    ...passEnvOf(s.passEnv, ctx.paramNames),
    timeoutMs: durationMs(s.timeout, DEFAULTS.scriptTimeoutMs),
    maxOutputBytes: s.maxOutputBytes ?? DEFAULTS.maxOutputBytes,
  };
}

/** The variables passed as they are: the script's own, and every parameter of the run. */
function passEnvOf(own: readonly string[] | undefined, params: readonly string[] = []): { passEnv?: string[] } {
  const names = [...new Set([...(own ?? []), ...params])];
  return names.length ? { passEnv: names } : {};
}

/** Paths (with a slash) resolve against the runbook folder; bare names stay for PATH lookup. */
export function resolveCommand(command: string, dir: string): string {
  if (path.isAbsolute(command)) return command;
  if (command.includes('/') || command.includes(path.sep)) return path.resolve(dir, command);
  return command;
}

/** Base URL + path, keeping any path prefix of the base (`http://h/api` + `/x` → `http://h/api/x`). */
export function joinUrl(base: string, p: string | undefined): string {
  const rel = (p ?? '/').replace(/^\/+/, '');
  return `${base.replace(/\/+$/, '')}/${rel}`;
}

