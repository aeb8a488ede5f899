// The release's stage (stable / canary / promoted), kept signed in the ledger's place for it:
// a file beside a SQLite ledger (stage.json), a row per move in a PostgreSQL ledger
// (opscockpit.stage). One tracker reads and moves it in either (seed 001: atomic + HMAC, a
// damaged stage falls back to stable). Without keys in the environment the stage is shown as
// unsigned and never written: an unsigned stage is exactly what the seed forbids.
import { dirname, join } from 'node:path';
import { loadStageKeys, readStage, writeStage, SAFE_STAGE, type StageKeys, type StageRead } from '../../adapters/stage-file.js';
import { PgStage } from '../../adapters/pg-stage.js';
import type { LedgerStore } from '../engine/ledger-store.js';

export interface StageView {
  stage: string;
  signed: boolean;
  /** Set when the stage was missing, damaged or signed with an unknown key. */
  problem?: string;
  detail?: string;
}

/** Where a ledger keeps its signed stage: read and written with the stage keys. */
export interface StagePlace {
  /** For messages and `opscockpit stage --json`: `{ file }` or `{ ledger }`. */
  readonly where: Record<string, string>;
  read(keys: StageKeys): Promise<StageRead>;
  /** A move by `operator` (on PostgreSQL the login the database stamps instead). */
  write(stage: string, operator: string, keys: StageKeys, now: number): Promise<unknown>;
}

export function stagePathFor(ledgerPath: string): string {
  return join(dirname(ledgerPath), 'stage.json');
}

/** stage.json beside a SQLite ledger. */
export function stageFile(path: string): StagePlace {
  return {
    where: { file: path },
    read: async (keys) => readStage(path, keys),
    write: async (stage, operator, keys, now) => writeStage(path, stage, operator, keys, now),
  };
}

/** The ledger's stage rows (PostgreSQL). */
export function stageRows(rows: PgStage, location: string): StagePlace {
  return { where: { ledger: location }, read: (keys) => rows.read(keys), write: (stage, _operator, keys, now) => rows.write(stage, keys, now) };
}

/** Where this ledger store keeps the stage: its own rows if it has them, else the file beside it. */
export function stagePlaceOf(ledger: LedgerStore, ledgerPath: string): StagePlace {
  const rows = (ledger as { stage?: unknown }).stage;
  return rows instanceof PgStage ? stageRows(rows, ledger.location) : stageFile(stagePathFor(ledgerPath));
}

export class StageTracker {
  private readonly keys?: StageKeys;
  readonly keyProblem?: string;

  constructor(
    readonly place: StagePlace,
    env: NodeJS.ProcessEnv,
    private readonly operator: string,
    private readonly now: () => number,
  ) {
    try {
      this.keys = loadStageKeys(env);
    } catch (err) {
      this.keyProblem = err instanceof Error ? err.message : String(err);
    }
  }

  async read(): Promise<StageView> {
    if (!this.keys) return { stage: SAFE_STAGE, signed: false, problem: 'unsigned', detail: this.keyProblem };
    const r = await this.place.read(this.keys);
    return r.ok ? { stage: r.stage, signed: true } : { stage: r.stage, signed: true, problem: r.problem, detail: r.detail };
  }

  /** Write the new stage; false (with the reason) when it cannot be signed or written. */
  async set(stage: string): Promise<{ ok: true } | { ok: false; reason: string }> {
    if (!this.keys) return { ok: false, reason: `stage not written: ${this.keyProblem ?? 'no stage keys'}` };
    try {
      await this.place.write(stage, this.operator, this.keys, this.now());
      return { ok: true };
    } catch (err) {
      return { ok: false, reason: err instanceof Error ? err.message : String(err) };
    }
  }
}
