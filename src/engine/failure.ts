// Failure classes a runbook names (seed 003: STOPPED, PREFLIGHT_FAIL, ...): the first class whose
// `match` text appears in what the check or action reported, or the first without a match.

/** A failure the runbook names (seed 003's STOPPED, PREFLIGHT_FAIL, ...) with its remedy. */
export interface FailureClass {
  /** Applies when the reason or output contains this; undefined = any failure. */
  match?: string;
  class: string;
  remedy: string[];
}

export interface ClassifiedFailure {
  class: string;
  remedy: string[];
}

export function classifyFailure(classes: readonly FailureClass[] | undefined, ...texts: (string | undefined)[]): ClassifiedFailure | undefined {
  if (!classes?.length) return undefined;
  const hit = classes.find((c) => c.match === undefined || texts.some((t) => t?.includes(c.match!)));
  return hit ? { class: hit.class, remedy: hit.remedy } : undefined;
}
