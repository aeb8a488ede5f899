// The cockpit's terminal goes away while a block runs (built binary in tmux, real processes):
// the tmux session killed (SIGHUP) is a quit, the cancellation on record; the cockpit killed
// with SIGKILL still takes the block's process group with it.
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bin, root } from './support/cli.js';
import { isGone, waitGone } from './support/processes.js';
import { shellQuote, Tmux } from './support/tmux.js';
import { allEvents } from './support/ledger-files.js';

let tmux: Tmux | undefined;
afterEach(() => tmux?.kill());

/** The cockpit on a one-block Markdown runbook, Enter pressed: the block and its grandchild run. */
async function blockRunning(): Promise<{ dir: string; ledger: string; cockpit: number; block: number; grandchild: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'oc-e2e-hup-'));
  const file = join(dir, 'deploy.md');
  const ledger = join(dir, 'ledger.db');
  const block = `sleep 60 & echo $! > ${dir}/grandchild.pid; echo $$ > ${dir}/block.pid; sleep 60`;
  writeFileSync(file, `# Deploy\n\n## Steps\n\n1. Deploy\n\n   \`\`\`bash\n   ${block}\n   \`\`\`\n`);
  tmux = new Tmux();
  tmux.start(`node ${shellQuote(bin)} open ${shellQuote(file)} --ledger ${shellQuote(ledger)}`, { cwd: root, env: { OPSCOCKPIT_OPERATOR: 'e2e', OPSCOCKPIT_ALLOW_SCOPES: 'run:steps' } });
  await tmux.waitFor((s) => s.includes('press Enter to run') || s.includes('runs on Enter'), 'the cockpit');
  const cockpit = Number(tmux.display('#{pane_pid}')); // exec'd: the pane's process is the cockpit
  tmux.send('Enter');
  const pidOf = (name: string) => (existsSync(join(dir, name)) ? Number(readFileSync(join(dir, name), 'utf8')) || undefined : undefined);
  await tmux.waitFor(() => !!(pidOf('block.pid') && pidOf('grandchild.pid')), 'the block and its grandchild');
  const [b, g] = [pidOf('block.pid')!, pidOf('grandchild.pid')!];
  expect(isGone(b) || isGone(g)).toBe(false);
  return { dir, ledger, cockpit, block: b, grandchild: g };
}

describe('the cockpit\'s terminal goes away while a block runs (tmux, built binary)', () => {
  it('tmux kill-session (SIGHUP): the block\'s group is killed and the cancellation recorded', async () => {
    const r = await blockRunning();
    tmux!.kill();
    expect(await waitGone(r.cockpit, 4000)).toBe(true);
    expect(await waitGone(r.block, 4000)).toBe(true);
    expect(await waitGone(r.grandchild, 4000)).toBe(true);
    const evs = allEvents(r.ledger);
    expect(evs).toContainEqual(expect.objectContaining({ kind: 'action.cancelled', reason: 'the process got SIGHUP while it ran' }));
    expect(evs).toContainEqual(expect.objectContaining({ kind: 'step.result', result: expect.objectContaining({ status: 'error', reason: expect.stringContaining('cancelled: the process got SIGHUP') }) }));
  });

  it('SIGKILL to the cockpit: the block\'s group is gone within a few seconds', async () => {
    const r = await blockRunning();
    process.kill(r.cockpit, 'SIGKILL');
    expect(await waitGone(r.block, 10_000)).toBe(true);
    expect(await waitGone(r.grandchild, 10_000)).toBe(true);
  });
});
