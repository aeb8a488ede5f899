// Quitting the cockpit while an action's script runs (built binary in tmux, real processes):
// the script's whole process group is killed, the cancellation and the outcome are in the
// ledger, the cockpit exits within about the kill's grace period, and the terminal is restored.
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLedger } from '../adapters/ledger.js';
import type { EventBody } from '../src/engine/types.js';
import { bin, cli, root } from './support/cli.js';
import { isGone, waitGone } from './support/processes.js';
import { shellQuote, Tmux } from './support/tmux.js';
import { allEvents } from './support/ledger-files.js';

let tmux: Tmux | undefined;
afterEach(() => tmux?.kill());

const events = (ledger: string): EventBody[] => allEvents(ledger);

/** How the cockpit is told to stop: the operator's Ctrl-C and quit, or SIGTERM to its process. */
const WAYS = [
  {
    name: 'Ctrl-C, then confirming quit,',
    why: 'the operator quit',
    exit: 0,
    stop: async (t: Tmux) => {
      t.send('C-c');
      const dialog = await t.waitFor((s) => s.includes('Quit?'), 'the quit dialog');
      t.send('Enter');
      return dialog;
    },
  },
  {
    name: 'SIGTERM to the cockpit',
    why: 'the process got SIGTERM',
    exit: 143,
    stop: async (t: Tmux) => {
      // The pane runs sh; the cockpit is its one child.
      const shell = t.display('#{pane_pid}');
      const cockpit = Number(readFileSync(`/proc/${shell}/task/${shell}/children`, 'utf8').trim().split(' ')[0]);
      process.kill(cockpit, 'SIGTERM');
      return undefined;
    },
  },
];

describe('quit while an action runs (tmux, built binary)', () => {
  it.each(WAYS)('$name kills the script group, records cancellation and outcome, and exits promptly', async (way) => {
    const dir = mkdtempSync(join(tmpdir(), 'oc-e2e-quit-'));
    const file = join(dir, 'slow.yaml');
    const ledger = join(dir, 'ledger.db');
    writeFileSync(
      file,
      `version: 1
name: Quit while running
actions:
  slow:
    title: Slow action
    key: w
    script: { command: sh, args: [-c, 'echo started; sleep 60 & echo $! > "$1/grandchild.pid"; echo $$ > "$1/script.pid"; sleep 60', sh, ${dir}], timeout: 90s }
`,
    );
    tmux = new Tmux();
    // After the cockpit: its exit code and the terminal's modes, as the shell finds them; the
    // pane stays open (a dead pane shows no cursor).
    const after = `node ${shellQuote(bin)} open ${shellQuote(file)} --ledger ${shellQuote(ledger)}; echo "EXIT=$?"; echo "MODES=$(stty -a | tr ' ;' '\\n\\n' | grep -x -e -icanon -e icanon -e -echo -e echo | tr '\\n' ' ')END"; exec sleep 30`;
    tmux.start(`sh -c ${shellQuote(after)}`, { cwd: root, env: { OPSCOCKPIT_OPERATOR: 'e2e', OPSCOCKPIT_ALLOW_SCOPES: 'deploy:slow' } });
    await tmux.waitFor((s) => s.includes('Checklist') && s.includes('Ledger'), 'the cockpit');

    await tmux.confirmAction('w', 'slow');
    const pidOf = (name: string) => (existsSync(join(dir, name)) ? Number(readFileSync(join(dir, name), 'utf8')) || undefined : undefined);
    await tmux.waitFor(() => !!(pidOf('script.pid') && pidOf('grandchild.pid')), 'the script and its grandchild');
    const [script, grandchild] = [pidOf('script.pid')!, pidOf('grandchild.pid')!];
    expect(isGone(script) || isGone(grandchild)).toBe(false);

    const asked = Date.now();
    const dialog = await way.stop(tmux);
    const screen = await tmux.waitFor((s) => s.includes('EXIT=') && s.includes('END'), 'the cockpit to exit', 10_000);
    expect(Date.now() - asked).toBeLessThan(4000);
    expect(screen).toContain(`EXIT=${way.exit}`);
    // The dialog said what quitting does.
    if (dialog) expect(dialog).toContain('Quitting stops it');

    expect(await waitGone(script, 500)).toBe(true);
    expect(await waitGone(grandchild, 500)).toBe(true);

    // The terminal is the shell's again: line editing and echo on, the cursor shown.
    expect(screen).toContain('MODES=icanon echo END');
    expect(tmux.display('#{cursor_flag}')).toBe('1');

    const evs = events(ledger);
    const cancelled = evs.findIndex((e) => e.kind === 'action.cancelled' && e.action === 'slow');
    const completed = evs.findIndex((e) => e.kind === 'action.completed' && e.action === 'slow');
    expect(evs[cancelled]).toMatchObject({ reason: `${way.why} while it ran` });
    expect(completed).toBeGreaterThan(cancelled);
    expect(evs[completed]).toMatchObject({ status: 'failed', signal: 'SIGTERM', reason: `cancelled: ${way.why}; killed by SIGTERM` });
    expect((evs[completed] as { output: string }).output).toContain('started');
    const verify = await cli(['ledger', 'verify', '--ledger', ledger]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  });
});
