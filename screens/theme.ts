// Colours mean something here (red = stop), so with NO_COLOR the same facts must still be
// readable from words and glyphs alone; `color()` returns undefined and Ink prints plain text.
import type { CheckStatus } from '../src/runbook/model.js';
import type { StepState, Verdict } from '../src/engine/types.js';

export const noColor = (env: NodeJS.ProcessEnv = process.env): boolean => env.NO_COLOR !== undefined && env.NO_COLOR !== '';

const NO_COLOR = noColor();

export function color(name: string): string | undefined {
  return NO_COLOR ? undefined : name;
}

export const verdictColor = (v: Verdict | undefined): string | undefined =>
  color(v === 'GO' ? 'green' : v === 'NO-GO' ? 'red' : 'yellow');

export const statusColor = (s: CheckStatus | 'pending' | 'running'): string | undefined =>
  color(s === 'healthy' ? 'green' : s === 'unhealthy' || s === 'error' ? 'red' : s === 'insufficient' ? 'yellow' : 'gray');

export const stepColor = (s: StepState): string | undefined =>
  color(s === 'passed' || s === 'confirmed' ? 'green' : s === 'failed' ? 'red' : s === 'running' ? 'cyan' : s === 'skipped' ? 'yellow' : 'gray');
