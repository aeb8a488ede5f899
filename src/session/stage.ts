// The release's stage (stable / canary / promoted), kept in a signed file beside the ledger
// (seed 001: atomic + HMAC, a damaged file falls back to stable). Without keys in the
// environment the stage is shown as unsigned and never written: an unsigned stage file is
// exactly what the seed forbids.
import { dirname, join } from 'node:path';
import { loadStageKeys, readStage, writeStage, SAFE_STAGE, type StageKeys } from '../../adapters/stage-file.js';

export interface StageView {
  stage: string;
  signed: boolean;
  /** Set when the file was missing, damaged or signed with an unknown key. */
  problem?: string;
  detail?: string;
}

export function stagePathFor(ledgerPath: string): string {
  return join(dirname(ledgerPath), 'stage.json');
}

export class StageTracker {
  private readonly keys?: StageKeys;
  readonly keyProblem?: string;

  constructor(
    readonly path: string,
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

  read(): StageView {
    if (!this.keys) return { stage: SAFE_STAGE, signed: false, problem: 'unsigned', detail: this.keyProblem };
    const r = readStage(this.path, this.keys);
    return r.ok ? { stage: r.stage, signed: true } : { stage: r.stage, signed: true, problem: r.problem, detail: r.detail };
  }

  /** Write the new stage; false (with the reason) when it cannot be signed or written. */
  set(stage: string): { ok: true } | { ok: false; reason: string } {
    if (!this.keys) return { ok: false, reason: `stage not written: ${this.keyProblem ?? 'no stage keys'}` };
    try {
      writeStage(this.path, stage, this.operator, this.keys, this.now());
      return { ok: true };
    } catch (err) {
      return { ok: false, reason: err instanceof Error ? err.message : String(err) };
    }
  }
}
