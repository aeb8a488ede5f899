// Two cockpits in two real terminals on one PostgreSQL ledger, as two logins on one run: alice
// drives, bob watches. Bob's emergency stop kills the action alice started, on her screen; her
// abort, once the stop is off, shows on his.
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPgLedger } from '../adapters/pg-ledger.js';
import { bin, cli, root } from './support/cli.js';
import { pgLedgerDatabase } from './support/ledger-stores.js';
import type { PgLogin } from './support/postgres.js';
import { shellQuote, Tmux } from './support/tmux.js';

const terminals: Tmux[] = [];
let urls: Record<PgLogin, string>;
beforeAll(async () => {
  urls = await pgLedgerDatabase(inject('postgres'));
});
afterEach(() => {
  for (const t of terminals.splice(0)) t.kill();
});

describe('two logins, one run (tmux, built binary, PostgreSQL)', () => {
  it("bob observes alice's run: his stop kills her action; her abort shows on his screen", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oc-e2e-two-'));
    const file = join(dir, 'cutover.yaml');
    writeFileSync(
      file,
      [
        'version: 1',
        'name: Cutover',
        'actions:',
        '  deploy:',
        '    title: Deploy the release',
        '    key: d',
        `    script: { command: sh, args: [-c, 'sleep 30; touch ${join(dir, 'deployed')}'], timeout: 60s }`,
        '  abort:',
        '    title: Abort the cutover',
        `    script: { command: sh, args: [-c, 'echo back to blue'] }`,
        '',
      ].join('\n'),
    );
    const server = inject('postgres');
    const db = new URL(urls.alice).pathname.slice(1);
    const open = (login: 'alice' | 'bob', extra: string) => {
      const t = new Tmux();
      terminals.push(t);
      t.start(`node ${shellQuote(bin)} open ${shellQuote(file)} ${extra}`, {
        cwd: root,
        env: { OPSCOCKPIT_LEDGER: `postgres://${login}@${server.host}:${server.port}/${db}`, PGPASSWORD: server.passwords[login], OPSCOCKPIT_ALLOW_SCOPES: 'deploy:deploy,deploy:abort' },
      });
      return t;
    };
    const alice = open('alice', `--reason ${shellQuote('cutover v2.3')}`);
    await alice.waitFor((s) => s.includes('operator alice') && s.includes('You drive this run'), 'alice driving');
    const bob = open('bob', '');
    await bob.waitFor((s) => s.includes('OBSERVING') && s.includes('alice is driving since') && s.includes('cutover v2.3'), 'bob observing');

    // alice deploys; bob, watching, pulls the emergency stop: her action is killed at once.
    await alice.confirmAction('d', 'deploy');
    // Its intent is on record and its script runs (the action pane is up, no outcome yet).
    await alice.waitFor((s) => s.includes('Action: deploy') && !/SUCCEEDED|FAILED|REFUSED/.test(s), 'the deploy running');
    await bob.waitFor((s) => /deploy (requested|started)/i.test(s), 'the deploy on bob’s ledger panel');
    bob.send('!');
    await alice.waitFor((s) => s.includes('EMERGENCY STOP'), 'the stop on her screen', 3000);
    await alice.waitFor((s) => /FAILED/.test(s) && /emergency stop/i.test(s), 'her action killed by the stop', 5000);
    expect(existsSync(join(dir, 'deployed'))).toBe(false);

    // The stop goes off with a reason, by an operator with safety:stop-off; alice aborts; bob sees it.
    const off = await cli(['stop', 'off', '--reason', 'deploy killed, aborting', '--ledger', urls.bob], { env: { OPSCOCKPIT_ALLOW_SCOPES: 'safety:stop-off' } });
    expect(off.code, off.stdout + off.stderr).toBe(0);
    await alice.waitFor((s) => !s.includes('EMERGENCY STOP'), 'the stop off on her screen', 3000);
    await alice.confirmAction('a', 'abort');
    const seen = await bob.waitFor((s) => s.split('\n')[0].includes('ABORTED'), 'the abort on bob’s screen', 5000);
    expect(seen).toContain('abort');

    const carol = await openPgLedger(urls.carol);
    try {
      const run = (await carol.listRuns(10)).find((r) => r.runbook === file)!;
      expect(run.status).toBe('aborted');
      const events = await carol.events(run.runId);
      const ops = (kind: string) => events.filter((e) => e.body.kind === kind).map((e) => e.operator);
      expect(ops('action.requested')).toEqual(['alice', 'alice']);
      expect(events.some((e) => e.body.kind === 'action.completed' && e.operator === 'alice' && (e.body as { action: string; status: string }).action === 'deploy' && (e.body as { status: string }).status === 'failed')).toBe(true);
    } finally {
      await carol.close();
    }
  });
});
