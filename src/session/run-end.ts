// A session's run and its end: recorded once (in order after what was asked before it, by the
// process that holds the run), then on screen with the refreshed list of runs.
import type { LedgerStore } from '../engine/ledger-store.js';
import type { Clock, RunRecord } from '../engine/ports.js';
import type { CockpitStore } from '../store/store.js';
import { finishRun } from './finish-run.js';
import type { RunRecorder } from './recorder.js';
import type { HeldRun } from './run-lease.js';
import { recentRuns } from './run-lifecycle.js';

type EndStatus = 'succeeded' | 'failed' | 'aborted' | 'rolled_back';

export class RunEnd {
  private ending?: Promise<void>;

  constructor(
    private started: RunRecord,
    private readonly d: { ledger: LedgerStore; recorder: RunRecorder; owner: HeldRun; store: CockpitStore; clock: Clock; operator: string },
  ) {}

  /** The run; ended once it ended here, or its end is on screen (another process recorded it). */
  get run(): RunRecord {
    const shown = this.d.store.getState().run;
    const ended = this.started.status === 'running' && shown?.runId === this.started.runId && shown.status !== 'running';
    return ended ? { ...this.started, status: shown.status } : this.started;
  }

  /** Still running, and no end under way. */
  get running(): boolean {
    return this.run.status === 'running' && !this.ending;
  }

  /** `answers`: the seq of the successful action's outcome this end follows from (finishRun). */
  complete(status: EndStatus, answers?: number): Promise<void> {
    const { ledger, recorder, owner, store, clock, operator } = this.d;
    this.ending ??= (async () => {
      const end = { runId: this.run.runId, operator, status, at: clock.now(), durable: true };
      const ok = await recorder.tryLedger(() => recorder.inOrder(async () => recorder.shown(await finishRun(ledger, end, owner, answers))));
      if (!ok) return void (this.ending = undefined);
      this.started = { ...this.started, status };
      await this.refreshRuns();
    })();
    return this.ending;
  }

  /** The recent runs the Ledger panel sums up, read again (a run ended here or in another process). */
  async refreshRuns(): Promise<void> {
    const { ledger, store } = this.d;
    store.setState({ runs: await recentRuns(ledger).catch(() => store.getState().runs) });
  }

  /** Complete the run as failed (a headless run that stops short of the end). */
  async fail(): Promise<void> {
    if (this.run.status === 'running') await this.complete('failed');
  }

  /** Complete the run when it still runs and its checklist is done. */
  async succeed(): Promise<void> {
    if (this.run.status === 'running' && this.d.store.getState().checklist.complete) await this.complete(this.checklistStatus());
  }

  /** A finished checklist ends the run as its last action did: failed or unknown is no success. */
  checklistStatus(): 'succeeded' | 'failed' {
    return ['failed', 'unknown'].includes(this.d.store.getState().action?.state ?? '') ? 'failed' : 'succeeded';
  }
}
