// The field types runbook schemas are built of: names, durations, sizes, status codes, HTTP
// headers and bodies, and the fields of a program to run.
import * as z from 'zod';
import { DURATION_PATTERN, MAX_DURATION_MS, durationRangeProblem } from './durations.js';

const NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;
const NAME_RULE = 'names may contain only letters, digits, "_" and "-"';

/** Names of targets, checks, actions and step ids. No dots: inline checks are named `<phase>.<id>`. */
// `__proto__` fits the pattern, but as a key of a plain object it sets the object's prototype:
// a check or action of that name would vanish without a word.
export const Name = z
  .string()
  .regex(NAME_PATTERN, { error: NAME_RULE })
  .refine((name) => name !== '__proto__', { error: '"__proto__" cannot be a name: choose another' });

const inRange = (v: string | number, ctx: z.RefinementCtx) => {
  const problem = durationRangeProblem(v);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
};

export const Duration = z
  .union(
    [
      z.number().positive({ error: 'a duration must be more than 0 milliseconds' }).max(MAX_DURATION_MS, { error: 'a duration must be at most a week (604800000 ms)' }),
      z
        .string()
        .regex(DURATION_PATTERN, {
          error: 'not a duration: use e.g. "500ms", "2s", "1m", "1h" or a number of milliseconds',
        })
        .superRefine(inRange),
    ],
    { error: 'expected a duration such as "500ms", "2s", "1m", "1h" or a number of milliseconds' },
  )
  .meta({ examples: ['500ms', '2s', '1m'] });

export const Bytes = z.number().int().positive();

const StatusCode = z.number().int().min(100).max(599);
export const StatusCodes = z.union([StatusCode, z.array(StatusCode).min(1)], {
  error: 'expected an HTTP status code or a list of them',
});

export const SecretName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, {
  error: 'secret names are environment variable names in UPPER_SNAKE_CASE',
});

const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
  error: 'environment variable names may contain only letters, digits and "_", and must not start with a digit',
});

export const HeaderName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, { error: 'not a valid HTTP header name' });

export const Method = z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export const Headers = z
  .record(HeaderName, z.string())
  .describe('Request headers. Values may reference declared secrets as ${SECRET}.');

export const Body = z
  .union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())], {
    error: 'expected a string, or a map or list to send as JSON',
  })
  .describe('Request body: a string, or a map/list sent as JSON. Strings may reference declared secrets as ${SECRET}.');

export const Title = z.string().min(1);

/** A numeric condition such as "<= 0.01" or "> 300" (the engine's conditions.ts reads it). */
export const CONDITION_PATTERN = /^\s*(<=|>=|==|!=|<|>)\s*-?\d+(\.\d+)?(e-?\d+)?\s*$/i;

/** The fields of an HTTP request to a target, the same for a check and an action but for their defaults. */
export function httpRequestFields(defaults: { method: string; timeout: string }) {
  return {
    target: Name.describe('Name of an entry under targets:.'),
    path: z.string().optional().describe('Path appended to the target URL (default "/").'),
    method: Method.optional().describe(`HTTP method (default ${defaults.method}).`),
    headers: Headers.optional(),
    body: Body.optional(),
    timeout: Duration.optional().describe(`Default ${defaults.timeout}.`),
  };
}

/** The fields of a program to run, shared by script checks, actions, mocks and script metrics. */
export const scriptFields = {
  command: z
    .string()
    .min(1)
    .describe('Program to run. Relative paths resolve against the runbook folder; bare names are looked up on PATH.'),
  args: z.array(z.string()).optional().describe('Arguments, passed without a shell.'),
  cwd: z.string().min(1).optional().describe('Working directory (default: the runbook folder).'),
  env: z
    .record(EnvName, z.string())
    .optional()
    .describe('Extra environment variables. Values may reference declared secrets as ${SECRET}.'),
  passEnv: z
    .array(EnvName)
    .optional()
    .describe('Environment variables passed to the program as they are, when set (declared secrets among them stay masked in output).'),
  timeout: Duration.optional().describe('Default 30s.'),
  maxOutputBytes: Bytes.optional().describe('Output kept per stream (default 1 MiB).'),
};
