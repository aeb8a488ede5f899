// The cockpit asks before the run starts (built binary in tmux, 80x24): a Markdown runbook with a
// parameter and a choice, opened without them, shows the form; the parameter's pattern is
// checked with its reason inline, the option picked with the arrows; Enter starts the cockpit on
// the chosen branch with the values in the header. Esc quits without starting anything.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bin } from './support/cli.js';
import { Tmux } from './support/tmux.js';
import { ROTATE_MD } from './support/rotate-runbook.js';

let tmux: Tmux | undefined;
afterEach(() => tmux?.kill());

function openForm(): { dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'oc-form-'));
  writeFileSync(join(dir, 'rotate.md'), ROTATE_MD);
  tmux = new Tmux();
  // The shell stays after the cockpit, to show its exit code.
  tmux.start(`sh -c 'node ${bin} open rotate.md --ledger l.db; echo "exit=$?"; sleep 30'`, { cwd: dir, width: 80, height: 24 });
  return { dir };
}

describe('the form before the run starts (built binary in tmux)', () => {
  it('asks for the parameter and the choice, then the cockpit walks the chosen branch with them in the header', async () => {
    openForm();
    let screen = await tmux!.waitFor((s) => s.includes('Before the run starts'), 'the form');
    expect(screen.split('\n')[0]).toBe(' opscockpit · Rotate the queue credentials');
    expect(screen).toMatch(/› ticket\s+Change ticket · matches CHG-\[0-9\]\+/);
    expect(screen).toMatch(/region\s+Where the queue runs · enum\n\s+‹ eu ›/);
    expect(screen).toMatch(/choose choice\s+Rotate the queue credentials\n\s+‹ Linux ›/);
    tmux!.send('chg-1', 'Enter');
    await tmux!.waitFor((s) => s.includes('✗ "chg-1" does not match CHG-[0-9]+'), 'the pattern refused inline');
    for (let i = 0; i < 5; i++) tmux!.send('BSpace');
    await tmux!.waitFor((s) => !s.includes('chg-1'), 'the value erased');
    tmux!.send('CHG-42', 'Enter');
    await tmux!.waitFor((s) => s.includes('› region'), 'the next field');
    tmux!.send('Enter');
    await tmux!.waitFor((s) => s.includes('› choose choice'), 'the choice row');
    tmux!.send('Right');
    await tmux!.waitFor((s) => s.includes('‹ macOS ›'), 'macOS picked');
    tmux!.send('Enter');
    screen = await tmux!.waitFor((s) => s.includes('Checklist') && s.includes('preflight 0/2'), 'the cockpit');
    expect(screen.split('\n')[0]).toMatch(/^ opscockpit · RUNNING · .*Rotate the queue/);
    expect(screen).not.toContain('Before the run starts');
    // Only the chosen branch is walked; its command shows with the parameters' names.
    expect(screen).toContain('echo "macos $ticket in $region"');
    expect(screen).not.toContain('linux');
    // At 120 columns the header has room for the chosen option and the parameters.
    tmux!.resize(120, 40);
    screen = await tmux!.waitFor((s) => s.split('\n')[0].includes('Rotate the queue credentials · choice=macos · ticket=CHG-42'), 'the header with the choice and the parameters');
    expect(screen).toContain('chosen: choice=macos');
  });

  it('Esc quits without starting: exit 0, nothing recorded', async () => {
    const { dir } = openForm();
    await tmux!.waitFor((s) => s.includes('Before the run starts'), 'the form');
    tmux!.send('Escape');
    await tmux!.waitFor((s) => s.includes('exit=0'), 'the command to end');
    expect(existsSync(join(dir, 'l.db'))).toBe(false);
  });
});
