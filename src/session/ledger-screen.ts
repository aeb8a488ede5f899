// The release ledger screen's intents: open, select, page, filter, expand a run. Reads go
// through the ledger's browser (one page of runs, or a screenful of one run's events at a
// time; asynchronous, as a PostgreSQL ledger answers), and the result goes into the store for
// screens/LedgerScreen.tsx to draw. Reads are taken one at a time, in the order asked.
import type { AsyncLedgerBrowser as LedgerBrowser, LedgerFilter, PageCursor, RunKey, RunSummary } from '../engine/ledger-filter.js';
import { FilterError, filterText, nextStatusFilter, parseFilterText } from '../engine/ledger-filter.js';
import { flash, setModal, type CockpitStore, type LedgerScreenState } from '../store/store.js';

/** Runs per page on the screen. */
export const SCREEN_PAGE_SIZE = 15;
/** Events of an expanded run read at once; the screen shows as many as fit. */
const DETAIL_EVENTS = 40;
/** How far ←/→ move in an expanded run, in events. */
const DETAIL_PAGE = 8;

export class LedgerScreenController {
  constructor(
    private readonly store: CockpitStore,
    private readonly browser: () => LedgerBrowser | undefined,
  ) {}

  private get state(): LedgerScreenState | undefined {
    return this.store.getState().ledgerScreen;
  }

  private set(next: LedgerScreenState | undefined): void {
    this.store.setState({ ledgerScreen: next });
  }

  /** The reads, one after another: a key pressed while a page loads acts on the page it gets. */
  private queue: Promise<void> = Promise.resolve();

  private inTurn(read: () => Promise<void>): Promise<void> {
    const next = this.queue.then(read).catch((err: unknown) => flash(this.store, `Could not read the ledger: ${err instanceof Error ? err.message : String(err)}`, 'error'));
    this.queue = next;
    return next;
  }

  toggle(): Promise<void> {
    if (this.state) return Promise.resolve(this.set(undefined));
    const b = this.browser();
    if (!b) return Promise.resolve(flash(this.store, 'This ledger cannot be browsed here; use `opscockpit ledger list`.', 'warn'));
    return this.load(b, {}, 1, 0);
  }

  /** Read a page (and the expanded run, if any); keeps the selection on the same run when it can. */
  private load(b: LedgerBrowser, filter: LedgerFilter, page: number, selected: number, keep?: LedgerScreenState, cursor?: PageCursor): Promise<void> {
    return this.inTurn(() => this.read(b, filter, page, selected, keep, cursor));
  }

  /** load, inside a turn already taken. */
  private async read(b: LedgerBrowser, filter: LedgerFilter, page: number, selected: number, keep?: LedgerScreenState, cursor?: PageCursor): Promise<void> {
    {
      const seen = await b.changeMark();
      const data = await b.page(filter, page, SCREEN_PAGE_SIZE, cursor);
      const selectedId = keep?.page.runs[keep.selected]?.runId;
      const same = selectedId ? data.runs.findIndex((r) => r.runId === selectedId) : -1;
      const index = same >= 0 ? same : Math.min(selected, Math.max(0, data.runs.length - 1));
      let detail = keep?.detail;
      if (detail) {
        const id = detail.run.runId;
        const run = data.runs.find((r) => r.runId === id) ?? (await b.summary((await b.run(id)) ?? detail.run));
        detail = { run, seq: detail.seq, events: await b.eventsAfter(run.runId, detail.seq - 1, DETAIL_EVENTS) };
      }
      this.set({ filter, page: data, selected: index, ...(detail ? { detail } : {}), seenMark: seen });
    }
  }

  /** Re-read when anything was recorded since (this cockpit or another process). */
  refresh(): Promise<void> {
    const s = this.state;
    const b = this.browser();
    if (!s || !b) return Promise.resolve(); // closed: nothing to read
    return this.inTurn(async () => {
      const now = this.state;
      if (!now || (await b.changeMark()) === now.seenMark) return;
      // Page 1 shows the newest runs; any other page keeps its rows (new runs push pages down).
      const first = now.page.runs[0];
      await this.read(b, now.filter, now.page.page, now.selected, now, now.page.page > 1 && first ? { from: key(first) } : undefined);
    });
  }

