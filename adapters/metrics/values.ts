// Picking a number out of a JSON answer, shared by the http-json, script and Prometheus readers.

export type Picked = { found: true; value: unknown } | { found: false; reason: string };

/**
 * `a.b.0.c` → the value there. Missing steps are reported with where the walk stopped, so a
 * typo in a runbook reads as a provider error rather than as endless "no data".
 */
export function pickPath(doc: unknown, path: string): Picked {
  if (path.trim() === '') return { found: true, value: doc };
  let cur = doc;
  const keys = path.split('.');
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const at = keys.slice(0, i).join('.') || '(root)';
    if (Array.isArray(cur)) {
      if (!/^\d+$/.test(key)) return { found: false, reason: `${at} is an array; "${key}" is not an index` };
      if (Number(key) >= cur.length) return { found: false, reason: `${at} has ${cur.length} item(s), no index ${key}` };
      cur = cur[Number(key)];
    } else if (cur !== null && typeof cur === 'object') {
      if (!Object.hasOwn(cur, key)) return { found: false, reason: `${at} has no field "${key}"` };
      cur = (cur as Record<string, unknown>)[key];
    } else {
      return { found: false, reason: `${at} is ${describe(cur)}, not an object` };
    }
  }
  return { found: true, value: cur };
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 37) + '...' : v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

const INF = /^[+]?inf(inity)?$/i;
const NEG_INF = /^-inf(inity)?$/i;
// Decimal only: Number() would also take "0x1f" and "" (as 0).
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * JSON number or numeric string → number. `null` and "NaN" (what Prometheus prints for a
 * quantile over no samples) mean no data. Anything else is not a metric value.
 */
export function toMetricValue(v: unknown): { ok: true; value: number | null } | { ok: false; reason: string } {
  if (v === null) return { ok: true, value: null };
  if (typeof v === 'number') return Number.isFinite(v) ? { ok: true, value: v } : { ok: false, reason: `${v} is not a finite number` };
  if (typeof v === 'string') {
    const s = v.trim();
    if (/^nan$/i.test(s)) return { ok: true, value: null };
    if (INF.test(s)) return { ok: true, value: Infinity };
    if (NEG_INF.test(s)) return { ok: true, value: -Infinity };
    if (DECIMAL.test(s)) return { ok: true, value: Number(s) };
  }
  return { ok: false, reason: `value is ${describe(v)}, not a number` };
}

/**
 * JSON array → samples. Gaps (null, "NaN") and infinities are skipped and counted: the judge
 * compares finite numbers. Any other item is not a sample, and the whole answer is refused.
 * A null instead of the array is a window without samples.
 */
export function toSampleValues(v: unknown): { ok: true; values: number[]; skipped: number } | { ok: false; reason: string } {
  if (v === null) return { ok: true, values: [], skipped: 0 };
  if (!Array.isArray(v)) return { ok: false, reason: `value is ${describe(v)}, not an array of numbers` };
  const values: number[] = [];
  let skipped = 0;
  for (let i = 0; i < v.length; i++) {
    const item = toMetricValue(v[i]);
    if (!item.ok) return { ok: false, reason: `item ${i}: ${item.reason}` };
    if (item.value === null || !Number.isFinite(item.value)) skipped++;
    else values.push(item.value);
  }
  return { ok: true, values, skipped };
}
