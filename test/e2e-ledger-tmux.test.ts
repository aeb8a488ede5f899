// The release ledger screen in a real terminal: the built binary in tmux (120x40), on a ledger
// that headless checks filled first.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tmux } from './support/tmux.js';
import { bin, cli } from './support/cli.js';

let tmux: Tmux | undefined;
afterEach(() => tmux?.kill());

describe('release ledger screen in tmux (built binary, 120x40)', () => {
  it('l opens the ledger over the cockpit: counts, runs with their operator, a run expanded; Esc returns', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oc-e2e-ledger-'));
    writeFileSync(join(dir, 'skew.sh'), '#!/bin/sh\necho "skew_ms=3"\n', { mode: 0o755 });
    const runbook = join(dir, 'ops.yaml');
    writeFileSync(
      runbook,
      ['version: 1', 'name: Nightly ops', 'release: { type: ops, branch: main }', 'checks:', '  skew: { title: Clock skew, script: { command: ./skew.sh } }', 'checklists:', '  preflight:', '    - { id: skew, check: skew }', '    - { id: signoff, title: Sign-off, manual: true }', ''].join('\n'),
    );
    const ledger = join(dir, 'ledger.db');
    for (const who of ['night-bot', 'day-bot']) {
      const r = await cli(['check', runbook, '--ledger', ledger], { env: { OPSCOCKPIT_OPERATOR: who } });
      expect(r.code, r.stderr).toBe(0);
    }

    tmux = new Tmux();
    tmux.start(`node ${bin} open ${runbook} --ledger ${ledger}`, { cwd: dir, env: { OPSCOCKPIT_OPERATOR: 'e2e' } });
    await tmux.waitFor((s) => s.includes('Checklist') && s.includes('l ledger'), 'the cockpit with the ledger key in the footer');

    tmux.send('l');
    let screen = await tmux.waitFor((s) => s.includes('Release ledger') && s.includes('3 runs'), 'the ledger screen');
    expect(screen).toContain('running 1 · succeeded 2 · failed 0 · aborted 0 · rolled back 0');
    expect(screen).toMatch(/RUN +STATUS +TYPE +BRANCH +STARTED +DURATION +EVENTS +OPERATOR +WHAT HAPPENED/);
    expect(screen).toMatch(/> r-\S+ +running +ops +main .* e2e /);
    expect(screen).toMatch(/ r-\S+ +succeeded +ops +main .* day-bot +verdict GO/);
    expect(screen).toMatch(/ r-\S+ +succeeded +ops +main .* night-bot +verdict GO/);
    expect(screen).not.toContain('Checklist');

    tmux.send('\u001b[B');
    tmux.send(' ');
    screen = await tmux.waitFor((s) => s.includes('Nightly ops: SUCCEEDED') && s.includes('events from #1'), 'the expanded run');
    expect(screen).toMatch(/#1 +day-bot +run started: Nightly ops/);
    expect(screen).toMatch(/skew: healthy — exit 0/);
    expect(screen).toContain('| skew_ms=3');

    tmux.send('\u001b');
    await tmux.waitFor((s) => s.includes('WHAT HAPPENED'), 'folded');
    tmux.send('\u001b');
    await tmux.waitFor((s) => s.includes('Checklist') && !s.includes('Release ledger'), 'back to the cockpit');
    tmux.send('q');
    await tmux.waitFor(() => tmux!.paneDead(), 'the cockpit to exit');
  });
});
