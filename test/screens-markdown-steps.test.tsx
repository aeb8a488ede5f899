// A Markdown runbook's shell blocks as the operator meets them: the block's lines shown
// before Enter, a destructive block asking for its id typed, a placeholder refused until it
// has a value, and a runbook with no steps saying so.
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
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
    const m = mountCockpit(loadRunbook(file, {}), { env: { PATH: process.env.PATH, OPSCOCKPIT_OPERATOR: 'night-sre', OPSCOCKPIT_ALLOW_SCOPES: 'run:steps' } });
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

  it('a block with a placeholder is refused until it has a value', async () => {
    const file = runbook(['# Logs', '', '## Before', '', '```bash', 'echo <POD_NAME> > seen', '```', ''].join('\n'));
    const m = mountCockpit(loadRunbook(file, {}), { env: { PATH: process.env.PATH, OPSCOCKPIT_OPERATOR: 'night-sre', OPSCOCKPIT_ALLOW_SCOPES: 'run:steps' } });
    await waitFor(() => m.frame().includes('echo ${POD_NAME} > seen'), 'the block with its placeholder');
    m.app.stdin.write('\r');
    await waitFor(() => m.frame().includes('needs a value for POD_NAME'), 'the refusal');
    expect(existsSync(join(file, '..', 'seen'))).toBe(false);
  });

  it('a runbook with no steps says so', async () => {
    const file = runbook(['# Incident report: <TITLE>', '', '## Summary', '', '_What happened._', ''].join('\n'));
    const m = mountCockpit(loadRunbook(file, {}), { env: { PATH: process.env.PATH, OPSCOCKPIT_OPERATOR: 'night-sre' } });
    await waitFor(() => m.frame().includes('this runbook has no steps'), 'the empty checklist');
    await waitFor(() => m.frame().includes('INSUFFICIENT'), 'the Gate never GO');
  });
});
