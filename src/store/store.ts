// One zustand vanilla store for the cockpit. Recorded events go through `applyEvent`; live
// observations that are not worth a ledger row (a check that is still healthy, a clock tick,
// streamed action output) update their own slices. Screens read narrow slices only.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { Runbook } from '../runbook/model.js';
import { withRecordedValues } from '../runbook/params.js';
import type { RunRecord } from '../engine/ports.js';
import type { CheckResult, LedgerEvent, Phase } from '../engine/types.js';
import { appendOutput, applyEvent, replay, type Projection } from './project.js';
import { sameToOperator } from './live.js';

export type Modal =
  | { kind: 'help' }
  /** An action's typed confirmation; with step, a destructive step's (type its id). */
  | { kind: 'confirm'; action: string; input: string; error?: string; step?: { id: string; title: string; unknown?: true } }
  | { kind: 'skip'; input: string; error?: string }
  | { kind: 'note'; input: string }
  /** A block longer than the Checklist shows, read page by page before it may run. */
  | { kind: 'review'; page: number; step: { id: string; title: string; phase: Phase } }
  /** A value the current step's command needs (`<POD_NAME>`), asked when the step comes. */
  | { kind: 'value'; name: string; input: string; error?: string; step: { id: string; title: string }; action?: string }
  | { kind: 'quit' }
  | { kind: 'canary' }
  | { kind: 'stop-off'; input: string; error?: string }
  | { kind: 'takeover'; input: string; error?: string }
  /** Unlocking the runbook locked after a rollback: the reason. */
  | { kind: 'unlock'; input: string; error?: string }
  | { kind: 'ledger-filter'; input: string; error?: string };

/** The release ledger screen while it is open: a page of runs, and one run expanded. */
export interface LedgerScreenState {
  filter: import('../engine/ledger-filter.js').LedgerFilter;
  page: import('../engine/ledger-filter.js').LedgerPage;
  /** Index of the selected run on the page. */
  selected: number;
  /** The expanded run: its events from `seq` on (as many as the screen can show). */
  detail?: { run: import('../engine/ledger-filter.js').RunSummary; seq: number; events: LedgerEvent[] };
  /** The ledger's change mark when the page was read; the page is re-read when it moves. */
  seenMark: string;
}

export interface Flash {
  text: string;
  level: 'info' | 'warn' | 'error';
  at: number;
}

export interface CockpitState extends Projection {
  runbook: Runbook;
  ledgerPath: string;
  demo: boolean;
  /** Latest live result per check that showed something new (may be newer than the recorded one). */
  live: Record<string, CheckResult>;
  runs: RunRecord[];
  fault: boolean;
  /** Shared clock for ages and spinners, advanced once a second. */
  now: number;
  modal?: Modal;
  flash?: Flash;
  /** Checks running right now, for the spinner. */
  running: string[];
  /** When the current canary window closes. */
  canaryNextAt?: number;
  /** Emergency stop, mode and real-enable window, as the ledger has them now. */
  controls?: import('../session/controls.js').ControlView;
  operator?: string;
  /** What the operator's name rests on: asserted (SQLite), or the database login (PostgreSQL). */
  identity?: import('../engine/ledger-store.js').IdentityKind;
  scopes?: string[];
  stage?: import('../session/stage.js').StageView;
  /** Rollback triggers: when each one's check began failing, and whether it fired. */
  triggers?: Record<string, import('../engine/triggers.js').TriggerState>;
  ledgerScreen?: LedgerScreenState;
  /** This cockpit's seat in the run: driving it, or observing it (`line`: who drives, since when, why). */
  seat?: { role: 'driver' | 'observer'; line: string; watch: boolean; /** An observer's: what it can do instead of Enter. */ hint?: string };
  /** Since when the ledger cannot be reached (ledger-link.ts); absent while it answers. */
  ledgerDown?: number;
  /** Why it never will again: its file was deleted or replaced (adapters/ledger-file.ts). */
  ledgerLost?: string;
}

export type CockpitStore = StoreApi<CockpitState>;

export interface StoreInit {
  runbook: Runbook;
  ledgerPath: string;
  demo?: boolean;
  run?: RunRecord;
  events?: readonly LedgerEvent[];
  runs?: RunRecord[];
  now: number;
}

export function createCockpitStore(init: StoreInit): CockpitStore {
  const projection = replay(init.runbook, init.run, init.events ?? []);
  // The header shows the values the run recorded last, as recordInStore does for those that follow.
  const recorded = [...(init.events ?? [])].reverse().find((e) => e.body.kind === 'run.params')?.body;
  return createStore<CockpitState>(() => ({
    ...projection,
    runbook: recorded?.kind === 'run.params' ? { ...init.runbook, params: withRecordedValues(init.runbook.params, recorded.params) } : init.runbook,
    ledgerPath: init.ledgerPath,
    demo: init.demo ?? false,
    live: { ...projection.checks },
    runs: init.runs ?? [],
    fault: false,
    now: init.now,
    running: [],
  }));
}

export function recordInStore(store: CockpitStore, ev: LedgerEvent): void {
  store.setState((s) => {
    const p = applyEvent(s, s.runbook, ev);
    const b = ev.body;
    const live = b.kind === 'check.changed' || b.kind === 'step.result' ? { ...s.live, [b.result.check]: b.result } : s.live;
    // The header shows the values the run recorded, whoever recorded them (the driver, on an observer's screen).
    if (b.kind === 'run.params') return { ...p, live, runbook: { ...s.runbook, params: withRecordedValues(s.runbook.params, b.params) } };
    return { ...p, live };
  });
}

/**
 * A live result. One that shows the operator nothing new (src/store/live.ts) leaves the state
 * as it was: no listener runs, nothing is drawn; the result shown stays, and its age says how
 * long the check has answered the same.
 */
export function observeCheck(store: CockpitStore, result: CheckResult): void {
  store.setState((s) => {
    const changed = !sameToOperator(s.live[result.check], result);
    const wasRunning = s.running.includes(result.check);
    if (!changed && !wasRunning) return s;
    return {
      live: changed ? { ...s.live, [result.check]: result } : s.live,
      running: wasRunning ? s.running.filter((n) => n !== result.check) : s.running,
    };
  });
}

export function markRunning(store: CockpitStore, check: string): void {
  store.setState((s) => (s.running.includes(check) ? s : { running: [...s.running, check] }));
}

export function streamActionOutput(store: CockpitStore, chunk: string): void {
  store.setState((s) => (s.action ? { action: appendOutput(s.action, chunk) } : s));
}

export function setModal(store: CockpitStore, modal: Modal | undefined): void {
  store.setState({ modal });
}

export function flash(store: CockpitStore, text: string, level: Flash['level'] = 'info'): void {
  store.setState((s) => ({ flash: { text, level, at: s.now } }));
}
