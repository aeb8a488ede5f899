// A driver that goes silent without dying (a laptop asleep, a process stopped): once its lease
// has lapsed, a headless run resumes the run and says on stderr whom it took it from; the run
// records it; and when the silent cockpit comes back it says who resumed the run, and why,
// instead of "let go" (built binary in tmux, SIGSTOP/SIGCONT, SQLite).
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { bin, cli, root } from './support/cli.js';
import { allEvents } from './support/ledger-files.js';
import { stepsMarkdown } from './support/runbook-text.js';
import { LEASE_LAPSE_MS } from '../src/engine/lease.js';
import { shellQuote, Tmux } from './support/tmux.js';

let tmux: Tmux | undefined;
let stopped: number | undefined;
afterEach(() => {
  if (stopped) process.kill(stopped, 'SIGCONT');
  stopped = undefined;
  tmux?.kill();
  tmux = undefined;
});

/** What the lease would say after the driver's silence: its last heartbeat longer ago than the lapse. */
function ageLease(ledger: string): void {
  const db = new Database(ledger);
  try {
    db.prepare('UPDATE run_leases SET heartbeat_at = heartbeat_at - ?').run(LEASE_LAPSE_MS + 5000);
  } finally {
    db.close();
  }
}

describe('a driver that went silent (SIGSTOP), its lease lapsed', () => {
  it('run says whom it resumed the run from; the silent cockpit, back, says who resumed it and why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oc-silent-'));
    const file = join(dir, 'deploy.md');
    const ledger = join(dir, 'ledger.db');
    writeFileSync(file, stepsMarkdown('Deploy', [['Say hello', 'echo hello']]));
    tmux = new Tmux();
    tmux.start(`node ${shellQuote(bin)} open ${shellQuote(file)} --ledger ${shellQuote(ledger)}`, { cwd: root, env: { OPSCOCKPIT_OPERATOR: 'alice', OPSCOCKPIT_ALLOW_SCOPES: 'run:steps' } });
    await tmux.waitFor((s) => s.includes('You drive this run'), 'alice driving');
    stopped = Number(tmux.display('#{pane_pid}')); // exec'd: the pane's process is the cockpit
    process.kill(stopped, 'SIGSTOP');
    ageLease(ledger);

    const bob = await cli(['run', file, '--yes', '--ledger', ledger], { env: { OPSCOCKPIT_OPERATOR: 'bob', OPSCOCKPIT_ALLOW_SCOPES: 'run:steps' } });
    expect(bob.code, bob.stdout + bob.stderr).toBe(0);
    expect(bob.stderr).toMatch(/^opscockpit: resumed run r-\S+: alice went silent \(no heartbeat since \d\d:\d\d:\d\d\), so its lease lapsed; if it comes back, it only observes$/m);
    const resumed = allEvents(ledger).filter((e) => e.kind === 'run.resumed');
    expect(resumed).toEqual([{ kind: 'run.resumed', lapsed: { driver: 'alice', since: expect.any(Number) } }]);

    process.kill(stopped, 'SIGCONT');
    stopped = undefined;
    const screen = await tmux.waitFor((s) => s.includes('bob resumed at'), 'alice told who resumed the run');
    // One line, whole (it fits 80 columns too).
    expect(screen).toMatch(/^ This cockpit observes now: bob resumed at \d\d:\d\d \(alice silent since \d\d:\d\d:\d\d\)\.\s*$/m);
    expect(screen).not.toContain('let the run go');
  });
});
