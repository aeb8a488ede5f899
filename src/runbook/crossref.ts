// Checks that need more than one field: references between sections (step → check,
// check/action → target, template → secret), duplicate step ids, action keys, and the
// environment interpolation of targets. Works on the raw YAML data, guarding every type, so
// it can run (and report) even when the schema has found problems elsewhere.
import type { PathSegment } from './locate.js';
import { checkSecretRefs, interpolateEnv, type RefProblem } from './interpolate.js';
import { METRIC_SOURCES, RESERVED_KEYS } from './schema.js';
import { Suggester } from './suggest.js';
import type { Problem } from './zod-issues.js';
import { ownValue } from '../own.js';

export interface CrossCheckResult {
  problems: Problem[];
  /** Target name → base URL after interpolation (only targets that resolved cleanly). */
  targets: Record<string, string>;
  /** Release metadata after interpolation. */
  release: Record<string, string>;
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

const CHECK_FIELDS = ['title', 'every', 'http', 'script', 'gate'];
const ACTION_FIELDS = ['title', 'key', 'confirm', 'dangerous', 'script', 'http', 'scope', 'type', 'mock', 'preflight'];
const PHASES = ['preflight', 'postflight'];
const CHECK_KINDS = ['http', 'script', 'gate'];

export function crossCheck(
  raw: unknown,
  env: NodeJS.ProcessEnv,
  lineOf: (path: PathSegment[]) => number,
): CrossCheckResult {
  const problems: Problem[] = [];
  const root = isObj(raw) ? raw : {};
  const suggester = new Suggester();
  const closest = (word: string, candidates: readonly string[]) => suggester.closest(word, candidates);
  const refProblems = (path: PathSegment[], list: RefProblem[]) => {
    for (const p of list) problems.push({ path, needle: p.ref.text, message: p.message, hint: p.hint });
  };

  // secrets
  const secrets: string[] = [];
  if (Array.isArray(root.secrets)) {
    root.secrets.forEach((s, i) => {
      if (typeof s !== 'string') return;
      if (secrets.includes(s)) problems.push({ path: ['secrets', i], message: `secret ${s} is declared twice` });
      else secrets.push(s);
    });
  }
  // Secret parameters are declared secrets too: ${NAME} in headers and script env reads them.
  if (isObj(root.params)) for (const [name, p] of Object.entries(root.params)) if (isObj(p) && p.type === 'secret' && !secrets.includes(name)) secrets.push(name);

  // Declared parameters without a value yet: a run asks for them before it starts (validate
  // and the first load of the cockpit's form see them so), so ${NAME} may name them.
  const pending = new Set<string>();
  if (isObj(root.params)) for (const name of Object.keys(root.params)) if (!ownValue(env, name)) pending.add(name);

  // targets
  const targets: Record<string, string> = {};
  const targetNames = isObj(root.targets) ? Object.keys(root.targets) : [];
  const targetSet = new Set(targetNames);
  if (isObj(root.targets)) {
    for (const [name, v] of Object.entries(root.targets)) {
      const path: PathSegment[] = typeof v === 'string' ? ['targets', name] : ['targets', name, 'url'];
      const text = typeof v === 'string' ? v : isObj(v) && typeof v.url === 'string' ? v.url : undefined;
      if (text === undefined) continue;
      const { value, problems: refs, pending: waits } = interpolateEnv(text, env, pending);
      refProblems(path, refs);
      if (refs.length) continue;
      const url = value.trim();
      // With a parameter still to come, its shape is checked with a stand-in value.
      if (!isHttpUrl(waits ? interpolateEnv(url, Object.fromEntries([...pending].map((n) => [n, '1']))).value : url)) {
        // Never the resolved text: a reference may hold a secret.
        const shown = url === text ? `"${url}"` : `"${text}", which is not one once its \${…} references are filled in`;
        problems.push({
          path,
          message: `target "${name}" must be an http:// or https:// URL, got ${shown}`,
        });
        continue;
      }
      targets[name] = url.replace(/\/+$/, '');
    }
  }

  // release metadata
  const release: Record<string, string> = {};
  if (isObj(root.release)) {
    for (const [k, v] of Object.entries(root.release)) {
      if (typeof v !== 'string') continue;
      const { value, problems: refs } = interpolateEnv(v, env, pending);
      refProblems(['release', k], refs);
      release[k] = value;
    }
  }

  // The paths given to these checks are arrays made once per check; a problem's path is made
  // from them only when there is a problem (a runbook may hold thousands of steps).
  const checkTarget = (parent: PathSegment[], key: PathSegment, target: unknown) => {
    if (typeof target !== 'string' || targetSet.has(target)) return;
    const path = [...parent, key];
    const near = closest(target, targetNames);
    problems.push({
      path,
      message: `no target named "${target}"${near ? ` — did you mean "${near}"?` : ''}`,
      hint: targetNames.length === 0 ? 'declare it under targets:' : near ? undefined : `targets: ${targetNames.join(', ')}`,
    });
  };

  const checkHttp = (path: PathSegment[], http: Obj) => {
    checkTarget(path, 'target', http.target);
    if (typeof http.path === 'string') {
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(http.path))
        problems.push({
          path: [...path, 'path'],
          message: 'path must be a path such as /readyz; the base URL comes from the target',
        });
      else if (http.path.includes('${'))
        problems.push({
          path: [...path, 'path'],
          message: 'references are not expanded in path',
          hint: 'put environment-specific URLs under targets:, secrets in headers',
        });
    }
    if (isObj(http.headers)) {
      for (const [h, v] of Object.entries(http.headers)) {
        if (typeof v === 'string') refProblems([...path, 'headers', h], checkSecretRefs(v, secrets));
      }
    }
    if (http.body !== undefined) walkStrings(http.body, [...path, 'body'], (p, s) => refProblems(p, checkSecretRefs(s, secrets)));
  };

