// Durations in runbooks: "500ms", "2s", "1.5m", "1h", or a number of milliseconds.

export const DURATION_PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * The longest duration a runbook may give (a timeout, a window's life, an interval): a week.
 * Timers cannot wait much longer (about 24.8 days), and no step of a procedure should.
 */
export const MAX_DURATION_MS = 7 * 24 * 3_600_000;

/** Milliseconds; undefined for what is not a duration, or rounds to under 1 ms, or is over a week. */
export function parseDuration(value: string | number): number | undefined {
  const ms = rawMs(value);
  return ms !== undefined && ms >= 1 && ms <= MAX_DURATION_MS ? ms : undefined;
}

/** Why a value written as a duration is out of range, for the schema's message; undefined when it is not. */
export function durationRangeProblem(value: string | number): string | undefined {
  const ms = rawMs(value);
  if (ms === undefined) return undefined;
  if (ms < 1) return 'a duration must be at least 1 ms';
  if (ms > MAX_DURATION_MS) return 'a duration must be at most a week (168h)';
  return undefined;
}

function rawMs(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.round(value) : undefined;
  const m = DURATION_PATTERN.exec(value.trim());
  return m ? Math.round(Number(m[1]) * UNIT_MS[m[2]]) : undefined;
}

/** Like parseDuration, for values the schema has already validated. */
export function durationMs(value: string | number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const ms = parseDuration(value);
  if (ms === undefined) throw new Error(`invalid duration ${JSON.stringify(value)}`);
  return ms;
}
