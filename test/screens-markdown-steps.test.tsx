// A Markdown runbook's shell blocks as the operator meets them: the block's lines shown
// before Enter, a destructive block asking for its id typed, a placeholder's value asked when
// its step comes, and a runbook with no steps saying so.
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRunbook } from '../src/runbook/load.js';
import '../src/runbook/markdown/load.js'; // registers the Markdown reader
import { mountCockpit, unmountAll } from './support/mount.js';
import { waitFor } from './support/cockpit.js';

afterEach(unmountAll);

function runbook(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'oc-scr-md-'));
  const file = join(dir, 'runbook.md');
  writeFileSync(file, text);
  return file;
}

describe('Markdown shell blocks in the cockpit', () => {
  it('a destructive block shows its lines, then asks for its id typed; a wrong text does not run it', async () => {
    const file = runbook(['# Clean up', '', '## Before', '', '1. Remove the old cache:', '', '   ```bash', '   rm -rf ./cache', '   touch cleaned', '   ```', ''].join('\n'));
    mkdirSync(join(file, '..', 'cache'));
    const m = await mountCockpit(loadRunbook(file, {}), { env: { PATH: process.env.PATH, OPSCOCKPIT_OPERATOR: 'night-sre', OPSCOCKPIT_ALLOW_SCOPES: 'run:steps' } });
    await waitFor(() => m.frame().includes('rm -rf ./cache') && m.frame().includes('touch cleaned'), 'the block shown before it runs');
    expect(m.frame()).toContain('destructive: Enter, then type before-1');
    m.app.stdin.write('\r');
    await waitFor(() => m.frame().includes('Type before-1 and press Enter'), 'the typed confirmation');
    m.app.stdin.write('before');
    await waitFor(() => m.frame().includes('> before'), 'typed');
    m.app.stdin.write('\r');
    await waitFor(() => m.frame().includes('Type "before-1" exactly.'), 'the refusal of a wrong text');
    expect(existsSync(join(file, '..', 'cache'))).toBe(true);
    m.app.stdin.write('-1');
    await waitFor(() => m.frame().includes('> before-1'), 'typed in full');
    m.app.stdin.write('\r');
    await waitFor(() => existsSync(join(file, '..', 'cleaned')), 'the block run after the typed confirmation', 5000).catch((e) => {
      throw new Error(`${e.message}; the screen: ${m.frame()}`);
    });
    expect(existsSync(join(file, '..', 'cache'))).toBe(false);
  });

  it('a block with a placeholder asks its value when the step comes, records it, and runs with it on the next Enter', async () => {
    const file = runbook(['# Logs', '', '## Before', '', '```bash', 'echo "pod=<POD_NAME>" > seen', '```', ''].join('\n'));
    const m = await mountCockpit(loadRunbook(file, {}), { env: { PATH: process.env.PATH, OPSCOCKPIT_OPERATOR: 'night-sre', OPSCOCKPIT_ALLOW_SCOPES: 'run:steps' } });
    await waitFor(() => m.frame().includes('echo "pod=${POD_NAME}" > seen'), 'the block with its placeholder');
    m.app.stdin.write('\r');
    await waitFor(() => m.frame().includes('POD_NAME: a value for'), 'the value asked');
    m.app.stdin.write('\r');
    await waitFor(() => m.frame().includes('POD_NAME needs a value.'), 'an empty value refused');
    m.app.stdin.write('worker-7f9c');
    await waitFor(() => m.frame().includes('> worker-7f9c'), 'typed');
    m.app.stdin.write('\r');
    await waitFor(() => m.frame().includes('POD_NAME recorded. Enter runs'), 'recorded, not run yet');
    expect(existsSync(join(file, '..', 'seen'))).toBe(false);
    // Recorded before anything runs with it, with the run's other parameters.
    const params = m.ledger.events(m.session.store.getState().run!.runId).filter((e) => e.body.kind === 'run.params');
    expect(params.at(-1)?.body).toEqual({ kind: 'run.params', params: { POD_NAME: 'worker-7f9c' } });
    expect(m.frame()).toContain('POD_NAME=worker-7f9c'); // the header
    // See before you run: the command as it will run, with the value filled in.
    await waitFor(() => m.frame().includes('echo "pod=worker-7f9c" > seen'), 'the block with its value');
    m.app.stdin.write('\r');
    await waitFor(() => existsSync(join(file, '..', 'seen')), 'the block run with the value', 5000);
    expect(readFileSync(join(file, '..', 'seen'), 'utf8')).toBe('pod=worker-7f9c\n');
  });

  it('a title too long for its row is read in full, wrapped, in the current step before its lines', async () => {
    const title = 'Drain the payments service in the eu-west-4 cluster number 10 and wait until the queue depth is under one hundred messages:';
    const file = runbook(['# Drain', '', '## Before', '', `1. ${title}`, '', '   ```bash', '   echo drained > drained', '   ```', ''].join('\n'));
    const m = await mountCockpit(loadRunbook(file, {}), { env: { PATH: process.env.PATH, OPSCOCKPIT_OPERATOR: 'night-sre', OPSCOCKPIT_ALLOW_SCOPES: 'run:steps' } });
    await waitFor(() => m.frame().includes('echo drained > drained'), 'the block shown');
    const frame = m.frame();
    expect(frame).toContain('title: Drain the payments service');
    // Its end, cut from the row, is on screen too.
    expect(frame).toContain('under one hundred messages:');
    m.app.stdin.write('\r');
    await waitFor(() => existsSync(join(file, '..', 'drained')), 'the block run', 5000);
  });

  it('a runbook with no steps says so', async () => {
    const file = runbook(['# Incident report: <TITLE>', '', '## Summary', '', '_What happened._', ''].join('\n'));
    const m = await mountCockpit(loadRunbook(file, {}), { env: { PATH: process.env.PATH, OPSCOCKPIT_OPERATOR: 'night-sre' } });
    await waitFor(() => m.frame().includes('this runbook has no steps'), 'the empty checklist');
    await waitFor(() => m.frame().includes('INSUFFICIENT'), 'the Gate never GO');
  });
});

describe('a Markdown runbook of confirm-first blocks only', () => {
  it('the Gate is not GO at open, and the Ready panel counts no script as a check', async () => {
    const file = runbook(['# Upgrade', '', '## Before', '', '1. Back up:', '', '   ```bash', '   echo backup', '   ```', '', '2. Upgrade:', '', '   ```bash', '   echo upgrade', '   ```', ''].join('\n'));
    const m = await mountCockpit(loadRunbook(file, {}), { env: { PATH: process.env.PATH, OPSCOCKPIT_OPERATOR: 'night-sre' } });
    await waitFor(() => m.frame().includes('INSUFFICIENT'), 'the Gate not GO before the steps are done');
    expect(m.frame()).toContain('0 checks');
    expect(m.frame()).not.toContain('2 checks');
    expect(m.frame()).toContain('No automatic checks');
  });
});
