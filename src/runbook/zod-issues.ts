// Turns zod issues into problems an operator can act on: plain words, the field path, a
// "did you mean" for typos, and where in the YAML to point.
import * as z from 'zod';
import type { Anchor, PathSegment } from './locate.js';
import { closest } from './suggest.js';

/** A problem before it has a line and column. */
export interface Problem {
  path: PathSegment[];
  anchor?: Anchor;
  /** Point at this text inside the value, e.g. a `${VAR}` reference. */
  needle?: string;
  message: string;
  hint?: string;
}

type ZodIssue = z.core.$ZodIssue;

export function problemsFromZod(issues: readonly ZodIssue[], raw: unknown, schema: z.ZodType): Problem[] {
  const out: Problem[] = [];
  for (const issue of issues) convert(issue, [], raw, schema, out);
  return out;
}

function convert(issue: ZodIssue, base: PathSegment[], raw: unknown, schema: z.ZodType, out: Problem[]): void {
  const path = [...base, ...issue.path.map(segment)];
  const value = valueAt(raw, path);
  const field = path.length ? String(path[path.length - 1]) : 'runbook';

  if ((issue.code === 'invalid_type' || issue.code === 'invalid_value' || issue.code === 'invalid_union') && value === undefined) {
    const hint = path.length === 1 && path[0] === 'version' ? 'start the runbook with "version: 1"' : undefined;
    out.push({ path, anchor: 'parent', message: `missing required field "${field}"`, hint });
    return;
  }

  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = allowedKeys(schema, path, raw);
      for (const key of issue.keys) {
        const near = closest(key, allowed);
        out.push({
          path: [...path, key],
          anchor: 'key',
          message: `unknown field "${key}"${near ? ` — did you mean "${near}"?` : ''}`,
          hint: near || allowed.length === 0 ? undefined : `allowed here: ${allowed.join(', ')}`,
        });
      }
      return;
    }
    case 'invalid_union': {
      // Keep the branches whose type matched the value; if one is left, its issues are the real ones.
      const matching = issue.errors.filter((branch) => !branch.every((i) => i.code === 'invalid_type' && i.path.length === 0));
      if (matching.length === 1) {
        for (const inner of matching[0]) convert(inner, path, raw, schema, out);
        return;
      }
      out.push({ path, message: isCustom(issue.message) ? issue.message : `expected ${unionExpected(issue)}, got ${describe(value)}` });
      return;
    }
    case 'invalid_type': {
      if (value === null) {
        out.push({ path, message: `"${field}" is empty`, hint: `give it a value, or remove the line` });
        return;
      }
      const hint =
        issue.expected === 'string' && (typeof value === 'number' || typeof value === 'boolean')
          ? `quote it: "${String(value)}"`
          : issue.expected === 'array' && typeof value === 'string'
            ? `write a list, one "- item" per line`
            : undefined;
      out.push({ path, message: `expected ${expectedName(issue.expected)}, got ${describe(value)}`, hint });
      return;
    }
    case 'invalid_value': {
      if (isCustom(issue.message)) {
        out.push({ path, message: `${issue.message}, got ${describe(value)}` });
        return;
      }
      const values = issue.values.map((v) => JSON.stringify(v));
      const near = typeof value === 'string' ? closest(value, issue.values.filter((v): v is string => typeof v === 'string')) : undefined;
      out.push({
        path,
        message:
          values.length === 1
            ? `expected ${values[0]}, got ${describe(value)}`
            : `expected one of ${values.join(', ')}, got ${describe(value)}${near ? ` — did you mean "${near}"?` : ''}`,
      });
      return;
    }
    case 'invalid_key': {
      const inner = issue.issues[0];
      out.push({
        path,
        anchor: 'key',
        message: `"${field}": ${inner && isCustom(inner.message) ? inner.message : 'not a valid name here'}`,
      });
      return;
    }
    case 'too_small':
    case 'too_big': {
      out.push({ path, message: isCustom(issue.message) ? issue.message : sizeMessage(issue) });
      return;
    }
    default: {
      out.push({ path, message: isCustom(issue.message) ? issue.message : cleanZodMessage(issue.message) });
    }
  }
}

