// Every key the cockpit answers to is declared here, once. The root input handler looks
// commands up here; the help overlay, the footer hints and the README's key table are all
// generated from this list, so they cannot drift from what the keys really do.
import type { Runbook } from '../runbook/model.js';

export type CommandGroup = 'Start form' | 'Checklist' | 'Actions' | 'View' | 'Ledger' | 'Dialog';

/** Where the keys go: the cockpit's panels, or the release ledger screen over them. */
export type Screen = 'cockpit' | 'ledger';

export interface Command {
  id: string;
  title: string;
  group: CommandGroup;
  /** Key names as produced by `keyName`: a character, or enter/escape/up/down/backspace. */
  keys: string[];
  /** Dangerous commands open a confirmation in which the operator types a word. */
  dangerous?: boolean;
  /** Short label for the footer; commands without one appear only in help. */
  hint?: string;
  demoOnly?: boolean;
  /** Only for runbooks with a canary section. */
  canaryOnly?: boolean;
  /** Acts on the run: only its driver may; an observer's key is refused with who drives. */
  drives?: boolean;
  /** Only while observing a run another cockpit drives (and not in `watch`). */
  observerOnly?: boolean;
}

export const DEFAULT_ACTION_KEYS: Record<string, string> = { abort: 'a', rollback: 'R', promote: 'p' };

const BUILTIN: Command[] = [
  { id: 'step.advance', title: 'Run or confirm the current step', group: 'Checklist', keys: ['enter'], hint: 'run/confirm', drives: true },
  { id: 'step.retry', title: 'Retry the failed step', group: 'Checklist', keys: ['r'], hint: 'retry', drives: true },
  { id: 'step.skip', title: 'Skip the current step (asks a reason)', group: 'Checklist', keys: ['s'], hint: 'skip', drives: true },
  { id: 'step.note', title: 'Add a note to the current step', group: 'Checklist', keys: ['n'], drives: true },
  { id: 'view.help', title: 'Show or hide this help', group: 'View', keys: ['?'], hint: 'help' },
  { id: 'app.quit', title: 'Quit (asks first while an action runs)', group: 'View', keys: ['q'], hint: 'quit' },
  { id: 'demo.fault', title: 'Demo: break /readyz or restore it', group: 'View', keys: ['f'], hint: 'demo fault', demoOnly: true, drives: true },
  { id: 'ledger.toggle', title: 'Open or close the release ledger screen', group: 'View', keys: ['l'], hint: 'ledger' },
  { id: 'ledger.up', title: 'Ledger: select the run above (in an expanded run: scroll up)', group: 'Ledger', keys: ['up'] },
  { id: 'ledger.down', title: 'Ledger: select the run below (in an expanded run: scroll down)', group: 'Ledger', keys: ['down'] },
  { id: 'ledger.prev', title: 'Ledger: previous page (of runs, or of the expanded run)', group: 'Ledger', keys: ['left'], hint: 'prev' },
  { id: 'ledger.next', title: 'Ledger: next page (of runs, or of the expanded run)', group: 'Ledger', keys: ['right'], hint: 'next' },
  { id: 'ledger.expand', title: 'Ledger: expand the selected run to every event, or fold it', group: 'Ledger', keys: [' '], hint: 'expand' },
  { id: 'ledger.filter', title: 'Ledger: filter by status, type, branch and dates (typed)', group: 'Ledger', keys: ['/'], hint: 'filter' },
  { id: 'ledger.status', title: 'Ledger: next status filter (all, running, succeeded, …)', group: 'Ledger', keys: ['tab'], hint: 'status' },
  { id: 'ledger.close', title: 'Ledger: fold the run, or back to the cockpit', group: 'Ledger', keys: ['escape'], hint: 'back' },
  { id: 'canary.start', title: 'Start the canary analysis', group: 'Actions', keys: ['c'], hint: 'canary', canaryOnly: true, drives: true },
  { id: 'safety.stop', title: 'Emergency stop: on at once (anyone, observers too; kills a running action or step’s block); off asks a reason', group: 'Actions', keys: ['!'], hint: 'stop' },
  { id: 'driver.take', title: 'Take over driving the run (asks a reason; the driver becomes an observer)', group: 'Actions', keys: ['T'], hint: 'take over', observerOnly: true },
  { id: 'safety.approve', title: "Approve the pending real-enable window (not one's own; shown in the safety bar)", group: 'Actions', keys: ['A'] },
  { id: 'safety.unlock', title: 'Unlock the runbook locked after a rollback (asks a reason)', group: 'Actions', keys: ['U'] },
  { id: 'dialog.submit', title: 'Confirm the dialog', group: 'Dialog', keys: ['enter'] },
  { id: 'canary.continue', title: 'Canary prompt: continue the analysis', group: 'Dialog', keys: ['c'], canaryOnly: true, drives: true },
  { id: 'canary.abort', title: 'Canary prompt: abort now', group: 'Dialog', keys: ['x'], canaryOnly: true, drives: true },
  { id: 'dialog.cancel', title: 'Cancel the dialog', group: 'Dialog', keys: ['escape'] },
  { id: 'review.next', title: 'Long block: the next lines (Enter runs it once its last line was shown)', group: 'Dialog', keys: ['down', ' '] },
  { id: 'review.prev', title: 'Long block: the lines before', group: 'Dialog', keys: ['up'] },
];

