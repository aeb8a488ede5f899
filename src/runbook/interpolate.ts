// `${NAME}` references in runbook strings.
//  - Targets (and release metadata) are expanded from the environment at load time, with
//    `${NAME:-default}` for a fallback used when NAME is unset or empty.
//  - Header values, bodies and script env values are templates: `${SECRET}` names a declared
//    secret that is read only at the moment of use (see secrets.ts).

import { closest } from './suggest.js';
import { ownValue } from '../own.js';

export interface Ref {
  /** The whole reference as written, e.g. `${DEMO_URL:-http://x}`. */
  text: string;
  /** Offset of the reference in the string. */
  index: number;
  name?: string; // undefined when the reference is malformed
  fallback?: string; // the text after `:-`
}

export interface RefProblem {
  ref: Ref;
  message: string;
  hint?: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Every `${…}` in the string, in order; an unclosed `${` is returned as a malformed ref. */
export function findRefs(s: string): Ref[] {
  const refs: Ref[] = [];
  let i = 0;
  while ((i = s.indexOf('${', i)) !== -1) {
    const end = s.indexOf('}', i + 2);
    if (end === -1) {
      refs.push({ text: s.slice(i), index: i });
      break;
    }
    const text = s.slice(i, end + 1);
    const inner = s.slice(i + 2, end);
    const sep = inner.indexOf(':-');
    const name = sep === -1 ? inner : inner.slice(0, sep);
    refs.push(
      NAME.test(name)
        ? { text, index: i, name, fallback: sep === -1 ? undefined : inner.slice(sep + 2) }
        : { text, index: i },
    );
    i = end + 1;
  }
  return refs;
}

function malformed(ref: Ref): RefProblem {
  return ref.text.endsWith('}')
    ? { ref, message: `malformed reference "${ref.text}"`, hint: 'write ${NAME} or ${NAME:-default}' }
    : { ref, message: `unclosed reference "${ref.text}"`, hint: 'close it with "}"' };
}

/**
 * Expand environment references; problems are reported rather than thrown. A reference to a
 * name in `pending` (a declared parameter not given yet: a run asks for it when it starts) is
 * no problem: it is kept as written, and `pending` in the result says so.
 */
export function interpolateEnv(s: string, env: NodeJS.ProcessEnv, pendingNames?: ReadonlySet<string>): { value: string; problems: RefProblem[]; pending?: true } {
  const problems: RefProblem[] = [];
  let pending: true | undefined;
  let out = '';
  let last = 0;
  for (const ref of findRefs(s)) {
    out += s.slice(last, ref.index);
    last = ref.index + ref.text.length;
    if (ref.name === undefined) {
      problems.push(malformed(ref));
      continue;
    }
    const value = ownValue(env, ref.name);
    if (value !== undefined && value !== '') out += value;
    else if (ref.fallback !== undefined) out += ref.fallback;
    else if (pendingNames?.has(ref.name)) {
      out += ref.text;
      pending = true;
    } else
      problems.push({
        ref,
        message: `environment variable ${ref.name} is not set`,
        hint: `set ${ref.name}, or give a default: \${${ref.name}:-value}`,
      });
  }
  out += s.slice(last);
  return pending ? { value: out, problems, pending } : { value: out, problems };
}

/** Problems with the `${SECRET}` references of a template (header value, body, script env). */
export function checkSecretRefs(s: string, declared: readonly string[]): RefProblem[] {
  const problems: RefProblem[] = [];
  for (const ref of findRefs(s)) {
    if (ref.name === undefined) problems.push(malformed(ref));
    else if (ref.fallback !== undefined)
      problems.push({
        ref,
        message: `"${ref.text}": defaults are only supported in targets; secrets are read when they are used`,
        hint: `declare ${ref.name} under secrets: and write \${${ref.name}}`,
      });
    else if (!declared.includes(ref.name)) {
      const near = closest(ref.name, declared);
      problems.push({
        ref,
        message: `${ref.name} is not declared under secrets:`,
        hint: near
          ? `did you mean \${${near}}? Otherwise add "- ${ref.name}" to secrets:`
          : `add "- ${ref.name}" to secrets:`,
      });
    }
  }
  return problems;
}
