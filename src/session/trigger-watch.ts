// Seed 004's rollback triggers in a session: a live check failing long enough fires its
// trigger, on record before its action runs (or is advised to the operator).
import type { Runbook } from '../runbook/model.js';
import type { Redactor } from '../runbook/secrets.js';
import type { Clock } from '../engine/ports.js';
import { observeTrigger, type TriggerState } from '../engine/triggers.js';
import type { CheckResult, EventBody } from '../engine/types.js';
import { flash, setModal, type CockpitStore } from '../store/store.js';

export interface TriggerWatchDeps {
  store: CockpitStore;
  runbook: Runbook;
  clock: Clock;
  redactor: Redactor;
  /** The run is still running (an ended run fires nothing). */
  running(): boolean;
  tryRecord(body: EventBody, durable: boolean): Promise<boolean>;
  /** Run the trigger's action as an automatic one. */
  runAction(name: string, why: string): void;
}

export class TriggerWatch {
  private readonly states = new Map<string, TriggerState>();

  constructor(private readonly d: TriggerWatchDeps) {}

  observe(result: CheckResult): void {
    const { store } = this.d;
    for (const t of this.d.runbook.triggers ?? []) {
      const step = observeTrigger(t, this.states.get(t.name) ?? {}, result, this.d.clock.now());
      this.states.set(t.name, step.state);
      if (step.state !== store.getState().triggers?.[t.name]) store.setState({ triggers: Object.fromEntries(this.states) });
      if (!step.fire || !this.d.running()) continue;
      void this.fire(t, this.d.redactor.text(step.fire.reason));
    }
  }

  /** The trigger on record (durably) before its action runs or is advised. */
  private async fire(t: NonNullable<Runbook['triggers']>[number], reason: string): Promise<void> {
    const { store } = this.d;
    if (!(await this.d.tryRecord({ kind: 'trigger.fired', trigger: t.name, check: t.check, reason, action: t.action, auto: t.auto }, true))) return;
    if (t.auto) {
      flash(store, `TRIGGER ${t.title}: running ${t.action} now — ${reason}`, 'error');
      this.d.runAction(t.action, `trigger ${t.name}`);
    } else {
      flash(store, `TRIGGER ${t.title}: ${t.action} is advised — ${reason}`, 'error');
      if (!store.getState().modal) setModal(store, { kind: 'confirm', action: t.action, input: '' });
    }
  }
}
