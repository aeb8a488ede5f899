// The cockpit that reopens a run whose cockpit was killed while a block ran (real processes, the
// built binary killed with SIGKILL, then the real cockpit on its ledger): the block's outcome is
// unknown, and the step says so; Enter asks for its id typed before it runs again.
import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRunbook } from '../src/runbook/load.js';
import '../src/runbook/markdown/load.js'; // registers the Markdown reader
import { openLedger } from '../adapters/ledger.js';
import { SqliteStore } from '../adapters/sqlite-store.js';
import { currentStep, decideStepIntent, walkChecklist, type ChecklistStep } from '../src/engine/checklist.js';
import type { EventBody } from '../src/engine/types.js';
import { mountCockpitOn, unmountAll } from './support/mount.js';
import { waitFor } from './support/cockpit.js';
import { bin, root } from './support/cli.js';
import { allEvents } from './support/ledger-files.js';
import { waitGone } from './support/processes.js';

const closers: Array<() => void> = [];
afterEach(async () => {
  await unmountAll();
  for (const close of closers.splice(0)) close();
});

const ENV = { PATH: process.env.PATH, TMPDIR: process.env.TMPDIR, OPSCOCKPIT_OPERATOR: 'ops', OPSCOCKPIT_ALLOW_SCOPES: 'run:steps' };

/** A Markdown runbook whose one block waits a minute, unless `fast` exists; the run killed in it. */
async function killedInBlock(): Promise<{ file: string; ledger: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'oc-orphan-'));
  const file = join(dir, 'deploy.md');
  const block = `[ -e ${dir}/fast ] && exit 0; echo $$ > ${dir}/block.pid; sleep 60`;
  writeFileSync(file, `# Deploy\n\n## Steps\n\n1. Deploy\n\n   \`\`\`bash\n   ${block}\n   \`\`\`\n`);
  const ledger = join(dir, 'ledger.db');
  const child = spawn('node', [bin, 'run', file, '--yes', '--ledger', ledger], { cwd: root, env: ENV, stdio: 'ignore' });
  const until = Date.now() + 15_000;
  while (!existsSync(join(dir, 'block.pid')) || !readFileSync(join(dir, 'block.pid'), 'utf8').trim()) {
    if (Date.now() > until || child.exitCode !== null) throw new Error('the block did not start');
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGKILL');
  expect(await waitGone(Number(readFileSync(join(dir, 'block.pid'), 'utf8')), 4000)).toBe(true);
  return { file, ledger, dir };
}

/** The left column's text, its wrapped lines joined: the checklist's. */
const leftColumn = (frame: string) =>
  frame
    .split('\n')
    .map((l) => l.split('│')[1] ?? '')
    .join(' ')
    .replace(/\s+/g, ' ');

describe('reopening a run whose cockpit was killed in a block', () => {
  it('says the outcome is unknown; Enter asks for the id typed, then runs it again', async () => {
    const { file, ledger, dir } = await killedInBlock();
    writeFileSync(join(dir, 'fast'), '');
    const sqlite = openLedger(ledger);
    closers.push(() => sqlite.close());
    const m = await mountCockpitOn(loadRunbook(file, {}), new SqliteStore(sqlite, ledger), ledger, { env: ENV });
    const step = () => currentStep(m.session.store.getState().checklist)!;
    expect(step()).toMatchObject({ state: 'pending', unknown: true });
    await waitFor(() => leftColumn(m.frame()).includes(`its outcome is unknown: it may still have run or be running (the cockpit that ran it stopped before recording it); check by hand whether its command still runs and what it did; then Enter and type ${step().id} to run it again`), 'the warning on the step');
    m.app.stdin.write('\r');
    await waitFor(() => m.frame().includes('Its outcome is unknown'), 'the typed confirmation');
    expect(m.frame()).toContain(`Type ${step().id} and press Enter`);
    m.app.stdin.write('x\r');
    await waitFor(() => m.frame().includes(`Type "${step().id}" exactly.`), 'a wrong id refused');
    expect(allEvents(ledger).filter((e) => e.kind === 'step.started')).toHaveLength(1);
    m.app.stdin.write('\x7f'); // backspace the x
    for (const ch of step().id) m.app.stdin.write(ch);
    m.app.stdin.write('\r');
    await waitFor(() => m.session.store.getState().checklist.phases.preflight.steps[0].state === 'passed', 'run again and passed');
    expect(allEvents(ledger).filter((e) => e.kind === 'step.started')).toHaveLength(2);
  });
});

describe('the walk of a step its cockpit never answered', () => {
  const checklists = { preflight: [{ id: 'deploy', title: 'Deploy', check: 'deploy', blocking: true, line: 3 } satisfies ChecklistStep], postflight: [] };
  const started: EventBody = { kind: 'step.started', phase: 'preflight', step: 'deploy' };

  it('is of unknown outcome once the run resumed, refused without its id typed, cleared by its new start', () => {
    const walk = walkChecklist(checklists, [started, { kind: 'run.resumed' }, { kind: 'step.note', phase: 'preflight', step: 'deploy', note: 'looked' }]);
    expect(currentStep(walk)).toMatchObject({ state: 'pending', unknown: true });
    const refused = decideStepIntent(walk, { kind: 'advance' });
    expect(refused).toEqual({ ok: false, refusal: expect.stringContaining('"Deploy": its outcome is unknown: it may still have run or be running') });
    expect(decideStepIntent(walk, { kind: 'advance', typed: 'deploy' })).toMatchObject({ ok: true, event: started, run: true });
    expect(currentStep(walkChecklist(checklists, [started, { kind: 'run.resumed' }, started]))).toMatchObject({ state: 'running' });
    expect(currentStep(walkChecklist(checklists, [started, { kind: 'run.resumed' }, started]))?.unknown).toBeUndefined();
    expect(currentStep(walkChecklist(checklists, [started]))).toMatchObject({ state: 'running' });
  });

  it('recorded unknown by the driver that took over (its former driver gone): retried, it asks for its id typed too', () => {
    const unknown: EventBody = { kind: 'step.result', phase: 'preflight', step: 'deploy', result: { check: 'deploy', status: 'error', code: 'outcome_unknown', reason: "alice's cockpit is gone", startedAt: 0, durationMs: 1 } };
    const retried: EventBody = { kind: 'step.retried', phase: 'preflight', step: 'deploy' };
    const walk = walkChecklist(checklists, [started, unknown, retried]);
    expect(currentStep(walk)).toMatchObject({ state: 'pending', unknown: true });
    expect(decideStepIntent(walk, { kind: 'advance' })).toMatchObject({ ok: false });
    expect(decideStepIntent(walk, { kind: 'advance', typed: 'deploy' })).toMatchObject({ ok: true, run: true });
    // An ordinary failure retried runs on Enter, as before.
    const failed = { ...unknown, result: { ...(unknown as Extract<EventBody, { kind: 'step.result' }>).result, code: 'status', reason: 'exit 1' } } as EventBody;
    expect(currentStep(walkChecklist(checklists, [started, failed, retried]))?.unknown).toBeUndefined();
  });
});
