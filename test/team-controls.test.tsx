// The team's controls in the cockpit, on the real PostgreSQL server (alice, bob and carol as
// logins) and on SQLite: the release stage kept in the ledger and moved live in every cockpit,
// a pending real-enable window approved from another cockpit with its key, and the runbook
// locked after a rollback until someone unlocks it with a reason.
import { afterEach, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPgLedger, type PgLedger } from '../adapters/pg-ledger.js';
import { loadRunbook } from '../src/runbook/load.js';
import { waitFor } from './support/cockpit.js';
import { pgLedgerDatabase } from './support/ledger-stores.js';
import { mountCockpitOn, unmountAll } from './support/mount.js';

const SCOPES = 'deploy:promote,deploy:rollback';
const STAGE_ENV = { OPSCOCKPIT_STAGE_KEY: Buffer.alloc(32, 5).toString('base64') };

/** A runbook with one automatic step, promote (no preflight needed) and rollback; `safety` for a guarded one. */
function runbookFile(safety = ''): string {
  const file = join(mkdtempSync(join(tmpdir(), 'oc-teamctl-')), 'ship.yaml');
  writeFileSync(
    file,
    `version: 1\nname: Ship\n${safety}checks:\n  ok: { script: { command: /bin/true } }\nchecklists:\n  preflight:\n    - { id: ready, check: ok }\n` +
      `actions:\n  promote:\n    title: Promote\n    preflight: false\n    script: { command: /bin/true }\n` +
      `  rollback:\n    title: Roll back\n    script: { command: /bin/true }\n`,
  );
  return file;
}

const open: PgLedger[] = [];
afterEach(async () => {
  await unmountAll();
  for (const l of open.splice(0)) await l.close();
});

async function pgCockpit(url: string, file: string, extra: NodeJS.ProcessEnv = {}) {
  const store = await openPgLedger(url);
  open.push(store);
  return mountCockpitOn(loadRunbook(file, {}), store, url, { env: { PATH: process.env.PATH, OPSCOCKPIT_ALLOW_SCOPES: SCOPES, ...extra } });
}

describe('the release stage on a PostgreSQL ledger', () => {
  it('is read from the ledger, moved by an action as a signed row by the login, and the move shows in every cockpit', async () => {
    const urls = await pgLedgerDatabase(inject('postgres'));
    const file = runbookFile();
    const alice = await pgCockpit(urls.alice, file, STAGE_ENV);
    const bob = await pgCockpit(urls.bob, file, STAGE_ENV);
    for (const m of [alice, bob]) await waitFor(() => m.frame().includes('stage stable'), 'stable at first', 3000);
    expect(alice.session.store.getState().stage).toMatchObject({ stage: 'stable', signed: true, problem: 'missing' });

    const outcome = await alice.session.runAction('promote', 'promote');
    expect(outcome).toMatchObject({ status: 'succeeded' });
    expect(alice.session.store.getState().stage).toEqual({ stage: 'promoted', signed: true });
    const moved = Date.now();
    await waitFor(() => bob.frame().includes('stage promoted'), "the move on bob's cockpit", 3000);
    expect(Date.now() - moved).toBeLessThan(1000);

    const carol = await openPgLedger(urls.carol);
    open.push(carol);
    const { loadStageKeys } = await import('../adapters/stage-file.js');
    expect(await carol.stage.read(loadStageKeys(STAGE_ENV))).toMatchObject({ ok: true, stage: 'promoted', updatedBy: 'alice' });
    const events = await carol.events(alice.session.runId);
    expect(events.find((e) => e.body.kind === 'stage.changed')).toMatchObject({ operator: 'alice', body: { from: 'stable', to: 'promoted' } });
  });

  it('without stage keys it shows unsigned and writes nothing', async () => {
    const urls = await pgLedgerDatabase(inject('postgres'));
    const alice = await pgCockpit(urls.alice, runbookFile());
    expect(alice.session.store.getState().stage).toMatchObject({ stage: 'stable', signed: false, problem: 'unsigned' });
    await alice.session.runAction('promote', 'promote');
    expect(alice.session.store.getState().stage).toMatchObject({ stage: 'stable', problem: 'unsigned' });
    expect(await (open[0] as PgLedger).stage.latest()).toBeUndefined();
  });
});
