// The release stage in a PostgreSQL ledger (table opscockpit.stage, migration v2): what
// stage.json beside a SQLite ledger is (stage-file.ts), as one signed row per move. The newest
// row is the stage; one that does not verify reads as stable, with the reason, as a damaged
// file does. The mover is the login: the database stamps it on the row, and the signature
// covers it, so a row signed for another name fails its signature.
import { checkSignedStage, signedStage, stageFailure, StageError, type SignedStage, type StageKeys, type StageOk, type StageRead } from './stage-file.js';
import type { PgQuery } from './pg-leases.js';

export interface StageRow extends SignedStage {
  id: number;
}

const COLUMNS = 'id, stage, updated_at, updated_by, key_id, sig';

export class PgStage {
  constructor(
    private readonly query: PgQuery,
    /** The ledger's location, for messages (no password). */
    private readonly location: string,
  ) {}

  /** The newest row. */
  async latest(): Promise<StageRow | undefined> {
    const { rows } = await this.query<StageRow>(`SELECT ${COLUMNS} FROM opscockpit.stage ORDER BY id DESC LIMIT 1`);
    return rows[0];
  }

  /** The stage, verified; never throws for what the row holds (a query that fails does). */
  async read(keys: StageKeys): Promise<StageRead> {
    const row = await this.latest();
    if (!row) return stageFailure('missing', `no stage recorded in ledger ${this.location} yet; reading it as stable`);
    return checkSignedStage(`stage row #${row.id} of ledger ${this.location}`, row, keys);
  }

  /** Record a move to `stage`, signed with the active key, the mover being this login. */
  async write(stage: string, keys: StageKeys, now: number): Promise<StageOk> {
    const login = (await this.query<{ login: string }>('SELECT session_user AS login')).rows[0].login;
    const row = signedStage(stage, login, keys, now);
    const stored = await this.query<{ updated_by: string }>(
      'INSERT INTO opscockpit.stage (stage, updated_at, key_id, sig) VALUES ($1, $2, $3, $4) RETURNING updated_by',
      [row.stage, row.updated_at, row.key_id, row.sig],
    );
    if (stored.rows[0].updated_by !== login) throw new StageError(`stage ${stage} was stamped with login ${stored.rows[0].updated_by}, not ${login} its signature covers`);
    return { ok: true, stage, updatedAt: now, updatedBy: login, keyId: keys.active.id, rotated: false };
  }
}
