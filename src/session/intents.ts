// Operator intents from the keyboard: keymap commands and the open dialog's text. Turns them
// into modal changes and into the session's own operations; nothing here writes the ledger.
import { currentStep, type StepIntent, type StepView } from '../engine/checklist.js';
import { flash, setModal, type CockpitStore, type Modal } from '../store/store.js';
import { ACTION_BUSY } from './actions.js';
import { stepAction } from './step-gate.js';
import type { Runbook } from '../runbook/model.js';
import { runbookNames } from '../runbook/identity.js';
import type { StepValues } from './step-values.js';
import { drivesRun } from '../keys/keymap.js';
import { decideControl, lockOn, type ControlChange } from '../engine/safety.js';

/** What the session offers the intents. */
export interface IntentHost {
  readonly store: CockpitStore;
  readonly runbook: Runbook;
  stepIntent(intent: StepIntent): unknown;
  runAction(name: string, typed: string): Promise<unknown>;
  setStop(on: boolean, reason: string): Promise<boolean>;
  /** Approve the pending real-enable window as this operator. */
  approveWindow(): Promise<boolean>;
  /** Unlock the runbook locked after a rollback, with a reason. */
  unlock(reason: string): Promise<boolean>;
  startCanary(): Promise<void>;
  decideCanary(decision: 'continue' | 'abort'): void;
  toggleFault(): Promise<void>;
  /** A step or an action is under way (quitting asks first). */
  busy(): boolean;
  exit(): void;
  ledgerCommand(id: string): void;
  /** Apply the ledger screen's typed filter; the error to show, if any. */
  ledgerFilter(text: string): string | undefined;
  /** Why this cockpit may not act on the run (it observes it), if it may not. */
  notDriving(): string | undefined;
  /** Take the run over with a reason; the error to show, if any (driver-seat.ts). */
  takeOver(reason: string): Promise<string | undefined>;
}

export class Intents {
  constructor(
    private readonly host: IntentHost,
    /** Values a step needs that the runbook never declared: asked when the step comes. */
    private readonly values?: Pick<StepValues, 'missing' | 'missingForAction' | 'give'>,
  ) {}

  /** A keymap command, dispatched by the root input handler. */
  command(id: string): void {
    const { host } = this;
    const store = host.store;
    const s = store.getState();
    // An observer's keys that act are refused with who drives; the stop is anyone's.
    const observing = drivesRun(id) ? host.notDriving() : undefined;
    if (observing) return flash(store, observing, 'warn');
    if (id === 'driver.take') {
      if (s.seat?.role !== 'observer' || s.seat.watch) return flash(store, s.seat?.watch ? 'A watching cockpit does not drive: open the runbook to drive it.' : 'This cockpit already drives the run.', 'info');
      return setModal(store, { kind: 'takeover', input: '' });
    }
    if (id === 'step.advance') return this.advanceCurrent(currentStep(s.checklist));
    // A block longer than the Checklist shows: read through before it may run (the screen
    // sends this instead of step.advance when the current block is cut).
    if (id === 'step.review') {
      const cur = currentStep(s.checklist);
      if (cur?.confirm && cur.state === 'pending') return setModal(store, { kind: 'review', page: 0, step: { id: cur.id, title: cur.title, phase: cur.phase } });
      return this.command('step.advance');
    }
    if (s.modal?.kind === 'review' && (id === 'review.next' || id === 'review.prev')) {
      return setModal(store, { ...s.modal, page: Math.max(0, s.modal.page + (id === 'review.next' ? 1 : -1)) });
    }
    if (id === 'step.retry') return void host.stepIntent({ kind: 'retry' });
    if (id === 'step.skip') return setModal(store, { kind: 'skip', input: '' });
    if (id === 'step.note') return setModal(store, { kind: 'note', input: '' });
    if (id === 'view.help') return setModal(store, s.modal?.kind === 'help' ? undefined : { kind: 'help' });
    if (id === 'app.quit') return host.busy() ? setModal(store, { kind: 'quit' }) : host.exit();
    if (id === 'demo.fault') return void host.toggleFault();
    if (id === 'safety.stop') {
      if (!s.controls?.stop.on) return void host.setStop(true, 'emergency stop from the cockpit');
      // Without the scope the controls refuse (and record it) before a reason is asked.
      // Off is recorded first: while the ledger is unreachable it is refused before a reason is asked.
      if (!mayRelax(s.scopes, 'stop-off') || s.ledgerDown !== undefined || s.controls.stopUnrecorded) return void host.setStop(false, '');
      return setModal(store, { kind: 'stop-off', input: '' });
    }
    if (id === 'safety.approve') return void host.approveWindow();
    if (id === 'safety.unlock') {
      if (!lockOn(s.controls?.locks, runbookNames(host.runbook))) return flash(store, `${host.runbook.name} is not locked.`, 'info');
      if (!mayRelax(s.scopes, 'unlock')) return void host.unlock('');
      return setModal(store, { kind: 'unlock', input: '' });
    }
    if (id.startsWith('ledger.')) return host.ledgerCommand(id);
    if (id === 'canary.start') return void host.startCanary();
    if (id === 'canary.continue') return host.decideCanary('continue');
    if (id === 'canary.abort') return host.decideCanary('abort');
    if (id.startsWith('action.')) {
      if (s.action?.state === 'running') return flash(store, ACTION_BUSY, 'warn');
      return this.confirmAction(id.slice('action.'.length));
    }
  }