  const checkScript = (path: PathSegment[], script: Obj) => {
    if (isObj(script.env)) {
      for (const [k, v] of Object.entries(script.env)) {
        if (typeof v === 'string') refProblems([...path, 'env', k], checkSecretRefs(v, secrets));
      }
    }
  };

  /** Exactly one of the kinds (http:/script:/gate:), then the parts. */
  const checkKinds = (path: PathSegment[], obj: Obj, fields: string[], what: string, kinds: string[]) => {
    let first: string | undefined;
    let second: string | undefined;
    for (let i = 0; i < kinds.length && second === undefined; i++) {
      if (obj[kinds[i]] === undefined) continue;
      if (first === undefined) first = kinds[i];
      else second = kinds[i];
    }
    if (second !== undefined) {
      problems.push({
        path: [...path, second],
        anchor: 'key',
        message: `${what} has both ${first}: and ${second}:; keep one`,
      });
    } else if (first === undefined && Object.keys(obj).every((k) => fields.includes(k))) {
      problems.push({ path, anchor: 'key', message: `${what} needs ${kinds.map((k) => `${k}:`).join(kinds.length > 2 ? ', ' : ' or ')}` });
    }
    if (isObj(obj.http)) checkHttp([...path, 'http'], obj.http);
    if (isObj(obj.script)) checkScript([...path, 'script'], obj.script);
    if (isObj(obj.gate) && typeof obj.gate.quorum === 'string') {
      const [k, n] = obj.gate.quorum.split('/').map(Number);
      const judges = Array.isArray(obj.gate.slo) ? obj.gate.slo.length : 1;
      if (!(k >= 1 && k <= n && n === judges))
        problems.push({
          path: [...path, 'gate', 'quorum'],
          message: `quorum ${obj.gate.quorum} does not fit ${judges} SLO file(s): k must be 1..n and n the number of files`,
        });
    }
  };

  /** A compare metric's baseline: and canary: each read from exactly one of csv: or http:. */
  const checkSampleSides = (path: PathSegment[], compare: Obj) => {
    for (const side of ['baseline', 'canary'] as const) {
      const s = compare[side];
      if (!isObj(s)) continue;
      const has = (['csv', 'http'] as const).filter((k) => s[k] !== undefined);
      if (has.length === 2)
        problems.push({ path: [...path, side, 'http'], anchor: 'key', message: `${side} has both csv: and http:; keep one` });
      else if (has.length === 0 && Object.keys(s).length === 0)
        problems.push({ path: [...path, side], anchor: 'key', message: `${side} needs its samples from csv: or http:` });
      if (isObj(s.http)) checkHttp([...path, side, 'http'], s.http);
    }
  };

