// Runbook parameters (`params:`): values the operator gives when a run starts, asked in the
// cockpit, given headless with --param NAME=VALUE, recorded with the run (secret ones masked).
import * as z from 'zod';

/** Parameter names are environment variable names: scripts read them as such. */
export const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const PARAM_TYPES = ['string', 'enum', 'bool', 'secret'] as const;
export type ParamType = (typeof PARAM_TYPES)[number];

export const ParamSchema = z
  .strictObject({
    description: z.string().optional().describe('What to give; shown when a value is missing.'),
    type: z
      .enum(PARAM_TYPES, { error: 'type is string, enum, bool or secret' })
      .optional()
      .describe('string (default), enum (one of values:), bool (true or false), or secret (masked everywhere, never recorded).'),
    values: z.array(z.string().min(1)).min(1).optional().describe('The values an enum parameter may take.'),
    default: z
      .union([z.string(), z.boolean(), z.number()], { error: 'expected a default value (text, a number, true or false)' })
      .optional()
      .describe('Used when no value is given; without one the parameter is required.'),
    pattern: z.string().min(1).optional().describe('A regular expression the whole value must match, e.g. "B-[0-9]+".'),
  })
  .superRefine((p, ctx) => {
    const type = p.type ?? 'string';
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (type === 'enum' && !p.values) issue('type', 'an enum parameter lists its values: under values:');
    if (type !== 'enum' && p.values) issue('values', 'values: is only for type: enum');
    if (type === 'secret' && p.default !== undefined) issue('default', 'a secret parameter has no default (a default would be a secret written in the runbook)');
    if (p.pattern !== undefined && patternProblem(p.pattern)) issue('pattern', `not a regular expression: ${patternProblem(p.pattern)}`);
    if (p.default !== undefined && type !== 'secret') {
      const problem = valueProblem({ type, values: p.values, pattern: p.pattern }, String(p.default));
      if (problem) issue('default', `the default ${problem}`);
    }
  });

export const ParamsSchema = z
  .record(z.string().regex(PARAM_NAME, { error: 'parameter names are environment variable names: letters, digits and "_"' }), ParamSchema)
  .describe('Parameters the operator gives when a run starts (--param NAME=VALUE headless); scripts read them as environment variables, targets and release as ${NAME}.');

export type ParamInput = z.infer<typeof ParamSchema>;

/** What a value used in arithmetic may be: digits, optionally signed. */
const INTEGER = /^[-+]?[0-9]+$/;

/** C0 and C1 controls, DEL, line and paragraph separators, bidirectional overrides. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
/** What a secret may hold besides: line ends and tabs (a PEM key); it is never shown or recorded. */
const CONTROL_IN_SECRET = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

const CONTROL_NAMES: Record<string, string> = { '\n': 'a line end (newline)', '\r': 'a carriage return', '\t': 'a tab', '\u001b': 'an escape (ESC)', '\u0000': 'a NUL' };

/**
 * Why a value does not fit the parameter (a phrase: "is not one of a, b"), or undefined. A
 * value is one line of text: a control character in it (a newline, ESC …) could forge a line
 * of the ledger or drive the terminal it is shown on, so it is refused wherever a value enters
 * (--param, --choose, the cockpit's form); a secret may hold line ends and tabs.
 */
export function valueProblem(p: { type: ParamType; values?: readonly string[]; pattern?: string; integer?: number }, value: string): string | undefined {
  const control = controlProblem(value, p.type === 'secret');
  if (control) return control;
  if (p.integer !== undefined && !INTEGER.test(value)) {
    return `${p.type === 'secret' ? 'the value' : `"${value}"`} is not an integer: it is used in arithmetic at line ${p.integer}, where bash would run what is in it`;
  }
  if (p.type === 'bool' && value !== 'true' && value !== 'false') return `"${value}" is not true or false`;
  if (p.type === 'enum' && p.values && !p.values.includes(value)) return `"${value}" is not one of ${p.values.join(', ')}`;
  if (p.pattern !== undefined && !patternProblem(p.pattern) && !new RegExp(`^(?:${p.pattern})$`, 'u').test(value)) {
    return `${p.type === 'secret' ? 'the value' : `"${value}"`} does not match ${p.pattern}`;
  }
  return undefined;
}

function patternProblem(pattern: string): string | undefined {
  try {
    new RegExp(pattern, 'u');
    return undefined;
  } catch (e) {
    return (e as Error).message.replace(/^Invalid regular expression: /, '');
  }
}

/** "holds a line end (newline) at character 3 …", or undefined when the text has no control character. */
export function controlProblem(value: string, secret = false): string | undefined {
  const m = (secret ? CONTROL_IN_SECRET : CONTROL).exec(value);
  if (!m) return undefined;
  const ch = m[0];
  const name = CONTROL_NAMES[ch] ?? `the control character U+${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  return `holds ${name} at character ${m.index + 1}: a value is one line of text without control characters`;
}
