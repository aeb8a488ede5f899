// The built binary's cockpit on a PostgreSQL team ledger, in a real terminal: alice opens it
// with OPSCOCKPIT_LEDGER (no password in the URL, PGPASSWORD beside it), the safety bar names
// her login, bob's emergency stop from another process shows within a second and refuses her
// action, and her quit leaves the ledger whole.
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPgLedger } from '../adapters/pg-ledger.js';
import { bin, cli, root } from './support/cli.js';
import { pgLedgerDatabase } from './support/ledger-stores.js';
import type { PgLogin } from './support/postgres.js';
import { shellQuote, Tmux } from './support/tmux.js';

let tmux: Tmux | undefined;
let urls: Record<PgLogin, string>;
beforeAll(async () => {
  urls = await pgLedgerDatabase(inject('postgres'));
});
afterEach(() => tmux?.kill());

describe('the cockpit on a PostgreSQL ledger (tmux, built binary)', () => {
  it("shows the login, bob's stop within a second, refuses the action, and quits cleanly", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oc-e2e-team-'));
    const file = join(dir, 'ship.yaml');
    writeFileSync(
      file,
      `version: 1\nname: Ship\nsafety:\n  mode: DRY_RUN\n  allowlist: [ship]\nactions:\n  ship:\n    title: Ship it\n    key: w\n    script: { command: sh, args: [-c, 'touch ${join(dir, 'ran')}'] }\n`,
    );
    const server = inject('postgres');
    tmux = new Tmux();
    const url = `postgres://alice@${server.host}:${server.port}/${new URL(urls.alice).pathname.slice(1)}`;
    const after = `node ${shellQuote(bin)} open ${shellQuote(file)}; echo "EXIT=$?"; exec sleep 30`;
    tmux.start(`sh -c ${shellQuote(after)}`, {
      cwd: root,
      env: { OPSCOCKPIT_LEDGER: url, PGPASSWORD: server.passwords.alice, OPSCOCKPIT_OPERATOR: 'ops', OPSCOCKPIT_ALLOW_SCOPES: 'deploy:ship' },
    });
    await tmux.waitFor((s) => s.includes('operator alice (database login)'), 'the cockpit with the login');

    const stop = await cli(['stop', 'on', '--reason', 'pager', '--ledger', urls.bob]);
    expect(stop.code).toBe(0);
    const said = Date.now();
    await tmux.waitFor((s) => s.includes('EMERGENCY STOP — pager by bob'), 'the stop banner', 3000);
    expect(Date.now() - said).toBeLessThan(1000);

    await tmux.confirmAction('w', 'ship');
    await tmux.waitFor((s) => s.includes('ship refused — STOPPED'), 'the refusal');
    expect(existsSync(join(dir, 'ran'))).toBe(false);

    tmux.send('q');
    const screen = await tmux.waitFor((s) => s.includes('EXIT='), 'the cockpit to exit', 10_000);
    expect(screen).toContain('EXIT=0');
    expect(screen).not.toContain(server.passwords.alice);

    const bob = await openPgLedger(urls.bob);
    try {
      const run = (await bob.listRuns(10)).find((r) => r.runbook === file)!;
      const events = await bob.events(run.runId);
      expect(events.find((e) => e.body.kind === 'action.refused')).toMatchObject({ operator: 'alice', body: { action: 'ship', failure: 'STOPPED' } });
      // alice let the run go: its lease is gone, so the next cockpit resumes it at once.
      expect(await bob.leases.get(run.runId)).toBeUndefined();
    } finally {
      await bob.close();
    }
    const verify = await cli(['ledger', 'verify', '--ledger', urls.carol]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  });
});
