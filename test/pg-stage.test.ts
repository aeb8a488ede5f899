// The release stage in a PostgreSQL ledger (pg-stage.ts, schema v2) against the real server:
// one signed row per move, the login as the mover; a row changed by its owner, signed for
// another login or with an unknown key reads as stable with the reason, as a damaged stage file does.
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { openPgLedger } from '../adapters/pg-ledger.js';
import { canonicalStage, loadStageKeys } from '../adapters/stage-file.js';
import { createHmac } from 'node:crypto';
import { pgLedgerDatabase } from './support/ledger-stores.js';
import { cli } from './support/cli.js';

const secret = (n: number) => Buffer.alloc(32, n).toString('base64');
const STAGE_ENV = { OPSCOCKPIT_STAGE_KEYS: `k2:${secret(2)},k1:${secret(1)}` };
const keys = loadStageKeys(STAGE_ENV);
const T0 = Date.UTC(2026, 11, 8, 9);

async function sql(url: string, text: string, values?: unknown[]): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(text, values);
  } finally {
    await c.end();
  }
}

describe('the stage on PostgreSQL', () => {
  it('round trip: missing, then each move a signed row by its login; tampered rows fall back to stable', async () => {
    const urls = await pgLedgerDatabase(inject('postgres'));
    const alice = await openPgLedger(urls.alice);
    const bob = await openPgLedger(urls.bob);
    try {
      expect(await alice.stage.read(keys)).toMatchObject({ ok: false, stage: 'stable', problem: 'missing' });
      expect(await alice.stage.write('canary', keys, T0)).toMatchObject({ ok: true, stage: 'canary', updatedBy: 'alice', keyId: 'k2' });
      // Another cockpit, another login, reads it.
      expect(await bob.stage.read(keys)).toEqual({ ok: true, stage: 'canary', updatedAt: T0, updatedBy: 'alice', keyId: 'k2', rotated: false });
      await bob.stage.write('promoted', keys, T0 + 1);
      expect(await alice.stage.read(keys)).toMatchObject({ ok: true, stage: 'promoted', updatedBy: 'bob' });

      // Operators may not change a row.
      await expect(sql(urls.alice, "UPDATE opscockpit.stage SET stage = 'canary'")).rejects.toThrow(/permission denied/);
      // The owner may, and the signature no longer holds.
      await sql(urls.admin, "UPDATE opscockpit.stage SET stage = 'canary' WHERE id = (SELECT max(id) FROM opscockpit.stage)");
      const tampered = await alice.stage.read(keys);
      expect(tampered).toMatchObject({ ok: false, stage: 'stable', problem: 'bad-signature' });
      expect(!tampered.ok && tampered.detail).toMatch(/^stage row #2 of ledger postgres:\/\/alice@.*: the signature does not match its contents/);

      // bob inserts a row signed as if alice had moved it: the database stamps bob, the signature fails.
      const forged = { stage: 'promoted', updated_at: T0 + 2, updated_by: 'alice', key_id: 'k2' };
      const sig = createHmac('sha256', keys.accepted.get('k2')!).update(canonicalStage(forged)).digest('hex');
      await sql(urls.bob, 'INSERT INTO opscockpit.stage (stage, updated_at, updated_by, key_id, sig) VALUES ($1, $2, $3, $4, $5)', [forged.stage, forged.updated_at, forged.updated_by, forged.key_id, sig]);
      expect(await alice.stage.read(keys)).toMatchObject({ ok: false, stage: 'stable', problem: 'bad-signature' });

      // A key the reader does not hold.
      await alice.stage.write('canary', loadStageKeys({ OPSCOCKPIT_STAGE_KEY: secret(9) }), T0 + 3);
      expect(await bob.stage.read(keys)).toMatchObject({ ok: false, stage: 'stable', problem: 'unknown-key' });
      // `opscockpit stage` reads the row as it reads the file: exit 2, stable, and why.
      const shown = await cli(['stage', '--ledger', urls.carol, '--json'], { env: STAGE_ENV });
      expect(shown.code).toBe(2);
      expect(JSON.parse(shown.stdout)).toMatchObject({ ledger: expect.stringMatching(/^postgres:\/\/carol@/), stage: 'stable', signed: true, intact: false, problem: 'unknown-key' });
      // A good move puts it right.
      await alice.stage.write('canary', keys, T0 + 4);
      expect(await bob.stage.read(keys)).toMatchObject({ ok: true, stage: 'canary', updatedBy: 'alice' });
      expect(await cli(['stage'], { env: { ...STAGE_ENV, OPSCOCKPIT_LEDGER: urls.carol } })).toMatchObject({ code: 0, stdout: 'stage status=ok stage=canary\n' });
      expect(await cli(['stage', '--ledger', urls.carol])).toMatchObject({ code: 2, stdout: expect.stringContaining('stage status=fail stage=stable problem=unsigned') });
    } finally {
      await alice.close();
      await bob.close();
    }
  });
});
