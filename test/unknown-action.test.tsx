// An action whose cockpit stopped while it ran has an unknown outcome: it may have run, or still
// run. Only a person runs it again: the cockpit's confirmation says so, a trigger does not run it
// (on record as skipped, with why), and once it has a known outcome triggers run it again.
import React from 'react';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { render } from 'ink-testing-library';
import { App } from '../screens/App.js';
import { buildKeymap } from '../src/keys/keymap.js';
import { setFault } from '../adapters/fixture-control.js';
import { demoRig, waitFor, type DemoRig } from './support/cockpit.js';
import { strip } from './support/screen.js';

let rig: DemoRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

/** The demo runbook with a trigger that rolls back as soon as readyz fails. */
function runbookWithRollbackTrigger(): string {
  const dir = mkdtempSync(join(tmpdir(), 'oc-unknown-action-'));
  const scriptsDir = join(import.meta.dirname, '..', 'fixtures', 'scripts');
  const demo = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'runbooks', 'demo.yaml'), 'utf8');
  const file = join(dir, 'runbook.yaml');
  writeFileSync(file, `${demo.replaceAll('../scripts/', `${scriptsDir}/`).trimEnd()}\n\ntriggers:\n  ready-down: { check: readyz, action: rollback }\n`);
  return file;
}

const bodies = (r: DemoRig) => r.ledger.events(r.session.runId).map((e) => e.body);
const requested = (r: DemoRig, action: string) => bodies(r).filter((b) => b.kind === 'action.requested' && b.action === action).length;

/** A rollback requested and never answered (its cockpit died), then the cockpit reopened. */
async function rollbackOfUnknownOutcome(runbookFile?: string): Promise<DemoRig> {
  rig = await demoRig({ runbookFile });
  rig.ledger.append(rig.session.runId, 'tester', { kind: 'action.requested', action: 'rollback', confirmedWith: 'rollback' }, Date.now(), { durable: true });
  await rig.reopen();
  expect(rig.session.store.getState().outcomes.unknown).toEqual(['rollback']);
  return rig;
}

describe('an action of unknown outcome', () => {
  it('a trigger does not run it again: skipped on record, said on screen; a person does, and its outcome is known again', async () => {
    const r = await rollbackOfUnknownOutcome(runbookWithRollbackTrigger());
    const s = r.session;
    await setFault(r.server.url, { route: '/readyz', status: 503 });
    s.start();
    await waitFor(() => bodies(r).some((b) => b.kind === 'action.skipped'), 'the trigger to be skipped');
    expect(bodies(r)).toContainEqual(expect.objectContaining({ kind: 'action.skipped', action: 'rollback', why: 'trigger ready-down', reason: 'its last outcome is unknown: run it by hand once checked' }));
    expect(s.store.getState().flash?.text).toMatch(/^rollback \(trigger ready-down\) not run: its last outcome is unknown/);
    expect(requested(r, 'rollback')).toBe(1);
    // A person who checked by hand runs it: its outcome is known again.
    const outcome = await s.runAction('rollback', 'rollback');
    expect(outcome?.status).toBe('succeeded');
    expect(requested(r, 'rollback')).toBe(2);
    expect(s.store.getState().outcomes.unknown).toEqual([]);
  });

  it('the cockpit\'s confirmation says its last outcome is unknown before it is typed', async () => {
    const r = await rollbackOfUnknownOutcome();
    const s = r.session;
    const app = render(<App value={{ store: s.store, intents: s, keymap: buildKeymap(s.store.getState().runbook, { demo: true }) }} />);
    const frame = () => strip(app.lastFrame()).replace(/[│\s]+/g, ' ');
    try {
      s.start();
      // Its pane says UNKNOWN, with no duration: nobody knows how long it ran.
      await waitFor(() => frame().includes('Action: rollback'), 'the action pane');
      expect(frame()).toContain('UNKNOWN — the cockpit stopped before');
      expect(frame()).not.toMatch(/Action: rollback \d+ ms/);
      app.stdin.write('R');
      await waitFor(() => frame().includes('Confirm: Roll back'), 'the confirmation');
      expect(frame()).toContain('Its last outcome is unknown: it may still have run or be running; check by hand before running it again. Type rollback');
      app.stdin.write('\u001b');
      await waitFor(() => !frame().includes('Confirm: Roll back'), 'the dialog to close');
      // An action whose outcome is known asks only for its word.
      app.stdin.write('a');
      await waitFor(() => frame().includes('Confirm: Abort'), 'the abort confirmation');
      expect(frame()).not.toContain('outcome is unknown');
      expect(frame()).toContain('Type abort and press Enter');
    } finally {
      app.unmount();
    }
  });
});
