// Runs canary analysis in time: one window per interval, the rules applied to each, decisions
// recorded and their actions run at once. The decisions themselves come from the pure
// engine (src/engine/canary.ts); this file only keeps the clock and does the I/O.
import type { CanaryMetric, CanarySpec } from '../runbook/model.js';
import { applyDeadline, applyOperator, applyWindow, evaluateWindow, startCanary, type CanaryDecision, type CanaryState, type MetricReading, type Transition } from '../engine/canary.js';
import type { Clock } from '../engine/ports.js';
import type { EventBody } from '../engine/types.js';

export interface CanaryDriverDeps {
  spec: CanarySpec;
  clock: Clock;
  read: (metric: CanaryMetric) => Promise<MetricReading>;
  state: () => CanaryState;
  record: (body: EventBody, durable?: boolean) => Promise<boolean>;
  runAction: (name: string, confirmedWith: string) => Promise<unknown>;
  onSchedule: (nextWindowAt: number | undefined) => void;
}

export class CanaryDriver {
  private timer?: unknown;
  private deadlineTimer?: unknown;
  private windowStart = 0;
  private stopped = false;

  constructor(private readonly d: CanaryDriverDeps) {}

  /** The operator starts the analysis; the start action (if any) has already run. */
  async start(): Promise<boolean> {
    const t = startCanary(this.d.spec, this.d.state());
    if (!t.decisions.length) return false;
    if (!(await this.commit(t))) return false;
    this.windowStart = this.d.clock.now();
    this.schedule();
    return true;
  }

  /** After a restart: carry on from the replayed state. */
  resume(): void {
    const s = this.d.state();
    this.windowStart = s.windows.at(-1)?.endedAt ?? this.d.clock.now();
    if (s.status === 'running') this.schedule();
    if (s.status === 'awaiting-decision') this.watchDeadline();
  }

  async decide(choice: 'continue' | 'abort'): Promise<void> {
    const t = applyOperator(this.d.spec, this.d.state(), choice);
    if (!t.decisions.length) return;
    this.clearDeadline();
    if (!(await this.commit(t))) return;
    if (t.state.status === 'running') {
      this.windowStart = this.d.clock.now();
      this.schedule();
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.d.clock.clearTimeout(this.timer);
    this.clearDeadline();
    this.d.onSchedule(undefined);
  }

  private schedule(): void {
    if (this.stopped) return;
    const at = this.windowStart + this.d.spec.intervalMs;
    this.d.onSchedule(at);
    this.timer = this.d.clock.setTimeout(() => void this.closeWindow(), Math.max(0, at - this.d.clock.now()));
  }

  private async closeWindow(): Promise<void> {
    this.timer = undefined;
    const spec = this.d.spec;
    const startedAt = this.windowStart;
    const readings: Record<string, MetricReading> = {};
    await Promise.all(
      spec.metrics.map(async (m) => {
        readings[m.name] = await this.d.read(m).catch((err: unknown) => ({ ok: false as const, reason: err instanceof Error ? err.message : String(err) }));
      }),
    );
    if (this.stopped) return;
    const s = this.d.state();
    if (s.status !== 'running') return;
    const endedAt = this.d.clock.now();
    const w = evaluateWindow(spec, spec.steps[s.stepIndex].name, s.windowsInStep + 1, startedAt, endedAt, readings);
    if (!(await this.d.record({ kind: 'canary.window', window: w }))) return;
    const t = applyWindow(spec, s, w, endedAt);
    this.windowStart = endedAt;
    await this.commit(t);
    if (t.state.status === 'running') this.schedule();
    else this.d.onSchedule(undefined);
    if (t.state.status === 'awaiting-decision') this.watchDeadline();
  }

  private watchDeadline(): void {
    const s = this.d.state();
    if (s.deadline === undefined) return;
    this.d.onSchedule(undefined);
    this.deadlineTimer = this.d.clock.setTimeout(async () => {
      this.deadlineTimer = undefined;
      const t = applyDeadline(this.d.spec, this.d.state(), Math.max(this.d.clock.now(), s.deadline!));
      if (!t.decisions.length) return;
      await this.commit(t);
      if (t.state.status === 'running') {
        this.windowStart = this.d.clock.now();
        this.schedule();
      }
    }, Math.max(0, s.deadline - this.d.clock.now()));
  }

  private clearDeadline(): void {
    if (this.deadlineTimer !== undefined) this.d.clock.clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
  }

  /** Record the decisions (durably when they run an action), then run their actions. */
  private async commit(t: Transition): Promise<boolean> {
    for (const dec of t.decisions) {
      if (!(await this.d.record(decisionEvent(dec), !!dec.action))) return false;
      if (dec.action) void this.d.runAction(dec.action, `canary rule: ${dec.decision} — ${dec.reason}`);
    }
    return true;
  }
}

function decisionEvent(d: CanaryDecision): EventBody {
  return { kind: 'canary.decision', decision: d.decision, step: d.step, reason: d.reason, deadline: d.deadline };
}