  command(id: string): void | Promise<void> {
    if (id === 'ledger.toggle') return this.toggle();
    const s = this.state;
    const b = this.browser();
    if (!s || !b) return;
    const d = s.detail;
    switch (id) {
      case 'ledger.close':
        return d ? this.set({ ...s, detail: undefined }) : this.set(undefined);
      case 'ledger.expand':
        return d ? this.set({ ...s, detail: undefined }) : this.expand(s, b);
      case 'ledger.up':
        return d ? this.scroll(s, b, -1) : this.select(s, b, -1);
      case 'ledger.down':
        return d ? this.scroll(s, b, 1) : this.select(s, b, 1);
      case 'ledger.prev':
        return d ? this.scroll(s, b, -DETAIL_PAGE) : this.turn(s, b, -1, 0);
      case 'ledger.next':
        return d ? this.scroll(s, b, DETAIL_PAGE) : this.turn(s, b, 1, 0);
      case 'ledger.status':
        return this.load(b, { ...s.filter, status: nextStatusFilter(s.filter.status) }, 1, 0);
      case 'ledger.filter':
        return setModal(this.store, { kind: 'ledger-filter', input: filterText(s.filter) });
    }
  }

  /** ↑/↓ past the first or last run of a page go to the page before or after. */
  private select(s: LedgerScreenState, b: LedgerBrowser, by: number): void | Promise<void> {
    const to = s.selected + by;
    if (to >= 0 && to < s.page.runs.length) return this.set({ ...s, selected: to });
    if (to < 0) return this.turn(s, b, -1, SCREEN_PAGE_SIZE - 1);
    if (to >= s.page.runs.length) return this.turn(s, b, 1, 0);
  }

  /** The page before or after, found from the first or last run shown (by key, not by count), as the screen is when this read's turn comes. */
  private turn(_s: LedgerScreenState, b: LedgerBrowser, by: -1 | 1, selected: number): Promise<void> {
    return this.inTurn(async () => {
      const s = this.state;
      const runs = s?.page.runs ?? [];
      if (!s || !runs.length) return;
      if (by < 0 && s.page.page > 1) await this.read(b, s.filter, s.page.page - 1, selected, undefined, { before: key(runs[0]) });
      if (by > 0 && s.page.page < s.page.pages) await this.read(b, s.filter, s.page.page + 1, selected, undefined, { after: key(runs[runs.length - 1]) });
    });
  }

  private expand(s: LedgerScreenState, b: LedgerBrowser): Promise<void> | undefined {
    const run = s.page.runs[s.selected];
    if (!run) return undefined;
    return this.inTurn(async () => this.set({ ...s, detail: { run, seq: 1, events: await b.eventsAfter(run.runId, 0, DETAIL_EVENTS) } }));
  }

  /** Seqs run 1…n in a run, so the first event shown is a seq, clamped to the run. */
  private scroll(_s: LedgerScreenState, b: LedgerBrowser, by: number): Promise<void> {
    // From the state as it is when this read's turn comes: keys pressed quickly add up.
    return this.inTurn(async () => {
      const s = this.state;
      const d = s?.detail;
      if (!s || !d) return;
      const seq = Math.min(Math.max(1, d.seq + by), Math.max(1, d.run.events));
      if (seq === d.seq) return;
      this.set({ ...s, detail: { ...d, seq, events: await b.eventsAfter(d.run.runId, seq - 1, DETAIL_EVENTS) } });
    });
  }

  /** The typed filter; returns what is wrong with it, or undefined when it was applied. */
  applyFilter(text: string, now: number): string | undefined {
    const s = this.state;
    const b = this.browser();
    if (!s || !b) return undefined;
    let filter: LedgerFilter;
    try {
      filter = parseFilterText(text, now);
    } catch (err) {
      if (err instanceof FilterError) return err.message;
      throw err;
    }
    void this.load(b, filter, 1, 0);
    return undefined;
  }
}

const key = (r: RunSummary): RunKey => [r.startedAt, r.runId];