/**
 * The start form's keys (parameters and choices asked before the run starts): read by its
 * reducer (screens/start-form.ts), its hint line and the README, like every other key.
 */
export const FORM_COMMANDS: Command[] = [
  { id: 'form.prev', title: 'Start form: the field above', group: 'Start form', keys: ['up'], hint: 'field' },
  { id: 'form.next', title: 'Start form: the field below', group: 'Start form', keys: ['down', 'tab'] },
  { id: 'form.change', title: 'Start form: the next option of a choice, an enum or yes/no (← the one before)', group: 'Start form', keys: ['right', 'left'], hint: 'change' },
  { id: 'form.submit', title: 'Start form: check the field and go on; on the last, start the run', group: 'Start form', keys: ['enter'], hint: 'next / start' },
  { id: 'form.quit', title: 'Start form: quit without starting (q only outside a text field)', group: 'Start form', keys: ['escape', 'q'], hint: 'quit' },
];

/** The start form's command for a key name. */
export function formCommand(name: string): Command | undefined {
  return FORM_COMMANDS.find((c) => c.keys.includes(name));
}

/** Keys the runbook may not give to its actions. */
export const RESERVED_KEYS = [...new Set([...BUILTIN.filter((c) => c.group !== 'Dialog').flatMap((c) => c.keys), 'enter', 'escape'])];

/** The command a key means inside a dialog of this kind (the canary prompt and the block review have their own keys). */
export function dialogCommand(keymap: readonly Command[], name: string, prefix = 'canary.'): Command | undefined {
  return keymap.find((c) => c.group === 'Dialog' && c.id.startsWith(prefix) && c.keys.includes(name));
}

/** Whether a command acts on the run (only its driver's keys do); actions and step reviews always. */
export function drivesRun(id: string): boolean {
  return id.startsWith('action.') || id === 'step.review' || !!BUILTIN.find((c) => c.id === id)?.drives;
}

export function actionKey(runbook: Pick<Runbook, 'actions'>, name: string): string | undefined {
  return runbook.actions[name]?.key ?? DEFAULT_ACTION_KEYS[name];
}

