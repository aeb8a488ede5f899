// "Redrawing only what changed", as behaviour: a poll that answers what the check answered
// before leaves the store's state as it was and draws no frame; a changed answer does both.
// Real store, real screens and keymap in ink-testing-library (debug mode: every React commit
// writes a frame, so a frame that is not written is a render that did not happen).
import React from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { render } from 'ink-testing-library';
import { App } from '../screens/App.js';
import { buildKeymap } from '../src/keys/keymap.js';
import { loadRunbook } from '../src/runbook/load.js';
import { demoRunbookPath } from '../src/cli/paths.js';
import { createCockpitStore, observeCheck, type CockpitStore } from '../src/store/store.js';
import { sameToOperator } from '../src/store/live.js';
import { formatSince, readyRow } from '../screens/presentation.js';
import type { CheckResult } from '../src/engine/types.js';
import { strip } from './support/screen.js';
import { waitFor } from './support/cockpit.js';

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const runbook = loadRunbook(demoRunbookPath(), { OPSCOCKPIT_DEMO_URL: 'http://127.0.0.1:9', DEMO_TOKEN: 't' });

function readyz(over: Partial<CheckResult> = {}): CheckResult {
  return { check: 'readyz', status: 'healthy', code: 'ok', reason: '200 in 3 ms', startedAt: T0, durationMs: 4, httpStatus: 200, latencyMs: 3, ...over };
}

function newStore(): CockpitStore {
  return createCockpitStore({ runbook, ledgerPath: '/tmp/none.db', now: T0 });
}

let app: ReturnType<typeof render> | undefined;
afterEach(() => {
  app?.unmount();
  app = undefined;
});

const noIntents = { command() {}, type() {}, erase() {}, submit() {}, cancel() {} };

/** Let any render the store change asked for happen (Ink throttles to maxFps). */
const settle = () => new Promise((r) => setTimeout(r, 150));

describe('a poll that shows nothing new', () => {
  it('leaves the store state as it was and tells no listener; a changed answer does both', () => {
    const store = newStore();
    observeCheck(store, readyz());
    const before = store.getState();
    let emitted = 0;
    store.subscribe(() => emitted++);

    // A second later: new timestamps, a slightly different latency and reason text.
    observeCheck(store, readyz({ startedAt: T0 + 1000, durationMs: 7, latencyMs: 6, reason: '200 in 6 ms' }));
    expect(store.getState()).toBe(before);
    expect(emitted).toBe(0);

    observeCheck(store, readyz({ startedAt: T0 + 2000, status: 'unhealthy', code: 'status', reason: 'expected 200, got 503 (GET /readyz)', httpStatus: 503 }));
    expect(store.getState()).not.toBe(before);
    expect(store.getState().live.readyz.status).toBe('unhealthy');
    expect(emitted).toBe(1);
  });

  it('counts a real slowdown or a new failure reason as new, not a healthy 304 after a 200', () => {
    const prev = readyz();
    expect(sameToOperator(prev, readyz({ latencyMs: 45 }))).toBe(true);
    expect(sameToOperator(prev, readyz({ latencyMs: 300 }))).toBe(false);
    expect(sameToOperator(prev, readyz({ httpStatus: 304, fresh: true, reason: '304 not modified (ETag fresh)' }))).toBe(true);
    expect(sameToOperator(prev, readyz({ status: 'unhealthy', code: 'status', reason: 'expected 200, got 503' }))).toBe(false);
    const failing = readyz({ status: 'unhealthy', code: 'status', reason: 'expected 200, got 503' });
    expect(sameToOperator(failing, { ...failing, startedAt: T0 + 1000 })).toBe(true);
    expect(sameToOperator(failing, { ...failing, reason: 'expected 200, got 502' })).toBe(false);
    // Near a step's bound, a latency does not flip the step on every poll.
    expect(sameToOperator(readyz({ latencyMs: 48 }), readyz({ latencyMs: 55 }))).toBe(true);
  });

  it('shows ages in coarse steps, so a clock tick rarely changes a row', () => {
    // A failing check counts tens of seconds; a healthy one says under a minute, then minutes.
    expect(formatSince(9_999)).toBe('now');
    expect(formatSince(19_000)).toBe('10s');
    expect(formatSince(59_000)).toBe('50s');
    expect(formatSince(180_000)).toBe('3m');
    expect(formatSince(9_999, true)).toBe('now');
    expect(formatSince(19_000, true)).toBe('<1m');
    expect(formatSince(59_000, true)).toBe('<1m');
    expect(formatSince(180_000, true)).toBe('3m');
    const r = readyz();
    expect(readyRow(r, false, T0 + 3_000)).toEqual(readyRow(r, false, T0 + 8_000));
    expect(readyRow(r, false, T0 + 12_000).since).toBe('<1m');
    expect(readyRow(r, false, T0 + 12_000)).toEqual(readyRow(r, false, T0 + 59_000));
    const failing = readyz({ status: 'unhealthy', code: 'status', reason: 'expected 200, got 503' });
    expect(readyRow(failing, false, T0 + 12_000).since).toBe('10s');
    // Two checks polled on one wake-up, one answering 40 ms later, step on the same tick.
    const slow = readyz({ check: 'health', durationMs: 40 });
    for (const at of [T0 + 9_990, T0 + 10_000, T0 + 60_000]) expect(readyRow(slow, false, at).since).toBe(readyRow(r, false, at).since);
    expect(readyRow(r, false, T0).latency).toBe('<50 ms');
    // A result without a duration (a crash caught by the poller) shows a dash, as before.
    expect(readyRow(readyz({ latencyMs: undefined, durationMs: Number.NaN }), false, T0).latency).toBe('—');
    expect(sameToOperator(readyz({ latencyMs: undefined, durationMs: Number.NaN }), readyz({ latencyMs: undefined, durationMs: Number.NaN }))).toBe(true);
  });
});

describe('the cockpit screen (ink-testing-library)', () => {
  it('draws no new frame for a repeated answer or a clock tick inside an age step, and redraws on a change', async () => {
    const store = newStore();
    app = render(<App value={{ store, intents: noIntents, keymap: buildKeymap(runbook, { demo: true }) }} />);
    const frame = () => strip(app!.lastFrame());
    observeCheck(store, readyz());
    await waitFor(() => frame().includes('✔ healthy'), 'the healthy readiness check');
    await settle();
    const frames = app.frames.length;

    for (let i = 1; i <= 5; i++) {
      observeCheck(store, readyz({ startedAt: T0 + i * 1000, latencyMs: 2 + (i % 3), durationMs: 3 + (i % 3) }));
      store.setState({ now: T0 + i * 1000 }); // the session's clock, once a second
    }
    await settle();
    expect(app.frames.length).toBe(frames);

    observeCheck(store, readyz({ startedAt: T0 + 6000, status: 'unhealthy', code: 'status', reason: 'expected 200, got 503 (GET /readyz)', httpStatus: 503 }));
    await waitFor(() => frame().includes('✘ unhealthy'), 'the failing check drawn');
    expect(frame()).toContain('expected 200, got 503');
    expect(app.frames.length).toBeGreaterThan(frames);

    // Ten seconds on, the failing check's age moves to its next step: one more frame.
    const atChange = app.frames.length;
    store.setState({ now: T0 + 6000 + 10_000 });
    await waitFor(() => app!.frames.length > atChange, 'the age step redrawn');
  });
});
