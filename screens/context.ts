import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import type { CockpitState, CockpitStore } from '../src/store/store.js';
import type { Command } from '../src/keys/keymap.js';

/** What screens may do: read the store, and send intents. They never touch adapters. */
export interface Intents {
  command(id: string): void;
  type(text: string): void;
  erase(): void;
  submit(): void;
  cancel(): void;
}

export interface CockpitContextValue {
  store: CockpitStore;
  intents: Intents;
  keymap: Command[];
}

export const CockpitContext = createContext<CockpitContextValue | null>(null);

export function useCockpitContext(): CockpitContextValue {
  const ctx = useContext(CockpitContext);
  if (!ctx) throw new Error('screens must be rendered inside CockpitContext');
  return ctx;
}

/** A narrow, shallow-compared slice of the store: a panel re-renders only when it changes. */
export function useCockpit<T>(selector: (s: CockpitState) => T): T {
  const { store } = useCockpitContext();
  return useStore(store, useShallow(selector));
}
