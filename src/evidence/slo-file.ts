// SLO policy files (seed 001's configs/slo/*.json; YAML too): one judge's thresholds.
// Strict like runbooks: an unknown field is an error with "did you mean", and every problem
// names file, line and column. The yaml parser reads JSON as well and keeps positions.
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import * as z from 'zod';
import type { SloPolicy } from '../engine/gate-types.js';
import { RunbookError, type RunbookIssue } from '../runbook/errors.js';
import { formatPath } from '../runbook/load.js';
import { SourceLocator } from '../runbook/locate.js';
import { syntaxIssues } from '../runbook/syntax.js';
import { problemsFromZod, type Problem } from '../runbook/zod-issues.js';

export const SloPolicySchema = z.strictObject({
  name: z.string().trim().min(1),
  p95_ms_max: z.number().nonnegative().optional(),
  p99_ms_max: z.number().nonnegative().optional(),
  error_rate_max: z
    .number()
    .min(0)
    .max(1, { message: 'error_rate_max is a fraction from 0 to 1 (0.01 = 1%)' })
    .optional(),
  min_samples: z.number().int().min(1).optional(),
  route: z.string().min(1).optional(),
});

export function loadSloPolicy(file: string): SloPolicy {
  return parseSloPolicy(readText(file, 'SLO policy'), file);
}

/** Validate SLO policy text (JSON or YAML); `file` names it in messages. */
export function parseSloPolicy(text: string, file: string): SloPolicy {
  const raw = parseStructured(text, file, SloPolicySchema, 'SLO policy', likelySlips);
  const policy: SloPolicy = { name: raw.name };
  for (const key of ['p95_ms_max', 'p99_ms_max', 'error_rate_max', 'min_samples', 'route'] as const) {
    if (raw[key] !== undefined) (policy as unknown as Record<string, unknown>)[key] = raw[key];
  }
  policy.file = file;
  return policy;
}

/** The slips worth a better message than "expected a number": units and percentages. */
function likelySlips(raw: unknown): Problem[] {
  if (raw === null || typeof raw !== 'object') return [];
  const r = raw as Record<string, unknown>;
  const out: Problem[] = [];
  const rate = r.error_rate_max;
  if (typeof rate === 'number' && rate > 1 && rate <= 100)
    out.push({ path: ['error_rate_max'], message: 'error_rate_max is a fraction from 0 to 1, not a percentage', hint: `write ${rate / 100} for ${rate}%` });
  for (const key of ['p95_ms_max', 'p99_ms_max']) {
    const m = typeof r[key] === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*ms\s*$/.exec(r[key] as string) : null;
    if (m) out.push({ path: [key], message: `${key} is a number of milliseconds, without a unit`, hint: `write ${key}: ${m[1]}` });
  }
  return out;
}

/** The file's text, or a RunbookError saying why it cannot be read. */
export function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new RunbookError(file, [{ file, line: 0, column: 0, path: '', ...readProblem(e, what) }]);
  }
}

/**
 * Parse JSON or YAML keeping positions, check it against `schema` and throw one RunbookError
 * with every problem placed at its line and column. `extra` may add problems found in the
 * raw value (they take the place of zod's for the same field).
 */
export function parseStructured<S extends z.ZodType>(
  text: string,
  file: string,
  schema: S,
  what: string,
  extra: (raw: unknown) => Problem[] = () => [],
): z.infer<S> {
  const source = text.replace(/^\uFEFF/, '');
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    // The YAML parser reads JSON too; name the syntax the author wrote.
    const json = /\.json$/i.test(file);
    const issues = syntaxIssues(doc, lineCounter, file).map((i) => (json ? { ...i, message: i.message.replace(/^YAML syntax/, 'JSON syntax') } : i));
    throw new RunbookError(file, issues);
  }
  const raw: unknown = doc.toJS();
  if (raw === null || raw === undefined) {
    throw new RunbookError(file, [{ file, line: 1, column: 1, path: '', message: `the ${what} file is empty` }]);
  }
  const locator = new SourceLocator(doc, lineCounter, source);
  const parsed = schema.safeParse(raw);
  const added = extra(raw);
  const replaced = new Set(added.map((p) => formatPath(p.path)));
  const problems = [
    ...(parsed.success ? [] : problemsFromZod(parsed.error.issues, raw, schema).filter((p) => !replaced.has(formatPath(p.path)))),
    ...added,
  ];
  if (problems.length === 0 && parsed.success) return parsed.data;
  throw new RunbookError(
    file,
    problems.map((p): RunbookIssue => {
      const { line, column } = locator.position(p.path, p.anchor, p.needle);
      const issue: RunbookIssue = { file, line, column, path: formatPath(p.path), message: p.message };
      if (p.hint) issue.hint = p.hint;
      return issue;
    }),
  );
}

function readProblem(e: unknown, what: string): { message: string; hint?: string } {
  const code = (e as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOENT':
      return { message: `cannot read the ${what}: no such file`, hint: 'check the path' };
    case 'EISDIR':
      return { message: `cannot read the ${what}: it is a directory, not a file` };
    case 'EACCES':
    case 'EPERM':
      return { message: `cannot read the ${what}: permission denied` };
    default:
      return { message: `cannot read the ${what}: ${code ?? (e as Error)?.message ?? String(e)}` };
  }
}
