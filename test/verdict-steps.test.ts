// A runbook with no automatic checks (a Markdown runbook of confirm-first shell blocks and
// manual steps) is never GO at open: the Gate is INSUFFICIENT until the phase's blocking steps
// are done. A runbook with polled checks is judged by them, as before.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { walkChecklist, type ChecklistStep } from '../src/engine/checklist.js';
import type { EventBody } from '../src/engine/types.js';
import { computeVerdict, gatingChecks, STEPS_TO_DO, STEPS_TO_DO_REASON } from '../src/engine/verdict.js';
import { cli } from './support/cli.js';

const script = (id: string): ChecklistStep => ({ id, title: id, check: `${id}-run`, blocking: true, confirm: true, line: 1 });
const polled = (id: string): ChecklistStep => ({ id, title: id, check: id, blocking: true, line: 1 });
const done = (id: string): EventBody => ({ kind: 'step.result', phase: 'preflight', step: id, result: { check: `${id}-run`, startedAt: 0, durationMs: 1, status: 'healthy', code: 'ok', reason: 'exit 0' } }) as EventBody;

describe('the Gate with no automatic checks', () => {
  it('is INSUFFICIENT while the phase has blocking steps to do, GO once they are done', () => {
    const lists = { preflight: [script('a'), script('b')], postflight: [] };
    const open = walkChecklist(lists, []);
    expect(gatingChecks(open, 'preflight')).toEqual([STEPS_TO_DO]);
    expect(computeVerdict('preflight', gatingChecks(open, 'preflight'), {}, {})).toMatchObject({ verdict: 'INSUFFICIENT', reasons: [STEPS_TO_DO_REASON] });
    expect(gatingChecks(walkChecklist(lists, [done('a')]), 'preflight')).toEqual([STEPS_TO_DO]);
    const walked = walkChecklist(lists, [done('a'), done('b')]);
    expect(computeVerdict('preflight', gatingChecks(walked, 'preflight'), {}, {}).verdict).toBe('GO');
  });

  it('a runbook with a polled check is judged by it, as before', () => {
    const state = walkChecklist({ preflight: [script('a'), polled('ready')], postflight: [] }, []);
    expect(gatingChecks(state, 'preflight')).toEqual(['ready']);
  });
});

describe('a runbook with no steps, headless', () => {
  let dir: string;
  let file: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'oc-no-steps-'));
    file = join(dir, 'template.md');
    writeFileSync(file, ['---', 'title: Incident report', '---', '', '# Incident report: <TITLE>', '', '## Summary', '', '_What happened._', ''].join('\n'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('validate: valid, with a warning line that it has no steps', async () => {
    const r = await cli(['validate', file]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^opscockpit: warning: \S+template\.md: this runbook has no steps/);
  });

  it('run --yes: exit 2, "this runbook has no steps", never "completed", nothing recorded', async () => {
    const r = await cli(['run', file, '--yes', '--ledger', join(dir, 'l.db')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('this runbook has no steps');
    expect(r.stdout).not.toContain('completed');
  });
});
