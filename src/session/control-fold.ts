// The safety controls' state folded from their run, incrementally: the state as of the last
// event read is kept with that event's mark (id and hash), and a read folds only the events
// after it. A read inside a write transaction may see events the transaction later rolls back;
// the mark catches that: the hash chain makes it stand for every event up to it, so when the
// event at the kept seq is gone or another one, the fold starts again from the first event.
import type { LedgerStore } from '../engine/ledger-store.js';
import { applyControl, type SafetyState } from '../engine/safety.js';

/** Events read per query while catching up. */
const PAGE = 500;

interface Folded {
  runId: string;
  /** The last event folded in (0: none yet) and its mark. */
  seq: number;
  mark?: string;
  state: SafetyState;
}

export class ControlFold {
  private folded?: Folded;

  constructor(
    private readonly ledger: LedgerStore,
    private readonly runbook: string,
    private readonly initial: () => SafetyState,
  ) {}

  /** The state as the ledger has it now (inside a transaction: as of it). */
  async state(): Promise<SafetyState> {
    const run = await this.ledger.openRun(this.runbook);
    if (!run) return this.initial();
    const browser = this.ledger.browse();
    const kept = this.folded;
    const still = kept?.runId === run.runId && (kept.seq === 0 || (kept.mark !== undefined && kept.mark === (await browser.eventMark(run.runId, kept.seq))));
    const from: Folded = kept && still ? kept : { runId: run.runId, seq: 0, state: this.initial() };
    let { seq, state } = from;
    for (;;) {
      const page = await browser.eventsAfter(run.runId, seq, PAGE);
      for (const e of page) state = applyControl(state, e.body, e.operator, e.at);
      if (page.length) seq = page[page.length - 1].seq;
      if (page.length < PAGE) break;
    }
    const mark = seq === from.seq ? from.mark : await browser.eventMark(run.runId, seq);
    this.folded = { runId: run.runId, seq, mark, state };
    return state;
  }
}
