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

/** Why a value does not fit the parameter (a phrase: "is not one of a, b"), or undefined. */
export function valueProblem(p: { type: ParamType; values?: readonly string[]; pattern?: string }, value: string): string | undefined {
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
