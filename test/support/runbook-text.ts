// Runbook text for tests: YAML written as lines, and the issues a rejected runbook reports.
import { join } from 'node:path';
import { expect } from 'vitest';
import { RunbookError, type RunbookIssue } from '../../src/runbook/errors.js';
import { parseRunbook } from '../../src/runbook/load.js';

export const FILE = 'fixtures/runbooks/test.yaml'; // a name for inline runbooks; never read

/** Lines joined with "\n", so a test can count line numbers from the array index (+1). */
export const yaml = (...lines: string[]) => lines.join('\n') + '\n';

export function issuesOf(text: string, env: NodeJS.ProcessEnv = {}): RunbookIssue[] {
  try {
    parseRunbook(text, FILE, env);
  } catch (e) {
    expect(e).toBeInstanceOf(RunbookError);
    return [...(e as RunbookError).issues];
  }
  throw new Error('expected the runbook to be rejected');
}

export function errorOf(text: string, env: NodeJS.ProcessEnv = {}): RunbookError {
  try {
    parseRunbook(text, FILE, env);
  } catch (e) {
    if (e instanceof RunbookError) return e;
    throw e;
  }
  throw new Error('expected the runbook to be rejected');
}

/** The single issue reported for a runbook with exactly one problem. */
export function onlyIssue(text: string, env: NodeJS.ProcessEnv = {}): RunbookIssue {
  const issues = issuesOf(text, env);
  expect(issues.map((i) => `${i.line}:${i.column} ${i.path} ${i.message}`)).toHaveLength(1);
  return issues[0];
}

export const HEAD = ['version: 1', 'name: Test runbook', 'targets:', '  app: http://127.0.0.1:9000'];

/**
 * The "Ship" runbook of the tests of several cockpits: one automatic step (ready, its check
 * /bin/true), `safety` (YAML text) before its checks, and `actions` (the lines under `actions:`).
 */
export const shipYaml = (actions: string[], safety = ''): string =>
  `version: 1\nname: Ship\n${safety}checks:\n  ok: { script: { command: /bin/true } }\nchecklists:\n  preflight:\n    - { id: ready, check: ok }\nactions:\n` + yaml(...actions);

/** A Markdown runbook: `# title`, then its numbered steps under "## Steps", each with its sh block (lines kept). */
export const stepsMarkdown = (title: string, steps: Array<[step: string, block: string]>): string =>
  [`# ${title}`, '', '## Steps', '', ...steps.flatMap(([step, block], i) => [`${i + 1}. ${step}`, '', '   ```sh', ...block.split('\n').map((l) => `   ${l}`), '   ```', ''])].join('\n');

/** Shell that waits (at most `tries` × 50 ms) until `file` exists: a block the test lets go. */
export const untilFile = (file: string, tries: number): string => `for i in $(seq ${tries}); do [ -e ${file} ] && break; sleep 0.05; done`;

/** The YAML lines of the drain tests' steps: "Drain the queue" (its check runs `block`), then "Restart". */
export const drainSteps = (block: string): string[] => [
  'checks:',
  `  drain: { script: { command: sh, args: [-c, '${block}'] } }`,
  `  restart: { script: { command: sh, args: [-c, 'echo restarted'] } }`,
  'checklists:',
  '  preflight:',
  '    - { id: drain, title: Drain the queue, check: drain }',
  '    - { id: restart, title: Restart, check: restart }',
];

/** The lines of an action `deploy` whose script leaves the file `deployed` in `dir`. */
export const deployAction = (dir: string): string[] => ['actions:', '  deploy:', '    title: Deploy', `    script: { command: sh, args: [-c, 'touch ${join(dir, 'deployed')}'] }`];
