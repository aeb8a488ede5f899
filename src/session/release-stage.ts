// The release's stage in a session: read at start (a damaged file's fallback to stable is on
// record and on screen), and moved by actions, each move recorded. The stage is a signed file
// beside a SQLite ledger; a PostgreSQL ledger has no folder to keep it in (yet), so there the
// stage shows as stable and unsigned, and nothing is written.
import type { Clock } from '../engine/ports.js';
import type { EventBody } from '../engine/types.js';
import { flash, type CockpitStore } from '../store/store.js';
import { StageTracker, stagePathFor } from './stage.js';
import { isPostgresLocation } from '../../adapters/ledger-path.js';

const NO_STAGE_FILE = 'a PostgreSQL ledger keeps no stage file: the stage is not tracked';

export class ReleaseStage {
  private readonly tracker?: StageTracker;

  constructor(
    ledgerPath: string,
    env: NodeJS.ProcessEnv,
    operator: string,
    clock: Clock,
    private readonly store: CockpitStore,
    private readonly tryRecord: (body: EventBody, durable: boolean) => Promise<boolean>,
  ) {
    if (!isPostgresLocation(ledgerPath)) this.tracker = new StageTracker(stagePathFor(ledgerPath), env, operator, () => clock.now());
  }

  /** Read the stage at start; a damaged file's fallback is recorded (after the run's first events). */
  async load(): Promise<void> {
    if (!this.tracker) return void this.store.setState({ stage: { stage: 'stable', signed: false, problem: 'unsigned', detail: NO_STAGE_FILE } });
    const stage = this.tracker.read();
    if (stage.problem && stage.problem !== 'missing' && stage.problem !== 'unsigned') {
      await this.tryRecord({ kind: 'stage.fallback', problem: stage.problem, detail: stage.detail ?? '' }, true);
      flash(this.store, `Stage file ${stage.problem}: the stage fell back to stable (${stage.detail ?? ''}).`, 'error');
    }
    this.store.setState({ stage });
  }

  move(to: string | undefined): void {
    if (!to || !this.tracker) return;
    const from = this.tracker.read().stage;
    const r = this.tracker.set(to);
    if (r.ok) void this.tryRecord({ kind: 'stage.changed', from, to }, true);
    this.store.setState({ stage: this.tracker.read() });
  }
}
