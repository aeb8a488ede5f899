// What a session is opened with (session.ts).
import type { CanaryMetric, Check, Runbook } from '../runbook/model.js';
import type { Clock } from '../engine/ports.js';
import type { LedgerStore } from '../engine/ledger-store.js';
import type { CheckResult } from '../engine/types.js';
import type { MetricReading } from '../engine/canary.js';
import type { DemoFault } from './demo-fault.js';

export interface SessionOptions {
  runbook: Runbook;
  ledger: LedgerStore;
  /** Where the ledger is, as given (a file path, or a postgres:// URL): scripts get it as OPSCOCKPIT_LEDGER. */
  ledgerPath: string;
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
  /** Demo mode: the fault key talks to the fixture targets at this URL. */
  demo?: DemoFault;
  runCheck?: (check: Check) => Promise<CheckResult>;
  readMetric?: (metric: CanaryMetric) => Promise<MetricReading>;
  onExit?: () => void;
  /** false: the caller completes the run once its actions are done too (`opscockpit run`). */
  completeWithChecklist?: boolean;
  /**
   * SIGINT or SIGTERM (aborted with the reason, "the process got SIGTERM"): the session shuts
   * down as when the operator quits (`shutdown`), then calls onExit.
   */
  signal?: AbortSignal;
  /** How this process sits in the runbook's run (engine/driver.ts): headless commands (the default) are refused while someone drives, the cockpit `join`s, `watch` observes only. */
  seat?: import('../engine/driver.js').SeatWish;
  /** A headless command's take-over of the run someone drives (`--take-over REASON`): recorded as run.driver. */
  takeOver?: string;
  /** Why this operator drives (`open --reason`), shown to the observers. */
  reason?: string;
  /** `watch RUN_ID`: the run to watch, when not the runbook's newest open one. */
  watchRun?: string;
  /**
   * `opscockpit act`: the one action this session is opened for. A runbook locked after a
   * rollback opens no new run, except for an abort or a rollback (by action type).
   */
  actionOnly?: string;
}

