import React from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { render } from 'ink-testing-library';
import { App } from '../screens/App.js';
import { buildKeymap } from '../src/keys/keymap.js';
import { strip } from './support/screen.js';
import { demoRig, waitFor, DEMO_SECRET, type DemoRig } from './support/cockpit.js';

const ESC = '\u001b';

let rig: DemoRig | undefined;
let app: ReturnType<typeof render> | undefined;
afterEach(async () => {
  app?.unmount();
  await rig?.close();
  rig = undefined;
  app = undefined;
});

async function mount(scopes?: string) {
  rig = await demoRig({ scopes });
  const session = rig.session;
  const keymap = buildKeymap(session.store.getState().runbook, { demo: true });
  app = render(<App value={{ store: session.store, intents: session, keymap }} />);
  session.start();
  const frame = () => strip(app!.lastFrame());
  const press = async (keys: string, until: (f: string) => boolean, what: string) => {
    app!.stdin.write(keys);
    return waitFor(() => until(frame()) && frame(), what);
  };
  return { session, frame, press };
}

describe('cockpit screens (ink-testing-library, real store and keymap)', () => {
  it('shows the five panels and reaches GO on live checks', async () => {
    const { frame } = await mount();
    for (const title of ['Ready', 'Canary', 'Gate', 'Ledger', 'Checklist']) expect(frame()).toContain(title);
    expect(frame()).toContain('no canary configured');
    await waitFor(() => frame().match(/✔ healthy/g)?.length === 4, 'all four checks healthy');
    await waitFor(() => frame().includes('GO — every blocking check is healthy'), 'GO');
    expect(frame()).not.toContain('NO-GO');
  });

  it('Enter confirms a manual step and runs an automatic one; progress counts', async () => {
    const { frame, press } = await mount();
    expect(frame()).toContain('preflight 0/5');
    await press('\r', (f) => f.includes('preflight 1/5'), 'manual step confirmed');
    await press('\r', (f) => f.includes('preflight 2/5'), 'clock step run');
    expect(frame()).toMatch(/skew_ms=0/);
  });

  it('s asks a reason, Esc cancels, and the skip lands in the ledger with its reason', async () => {
    const { frame, press, session } = await mount();
    await press('s', (f) => f.includes('why?'), 'skip dialog');
    await press(ESC, (f) => !f.includes('why?'), 'dialog closed');
    await press('s', (f) => f.includes('why?'), 'skip dialog again');
    await press('\r', (f) => f.includes('A skip needs a reason'), 'empty reason refused');
    for (const ch of 'DO waived') app!.stdin.write(ch);
    await waitFor(() => frame().includes('> DO waived'), 'typed reason');
    await press('\r', (f) => f.includes('preflight 1/5'), 'skipped');
    expect(frame()).toContain('rbac: skipped — DO waived');
    const skip = rig!.ledger.events(session.runId).find((e) => e.body.kind === 'step.skipped');
    expect(skip?.body).toMatchObject({ reason: 'DO waived', step: 'rbac' });
  });

  it('a fault turns the verdict NO-GO with the reason; abort needs the typed word and records its output', async () => {
    const { frame, press, session } = await mount();
    // Walk to the readiness step so the verdict gates on it.
    await press('\r', (f) => f.includes('preflight 1/5'), 'rbac');
    await press('\r', (f) => f.includes('preflight 2/5'), 'clock');
    await press('\r', (f) => f.includes('preflight 3/5'), 'ready');
    await press('f', (f) => f.includes('NO-GO') && f.includes('expected 200, got 503'), 'NO-GO after the fault');
    await press('a', (f) => f.includes('Type abort'), 'confirmation');
    for (const ch of 'abortx') app!.stdin.write(ch);
    await press('\r', (f) => f.includes('Type "abort" exactly'), 'wrong word refused');
    expect(rig!.ledger.events(session.runId).some((e) => e.body.kind === 'action.requested')).toBe(false);
    await press('\u007f', (f) => f.includes('> abort '), 'backspace');
    await press('\r', (f) => f.includes('Action: abort'), 'abort running');
    await waitFor(() => frame().includes('SUCCEEDED') && frame().includes('abort complete'), 'abort output and outcome');
    expect(frame()).toContain('ABORTED');
    const kinds = rig!.ledger.events(session.runId).map((e) => e.body.kind);
    expect(kinds).toContain('action.requested');
    expect(kinds).toContain('action.completed');
    expect(rig!.ledger.getRun(session.runId)?.status).toBe('aborted');
    expect(frame()).not.toContain(DEMO_SECRET);
  });

  it('reflows on resize: side by side when wide, stacked when narrow', async () => {
    const { frame } = await mount();
    const readyLine = () => frame().split('\n').find((l) => l.includes('Ready'))!;
    expect(readyLine()).toContain('Gate');
    // Narrow and tall enough for every panel: stacked.
    Object.defineProperty(app!.stdout, 'columns', { value: 70, configurable: true });
    Object.defineProperty(app!.stdout, 'rows', { value: 60, configurable: true });
    app!.stdout.emit('resize');
    await waitFor(() => !readyLine().includes('Gate'), 'the panels to stack');
    expect(frame()).toContain('Gate');
    expect(Math.max(...frame().split('\n').map((l) => l.length))).toBeLessThanOrEqual(70);
    // Narrow and short (80x24): only the Gate and the Checklist, so the header stays on screen.
    Object.defineProperty(app!.stdout, 'rows', { value: 24, configurable: true });
    app!.stdout.emit('resize');
    await waitFor(() => !frame().includes('Ready'), 'the compact layout');
    expect(frame()).toContain('Gate');
    expect(frame()).toContain('Checklist');
    expect(frame().split('\n').length).toBeLessThanOrEqual(24);
  });

  it('! turns the emergency stop on at once; actions are then refused on screen; off needs a reason', async () => {
    const { frame, press, session } = await mount();
    expect(frame()).toContain('MODE REAL_ENABLED');
    await press('!', (f) => f.includes('EMERGENCY STOP'), 'the stop banner');
    await press('a', (f) => f.includes('Type abort'), 'confirmation');
    app!.stdin.write('abort');
    await press('\r', (f) => f.includes('abort refused — STOPPED'), 'the refusal');
    expect(rig!.ledger.events(session.runId).some((e) => e.body.kind === 'action.refused')).toBe(true);
    expect(frame()).not.toContain('Action: abort');
    await press('!', (f) => f.includes('Turn the emergency stop off: why is it safe now?'), 'the reason dialog');
    await press('\r', (f) => f.includes('needs a reason'), 'empty reason refused');
    app!.stdin.write('root cause fixed');
    await press('\r', (f) => !f.includes('EMERGENCY STOP') && f.includes('MODE REAL_ENABLED'), 'the stop off');
  });

  it('without safety:stop-off, ! with the stop on is refused at once, naming the scope and the remedy, and recorded; turning it on needed none', async () => {
    const { frame, press, session } = await mount('deploy:abort');
    await press('!', (f) => f.includes('EMERGENCY STOP'), 'the stop banner');
    await press('!', (f) => f.includes('SCOPE_MISSING'), 'the refusal');
    expect(frame()).not.toContain('why is it safe now');
    expect(session.store.getState().flash?.text).toBe(
      'SCOPE_MISSING: turning the emergency stop off needs scope safety:stop-off; this operator has deploy:abort. Remedy: run as an operator whose OPSCOCKPIT_ALLOW_SCOPES includes safety:stop-off, or ask one who has it to do it.',
    );
    expect(frame()).toContain('EMERGENCY STOP');
    const controls = rig!.ledger.listRuns(10).flatMap((r) => rig!.ledger.events(r.runId)).map((e) => e.body);
    expect(controls).toContainEqual({ kind: 'control.refused', what: 'emergency stop off', failure: 'SCOPE_MISSING', reason: expect.stringContaining('safety:stop-off'), remedy: expect.stringContaining('safety:stop-off') });
    expect(controls.filter((b) => b.kind === 'control.stop')).toEqual([expect.objectContaining({ on: true })]);
  });

  it('? shows help generated from the keymap; q quits', async () => {
    const { frame, press } = await mount();
    await press('?', (f) => f.includes('Help — keys'), 'help');
    for (const line of ['Abort the cutover', 'Roll back to the previous release', 'Run or confirm the current step', 'Skip the current step']) expect(frame()).toContain(line);
    await press('?', (f) => !f.includes('Help — keys'), 'help closed');
    app!.stdin.write('q');
    await waitFor(() => rig!.exited, 'quit');
  });
});
