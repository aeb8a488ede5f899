// The Canary panel and the inconclusive prompt, rendered with the real store and keymap.
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadRunbook } from '../src/runbook/load.js';
import { ManualClock } from './support/manual-clock.js';
import { mountCockpit, unmountAll } from './support/mount.js';
import { waitFor } from './support/cockpit.js';

afterEach(unmountAll);

describe('canary screens', () => {
  it('shows the timeline, the streak, and an inconclusive prompt with its countdown; c continues', async () => {
    const clock = new ManualClock();
    const runbook = loadRunbook(join(import.meta.dirname, '..', 'fixtures', 'runbooks', 'canary.yaml'), { OPSCOCKPIT_DEMO_URL: 'http://127.0.0.1:9' });
    let value = 0.001;
    const { app, session, ledger, frame } = await mountCockpit(runbook, {
      clock,
      env: { PATH: process.env.PATH, OPSCOCKPIT_ALLOW_SCOPES: 'deploy:abort,deploy:promote' },
      runCheck: async (c) => ({ check: c.name, status: 'healthy', code: 'ok', reason: 'ok', startedAt: clock.now(), durationMs: 1 }),
      readMetric: async () => ({ ok: true, value }),
    });
    await waitFor(() => frame().includes('press c to start'), 'idle canary');
    app.stdin.write('c');
    await waitFor(() => frame().includes('RUNNING'), 'running');
    await clock.advance(1000);
    await clock.advance(1000);
    await waitFor(() => frame().includes('2/4 passes toward promotion') && /10%\s+✔✔/.test(frame()), 'two passes');
    value = 0.03; // between success (<= 0.01) and failure (> 0.05): inconclusive
    await clock.advance(1000);
    await clock.advance(1000);
    await waitFor(() => frame().includes('Canary inconclusive — decide'), 'the prompt');
    expect(frame()).toContain('Default in 5 min: abort');
    expect(frame()).toMatch(/10%\s+✔✔\?\?/);
    await clock.advance(61_000);
    await waitFor(() => frame().includes('Default in 3 min 59 s: abort'), 'the countdown');
    app.stdin.write('c');
    await waitFor(() => !frame().includes('Canary inconclusive') && frame().includes('RUNNING'), 'continued');
    expect(ledger.events(session.runId).some((e) => e.body.kind === 'canary.decision' && e.body.decision === 'operator-continue')).toBe(true);
  });
});
