// The run's verdict on record: recomputed after each result or step, recorded when it changed
// from the one last asked to be recorded (its event may not be stored yet).
import type { Runbook } from '../runbook/model.js';
import { computeVerdict, emptyMeans, gatingChecks, sameVerdict } from '../engine/verdict.js';
import type { CockpitStore } from '../store/store.js';
import type { RunRecorder } from './recorder.js';

export class VerdictRecord {
  private asked?: ReturnType<typeof computeVerdict>;

  constructor(private readonly d: { store: CockpitStore; runbook: Runbook; recorder: RunRecorder }) {}

  update(): void {
    const s = this.d.store.getState();
    const phase = s.checklist.active;
    const v = computeVerdict(phase, gatingChecks(s.checklist, phase, emptyMeans(this.d.runbook)), this.d.runbook.checks, s.live);
    if (sameVerdict(this.asked ?? s.verdict, v)) return;
    this.asked = v;
    void this.d.recorder.tryRecord({ kind: 'verdict.changed', ...v });
  }
}
