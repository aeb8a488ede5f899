// The release ledger screen's intents: open, select, page, filter, expand a run. Reads go
// through the ledger's browser (one page of runs, or a screenful of one run's events at a
// time), and the result goes into the store for screens/LedgerScreen.tsx to draw.
import type { LedgerBrowser, LedgerFilter, PageCursor, RunKey, RunSummary } from '../engine/ledger-filter.js';
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

  toggle(): void {
    if (this.state) return this.set(undefined);
    const b = this.browser();
    if (!b) return flash(this.store, 'This ledger cannot be browsed here; use `opscockpit ledger list`.', 'warn');
    this.load(b, {}, 1, 0);
  }

  /** Read a page (and the expanded run, if any); keeps the selection on the same run when it can. */
  private load(b: LedgerBrowser, filter: LedgerFilter, page: number, selected: number, keep?: LedgerScreenState, cursor?: PageCursor): void {
    try {
      const seen = b.changeMark();
      const data = b.page(filter, page, SCREEN_PAGE_SIZE, cursor);
      const selectedId = keep?.page.runs[keep.selected]?.runId;
      const same = selectedId ? data.runs.findIndex((r) => r.runId === selectedId) : -1;
      const index = same >= 0 ? same : Math.min(selected, Math.max(0, data.runs.length - 1));
      let detail = keep?.detail;
      if (detail) {
        const run = data.runs.find((r) => r.runId === detail!.run.runId) ?? b.summary(b.run(detail.run.runId) ?? detail.run);
        detail = { run, seq: detail.seq, events: b.eventsAfter(run.runId, detail.seq - 1, DETAIL_EVENTS) };
      }
      this.set({ filter, page: data, selected: index, ...(detail ? { detail } : {}), seenMark: seen });
    } catch (err) {
      flash(this.store, `Could not read the ledger: ${err instanceof Error ? err.message : String(err)}`, 'error');
    }
  }

  /** Re-read when anything was recorded since (this cockpit or another process). */
  refresh(): void {
    const s = this.state;
    if (!s) return; // closed: nothing to read
    const b = this.browser();
    if (!b) return;
    if (b.changeMark() === s.seenMark) return;
    // Page 1 shows the newest runs; any other page keeps its rows (new runs push pages down).
    const first = s.page.runs[0];
    this.load(b, s.filter, s.page.page, s.selected, s, s.page.page > 1 && first ? { from: key(first) } : undefined);
  }

  command(id: string): void {
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
  private select(s: LedgerScreenState, b: LedgerBrowser, by: number): void {
    const to = s.selected + by;
    if (to >= 0 && to < s.page.runs.length) return this.set({ ...s, selected: to });
    if (to < 0) return this.turn(s, b, -1, SCREEN_PAGE_SIZE - 1);
    if (to >= s.page.runs.length) return this.turn(s, b, 1, 0);
  }

  /** The page before or after, found from the first or last run shown (by key, not by count). */
  private turn(s: LedgerScreenState, b: LedgerBrowser, by: -1 | 1, selected: number): void {
    const runs = s.page.runs;
    if (by < 0 && s.page.page > 1 && runs.length) return this.load(b, s.filter, s.page.page - 1, selected, undefined, { before: key(runs[0]) });
    if (by > 0 && s.page.page < s.page.pages && runs.length) return this.load(b, s.filter, s.page.page + 1, selected, undefined, { after: key(runs[runs.length - 1]) });
  }

  private expand(s: LedgerScreenState, b: LedgerBrowser): void {
    const run = s.page.runs[s.selected];
    if (!run) return;
    this.set({ ...s, detail: { run, seq: 1, events: b.eventsAfter(run.runId, 0, DETAIL_EVENTS) } });
  }

  /** Seqs run 1…n in a run, so the first event shown is a seq, clamped to the run. */
  private scroll(s: LedgerScreenState, b: LedgerBrowser, by: number): void {
    const d = s.detail!;
    const seq = Math.min(Math.max(1, d.seq + by), Math.max(1, d.run.events));
    if (seq === d.seq) return;
    this.set({ ...s, detail: { ...d, seq, events: b.eventsAfter(d.run.runId, seq - 1, DETAIL_EVENTS) } });
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
    this.load(b, filter, 1, 0);
    return undefined;
  }
}

const key = (r: RunSummary): RunKey => [r.startedAt, r.runId];
