// The release's stage in a session: read at start (a damaged file's fallback to stable is on
// record and on screen), and moved by actions, each move recorded.
import type { Clock } from '../engine/ports.js';
import type { EventBody } from '../engine/types.js';
import { flash, type CockpitStore } from '../store/store.js';
import { StageTracker, stagePathFor } from './stage.js';

export class ReleaseStage {
  private readonly tracker: StageTracker;

  constructor(
    ledgerPath: string,
    env: NodeJS.ProcessEnv,
    operator: string,
    clock: Clock,
    private readonly store: CockpitStore,
    private readonly tryRecord: (body: EventBody, durable: boolean) => boolean,
  ) {
    this.tracker = new StageTracker(stagePathFor(ledgerPath), env, operator, () => clock.now());
    const stage = this.tracker.read();
    if (stage.problem && stage.problem !== 'missing' && stage.problem !== 'unsigned') {
      tryRecord({ kind: 'stage.fallback', problem: stage.problem, detail: stage.detail ?? '' }, true);
      flash(store, `Stage file ${stage.problem}: the stage fell back to stable (${stage.detail ?? ''}).`, 'error');
    }
    store.setState({ stage });
  }

  move(to: string | undefined): void {
    if (!to) return;
    const from = this.tracker.read().stage;
    const r = this.tracker.set(to);
    if (r.ok) this.tryRecord({ kind: 'stage.changed', from, to }, true);
    this.store.setState({ stage: this.tracker.read() });
  }
}
