// A Markdown runbook's blocks in the run's one shell: through the session (a real ledger, a
// restart) and through the built binary (`run --yes`).
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { openLedger, type SqliteLedger } from '../adapters/ledger.js';
import { loadRunbookFile } from '../src/runbook/load.js';
import { Redactor } from '../src/runbook/secrets.js';
import { openSession, type Session } from '../src/session/session.js';
import { SqliteStore } from '../adapters/sqlite-store.js';
import { cli } from './support/cli.js';
import { waitFor } from './support/cockpit.js';

const steps = (second: string) => `# Pick the environment

## Steps

1. Choose the environment:

   \`\`\`bash
   export ENV=gprd
   cd ..
   \`\`\`

2. Use it:

   \`\`\`bash
${second
  .split('\n')
  .map((l) => `   ${l}`)
  .join('\n')}
   \`\`\`
`;

function runbookFile(text: string): { dir: string; file: string; ledger: string } {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'oc-run-shell-')));
  const file = join(dir, 'runbook.md');
  writeFileSync(file, text);
  return { dir, file, ledger: join(dir, 'ledger.db') };
}

const env = { PATH: process.env.PATH, OPSCOCKPIT_OPERATOR: 'ops', OPSCOCKPIT_ALLOW_SCOPES: 'run:steps' };
const open: { session: Session; ledger: SqliteLedger }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.session.shutdown('the test ended');
    o.session.stop();
    o.ledger.close();
  }
});

async function sessionFor(file: string, ledgerPath: string) {
  const runbook = await loadRunbookFile(file, env);
  const ledger = openLedger(ledgerPath, { redactor: new Redactor(runbook.secrets, env) });
  const session = await openSession({ runbook, ledger: new SqliteStore(ledger, ledgerPath), ledgerPath, env });
  open.push({ session, ledger });
  return { runbook, ledger, session };
}

describe("a Markdown run's blocks share one shell", () => {
  it('marks Markdown shell blocks as shell checks', async () => {
    const { file } = runbookFile(steps('echo "$ENV"'));
    const runbook = await loadRunbookFile(file, env);
    const checks = Object.values(runbook.checks);
    expect(checks.map((c) => c.kind === 'script' && c.shell)).toEqual(['bash', 'bash']);
  });

  it('carries the export and the cd from step 1 to step 2 in the session', async () => {
    const { dir, file, ledger: path } = runbookFile(steps('test "$ENV" = gprd\npwd'));
    const { session, ledger } = await sessionFor(file, path);
    expect(await session.advance()).toBeUndefined();
    expect(await session.advance()).toBeUndefined();
    const s = session.store.getState();
    expect(s.checklist.complete).toBe(true);
    expect(s.checks['preflight.steps-2']?.output).toBe(`${dirname(dir)}\n`);
    const started = ledger.events(session.runId).filter((e) => e.body.kind === 'shell.started');
    expect(started).toHaveLength(1);
    expect(started[0].body).not.toHaveProperty('note');
  });

  it('a restarted cockpit starts a fresh shell and says so, on record and on screen', async () => {
    const { file, ledger: path } = runbookFile(steps('test "$ENV" = gprd'));
    const first = await sessionFor(file, path);
    expect(await first.session.advance()).toBeUndefined();
    const runId = first.session.runId;
    first.session.stop();
    first.ledger.close();
    open.splice(0);

    const second = await sessionFor(file, path);
    expect(second.session.runId).toBe(runId);
    await second.session.advance();
    const started = second.ledger.events(runId).flatMap((e) => (e.body.kind === 'shell.started' ? [e.body] : []));
    expect(started).toHaveLength(2);
    expect(started[1].note).toBe(
      'a fresh shell: earlier steps of this run ran in another shell, before the cockpit restarted; exports, cd and functions from earlier steps are gone',
    );
    const s = second.session.store.getState();
    expect(s.flash?.text).toMatch(/^A fresh shell: earlier steps of this run ran in another shell/);
    // set -u: the variable step 1 exported is not there, and the step says where.
    expect(s.checks['preflight.steps-2']?.reason).toBe('exit 1 at line 1 of the block: block: line 1: ENV: unbound variable');
  });

  it('a cockpit that took the run over starts a fresh shell and says whose shell the earlier steps ran in', async () => {
    const { file, ledger: path } = runbookFile(steps('test "$ENV" = gprd'));
    const as = (who: string) => ({ ...env, OPSCOCKPIT_OPERATOR: who });
    const ledger = openLedger(path, { redactor: new Redactor([], env) });
    // One connection for both: better-sqlite3 blocks its thread (driver-session.test.tsx).
    const store = new SqliteStore(ledger, path);
    const join_ = async (who: string) => {
      const session = await openSession({ runbook: await loadRunbookFile(file, as(who)), ledger: store, ledgerPath: path, env: as(who), seat: 'join' });
      open.push({ session, ledger });
      session.start();
      return session;
    };
    const alice = await join_('alice');
    expect(await alice.advance()).toBeUndefined();
    const bob = await join_('bob');
    bob.command('driver.take');
    bob.type('alice is off shift');
    bob.submit();
    await waitFor(() => bob.store.getState().seat?.role === 'driver', 'the seat with bob', 5000);
    await bob.advance();
    const started = ledger.events(alice.runId).flatMap((e) => (e.body.kind === 'shell.started' ? [[e.operator, e.body.note]] : []));
    expect(started).toEqual([
      ['alice', undefined],
      ['bob', "a fresh shell: earlier steps of this run ran in alice's cockpit's shell, before this cockpit took the run over; exports, cd and functions from earlier steps are gone"],
    ]);
    expect(bob.store.getState().flash?.text).toMatch(/^A fresh shell: earlier steps of this run ran in alice's cockpit's shell/);
    expect(bob.store.getState().checks['preflight.steps-2']?.reason).toBe('exit 1 at line 1 of the block: block: line 1: ENV: unbound variable');
  });
});

describe('opscockpit run --yes (built binary)', () => {
  const runEnv = { OPSCOCKPIT_OPERATOR: 'ops', OPSCOCKPIT_ALLOW_SCOPES: 'run:steps' };

  it('succeeds when step 2 needs what step 1 exported', async () => {
    const { file, ledger } = runbookFile(steps('test "$ENV" = gprd\necho "env is $ENV"'));
    const r = await cli(['run', file, '--yes', '--ledger', ledger], { env: runEnv });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('Pick the environment: completed');
    expect(r.stdout).toContain('exit 0: env is gprd');
    expect(r.code).toBe(0);
  });

  it('stops at the step whose line failed, naming the line and the exit code', async () => {
    const { file, ledger } = runbookFile(steps('echo checking\ngrep -q gprd /no/such/inventory\necho should-not-run'));
    const r = await cli(['run', file, '--yes', '--ledger', ledger], { env: runEnv });
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('step "steps-2" failed: exit 2 at line 2 of the block: grep: /no/such/inventory: No such file or directory');
    expect(r.stdout).not.toContain('should-not-run');
  });
});