  // checks
  const checkNames = isObj(root.checks) ? Object.keys(root.checks) : [];
  const checkSet = new Set(checkNames);
  if (isObj(root.checks)) {
    for (const [name, c] of Object.entries(root.checks)) {
      if (isObj(c)) checkKinds(['checks', name], c, CHECK_FIELDS, `check "${name}"`, CHECK_KINDS);
    }
  }

  // checklists
  if (isObj(root.checklists)) {
    // A confirm-first step is an action (the safety controls decide it): its check must be its
    // own, never one that runs without a person (polled, another step's, a trigger's).
    const uses = new Map<string, number>();
    for (const phase of PHASES) {
      const list = root.checklists[phase];
      if (Array.isArray(list)) for (const st of list) if (isObj(st) && typeof st.check === 'string') uses.set(st.check, (uses.get(st.check) ?? 0) + 1);
    }
    const triggered = new Set(Array.isArray(root.triggers) ? root.triggers.flatMap((t) => (isObj(t) && typeof t.check === 'string' ? [t.check] : [])) : []);
    for (const phase of PHASES) {
      const steps = root.checklists[phase];
      if (!Array.isArray(steps)) continue;
      const seen = new Map<string, number>();
      for (let i = 0; i < steps.length; i++) {
        const step: unknown = steps[i];
        if (!isObj(step)) continue;
        if (typeof step.id === 'string') {
          const first = seen.get(step.id);
          if (first !== undefined) {
            problems.push({
              path: ['checklists', phase, i, 'id'],
              message: `duplicate step id "${step.id}" — already used at line ${lineOf(['checklists', phase, first, 'id'])}`,
              hint: `step ids must be unique within ${phase}`,
            });
          } else seen.set(step.id, i);
        }
        if (typeof step.check === 'string' && !checkSet.has(step.check)) {
          const near = closest(step.check, checkNames);
          problems.push({
            path: ['checklists', phase, i, 'check'],
            message: `no check named "${step.check}"${near ? ` — did you mean "${near}"?` : ''}`,
            hint: checkNames.length === 0 ? 'declare it under checks:, or write the check here' : undefined,
          });
        } else if (isObj(step.check)) {
          checkKinds(['checklists', phase, i, 'check'], step.check, CHECK_FIELDS, 'the check', CHECK_KINDS);
        }
        if (step.confirm !== undefined && typeof step.check === 'string' && checkSet.has(step.check)) {
          const shared = isObj(root.checks) && isObj(root.checks[step.check]) && (root.checks[step.check] as Obj).every !== undefined ? 'it is polled (every:)' : (uses.get(step.check) ?? 0) > 1 ? 'another step uses it too' : triggered.has(step.check) ? 'a trigger watches it' : undefined;
          if (shared) problems.push({ path: ['checklists', phase, i, 'check'], message: `a confirm-first step runs its check only through the safety controls, but check "${step.check}" also runs without a person: ${shared}`, hint: 'write the check in the step itself, or give the step a check of its own' });
        }
        if (step.manual === true && step.check !== undefined) {
          problems.push({
            path: ['checklists', phase, i, 'manual'],
            anchor: 'key',
            message: 'a step with a check is automatic; remove manual: true or the check',
          });
        }
      }
    }
  }

  // actions
  if (isObj(root.actions)) {
    const keys = new Map<string, string>();
    for (const [name, a] of Object.entries(root.actions)) {
      if (!isObj(a)) continue;
      const path: PathSegment[] = ['actions', name];
      checkKinds(path, a, ACTION_FIELDS, `action "${name}"`, ['script', 'http']);
      if (typeof a.key !== 'string' || [...a.key].length !== 1) continue;
      const key = a.key;
      if (/^[\s\p{C}]$/u.test(key)) {
        problems.push({
          path: [...path, 'key'],
          message: 'a key must be a visible character',
          hint: 'Enter and Escape are reserved by the cockpit',
        });
      } else if ((RESERVED_KEYS as readonly string[]).includes(key)) {
        problems.push({
          path: [...path, 'key'],
          message: `key "${key}" is reserved by the cockpit`,
          hint: `reserved keys: ${RESERVED_KEYS.join(' ')} Enter Escape`,
        });
      } else if (keys.has(key)) {
        problems.push({ path: [...path, 'key'], message: `key "${key}" is already used by action "${keys.get(key)}"` });
      } else keys.set(key, name);
    }
  }

