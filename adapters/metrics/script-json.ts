// script: run a script that prints JSON and pick a number out of it. The script runs like any
// other runbook script (own process group, declared env only, timeout kills the group). A
// non-zero exit is the script saying it could not measure: a provider error, not a value.
import { runScript } from '../script.js';
import type { MetricContext, MetricReading, ScriptQuery } from './types.js';
import { pickPath, toMetricValue } from './values.js';

const lastLine = (text: string) => text.split('\n').map((l) => l.trim()).filter(Boolean).pop();

/** The whole stdout as JSON, or else its last line (scripts often log before they answer). */
function parseOutput(stdout: string): { ok: true; doc: unknown } | { ok: false } {
  for (const text of [stdout.trim(), lastLine(stdout)]) {
    if (!text) continue;
    try {
      return { ok: true, doc: JSON.parse(text) };
    } catch {
      // try the next candidate
    }
  }
  return { ok: false };
}

export async function readScriptJson(q: ScriptQuery, ctx: MetricContext): Promise<MetricReading> {
  const now = ctx.now ?? Date.now;
  const fail = (reason: string): MetricReading => ({ ok: false, kind: 'provider-error', reason, at: now() });
  const where = q.script.command;

  const out = await runScript(q.script, { env: ctx.env, secrets: ctx.secrets, signal: ctx.signal });
  const why = lastLine(out.stderr) ?? lastLine(out.stdout);
  const suffix = why ? `: ${why.slice(0, 200)}` : '';
  if (out.spawnError) return fail(`${out.spawnError} (${where})`);
  if (out.timedOut) return fail(`${where} timed out after ${q.script.timeoutMs} ms, process group killed`);
  if (out.signal || out.exitCode === undefined) return fail(`${where} was killed by ${out.signal ?? 'an unknown signal'}`);
  if (out.exitCode !== 0) return fail(`${where} exited ${out.exitCode}${suffix}`);

  const parsed = parseOutput(out.stdout);
  if (!parsed.ok) {
    const first = out.stdout.trim().slice(0, 60);
    return fail(`${where} printed ${first ? `${JSON.stringify(first)}, which is not JSON` : 'nothing'}${out.truncated ? ' (output was truncated)' : ''}`);
  }
  const picked = pickPath(parsed.doc, q.path);
  if (!picked.found) return fail(`path ${q.path}: ${picked.reason} (${where})`);
  const v = toMetricValue(picked.value);
  if (!v.ok) return fail(`path ${q.path}: ${v.reason} (${where})`);
  return { ok: true, value: v.value, at: now(), ...(v.value === null ? { detail: `${q.path || 'output'} is null: no data` } : {}) };
}
