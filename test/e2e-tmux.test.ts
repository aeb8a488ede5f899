// The built binary's demo in a real terminal, as an operator would use it.
import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Tmux } from './support/tmux.js';
import { CONTROL_RUNBOOK } from '../src/session/controls.js';

const root = resolve(import.meta.dirname, '..');
const bin = join(root, 'bin', 'opscockpit');
const SECRET = 'e2e-secret-7f3a91';

let tmux: Tmux | undefined;
afterEach(() => tmux?.kill());

describe('demo in tmux (built binary, 120x40)', () => {
  it('walks preflight, sees NO-GO on a fault, aborts with a typed confirmation, and the abort is in the ledger', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oc-e2e-'));
    const ledger = join(dir, 'ledger.db');
    tmux = new Tmux();
    tmux.start(`node ${bin} demo --ledger ${ledger}`, { cwd: root, env: { DEMO_TOKEN: SECRET, OPSCOCKPIT_OPERATOR: 'e2e' } });

    let screen = await tmux.waitFor((s) => ['Ready', 'Canary', 'Gate', 'Ledger', 'Checklist'].every((t) => s.includes(t)) && s.includes('✔ healthy'), 'the panels with a healthy check');
    expect(screen).toContain('preflight 0/5');

    tmux.send('Enter');
    await tmux.waitFor((s) => s.includes('preflight 1/5'), 'manual step confirmed');
    tmux.send('Enter');
    await tmux.waitFor((s) => s.includes('preflight 2/5'), 'clock step passed');

    tmux.send('f');
    screen = await tmux.waitFor((s) => s.includes('NO-GO') && s.includes('expected 200, got 503'), 'NO-GO with its reason');
    expect(screen).toContain('Judge readiness');

    // The demo's operator may turn the emergency stop off again: the demo grants safety:stop-off.
    tmux.send('!');
    await tmux.waitFor((s) => s.includes('EMERGENCY STOP'), 'the stop on');
    tmux.send('!');
    await tmux.waitFor((s) => s.includes('Turn the emergency stop off: why is it safe now?'), 'the stop-off dialog');
    tmux.send('drill over', 'Enter');
    await tmux.waitFor((s) => !s.includes('EMERGENCY STOP'), 'the stop off');

    await tmux.confirmAction('a', 'abort');
    screen = await tmux.waitFor((s) => s.includes('abort complete') && s.includes('SUCCEEDED'), 'the abort output and outcome');
    expect(screen).toContain('ABORTED');
    expect(screen).toMatch(/abort succeeded/);
    expect(screen).not.toContain(SECRET);

    tmux.send('q');
    await tmux.waitFor(() => tmux!.paneDead(), 'the cockpit to exit');

    const doc = JSON.parse(execFileSync('node', [bin, 'ledger', '--ledger', ledger, '--json'], { encoding: 'utf8' }));
    // The demo's run (the controls keep a run of their own since the stop came on).
    const run = doc.runs.find((r: { runbook: string }) => r.runbook !== CONTROL_RUNBOOK);
    expect(run.status).toBe('aborted');
    const completed = run.events.find((e: { body: { kind: string; action?: string } }) => e.body.kind === 'action.completed' && e.body.action === 'abort');
    expect(completed.body).toMatchObject({ status: 'succeeded', reason: 'exit 0' });
    expect(completed.body.output).toContain('abort complete');
    expect(run.events.some((e: { body: { kind: string; verdict?: string } }) => e.body.kind === 'verdict.changed' && e.body.verdict === 'NO-GO')).toBe(true);
    expect(readFileSync(ledger).includes(SECRET)).toBe(false);
  });

  it('prints a pointer to the headless commands instead of crashing when stdout is not a terminal', () => {
    let err = '';
    try {
      execFileSync('node', [bin, 'demo'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      err = (e as { stderr: string }).stderr;
      expect((e as { status: number }).status).toBe(1);
    }
    expect(err).toContain('needs an interactive terminal');
    expect(err).toContain('opscockpit check RUNBOOK --json');
  });
});

describe('NO_COLOR in a real terminal', () => {
  const COLOR_SGR = /\u001b\[(?:[0-9;]*;)?(?:3[0-7]|9[0-7]|38;[25])[;m]/;

  async function firstScreen(env: Record<string, string>): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), 'oc-e2e-color-'));
    tmux = new Tmux();
    tmux.start(`node ${bin} demo --ledger ${join(dir, 'l.db')}`, { cwd: root, env: { DEMO_TOKEN: SECRET, ...env } });
    await tmux.waitFor((s) => s.includes('✔ healthy') && s.includes('Checklist'), 'the first checks');
    const screen = tmux.capture({ escapes: true });
    tmux.send('q');
    await tmux.waitFor(() => tmux!.paneDead(), 'exit');
    tmux.kill();
    return screen;
  }

  it('draws states in colour normally, and in words and glyphs only with NO_COLOR', async () => {
    const coloured = await firstScreen({ TERM: 'xterm-256color', FORCE_COLOR: '1' });
    expect(coloured).toMatch(COLOR_SGR);
    const plain = await firstScreen({ NO_COLOR: '1' });
    expect(plain).not.toMatch(COLOR_SGR);
    expect(plain).toContain('✔ healthy');
    expect(plain).toMatch(/INSUFFICIENT DATA|NO-GO|GO/);
  });
});

describe('canary demo in tmux (built binary)', () => {
  it('windows pass and promote steps; a fault on the traffic aborts the canary at once with the reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oc-e2e-canary-'));
    const ledger = join(dir, 'ledger.db');
    tmux = new Tmux();
    tmux.start(`node ${bin} demo --canary --ledger ${ledger}`, { cwd: root });
    await tmux.waitFor((s) => s.includes('press c to start'), 'the idle canary');
    tmux.send('c');
    await tmux.waitFor((s) => /RUNNING · [1-9]\/4 passes toward promotion/.test(s) && /10%\s+✔/.test(s), 'passing windows');
    tmux.send('f');
    const screen = await tmux.waitFor((s) => s.includes('ABORTED') && s.includes('abort complete'), 'the canary to abort');
    expect(screen).toMatch(/⚡|✘/);
    tmux.send('q');
    await tmux.waitFor(() => tmux!.paneDead(), 'exit');

    const doc = JSON.parse(execFileSync('node', [bin, 'ledger', '--ledger', ledger, '--json'], { encoding: 'utf8' }));
    const events = doc.runs[0].events.map((e: { body: Record<string, unknown> }) => e.body);
    const abort = events.find((b: { kind: string; decision?: string }) => b.kind === 'canary.decision' && b.decision === 'abort');
    expect(abort.reason).toMatch(/burst|failing window/);
    const failing = events.filter((b: { kind: string; window?: { verdict: string } }) => b.kind === 'canary.window' && b.window!.verdict === 'FAIL');
    expect(failing.at(-1).window.values.error_rate).toBeGreaterThan(0.05);
    expect(events.find((b: { kind: string; action?: string }) => b.kind === 'action.completed' && b.action === 'abort')).toMatchObject({ status: 'succeeded' });
    expect(doc.runs[0].status).toBe('aborted');
  });
});