/** `watch`: a read-only cockpit, without the take-over key. */
export function buildKeymap(runbook: Pick<Runbook, 'actions' | 'canary'> | undefined, opts: { demo?: boolean; watch?: boolean } = {}): Command[] {
  const actions: Command[] = Object.values(runbook?.actions ?? {}).flatMap((a) => {
    const key = actionKey(runbook!, a.name);
    return key ? [{ id: `action.${a.name}`, title: a.title, group: 'Actions' as const, keys: [key], dangerous: a.dangerous, hint: a.name, drives: true }] : [];
  });
  const builtins = BUILTIN.filter((c) => (!c.demoOnly || opts.demo) && (!c.canaryOnly || runbook?.canary) && (!c.observerOnly || !opts.watch));
  const byGroup = (g: CommandGroup) => builtins.filter((c) => c.group === g);
  return [...FORM_COMMANDS, ...byGroup('Checklist'), ...actions, ...byGroup('Actions'), ...byGroup('View'), ...byGroup('Ledger'), ...byGroup('Dialog')];
}

export interface InkKey {
  return?: boolean;
  escape?: boolean;
  upArrow?: boolean;
  downArrow?: boolean;
  leftArrow?: boolean;
  rightArrow?: boolean;
  backspace?: boolean;
  delete?: boolean;
  tab?: boolean;
  ctrl?: boolean;
  meta?: boolean;
}

export function keyName(input: string, key: InkKey): string {
  if (key.return) return 'enter';
  if (key.escape) return 'escape';
  if (key.upArrow) return 'up';
  if (key.downArrow) return 'down';
  if (key.leftArrow) return 'left';
  if (key.rightArrow) return 'right';
  if (key.backspace || key.delete) return 'backspace';
  if (key.tab) return 'tab';
  if (key.ctrl && input) return `ctrl+${input}`;
  return input;
}

/**
 * The command a key means outside dialogs (dialog keys are handled by the dialog). On the
 * ledger screen its own keys come first, then the global ones; the checklist's keys are off.
 */
export function commandForKey(keymap: readonly Command[], name: string, screen: Screen = 'cockpit'): Command | undefined {
  if (screen === 'ledger') {
    return keymap.find((c) => c.group === 'Ledger' && c.keys.includes(name)) ?? keymap.find((c) => (c.group === 'Actions' || c.group === 'View') && c.keys.includes(name));
  }
  return keymap.find((c) => c.group !== 'Dialog' && c.group !== 'Ledger' && c.group !== 'Start form' && c.keys.includes(name));
}

/** The commands whose hints the footer shows on this screen: an observer's without the keys that act, with take-over. */
export function hintedCommands(keymap: readonly Command[], screen: Screen, observing = false): Command[] {
  const seat = (c: Command) => (observing ? !c.drives : !c.observerOnly);
  if (screen === 'cockpit') return keymap.filter((c) => c.hint && c.group !== 'Ledger' && c.group !== 'Dialog' && c.group !== 'Start form' && seat(c));
  // The ledger screen's own keys first; of the rest, what still matters there.
  const own = keymap.filter((c) => c.hint && c.group === 'Ledger');
  return [...own, ...keymap.filter((c) => c.hint && ['safety.stop', 'view.help', 'app.quit'].includes(c.id))];
}

export function formatKey(name: string): string {
  const names: Record<string, string> = { enter: 'Enter', escape: 'Esc', up: '↑', down: '↓', left: '←', right: '→', tab: 'Tab', ' ': 'Space', backspace: 'Backspace' };
  return names[name] ?? name;
}

/** Groups whose keys work only on their own screen: the start form, the ledger screen, dialogs. */
const SCREEN_GROUPS: readonly CommandGroup[] = ['Start form', 'Ledger', 'Dialog'];

/**
 * The key table as Markdown: the cockpit's keys (the README's), or the keys of the start
 * form, the ledger screen and dialogs (docs/keys.md).
 */
export function keyTableMarkdown(keymap: readonly Command[], which: 'cockpit' | 'screens' = 'cockpit'): string {
  const shown = keymap.filter((c) => SCREEN_GROUPS.includes(c.group) === (which === 'screens'));
  const rows = shown.map((c) => `| ${c.keys.map((k) => '`' + formatKey(k) + '`').join(', ')} | ${c.title}${c.dangerous ? ' (typed confirmation)' : ''} | ${c.group} |`);
  return ['| Key | Command | Group |', '| --- | --- | --- |', ...rows].join('\n');
}
