// The demo's fault key: the fixture targets start (or stop) failing a route, and the ledger
// says so, so a NO-GO in the demo is never mistaken for a real one.
import type { EventBody } from '../engine/types.js';
import { flash, type CockpitStore } from '../store/store.js';

export interface DemoFault {
  fixtureUrl: string;
  faultRoute?: string;
  faultStatus?: number;
  faultText?: string;
  toggleFault: (on: boolean) => Promise<void>;
}

export async function toggleDemoFault(demo: DemoFault, store: CockpitStore, tryRecord: (body: EventBody) => Promise<boolean>): Promise<void> {
  const on = !store.getState().fault;
  try {
    await demo.toggleFault(on);
    store.setState({ fault: on });
    const route = demo.faultRoute ?? '/readyz';
    await tryRecord(on ? { kind: 'fault.injected', route, status: demo.faultStatus ?? 503 } : { kind: 'fault.cleared' });
    flash(store, on ? `Demo fault injected: ${demo.faultText ?? `${route} now answers 503`}.` : `Demo fault cleared: ${route} restored.`, 'warn');
  } catch (err) {
    flash(store, `Could not reach the fixture targets: ${err instanceof Error ? err.message : String(err)}`, 'error');
  }
}
