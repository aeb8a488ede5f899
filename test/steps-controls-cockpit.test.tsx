// In the cockpit, Enter on a confirm-first step under the EMERGENCY STOP banner runs nothing:
// the step is refused STOPPED, on record, the same decision as `run --yes` gets.
import React from 'react';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
import { strip } from './support/screen.js';
import { waitFor } from './support/cockpit.js';

const dir = mkdtempSync(join(tmpdir(), 'oc-steps-cockpit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Enter under the emergency stop', () => {
  it('refuses the confirm-first step and runs nothing', async () => {
    const marker = join(dir, 'ran');
    const file = join(dir, 'deploy.md');
    writeFileSync(file, `# Deploy\n\n## Before the change\n\n- [ ] Restart the service\n\n  \`\`\`bash\n  touch ${marker}\n  \`\`\`\n`);
    const env = { PATH: process.env.PATH, OPSCOCKPIT_OPERATOR: 'alice', OPSCOCKPIT_ALLOW_SCOPES: 'run:steps' };
    const runbook = await loadRunbookFile(file, env);
    const ledgerPath = join(dir, 'ledger.db');
    const ledger = openLedger(ledgerPath);
    const session = await openSession({ runbook, ledger: new SqliteStore(ledger, ledgerPath), ledgerPath, env });
    const app = render(<App value={{ store: session.store, intents: session, keymap: buildKeymap(session.store.getState().runbook, { demo: false }) }} />);
    const frame = () => strip(app.lastFrame());
    try {
      session.start();
      session.setStop(true, 'incident 42');
      await waitFor(() => frame().includes('EMERGENCY STOP'), 'the banner');
      app.stdin.write('\r');
      await waitFor(() => frame().includes('refused — STOPPED'), 'the refusal on screen');
      expect(existsSync(marker)).toBe(false);
      const events = ledger.events(session.runId).map((e) => e.body);
      expect(events).toContainEqual(expect.objectContaining({ kind: 'action.refused', failure: 'STOPPED' }));
      expect(events.some((e) => e.kind === 'step.started')).toBe(false);
    } finally {
      app.unmount();
      session.stop();
      ledger.close();
    }
  });
});
