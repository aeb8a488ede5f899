// Release ledger screen benchmark: a ledger of 1,000,000 events (10,000 runs of 100 events,
// a year of releases), and what the screen does on a key press: open it (status counts, the
// first page of runs with their event counts, operators and headlines, the rows as text),
// next pages, filtered pages, a page deep in the list, a run expanded. Everything runs through
// the real code (the screen's controller, the ledger queries, the row text), bundled with
// esbuild; Ink's drawing of the ~20 resulting lines is not included.
// Baseline, in the same run: a plain `SELECT * FROM runs ORDER BY started_at DESC LIMIT 15
// OFFSET k` for the same page (the rows alone, nothing else). Goal: under 50 ms per page
// (the p95 of every operation; the slowest single sample is printed beside it).
//
//   node bench/ledger-screen.mjs
//   BENCH_SCREEN_EVENTS=200000 BENCH_SCREEN_REPEAT=10 node bench/ledger-screen.mjs
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BenchError, bundleModules, median, percentile, positiveInt, recordFigure, runAlone, pad, lpad } from './lib.mjs';

const GOAL_MS = 50;
const EVENTS_PER_RUN = 100;
const PAGE = 15; // the screen's page size
const STATUSES = ['succeeded', 'succeeded', 'succeeded', 'failed', 'aborted', 'rolled_back'];
const TYPES = ['cutover', 'cutover', 'hotfix', 'rollback', 'ops'];
const BRANCHES = ['main', 'main', 'main', 'release/1', 'release/2'];

const RESULT = { check: 'readyz', status: 'healthy', code: 'ok', reason: 'GET /readyz answered 200 in 12 ms', startedAt: 0, durationMs: 12, httpStatus: 200, latencyMs: 12 };

/** The i-th event of a run: mostly check results and notes, a verdict, an action, the end. */
function eventOf(k, status) {
  if (k === 0) return { kind: 'run.started', runbook: '/srv/runbooks/release.yaml', name: 'Payments release' };
  if (k === EVENTS_PER_RUN - 3) return { kind: 'verdict.changed', verdict: status === 'succeeded' ? 'GO' : 'NO-GO', phase: 'preflight', reasons: status === 'succeeded' ? [] : ['Judge readiness (/readyz): expected 200, got 503'] };
  if (k === EVENTS_PER_RUN - 2) {
    const action = status === 'rolled_back' ? 'rollback' : status === 'succeeded' ? 'promote' : 'abort';
    return { kind: 'action.completed', action, status: status === 'failed' ? 'failed' : 'succeeded', reason: status === 'failed' ? 'exit 1' : 'exit 0', output: 'draining traffic\nstage → stable\n', durationMs: 4200 };
  }
  if (k === EVENTS_PER_RUN - 1) return { kind: 'run.completed', status };
  return k % 3 ? { kind: 'check.changed', check: 'readyz', result: { ...RESULT, durationMs: k } } : { kind: 'step.note', phase: 'preflight', step: 'db', note: `operator note ${k}` };
}

/**
 * A ledger of `events` events, written with batched INSERTs in one transaction (the chain
 * columns keep their defaults: this measures reading, and the chain is not read here).
 */
