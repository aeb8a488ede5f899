// After a hostile probe: abort and rollback are never held back by values only the forward
// steps need; any successful rollback locks the runbook, a finished run's too; a reason is one
// line; a value a command needs cannot be blank.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from './support/cli.js';

const RUNBOOK = [
  '---', 'title: Failover', 'opscockpit:', '  params:', '    NEW_PRIMARY: { description: the replica to promote }', '---',
  '# Failover', '', '## Before', '', '1. Promote:', '', '   ```sh', '   echo "promote $NEW_PRIMARY" > promoted', '   ```', '',
  '2. Look at one pod:', '', '   ```sh', '   printf "[%s]" <POD_NAME> > pod', '   ```', '',
  '## Roll back', '', '```sh', 'echo rolled > rolled', '```', '',
].join('\n');

function runbook(): { dir: string; file: string; ledger: string } {
  const dir = mkdtempSync(join(tmpdir(), 'oc-backout-'));
  writeFileSync(join(dir, 'failover.md'), RUNBOOK);
  return { dir, file: join(dir, 'failover.md'), ledger: join(dir, 'l.db') };
}

describe('backing out, reasons and values', () => {
  it('a rollback runs without the forward parameters, and locks the runbook even with no run open', async () => {
    const { dir, file, ledger } = runbook();
    const env = { OPSCOCKPIT_ALLOW_SCOPES: 'deploy:rollback,run:steps', OPSCOCKPIT_OPERATOR: 'alice' };
    const rolled = await cli(['act', file, 'rollback', '--yes', '--ledger', ledger], { env, cwd: dir });
    expect(rolled.stderr).not.toContain('needs a person');
    expect(rolled.code).toBe(0);
    expect(existsSync(join(dir, 'rolled'))).toBe(true);
    // Locked: a forward run is refused until someone unlocks it with a reason.
    const run = await cli(['run', file, '--yes', '--param', 'NEW_PRIMARY=db-2', '--param', 'POD_NAME=p', '--ledger', ledger], { env, cwd: dir });
    expect(run.code).toBe(3); // refused by a control, as the README's exit codes say
    expect(run.stderr + run.stdout).toMatch(/locked after the rollback .* by alice/);
    expect(existsSync(join(dir, 'promoted'))).toBe(false);
    // The reason is one line: a line end could forge a ledger line.
    const forged = await cli(['unlock', file, '--reason', 'ok\n08:00:00 #9 bob approved', '--ledger', ledger], { env: { ...env, OPSCOCKPIT_ALLOW_SCOPES: 'safety:unlock' }, cwd: dir });
    expect(forged.code).toBe(1);
    expect(forged.stderr).toContain('a reason is one line of text, without control characters');
    const unlocked = await cli(['unlock', file, '--reason', 'the replica is healthy again', '--ledger', ledger], { env: { ...env, OPSCOCKPIT_ALLOW_SCOPES: 'safety:unlock' }, cwd: dir });
    expect(unlocked.code).toBe(0);
  });

  it('a value a command needs is never blank or padded with spaces', async () => {
    const { dir, file, ledger } = runbook();
    const env = { OPSCOCKPIT_ALLOW_SCOPES: 'run:steps', OPSCOCKPIT_OPERATOR: 'alice' };
    for (const value of ['   ', ' web-1']) {
      const r = await cli(['run', file, '--yes', '--param', 'NEW_PRIMARY=db-2', '--param', `POD_NAME=${value}`, '--ledger', ledger], { env, cwd: dir });
      expect(r.code, JSON.stringify(value)).toBe(1);
      expect(r.stderr).toMatch(/parameter POD_NAME: a value a command needs cannot (be blank|start or end with spaces)/);
    }
    expect(existsSync(join(dir, 'pod'))).toBe(false);
  });
});
