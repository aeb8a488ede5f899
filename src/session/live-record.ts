// What the live checks put on record: a check's result when it changed (not while a step runs
// that check: the step records it), and the verdict when it changed. Both are live events
// (recorder.recordLive): while the ledger is unreachable they are shown at once and wait, the
// newest of each check and the newest verdict, to be recorded when it is back.
import type { Runbook } from '../runbook/model.js';
import type { Redactor } from '../runbook/secrets.js';
import type { CheckResult } from '../engine/types.js';
import { computeVerdict, emptyMeans, gatingChecks, resultChanged, sameVerdict } from '../engine/verdict.js';
import { observeCheck, type CockpitState, type CockpitStore } from '../store/store.js';
import type { RunRecorder } from './recorder.js';

export class LiveRecord {
  /** The verdict last asked to be recorded (its event may not be stored yet). */
  private verdictAsked?: ReturnType<typeof computeVerdict>;
  /** What the verdict was last judged on: a poll that changed nothing shown changes neither. */
  private judged?: { live: CockpitState['live']; checklist: CockpitState['checklist']; verdict: CockpitState['verdict'] };

  constructor(private readonly d: { store: CockpitStore; runbook: Runbook; redactor: Redactor; recorder: RunRecorder; stepRuns(check: string): boolean }) {}

  /** A check's result on screen, and on record when it changed. */
  check(result: CheckResult): void {
    const prev = this.d.store.getState().checks[result.check];
    observeCheck(this.d.store, result);
    if (!this.d.stepRuns(result.check) && resultChanged(prev, result)) {
      this.d.recorder.recordLive(`check:${result.check}`, { kind: 'check.changed', check: result.check, result: this.d.redactor.value(result) });
    }
  }

  verdict(): void {
    const s = this.d.store.getState();
    const j = this.judged;
    if (j && j.live === s.live && j.checklist === s.checklist && j.verdict === s.verdict) return;
    this.judged = { live: s.live, checklist: s.checklist, verdict: s.verdict };
    const phase = s.checklist.active;
    const v = computeVerdict(phase, gatingChecks(s.checklist, phase, emptyMeans(this.d.runbook)), this.d.runbook.checks, s.live);
    // Against the verdict last asked for: its event may still be on its way to the ledger.
    if (sameVerdict(this.verdictAsked ?? s.verdict, v)) return;
    this.verdictAsked = v;
    this.d.recorder.recordLive('verdict', { kind: 'verdict.changed', ...v });
  }
}
