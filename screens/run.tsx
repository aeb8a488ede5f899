// Mounts the cockpit on the terminal. This is the only module of the TUI that the CLI
// imports, lazily, so headless commands never load React or Ink.
import React from 'react';
import { render } from 'ink';
import { App } from './App.js';
import { buildKeymap } from '../src/keys/keymap.js';
import type { Session } from '../src/session/session.js';
import type { Runbook } from '../src/runbook/model.js';
import { StartForm } from './StartForm.js';
import { formValues, startForm, type FormValues, type StartFormState } from './start-form.js';

/** The form before the run starts: what the person gave, or undefined when they quit. */
export async function askStart(runbook: Runbook, given: FormValues): Promise<FormValues | undefined> {
  const initial = startForm(runbook, given);
  let answered: (s: StartFormState) => void = () => {};
  const done = new Promise<StartFormState>((resolve) => (answered = resolve));
  const instance = render(<StartForm initial={initial} onDone={(s) => answered(s)} />, { exitOnCtrlC: false, maxFps: 20 });
  const state = await done;
  instance.unmount();
  await instance.waitUntilExit().catch(() => undefined);
  // The form's last frame is empty, and Ink ends every frame with a line end: back up over it,
  // so the cockpit starts on the form's first line and its header is not pushed off the top.
  process.stdout.write('\x1b[1A');
  return state.outcome === 'start' ? formValues(state) : undefined;
}

export async function runCockpit(session: Session, opts: { demo?: boolean; watch?: boolean } = {}): Promise<void> {
  const keymap = buildKeymap(session.store.getState().runbook, { demo: opts.demo, watch: opts.watch });
  let exit: () => void = () => {};
  const done = new Promise<void>((resolve) => (exit = resolve));
  session.setExitHandler(() => exit());
  const instance = render(<App value={{ store: session.store, intents: session, keymap }} />, {
    exitOnCtrlC: false,
    maxFps: 20,
    patchConsole: true,
  });
  session.start();
  await done;
  await session.stop();
  instance.unmount();
  await instance.waitUntilExit().catch(() => undefined);
}
