// `opscockpit watch`: a read-only cockpit on a run another cockpit drives (SQLite, built binary
// in tmux). It shows the driver and the run live, refuses what acts, offers no take-over, and
// says plainly when there is nothing to watch.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bin, cli, root } from './support/cli.js';
import { shellQuote, Tmux } from './support/tmux.js';

const terminals: Tmux[] = [];
afterEach(() => {
  for (const t of terminals.splice(0)) t.kill();
});

function runbook(): { dir: string; file: string; ledger: string } {
  const dir = mkdtempSync(join(tmpdir(), 'oc-watch-'));
  const file = join(dir, 'restart.yaml');
  writeFileSync(file, ['version: 1', 'name: Restart the workers', 'checklists:', '  preflight:', '    - { id: drain, title: Drain the queue, manual: true }', '    - { id: restart, title: Restart the workers, manual: true }', ''].join('\n'));
  return { dir, file, ledger: join(dir, 'l.db') };
}

function terminal(command: string, operator: string): Tmux {
  const t = new Tmux();
  terminals.push(t);
  t.start(command, { cwd: root, env: { OPSCOCKPIT_OPERATOR: operator } });
  return t;
}

describe('opscockpit watch (tmux, built binary)', () => {
  it("watches alice's run live and read-only, by runbook and by run id", async () => {
    const { file, ledger } = runbook();
    const alice = terminal(`node ${shellQuote(bin)} open ${shellQuote(file)} --ledger ${shellQuote(ledger)} --reason ${shellQuote('nightly restart')}`, 'alice');
    await alice.waitFor((s) => s.includes('You drive this run') && s.includes('Drain the queue'), 'alice driving');
    const watcher = terminal(`node ${shellQuote(bin)} watch ${shellQuote(file)} --ledger ${shellQuote(ledger)}`, 'bob');
    let screen = await watcher.waitFor((s) => s.includes('WATCHING') && s.includes('alice is driving since') && s.includes('nightly restart'), 'the watcher');
    expect(screen).not.toMatch(/T take over/);
    // What acts is refused on the watcher, and nothing is recorded by it.
    await watcher.pressUntil('Enter', (s) => s.includes('This cockpit only wa'), 'the refusal with the reason');
    expect(watcher.capture()).toContain('preflight 0/2');
    // alice confirms a step: the watcher shows it live.
    alice.send('Enter');
    screen = await watcher.waitFor((s) => s.includes('preflight 1/2'), 'alice’s step on the watcher', 5000);
    expect(screen).toContain('Restart the workers');
    const [runId] = /r-\d{8}-\d{6}-[0-9a-f]{4}/.exec(screen)!;
    const byId = terminal(`node ${shellQuote(bin)} watch ${runId} --ledger ${shellQuote(ledger)}`, 'carol');
    await byId.waitFor((s) => s.includes('WATCHING') && s.includes('preflight 1/2'), 'watching by run id');
  });

  it('watches a Markdown runbook too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oc-watch-md-'));
    const file = join(dir, 'restart.md');
    writeFileSync(file, ['# Restart the workers', '', '## Before', '', '- [ ] Drain the queue', '- [ ] Restart the workers', ''].join('\n'));
    const ledger = join(dir, 'l.db');
    const alice = terminal(`node ${shellQuote(bin)} open ${shellQuote(file)} --ledger ${shellQuote(ledger)}`, 'alice');
    await alice.waitFor((s) => s.includes('You drive this run'), 'alice driving');
    const watcher = terminal(`node ${shellQuote(bin)} watch ${shellQuote(file)} --ledger ${shellQuote(ledger)}`, 'bob');
    await watcher.waitFor((s) => s.includes('WATCHING') && s.includes('Drain the queue'), 'the watcher on the Markdown runbook');
  });

  it('says when there is nothing to watch', async () => {
    const { file, ledger } = runbook();
    const none = await cli(['watch', file, '--ledger', ledger]);
    // Without a terminal the cockpit does not start; with no open run it would say so first.
    expect(none.code).not.toBe(0);
    const unknown = await cli(['watch', 'r-20990101-000000-abcd', '--ledger', ledger]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no runbook file and no run "r-20990101-000000-abcd"');
  });
});