function segment(s: PropertyKey): PathSegment {
  return typeof s === 'number' ? s : String(s);
}

/** zod's own messages start like this; ours are written for operators. */
function isCustom(message: string): boolean {
  return !/^(Invalid|Too (small|big)|Unrecognized)/.test(message);
}

function cleanZodMessage(message: string): string {
  return message.replace(/^Invalid (input|string|option): /, '');
}

function sizeMessage(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig): string {
  const small = issue.code === 'too_small';
  const limit = Number(small ? (issue as z.core.$ZodIssueTooSmall).minimum : (issue as z.core.$ZodIssueTooBig).maximum);
  const inclusive = issue.inclusive !== false;
  switch (issue.origin) {
    case 'string':
      if (small && limit === 1) return 'must not be empty';
      return `must be ${small ? 'at least' : 'at most'} ${limit} characters long`;
    case 'array':
    case 'set':
      if (small && limit === 1) return 'the list must not be empty';
      return `the list must have ${small ? 'at least' : 'at most'} ${limit} items`;
    default:
      if (small) return inclusive ? `must be at least ${limit}` : `must be more than ${limit}`;
      return inclusive ? `must be at most ${limit}` : `must be less than ${limit}`;
  }
}

function expectedName(expected: string): string {
  switch (expected) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'int':
      return 'a whole number';
    case 'boolean':
      return 'true or false';
    case 'object':
    case 'record':
      return 'a map of fields';
    case 'array':
      return 'a list';
    default:
      return expected;
  }
}

function unionExpected(issue: z.core.$ZodIssueInvalidUnion): string {
  const names = new Set<string>();
  for (const branch of issue.errors) {
    for (const i of branch) if (i.code === 'invalid_type') names.add(expectedName(i.expected));
  }
  return names.size ? [...names].join(' or ') : 'a different value';
}

export function describe(value: unknown): string {
  if (value === null) return 'an empty value';
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 37)}...` : value;
    return `"${shown}"`;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return typeof value;
}

export function valueAt(raw: unknown, path: readonly PathSegment[]): unknown {
  let v: unknown = raw;
  for (const s of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[String(s)];
  }
  return v;
}

/** Field names allowed in the object schema that the data at `path` is checked against. */
export function allowedKeys(schema: z.ZodType, path: readonly PathSegment[], raw: unknown): string[] {
  let current: z.ZodType | undefined = schema;
  for (let i = 0; i < path.length && current; i++) {
    current = child(objectLike(current, valueAt(raw, path.slice(0, i))), path[i]);
  }
  const obj = current && objectLike(current, valueAt(raw, path));
  return obj instanceof z.ZodObject ? Object.keys(obj.shape) : [];
}

function unwrap(s: z.ZodType): z.ZodType {
  let cur: z.ZodType = s;
  for (;;) {
    if (cur instanceof z.ZodOptional || cur instanceof z.ZodNullable) cur = cur.unwrap() as z.ZodType;
    else if (cur instanceof z.ZodDefault) cur = cur.unwrap() as z.ZodType;
    else return cur;
  }
}

/** For a union, the option that fits the data (objects for maps, arrays for lists). */
function objectLike(s: z.ZodType, data: unknown): z.ZodType {
  const u = unwrap(s);
  if (!(u instanceof z.ZodUnion)) return u;
  const options = (u.options as readonly z.ZodType[]).map(unwrap);
  const wanted = Array.isArray(data)
    ? options.find((o) => o instanceof z.ZodArray)
    : data !== null && typeof data === 'object'
      ? options.find((o) => o instanceof z.ZodObject) ?? options.find((o) => o instanceof z.ZodRecord)
      : undefined;
  return wanted ?? u;
}

function child(s: z.ZodType, seg: PathSegment): z.ZodType | undefined {
  if (s instanceof z.ZodObject) return (s.shape as Record<string, z.ZodType>)[String(seg)];
  if (s instanceof z.ZodRecord) return s.valueType as z.ZodType;
  if (s instanceof z.ZodArray) return s.element as z.ZodType;
  return undefined;
}