  // canary
  if (isObj(root.canary)) {
    const canary = root.canary;
    const actionNames = isObj(root.actions) ? Object.keys(root.actions) : [];
    if (Array.isArray(canary.metrics)) {
      canary.metrics.forEach((m, i) => {
        if (!isObj(m)) return;
        const path: PathSegment[] = ['canary', 'metrics', i];
        const sources = METRIC_SOURCES.filter((k) => m[k] !== undefined);
        if (sources.length !== 1)
          problems.push({
            path,
            anchor: 'key',
            message: sources.length
              ? `metric has ${sources.join(' and ')}; keep one source`
              : 'metric needs one source: prometheus:, http:, csv:, script: or compare:',
          });
        if (m.compare !== undefined) {
          // The test judges a compare metric; a threshold on top would judge something else.
          for (const field of ['success', 'failure', 'burst'] as const) {
            if (m[field] !== undefined)
              problems.push({
                path: [...path, field],
                anchor: 'key',
                message: `a compare metric is judged by the Mann-Whitney test, not by ${field}:; remove it`,
                hint: 'tune the comparison with confidence:, effectSize: and minSamples: under compare:',
              });
          }
          if (isObj(m.compare)) checkSampleSides([...path, 'compare'], m.compare);
        } else if (m.success === undefined && m.failure === undefined && m.burst === undefined)
          problems.push({ path, anchor: 'key', message: 'metric needs success:, failure: or burst: to judge windows by' });
        if (isObj(m.prometheus)) checkTarget([...path, 'prometheus'], 'target', m.prometheus.target);
        if (isObj(m.http)) checkHttp([...path, 'http'], m.http);
        if (isObj(m.script)) checkScript([...path, 'script'], m.script);
      });
    }
    const chosen = isObj(canary.actions) ? canary.actions : {};
    for (const role of ['promote', 'abort', 'start'] as const) {
      const name = chosen[role] ?? (role === 'start' ? undefined : role);
      if (typeof name !== 'string' || actionNames.includes(name)) continue;
      const near = closest(name, actionNames);
      problems.push({
        path: chosen[role] !== undefined ? ['canary', 'actions', role] : ['canary'],
        anchor: 'key',
        message: `the canary ${role}s with action "${name}", which is not declared${near ? ` — did you mean "${near}"?` : ''}`,
        hint: chosen[role] !== undefined ? undefined : `declare actions.${name}, or name another action under canary.actions.${role}`,
      });
    }
  }

  // triggers: a live check and an action that exist
  if (isObj(root.triggers)) {
    const checks = isObj(root.checks) ? root.checks : {};
    const actionNames = isObj(root.actions) ? Object.keys(root.actions) : [];
    for (const [name, t] of Object.entries(root.triggers)) {
      if (!isObj(t)) continue;
      if (typeof t.check === 'string') {
        const c = checks[t.check];
        if (!isObj(c)) {
          const near = closest(t.check, Object.keys(checks));
          problems.push({ path: ['triggers', name, 'check'], message: `no check named "${t.check}"${near ? ` — did you mean "${near}"?` : ''}` });
        } else if (c.every === undefined) {
          problems.push({ path: ['triggers', name, 'check'], message: `check "${t.check}" has no every:, so nothing polls it and the trigger could never fire`, hint: `add every: to checks.${t.check}` });
        }
      }
      const action = typeof t.action === 'string' ? t.action : 'rollback';
      if (!actionNames.includes(action)) {
        const near = closest(action, actionNames);
        problems.push({
          path: t.action !== undefined ? ['triggers', name, 'action'] : ['triggers', name],
          anchor: t.action !== undefined ? undefined : 'key',
          message: `trigger "${name}" runs action "${action}", which is not declared${near ? ` — did you mean "${near}"?` : ''}`,
        });
      }
    }
  }

  return { problems, targets, release };
}

function isHttpUrl(s: string): boolean {
  if (!/^https?:\/\//i.test(s)) return false;
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}

function walkStrings(v: unknown, path: PathSegment[], visit: (path: PathSegment[], s: string) => void): void {
  if (typeof v === 'string') visit(path, v);
  else if (Array.isArray(v)) v.forEach((x, i) => walkStrings(x, [...path, i], visit));
  else if (isObj(v)) for (const [k, x] of Object.entries(v)) walkStrings(x, [...path, k], visit);
}