  /**
   * Enter on the current step: a value its command needs is asked first (Enter then shows the
   * step with it, to run); a destructive block asks for its id typed, like an action's
   * confirmation; anything else runs or is confirmed.
   */
  private advanceCurrent(cur: StepView | undefined): void {
    const store = this.host.store;
    const needs = cur?.confirm && cur.state === 'pending' ? this.values?.missing(cur.phase, cur.id)[0] : undefined;
    if (cur && needs) return setModal(store, { kind: 'value', name: needs, input: '', step: { id: cur.id, title: cur.title } });
    // Of unknown outcome (it may still run): its id typed runs it again, as a destructive block's.
    if ((cur?.typed || cur?.unknown) && cur.state === 'pending') return setModal(store, { kind: 'confirm', action: stepAction(cur), input: '', step: { id: cur.id, title: cur.title, ...(cur.unknown ? { unknown: true as const } : {}) } });
    return void this.host.stepIntent({ kind: 'advance' });
  }

  /** An action's values first (a rollback's `<REVISION>`), then its typed confirmation. */
  private confirmAction(name: string): void {
    const store = this.host.store;
    const needs = this.values?.missingForAction(name)[0];
    const title = this.host.runbook.actions[name]?.title ?? name;
    if (needs) return setModal(store, { kind: 'value', name: needs, input: '', step: { id: name, title }, action: name });
    return setModal(store, { kind: 'confirm', action: name, input: '' });
  }

  /** Text typed or pasted into the open dialog. */
  type(text: string): void {
    const m = this.host.store.getState().modal;
    if (!m || !('input' in m)) return;
    const printable = text.replace(/[\u0000-\u001f\u007f]/g, '');
    if (printable) setModal(this.host.store, { ...m, input: m.input + printable, error: undefined } as typeof m);
  }

  /** Backspace in the open dialog. */
  erase(): void {
    const m = this.host.store.getState().modal;
    if (!m || !('input' in m)) return;
    setModal(this.host.store, { ...m, input: m.input.slice(0, -1), error: undefined } as typeof m);
  }

  cancel(): void {
    setModal(this.host.store, undefined);
  }

  submit(): void {
    const { host } = this;
    const store = host.store;
    const m = store.getState().modal;
    if (!m) return;
    if (m.kind === 'help' || m.kind === 'canary') return setModal(store, undefined);
    if (m.kind === 'review') {
      // Read to its last line (the screen submits only then): the step as Enter would run it.
      setModal(store, undefined);
      const view = store.getState().checklist.phases[m.step.phase];
      const cur = view.current === undefined ? undefined : view.steps[view.current];
      return cur?.id === m.step.id ? this.advanceCurrent(cur) : undefined;
    }
    if (m.kind === 'quit') {
      setModal(store, undefined);
      return host.exit();
    }
    if (m.kind === 'skip') {
      if (!m.input.trim()) return setModal(store, { ...m, error: 'A skip needs a reason.' });
      setModal(store, undefined);
      return void host.stepIntent({ kind: 'skip', reason: m.input });
    }
    if (m.kind === 'note') {
      setModal(store, undefined);
      return void host.stepIntent({ kind: 'note', note: m.input });
    }
    if (m.kind === 'value') return void this.giveValue(m);
    if (m.kind === 'stop-off') {
      if (!m.input.trim()) return setModal(store, { ...m, error: 'Turning the emergency stop off needs a reason.' });
      setModal(store, undefined);
      return void host.setStop(false, m.input);
    }
    if (m.kind === 'takeover') return void this.takeOver(m);
    if (m.kind === 'unlock') {
      if (!m.input.trim()) return setModal(store, { ...m, error: 'Unlocking needs a reason.' });
      setModal(store, undefined);
      return void host.unlock(m.input);
    }
    if (m.kind === 'ledger-filter') {
      const error = host.ledgerFilter(m.input);
      return setModal(store, error ? { ...m, error } : undefined);
    }
    if (m.step) {
      if (m.input !== m.step.id) return setModal(store, { ...m, error: `Type "${m.step.id}" exactly.` });
      setModal(store, undefined);
      return void host.stepIntent({ kind: 'advance', typed: m.input });
    }
    const action = host.runbook.actions[m.action];
    if (action && m.input !== action.confirm) return setModal(store, { ...m, error: `Type "${action.confirm}" exactly.` });
    setModal(store, undefined);
    void host.runAction(m.action, m.input);
  }

  private async takeOver(m: Extract<Modal, { kind: 'takeover' }>): Promise<void> {
    const error = await this.host.takeOver(m.input);
    setModal(this.host.store, error ? { ...m, error } : undefined);
  }

  /** A value the step needs: recorded before the dialog moves on (to the next value, or closes). */
  private async giveValue(m: Extract<Modal, { kind: 'value' }>): Promise<void> {
    const store = this.host.store;
    const error = await this.values?.give(m.name, m.input);
    if (error) return setModal(store, { ...m, error });
    if (m.action) return this.confirmAction(m.action);
    const next = this.values?.missing(...stepOf(store, m.step.id))[0];
    if (next) return setModal(store, { kind: 'value', name: next, input: '', step: m.step });
    setModal(store, undefined);
    flash(store, `${m.name} recorded. Enter runs "${m.step.title}" with it.`, 'info');
  }
}

/** The phase and id of the active phase's step with this id. */
function stepOf(store: CockpitStore, id: string): [StepView['phase'], string] {
  return [store.getState().checklist.active, id];
}

/** Whether the operator's scopes let them relax the control: if not, no reason is asked for nothing. */
const mayRelax = (scopes: readonly string[] | undefined, change: ControlChange) => decideControl(change, new Set(scopes)).allowed;
