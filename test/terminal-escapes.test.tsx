// Control characters from runbook text, target answers and script output never reach a
// terminal raw: an OSC in a Markdown title does not retitle the terminal, a script printing
// ESC [2J does not clear it, in the cockpit and in `check` alike.
import React from 'react';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { render } from 'ink-testing-library';
import { App } from '../screens/App.js';
import { buildKeymap } from '../src/keys/keymap.js';
import { loadRunbookFile } from '../src/runbook/load.js';
import { openLedger } from '../adapters/ledger.js';
import { openSession, type Session } from '../src/session/session.js';
import { SqliteStore } from '../adapters/sqlite-store.js';
import { visible } from '../src/visible.js';
import { cli } from './support/cli.js';
import { waitFor } from './support/cockpit.js';

const ESC = '\u001b';
const OSC_TITLE = `${ESC}]0;pwned${'\u0007'}`;
const CLEAR = `${ESC}[2J`;
const dir = mkdtempSync(join(tmpdir(), 'oc-escapes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A Markdown runbook whose title retitles the terminal and whose check prints a screen clear. */
function hostileRunbook(): string {
  const script = join(dir, 'noisy.sh');
  writeFileSync(script, `#!/bin/bash\nprintf 'before\\033[2Jafter \\033]0;owned\\007 \\302\\233 31m\\n'\nexit 1\n`, { mode: 0o755 });
  const file = join(dir, 'hostile.md');
  writeFileSync(file, `# Deploy ${OSC_TITLE} now\n\n## Before the change\n\n- [ ] Check ${CLEAR}the\u202eservice\n- [ ] \`GET /x\`\n`);
  const yaml = join(dir, 'hostile.yaml');
  writeFileSync(yaml, ['version: 1', `name: "Deploy \\e]0;pwned\\a now"`, 'checks:', '  noisy:', `    title: "Noisy \\e[2J check"`, '    script:', `      command: ${script}`, 'checklists:', '  preflight:', '    - { id: noisy, check: noisy }', ''].join('\n'));
  return yaml;
}

describe('visible', () => {
  it('makes every control character visible and keeps text, tabs and line ends', () => {
    expect(visible(`a${OSC_TITLE}b`)).toBe('a␛]0;pwned␇b');
    expect(visible(`x${CLEAR}y\r\nz\tw\rv`)).toBe('x␛[2Jy\r\nz\tw␍v');
    expect(visible('csi \u009b 31m, rlo \u202e, del \u007f')).toBe('csi \\u009b 31m, rlo \\u202e, del ␡');
    expect(visible('plain text, 한국어, emoji 🚀')).toBe('plain text, 한국어, emoji 🚀');
    expect(JSON.parse(`"${visible('\u009b')}"`)).toBe('\u009b'); // still JSON inside a JSON string
  });

  it('no screen imports Text from ink: every screen shows text through screens/ink.tsx', () => {
    const offenders = readdirSync('screens').filter((f) => f.endsWith('.tsx') && f !== 'ink.tsx' && /import \{[^}]*\bText\b[^}]*\} from 'ink'/.test(readFileSync(join('screens', f), 'utf8')));
    expect(offenders).toEqual([]);
  });
});

describe('check', () => {
  it('prints the title and the script output with no control sequence, as text and as JSON', async () => {
    const yaml = hostileRunbook();
    const ledger = join(dir, 'check.db');
    for (const args of [['check', yaml, '--ledger', ledger], ['check', yaml, '--json', '--ledger', ledger], ['check', join(dir, 'hostile.md'), '--ledger', ledger]]) {
      const r = await cli(args);
      const out = r.stdout + r.stderr;
      expect(out, args.join(' ')).not.toContain(ESC);
      expect(out).not.toContain('\u009b');
      expect(out).not.toContain('\u0007');
    }
    const text = await cli(['check', yaml, '--ledger', ledger]);
    expect(text.stdout + text.stderr).toContain('␛');
    expect((await cli(['validate', join(dir, 'hostile.md')])).stdout).not.toContain(ESC);
  });
});

describe('the cockpit', () => {
  it('draws the hostile title, step and output without their control sequences', async () => {
    const yaml = hostileRunbook();
    const runbook = await loadRunbookFile(join(dir, 'hostile.md'), { PATH: process.env.PATH });
    const ledger = openLedger(join(dir, 'cockpit.db'));
    const session = await openSession({ runbook, ledger: new SqliteStore(ledger, join(dir, 'cockpit.db')), ledgerPath: join(dir, 'cockpit.db'), env: { PATH: process.env.PATH, OPSCOCKPIT_OPERATOR: 't' } });
    const app = render(<App value={{ store: session.store, intents: session, keymap: buildKeymap(session.store.getState().runbook, { demo: false }) }} />);
    try {
      await waitFor(() => app.lastFrame()?.includes('␛]0;pwned'), 'the title drawn with its escape made visible');
      const frames = app.frames.join('');
      expect(frames).not.toContain(OSC_TITLE);
      expect(frames).not.toContain(CLEAR);
      expect(frames).not.toContain('\u202e');
      expect(yaml).toBeTruthy();
    } finally {
      app.unmount();
      session.stop();
      ledger.close();
    }
  });
});
