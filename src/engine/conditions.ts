// Metric conditions as runbooks write them: "<= 0.01", "> 300", "== 0".
export type Op = '<' | '<=' | '>' | '>=' | '==' | '!=';

export interface Condition {
  op: Op;
  value: number;
  text: string;
}

const PATTERN = /^\s*(<=|>=|==|!=|<|>)\s*(-?\d+(?:\.\d+)?(?:e-?\d+)?)\s*$/i;

/** Parse a condition; returns undefined when the text is not one (the loader reports where). */
export function parseCondition(text: string): Condition | undefined {
  const m = PATTERN.exec(text);
  if (!m) return undefined;
  return { op: m[1] as Op, value: Number(m[2]), text: `${m[1]} ${m[2]}` };
}

export function holds(c: Condition, v: number): boolean {
  switch (c.op) {
    case '<':
      return v < c.value;
    case '<=':
      return v <= c.value;
    case '>':
      return v > c.value;
    case '>=':
      return v >= c.value;
    case '==':
      return v === c.value;
    case '!=':
      return v !== c.value;
  }
}
