// A cockpit that joins a run someone drives shows the run's recorded values, in a real terminal
// (tmux, built binary, SQLite): opened without a version, its header shows the run's version and
// the secret masked, and it observes. (Other values refused: test/headless-seat.test.ts.)
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRunbookFile } from '../src/runbook/load.js';
import { withParamValues } from '../src/runbook/params.js';
import { openSession, type Session } from '../src/session/session.js';
import { openSqliteStore } from '../adapters/sqlite-store.js';
import type { LedgerStore } from '../src/engine/ledger-store.js';
import { bin, root } from './support/cli.js';
import { shellQuote, Tmux } from './support/tmux.js';

const terminals: Tmux[] = [];
const sessions: Session[] = [];
const stores: LedgerStore[] = [];
afterEach(async () => {
  for (const t of terminals.splice(0)) t.kill();
  for (const s of sessions.splice(0)) await s.stop();
  for (const l of stores.splice(0)) await l.close();
});

describe('joining a driven run (tmux, built binary)', () => {
  it("shows the run's own values, the secret masked", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oc-e2e-join-'));
    const file = join(dir, 'cutover.yaml');
    writeFileSync(
      file,
      ['version: 1', 'name: Cutover', 'params:', '  version: { description: the release }', '  token: { type: secret }', 'checks:', '  ok: { script: { command: /bin/true } }', 'checklists:', '  preflight:', '    - { id: ready, check: ok }', ''].join('\n'),
    );
    const ledgerPath = join(dir, 'ledger.db');
    const store = await openSqliteStore(ledgerPath);
    stores.push(store);
    const env = { PATH: process.env.PATH, OPSCOCKPIT_OPERATOR: 'alice' };
    const runbook = await loadRunbookFile(file, env, { version: '2.3', token: 's3cr3t-value' });
    const alice = await openSession({ runbook, ledger: store, ledgerPath, env: withParamValues(runbook.params, env), seat: 'join', reason: 'cutover v2.3' });
    sessions.push(alice);

    const open = (extra: string) => {
      const t = new Tmux();
      terminals.push(t);
      t.start(`node ${shellQuote(bin)} open ${shellQuote(file)} --ledger ${shellQuote(ledgerPath)} ${extra}`, { cwd: root, env: { OPSCOCKPIT_OPERATOR: 'bob' } });
      return t;
    };
    const same = open('--param token=bobs');
    const screen = await same.waitFor((s) => s.includes('OBSERVING'), 'the observer');
    expect(screen).toContain('version=2.3');
    expect(screen).not.toContain('version=2.4');
    expect(screen).toContain('token=***');
    expect(screen).not.toMatch(/s3cr3t|bobs/);
  });
});
