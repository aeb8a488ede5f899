// See before you run: a block longer than the Checklist shows is never run by one Enter. Enter
// opens it whole, page by page, every line numbered and long lines folded, and runs it only
// once its last line has been on screen. At 80x24 a dialog never pushes the header off.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bin, root } from './support/cli.js';
import { Tmux } from './support/tmux.js';

let tmux: Tmux | undefined;
afterEach(() => tmux?.kill());

function longRunbook(): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'oc-review-'));
  const echoes = Array.from({ length: 30 }, (_, i) => `echo "warming cache shard ${i + 1}"`);
  const block = [...echoes, `echo "${'x'.repeat(150)}"`, 'touch line-32-ran'];
  writeFileSync(join(dir, 'warm.md'), ['# Warm the caches', '', '## Before', '', '```bash', ...block, '```', ''].join('\n'));
  return { dir, file: join(dir, 'warm.md') };
}

const env = { OPSCOCKPIT_ALLOW_SCOPES: 'run:steps', OPSCOCKPIT_OPERATOR: 'night-sre' };

describe('a long block in the cockpit (built binary in tmux)', () => {
  it('at 120x40: Enter shows it whole, page by page, and runs it only after its last line was shown', async () => {
    const { dir, file } = longRunbook();
    tmux = new Tmux();
    tmux.start(`node ${bin} open ${file} --ledger ${join(dir, 'l.db')}`, { cwd: root, width: 120, height: 40, env });
    await tmux.waitFor((s) => s.includes('longer than shown: Enter shows all of it before it runs'), 'the cut block announced');
    tmux.send('Enter');
    let screen = await tmux.waitFor((s) => s.includes('Read before it runs') && s.includes('lines 1–'), 'the first page');
    expect(screen.split('\n')[0]).toMatch(/^ opscockpit · RUNNING · /);
    expect(screen).not.toContain('line-32-ran');
    // Enter before the last line pages on; nothing runs.
    tmux.send('Enter');
    screen = await tmux.waitFor((s) => s.includes('touch line-32-ran'), 'the last page');
    expect(screen).toMatch(/↪ x+/); // the 150-character line folded, not cut
    expect(existsSync(join(dir, 'line-32-ran'))).toBe(false);
    tmux.send('Up');
    await tmux.waitFor((s) => s.includes('lines 1–'), 'back to the first page');
    tmux.send('Down');
    await tmux.waitFor((s) => s.includes('Enter runs it'), 'the last page again');
    tmux.send('Enter');
    await tmux.waitFor(() => existsSync(join(dir, 'line-32-ran')), 'the block run');
  });

  it('at 80x24: a destructive block read through, then its typed confirmation, with the header on the first line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oc-review-80-'));
    const lines = [...Array.from({ length: 20 }, (_, i) => `echo "step ${i + 1}"`), 'rm -rf ./old-cache'];
    writeFileSync(join(dir, 'clean.md'), ['# Clean up', '', '## Before', '', '```bash', ...lines, '```', ''].join('\n'));
    tmux = new Tmux();
    tmux.start(`node ${bin} open ${join(dir, 'clean.md')} --ledger ${join(dir, 'l.db')}`, { cwd: root, width: 80, height: 24, env });
    await tmux.waitFor((s) => s.includes('Enter shows all of it'), 'the cut block announced');
    tmux.send('Enter');
    await tmux.waitFor((s) => s.includes('Read before it runs') && s.includes('lines 1–'), 'the review, first page');
    expect(tmux.capture()).not.toContain('rm -rf ./old-cache');
    tmux.send('Enter');
    await tmux.waitFor((s) => s.includes('rm -rf ./old-cache') && s.includes('then asks for its id typed'), 'the last page');
    tmux.send('Enter');
    const screen = await tmux.waitFor((s) => s.includes('This block looks destructive'), 'the typed confirmation');
    expect(screen.split('\n')[0]).toMatch(/^ opscockpit · RUNNING · /);
    tmux.send('Escape');
    await tmux.waitFor((s) => s.includes('Enter shows all of it'), 'back, nothing run');
  });
});
