// Reading an evidence file for judging: strict about what the judges read, open to what
// harvesters add; a bad file is a RunbookError naming file, line and column.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as z from 'zod';
import type { EvidenceDoc } from '../engine/gate-types.js';
import { RunbookError } from '../runbook/errors.js';
import { parseStructured } from './slo-file.js';

const nullableNumber = z.number().nonnegative().nullable().optional();
const StatsShape = {
  samples: z.number().int().nonnegative(),
  p50_ms: nullableNumber,
  p90_ms: nullableNumber,
  p95_ms: nullableNumber,
  p99_ms: nullableNumber,
  error_rate: z.number().min(0).max(1, { message: 'error_rate is a fraction from 0 to 1' }).nullable().optional(),
};
const StatsSchema = z.looseObject(StatsShape);
const EvidenceSchema = z.looseObject({
  schema: z.literal('opscockpit.evidence/v1', { message: 'expected "opscockpit.evidence/v1"' }),
  kind: z.string(),
  overall: StatsSchema,
  windows: z.array(z.looseObject({ ...StatsShape, start: z.number(), end: z.number() })).optional(),
  routes: z.record(z.string(), StatsSchema).optional(),
});

/** Read and check the evidence file; RunbookError (file, line, column) when it is not usable. */
export function loadEvidence(file: string): { doc: EvidenceDoc; sha256: string } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory, not a file' : code ?? String(e);
    throw new RunbookError(file, [{ file, line: 0, column: 0, path: '', message: `cannot read the evidence: ${why}`, hint: 'check the --evidence path' }]);
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const text = bytes.toString('utf8').replace(/^\uFEFF/, '');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new RunbookError(file, [jsonProblem(file, text, (e as Error).message)]);
  }
  const parsed = EvidenceSchema.safeParse(raw);
  // The slow path only for a bad document: the YAML parser gives lines and columns.
  const data = parsed.success ? parsed.data : parseStructured(text, file, EvidenceSchema, 'evidence');
  const stats = (s: z.infer<typeof StatsSchema>) => ({
    ...s,
    p50_ms: s.p50_ms ?? null,
    p90_ms: s.p90_ms ?? null,
    p95_ms: s.p95_ms ?? null,
    p99_ms: s.p99_ms ?? null,
    error_rate: s.error_rate ?? null,
  });
  const doc = {
    ...data,
    overall: stats(data.overall),
    windows: (data.windows ?? []).map((w) => ({ ...stats(w), start: w.start, end: w.end })),
    ...(data.routes ? { routes: Object.fromEntries(Object.entries(data.routes).map(([r, s]) => [r, stats(s)])) } : {}),
  } as EvidenceDoc;
  return { doc, sha256 };
}

function jsonProblem(file: string, text: string, message: string) {
  const at = /at position (\d+)/.exec(message);
  let line = 0;
  let column = 0;
  if (at) {
    const before = text.slice(0, Number(at[1]));
    line = before.split('\n').length;
    column = before.length - before.lastIndexOf('\n');
  }
  const words = message
    .replace(/\s*\(line \d+ column \d+\)/, '')
    .replace(/ in JSON at position \d+.*$/, '')
    .replace(/, ".*" is not valid JSON$/s, '');
  return { file, line, column, path: '', message: `not valid JSON: ${words}`, hint: 'the evidence must be one JSON document' };
}

