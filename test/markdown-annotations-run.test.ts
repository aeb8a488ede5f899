// Annotated Markdown blocks run for real: through the run's shell session (timeouts with a real
// sleep, expected exit codes with a real `exit 3`, zsh blocks in a zsh session) and headless
// through the built binary (`opscockpit run`) on fixtures/runbooks/markdown/annotated-restart.md.
import { afterEach, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ShellSession } from '../adapters/shell-session.js';
import { parseMarkdownRunbook } from '../src/runbook/markdown/load.js';
import type { ScriptCheck, ShellName } from '../src/runbook/model.js';
import { cli } from './support/cli.js';

const dir = realpathSync(mkdtempSync(join(tmpdir(), 'oc-annot-run-')));
const sessions: ShellSession[] = [];
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
});

/** The runbook's blocks, in order, as the session runs them. */
function blocksOf(...fences: string[]): (ScriptCheck & { shell: ShellName })[] {
  const text = ['# Run', '', '## Steps', '', ...fences.flatMap((f) => [f, ''])].join('\n');
  const rb = parseMarkdownRunbook(text, join(dir, 'annotated.md'), { PATH: process.env.PATH });
  return rb.checklists.preflight.map((s) => rb.checks[s.check!] as ScriptCheck & { shell: ShellName });
}

function session(): ShellSession {
  const s = new ShellSession({ env: { PATH: process.env.PATH }, secrets: [] });
  sessions.push(s);
  return s;
}

describe('annotated blocks in the real shell session', () => {
  it('timeout= ends a block that runs too long: the step fails with "timed out after"', async () => {
    const [slow, next] = blocksOf('```bash {timeout=1s}\necho started\nsleep 20\n```', '```bash\necho after\n```');
    const started = Date.now();
    const r = await session().run(slow);
    expect(Date.now() - started).toBeLessThan(8000);
    expect(r).toMatchObject({ status: 'error', code: 'timeout', output: 'started\n' });
    expect(r.reason).toMatch(/^timed out after 1 s, process group killed/);
    expect(next.timeoutMs).toBe(600_000);
  });

  it('expect-exit= makes a real exit 3 a success, and exit 0 a failure unless listed', async () => {
    const [listed, only3, plain] = blocksOf('```bash {expect-exit=0,3}\necho warming\nexit 3\n```', '<!-- opscockpit: expect-exit=3 -->\n```bash\necho fine\n```', '```bash\nexit 3\n```');
    const s = session();
    expect(await s.run(listed)).toMatchObject({ status: 'healthy', exitCode: 3, reason: 'exit 3: warming' });
    expect(await s.run(only3)).toMatchObject({ status: 'error', exitCode: 0 });
    expect((await s.run(plain)).status).not.toBe('healthy');
  });

  it('a zsh block keeps its export for the next zsh block, apart from the bash session', async () => {
    const blocks = blocksOf('```zsh\nexport REGION=eu-west\ntypeset -A owners=(db ana)\n```', '```bash\necho "bash sees ${REGION:-nothing}"\n```', '```sh {shell=zsh}\nprint -r -- "zsh sees $REGION, db by ${owners[db]}"\n```');
    expect(blocks.map((b) => b.shell)).toEqual(['zsh', 'bash', 'zsh']);
    const s = session();
    expect((await s.run(blocks[0])).status).toBe('healthy');
    expect((await s.run(blocks[1])).output).toBe('bash sees nothing\n');
    expect(await s.run(blocks[2])).toMatchObject({ status: 'healthy', output: 'zsh sees eu-west, db by ana\n' });
  });

  it('a zsh block stops at its failing line and names it', async () => {
    const [zsh] = blocksOf('```zsh\nprint checking\ngrep -q gprd /no/such/inventory\nprint should-not-run\n```');
    const r = await session().run(zsh);
    expect(r.reason).toMatch(/^exit 2 at line 2 of the block: grep: \/no\/such\/inventory: No such file or directory/);
    expect(r.output).not.toContain('should-not-run');
  });
});

describe('opscockpit run on an annotated runbook (built binary)', () => {
  const fixture = (): { cwd: string; file: string; ledger: string } => {
    const cwd = realpathSync(mkdtempSync(join(tmpdir(), 'oc-annot-cli-')));
    const file = join(cwd, 'annotated-restart.md');
    copyFileSync('fixtures/runbooks/markdown/annotated-restart.md', file);
    return { cwd, file, ledger: join(cwd, 'ledger.db') };
  };

  it('refuses the scoped step without its scope, runs it with the scope, never runs the skipped block or the rollback forward', async () => {
    const f = fixture();
    const refused = await cli(['run', f.file, '--yes', '--ledger', f.ledger], { env: { OPSCOCKPIT_OPERATOR: 'ops', OPSCOCKPIT_ALLOW_SCOPES: 'run:steps' } });
    expect(refused.code).toBe(3);
    expect(refused.stdout).toContain('preflight step "flush-cache" not run: SCOPE_MISSING: step:preflight.flush-cache needs scope cache:flush');
    expect(refused.stdout).toContain('exit 3: probing staging');
    const done = await cli(['run', f.file, '--yes', '--json', '--ledger', join(f.cwd, 'second.db')], { env: { OPSCOCKPIT_OPERATOR: 'ops', OPSCOCKPIT_ALLOW_SCOPES: 'run:steps,cache:flush' } });
    expect(done.code).toBe(0);
    const report = JSON.parse(done.stdout) as { outcome: string; steps: { id: string; state: string; reason?: string }[] };
    expect(report.outcome).toBe('completed');
    expect(report.steps.map((s) => [s.id, s.state])).toEqual([['pick-env', 'passed'], ['warm-probe', 'passed'], ['flush-cache', 'passed']]);
    expect(report.steps[2].reason).toBe('exit 0: flushing the staging cache');
    expect(done.stdout).not.toContain('restoring');
    expect(existsSync(join(f.cwd, 'never-ran.txt'))).toBe(false);
  });

  it('names steps for --confirm, one by one, and the rollback action runs the block annotated rollback', async () => {
    const f = fixture();
    const env = { OPSCOCKPIT_OPERATOR: 'ops', OPSCOCKPIT_ALLOW_SCOPES: 'run:steps,cache:flush,deploy:rollback' };
    const waits = await cli(['run', f.file, '--confirm', 'pick-env', '--ledger', f.ledger], { env });
    expect(waits.code).toBe(2);
    expect(waits.stdout).toContain('preflight step "warm-probe" waits for an operator (confirm-first script; pass --confirm warm-probe or --yes)');
    const all = await cli(['run', f.file, '--confirm', 'pick-env,warm-probe,flush-cache', '--ledger', join(f.cwd, 'second.db')], { env });
    expect(all.stdout).toContain('Restart the cache tier: completed');
    expect(all.code).toBe(0);
    const back = await cli(['act', f.file, 'rollback', '--yes', '--ledger', join(f.cwd, 'third.db')], { env });
    expect(back.stdout + back.stderr).toContain('restoring the cache snapshot');
    expect(back.code).toBe(0);
  });
});