function buildLedger(L, file, events) {
  const db = L.openLedgerDatabase(file);
  try {
    const runs = Math.ceil(events / EVENTS_PER_RUN);
    const start = Date.UTC(2025, 10, 23);
    const step = Math.floor((365 * 86_400_000) / runs);
    const insertRun = db.prepare(
      `INSERT INTO runs (run_id, runbook, name, status, branch, commit_sha, release_type, started_at, released_at, completed_at)
       VALUES (?, '/srv/runbooks/release.yaml', 'Payments release', ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertEvents = (n) =>
      db.prepare(`INSERT INTO events (run_id, seq, at, kind, step, operator, payload) VALUES ${Array.from({ length: n }, () => '(?, ?, ?, ?, ?, ?, ?)').join(', ')}`);
    const batch = 50;
    const many = insertEvents(batch);
    const t = performance.now();
    db.transaction(() => {
      for (let r = 0; r < runs; r++) {
        const at = start + r * step;
        const status = STATUSES[r % STATUSES.length];
        const runId = `r-${new Date(at).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}-${(r % 65536).toString(16).padStart(4, '0')}`;
        insertRun.run(runId, status, BRANCHES[r % BRANCHES.length], `c${r.toString(16)}`, TYPES[r % TYPES.length], at, status === 'succeeded' ? at + 600_000 : null, at + 600_000);
        const operator = ['alice', 'bob', 'carol', 'dana'][r % 4];
        for (let k = 0; k < EVENTS_PER_RUN; k += batch) {
          const args = [];
          for (let j = k; j < k + batch; j++) {
            const body = eventOf(j, status);
            args.push(runId, j + 1, at + j * 1000, body.kind, 'step' in body ? body.step : null, operator, JSON.stringify(body));
          }
          many.run(...args);
        }
      }
    })();
    return { runs, seconds: (performance.now() - t) / 1000 };
  } finally {
    db.close();
  }
}

/** Median and slowest of `repeat` timings of fn (ms); one unmeasured call first. */
function time(fn, repeat) {
  fn();
  const samples = [];
  for (let i = 0; i < repeat; i++) {
    const t = performance.now();
    fn();
    samples.push(performance.now() - t);
  }
  return { median: median(samples), p95: percentile(samples, 95), max: Math.max(...samples) };
}

const fmt = (ms) => (ms < 1 ? `${ms.toFixed(2)} ms` : `${ms.toFixed(1)} ms`);

export async function benchLedgerScreen() {
  const events = positiveInt('BENCH_SCREEN_EVENTS', 1_000_000);
  const repeat = positiveInt('BENCH_SCREEN_REPEAT', 30);
  const bundle = await bundleModules(
    'ledger-screen',
    [
      "export { openLedger, openLedgerDatabase } from './adapters/ledger.ts';",
      "export { LedgerScreenController, SCREEN_PAGE_SIZE } from './src/session/ledger-screen.ts';",
      "export { runSummaryLine, runTableHeader, statusCountsLine, eventLines } from './screens/ledger-presentation.ts';",
      "export { createStore } from 'zustand/vanilla';",
    ].join('\n'),
  );
  const dir = mkdtempSync(join(tmpdir(), 'opscockpit-bench-screen-'));
  try {
    const L = await import(pathToFileURL(bundle).href);
    if (L.SCREEN_PAGE_SIZE !== PAGE) throw new BenchError(`the screen's page size is ${L.SCREEN_PAGE_SIZE}, the baseline reads ${PAGE}`);
    const file = join(dir, 'ledger.db');
    const built = buildLedger(L, file, events);
    const ledger = L.openLedger(file);
    const raw = L.openLedgerDatabase(file);
    try {
      const store = L.createStore(() => ({ now: Date.now() }));
      const screen = new L.LedgerScreenController(store, () => ledger.browse());
      const state = () => store.getState().ledgerScreen;
      /** What the screen draws from the state: the counts line and one line per run. */
      const draw = () => {
        const s = state();
        const lines = [L.statusCountsLine(s.page.counts), L.runTableHeader(116)];
        for (const r of s.page.runs) lines.push(L.runSummaryLine(r, 116));
        if (s.detail) for (const ev of s.detail.events) lines.push(...L.eventLines(ev, 116, { outputLines: 12 }));
        return lines.length;
      };
      const act = (fn) => () => {
        fn();
        draw();
      };
      const baselineStmt = raw.prepare('SELECT * FROM runs ORDER BY started_at DESC, run_id DESC LIMIT ? OFFSET ?');
      const baseline = (page) => () => baselineStmt.all(PAGE, (page - 1) * PAGE);

      // Opening: the screen closed, then l (counts, page 1, rows as text).
      const open = time(act(() => {
        if (state()) screen.toggle();
        screen.toggle();
      }), repeat);
      const total = state().page.total;
      const last = state().page.pages;
      if (total !== built.runs) throw new BenchError(`the screen counts ${total} runs, the bench wrote ${built.runs}`);
      /** Key presses until the screen shows page `n`. */
      const walkTo = (n) => {
        while (state().page.page < n) screen.command('ledger.next');
        while (state().page.page > n) screen.command('ledger.prev');
      };
      /** One page turn per sample, → then ← then → …, starting from page `from`. */
      const turns = (from) => {
        walkTo(from);
        return act(() => screen.command(state().page.page === from ? 'ledger.next' : 'ledger.prev'));
      };
      const next = time(turns(1), repeat);
      const filtered = [
        ['status failed (typed, or Tab), page 1', 'status:failed'],
        ['type hotfix on main, page 1', 'type:hotfix branch:main'],
        ['a 30-day range in the middle of the year', 'since:2026-05-01 until:2026-05-30'],
      ].map(([name, text]) => {
        const t = time(act(() => screen.applyFilter(text, Date.now())), repeat);
        if (!state().page.runs.length) throw new BenchError(`filter ${text}: no runs`);
        return { name, t };
      });
      screen.applyFilter('type:hotfix branch:main', Date.now());
      const filteredTurns = time(turns(2), repeat);
      screen.applyFilter('', Date.now());
      const deepPage = Math.max(1, last - 10);
      const deep = time(turns(deepPage), repeat);
      if (Math.abs(state().page.page - deepPage) > 1) throw new BenchError(`the deep page is ${state().page.page}, expected ${deepPage}`);
      // `opscockpit ledger list --page N` jumps there by count (OFFSET).
      const jump = time(() => {
        const page = ledger.browse().page({}, deepPage, PAGE);
        for (const r of page.runs) L.runSummaryLine(r, 116);
      }, repeat);
      walkTo(1);
      const expand = time(act(() => {
        if (state().detail) screen.command('ledger.expand');
        screen.command('ledger.expand');
        screen.command('ledger.next');
      }), repeat);
      if (state().detail?.events.length !== 40) throw new BenchError('the expanded run did not read its events');

      const base1 = time(baseline(1), repeat);
      const baseNext = time(baseline(2), repeat);
      const baseDeep = time(baseline(deepPage), repeat);

      const rows = [
        ['l: open the screen (counts, page 1 of ' + last.toLocaleString('en') + ')', open, base1],
        ['→/←: next page, previous page (pages 1–2)', next, baseNext],
        ...filtered.map((f) => [`filter: ${f.name}`, f.t, base1]),
        ['→/← in that filter (pages 2–3)', filteredTurns, baseNext],
        [`→/← deep in the list (pages ${deepPage.toLocaleString('en')}–${(deepPage + 1).toLocaleString('en')})`, deep, baseDeep],
        [`ledger list --page ${deepPage.toLocaleString('en')} (by OFFSET)`, jump, baseDeep],
        ['Space: expand a run, → to its events 9–48', expand, base1],
      ];
      const mb = statSync(file).size / 1e6;
      const lines = [
        `ledger screen: ${events.toLocaleString('en')} events in ${built.runs.toLocaleString('en')} runs (${mb.toFixed(0)} MB, written with batched INSERTs in ${built.seconds.toFixed(1)} s), ${PAGE} runs per page, ${repeat} samples each`,
        `  ${pad('', 52)}${lpad('median', 10)}${lpad('p95', 10)}${lpad('slowest', 10)}${lpad('baseline', 10)}${lpad('ratio', 8)}`,
      ];
      for (const [name, t, b] of rows) lines.push(`  ${pad(name, 52)}${lpad(fmt(t.median), 10)}${lpad(fmt(t.p95), 10)}${lpad(fmt(t.max), 10)}${lpad(fmt(b.median), 10)}${lpad(`${(t.median / b.median).toFixed(1)}x`, 8)}`);
      lines.push('  (baseline: plain SELECT * FROM runs ORDER BY started_at DESC LIMIT 15 OFFSET k of the same page; ratio of medians.');
      lines.push('   The screen also counts runs per status, reads each run\'s event count, operator and headline, and formats the rows.)');
      const worstP95 = Math.max(...rows.map(([, t]) => t.p95));
      const slowest = Math.max(...rows.map(([, t]) => t.max));
      lines.push(`  goal < ${GOAL_MS} ms per page: worst p95 ${fmt(worstP95)}: ${worstP95 < GOAL_MS ? 'met' : 'NOT met'}; slowest single sample ${fmt(slowest)}${slowest < GOAL_MS ? '' : ' (over the goal)'}`);
      const [worstName, , worstB] = rows.find(([, t]) => t.p95 === worstP95);
      recordFigure({
        figure: `Ledger screen (${events.toLocaleString('en')} events), slowest page, p95`,
        value: worstP95, unit: 'ms',
        baseline: { value: worstB.median, what: `plain SELECT of the page, median; ${worstName}` },
        goal: `< ${GOAL_MS} ms`, met: worstP95 < GOAL_MS,
      });
      return { lines, worstP95, slowest, rows: rows.map(([name, t, b]) => ({ name, median: t.median, p95: t.p95, max: t.max, baseline: b.median })) };
    } finally {
      raw.close();
      ledger.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(bundle, { force: true });
  }
}

await runAlone(import.meta.url, 'ledger screen', benchLedgerScreen);
