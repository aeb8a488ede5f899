// The release's stage in a session: read at start (a damaged stage's fallback to stable is on
// record and on screen), moved by actions, each move recorded, and read again when the ledger
// tells of a change, so a move made by any cockpit on the ledger shows in every other one.
// Where it is kept follows the ledger (stage.ts): stage.json beside SQLite, rows in PostgreSQL.
import type { Clock } from '../engine/ports.js';
import type { LedgerStore } from '../engine/ledger-store.js';
import type { EventBody } from '../engine/types.js';
import { flash, type CockpitStore } from '../store/store.js';
import { StageTracker, stagePlaceOf } from './stage.js';

export class ReleaseStage {
  private readonly tracker: StageTracker;

  constructor(
    ledger: LedgerStore,
    ledgerPath: string,
    env: NodeJS.ProcessEnv,
    operator: string,
    clock: Clock,
    private readonly store: CockpitStore,
    private readonly tryRecord: (body: EventBody, durable: boolean, answers?: number) => Promise<boolean>,
  ) {
    this.tracker = new StageTracker(stagePlaceOf(ledger, ledgerPath), env, operator, () => clock.now());
  }

  /** Read the stage at start; a damaged stage's fallback is recorded (after the run's first events). */
  async load(): Promise<void> {
    const stage = await this.tracker.read();
    if (stage.problem && stage.problem !== 'missing' && stage.problem !== 'unsigned') {
      await this.tryRecord({ kind: 'stage.fallback', problem: stage.problem, detail: stage.detail ?? '' }, true);
      flash(this.store, `Stage ${stage.problem}: the stage fell back to stable (${stage.detail ?? ''}).`, 'error');
    }
    this.store.setState({ stage });
  }

  /**
   * Read it again (another process may have moved it); on screen once read. Read on every
   * change to the ledger: the store keeps the stage it has while it reads the same, so the
   * header does not redraw for nothing.
   */
  async refresh(): Promise<void> {
    const stage = await this.tracker.read();
    const shown = this.store.getState().stage;
    if (!shown || (['stage', 'signed', 'problem', 'detail'] as const).some((k) => shown[k] !== stage[k])) this.store.setState({ stage });
  }

  /**
   * Move the stage, the move recorded; without keys nothing is written (the stage shows unsigned).
   * `answers`: the seq of the successful action's outcome the move follows from (stillOwed).
   */
  async move(to: string | undefined, answers?: number): Promise<void> {
    if (!to) return;
    const from = (await this.tracker.read()).stage;
    const r = await this.tracker.set(to);
    if (r.ok) await this.tryRecord({ kind: 'stage.changed', from, to }, true, answers);
    else if (!this.tracker.keyProblem) flash(this.store, `The stage did not move to ${to}: ${r.reason}`, 'error');
    await this.refresh();
  }
}
