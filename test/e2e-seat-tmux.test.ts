// What runs when the seat changes hands or the stop is pulled (built binary in tmux, SQLite,
// real scripts). Two cockpits: bob takes over while alice's block runs; her cockpit records its
// outcome, his shows the step running in hers, refuses to start it again, then shows the result
// live and goes on. One cockpit: ! interrupts the running block, which is recorded as stopped
// by the operator, and the cockpit goes on in a fresh shell.
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bin, root } from './support/cli.js';
import { openLedger } from '../adapters/ledger.js';
import type { LedgerEvent } from '../src/engine/types.js';
import { waitGone } from './support/processes.js';
import { shellQuote, Tmux } from './support/tmux.js';
import { stepsMarkdown, untilFile } from './support/runbook-text.js';

const terminals: Tmux[] = [];
afterEach(() => {
  for (const t of terminals.splice(0)) t.kill();
});

/** Every event of the runbook's run, with who recorded it. */
function runEvents(file: string, runbook: string): LedgerEvent[] {
  const l = openLedger(file);
  try {
    return l.events(l.listRuns(10).find((r) => r.runbook === runbook)!.runId);
  } finally {
    l.close();
  }
}

function cockpit(file: string, ledger: string, operator: string, extra = ''): Tmux {
  const t = new Tmux();
  terminals.push(t);
  t.start(`node ${shellQuote(bin)} open ${shellQuote(file)} --ledger ${shellQuote(ledger)} ${extra}`, { cwd: root, env: { OPSCOCKPIT_OPERATOR: operator, OPSCOCKPIT_ALLOW_SCOPES: 'run:steps,safety:stop-off' } });
  return t;
}

function markdown(dir: string, block: string): string {
  const file = join(dir, 'drain.md');
  writeFileSync(file, stepsMarkdown('Drain the workers', [['Drain the queue', block], ['Restart', 'echo "restarted ${DRAINED:-fresh}"']]));
  return file;
}

describe('what runs when the seat changes or the stop is pulled (tmux, built binary)', () => {
  it("bob takes over while alice's block runs: her cockpit records its outcome, his shows it live and goes on", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oc-e2e-seat-'));
    const go = join(dir, 'go');
    const file = markdown(dir, `${untilFile(go, 300)}; echo drained`);
    const ledger = join(dir, 'ledger.db');
    const alice = cockpit(file, ledger, 'alice', `--reason ${shellQuote('nightly drain')}`);
    await alice.waitFor((s) => s.includes('You drive this run') && s.includes('Drain the queue'), 'alice driving');
    const bob = cockpit(file, ledger, 'bob');
    await bob.waitFor((s) => s.includes('OBSERVING — alice is driving since'), 'bob observing');

    alice.send('Enter');
    await bob.waitFor((s) => /running in alice's cockpit since \d\d:\d\d/.test(s), 'the step running in alice’s cockpit, on bob’s screen');
    bob.send('T');
    await bob.waitFor((s) => s.includes('Take over driving this run: why?'), 'the take-over dialog');
    bob.send('alice is off shift', 'Enter');
    await bob.waitFor((s) => s.includes('You drive this run since') && s.includes('alice is off shift'), 'bob driving');
    await alice.waitFor((s) => s.includes('OBSERVING — bob is driving since'), 'alice observing');
    // Still running in alice's cockpit: bob's Enter does not start it again.
    let screen = await bob.waitFor((s) => /running in alice's cockpit/.test(s), 'the step still running elsewhere');
    expect(screen).toContain('preflight 0/2');
    bob.send('Enter');
    await bob.waitFor((s) => s.includes('"Drain the queue" is still running.'), 'bob’s Enter refused');

    // The block ends in alice's cockpit: its outcome is recorded there and shows on bob's screen.
    writeFileSync(go, '');
    screen = await bob.waitFor((s) => s.includes('preflight 1/2') && s.includes('steps-1: healthy — exit 0: drained  (alice)'), 'alice’s outcome on bob’s screen', 10_000);
    expect(screen).not.toMatch(/running in alice's cockpit/);
    await alice.waitFor((s) => s.includes('preflight 1/2'), 'the outcome on alice’s screen');
    expect(alice.capture()).not.toContain('Could not write the ledger');

    // bob goes on: the next step is his, and so is the run's end.
    bob.send('Enter');
    await bob.waitFor((s) => s.split('\n')[0].includes('SUCCEEDED'), 'the run succeeded on bob’s screen');
    const events = runEvents(ledger, file);
    const by = (kind: string) => events.filter((e) => e.body.kind === kind).map((e) => `${e.operator}:${(e.body as { status?: string; result?: { status: string } }).status ?? (e.body as { result?: { status: string } }).result?.status ?? ''}`);
    expect(by('step.started')).toEqual(['alice:', 'bob:']);
    expect(by('step.result')).toEqual(['alice:healthy', 'bob:healthy']);
    expect(by('action.completed')).toEqual(['alice:succeeded', 'bob:succeeded']);
    expect(by('run.completed')).toEqual(['bob:succeeded']);
  });

  it('! interrupts the running block, records it stopped by the operator, and the cockpit goes on in a fresh shell', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oc-e2e-stop-step-'));
    const pidFile = join(dir, 'sleeper.pid');
    const file = markdown(dir, `export DRAINED=yes\nsleep 60 & echo $! > ${pidFile}; wait`);
    const ledger = join(dir, 'ledger.db');
    const t = cockpit(file, ledger, 'carol');
    await t.waitFor((s) => s.includes('You drive this run') && s.includes('Drain the queue'), 'the cockpit');
    t.send('Enter');
    await t.waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '', 'the block’s sleeper');
    const sleeper = Number(readFileSync(pidFile, 'utf8'));

    t.send('!');
    // The step's result and its action's outcome are two events: the pane says FAILED once both are in.
    const screen = await t.waitFor((s) => s.includes('EMERGENCY STOP') && s.includes('blocked: retry (r) or skip (s)') && /FAILED — stopped by carol/.test(s), 'the block stopped', 5000);
    expect(screen).toContain('stopped by carol (the emergency stop');
    expect(await waitGone(sleeper)).toBe(true);

    // The cockpit goes on: the stop off with a reason, the step skipped, the next block in a fresh shell.
    t.send('!');
    await t.waitFor((s) => s.includes('Turn the emergency stop off: why is it safe now?'), 'the stop-off dialog');
    t.send('drain stopped on purpose', 'Enter');
    await t.waitFor((s) => !s.includes('EMERGENCY STOP'), 'the stop off');
    t.send('s');
    await t.waitFor((s) => s.includes('Skip "Drain the queue": why?'), 'the skip dialog');
    t.send('drained by hand', 'Enter');
    await t.waitFor((s) => s.includes('preflight 1/2'), 'the step skipped');
    t.send('Enter');
    await t.waitFor((s) => s.includes('restarted fresh'), 'the next block, in a fresh shell');
    const events = runEvents(ledger, file);
    const result = events.find((e) => e.body.kind === 'step.result')?.body as { result: { status: string; reason: string } };
    expect(result.result.status).toBe('error');
    expect(result.result.reason).toMatch(/^stopped by carol \(the emergency stop: emergency stop from the cockpit\); killed by SIGTERM/);
  });
});
