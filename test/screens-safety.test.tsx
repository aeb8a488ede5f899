// Safety refusals as the operator meets them: through the keys of the cockpit.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRunbook } from '../src/runbook/load.js';
import { SqliteStore } from '../adapters/sqlite-store.js';
import { Controls } from '../src/session/controls.js';
import { mountCockpit, unmountAll } from './support/mount.js';
import { waitFor } from './support/cockpit.js';

afterEach(unmountAll);

async function mount(mode: string, scopes: string | undefined) {
  const dir = mkdtempSync(join(tmpdir(), 'oc-scr-safety-'));
  const file = join(dir, 'daily.yaml');
  writeFileSync(
    file,
    `version: 1
name: Daily ops
safety: { mode: ${mode}, allowlist: [ops-cycle], window: { ttl: 15m, approvals: 2 } }
actions:
  ops-cycle:
    title: Run the daily ops cycle
    key: o
    script: { command: bash, args: [-c, 'touch ran'] }
  force:
    title: Force REAL by hand
    key: F
    type: force-real
    script: { command: bash, args: [-c, 'touch forced'] }
`,
  );
  const m = await mountCockpit(loadRunbook(file, {}), { env: { PATH: process.env.PATH, OPSCOCKPIT_OPERATOR: 'night-sre', ...(scopes ? { OPSCOCKPIT_ALLOW_SCOPES: scopes } : {}) } });
  const act = async () => {
    m.app.stdin.write('o');
    await waitFor(() => m.frame().includes('Type ops-cycle'), 'the confirmation');
    m.app.stdin.write('ops-cycle');
    await waitFor(() => m.frame().includes('> ops-cycle'), 'typed');
    m.app.stdin.write('\r');
  };
  return { ...m, act, dir, file, ran: () => existsSync(join(dir, 'ran')) };
}

describe('safety refusals in the cockpit', () => {
  it('shows the mode large and refuses a real action without a window, naming the class and the remedy', async () => {
    const t = await mount('REAL_ENABLED', 'deploy:ops-cycle');
    expect(t.frame()).toContain('MODE REAL_ENABLED');
    expect(t.frame()).toContain('no real-enable window');
    expect(t.frame()).toContain('operator night-sre');
    await t.act();
    await waitFor(() => t.frame().includes('ops-cycle refused — WINDOW_NOT_ACTIVE'), 'the refusal');
    expect(t.ran()).toBe(false);
    expect(t.ledger.events(t.session.runId).some((e) => e.body.kind === 'action.refused')).toBe(true);
  });

  it('an approved window lets one real action through; the second is refused; an unlisted type never runs', async () => {
    const t = await mount('REAL_ENABLED', 'deploy:ops-cycle,deploy:force');
    // Two other operators approve from their own terminals (opscockpit window approve).
    const rb = loadRunbook(t.file, {});
    const as = (who: string) => new Controls(new SqliteStore(t.ledger, t.ledgerPath), rb.safety, who, () => Date.now());
    expect(await as('alice').requestWindow()).toMatchObject({ ok: true });
    expect(await as('bob').approve()).toMatchObject({ ok: true });
    expect(await as('carol').approve()).toMatchObject({ ok: true });
    await waitFor(() => / ACTIVE · /.test(t.frame()), 'the active window in the safety bar', 3000);
    await t.act();
    await waitFor(() => t.frame().includes('SUCCEEDED'), 'the real action');
    expect(t.ran()).toBe(true);
    await waitFor(() => t.frame().includes('CONSUMED'), 'the window used up');
    await t.act();
    await waitFor(() => t.frame().includes('ops-cycle refused — WINDOW_NOT_ACTIVE'), 'the second refused');
    t.app.stdin.write('F');
    await waitFor(() => t.frame().includes('Type force'), 'the confirmation');
    t.app.stdin.write('force');
    await waitFor(() => t.frame().includes('> force'), 'typed');
    t.app.stdin.write('\r');
    await waitFor(() => t.frame().includes('force refused — ALLOWLIST_VIOLATION'), 'the allowlist refusal');
    expect(existsSync(join(t.dir, 'forced'))).toBe(false);
  });

  it('an operator without scopes is read-only', async () => {
    const t = await mount('DRY_RUN', undefined);
    expect(t.frame()).toContain('scopes none (read-only)');
    await t.act();
    await waitFor(() => t.frame().includes('ops-cycle refused — SCOPE_MISSING'), 'the refusal');
    expect(t.ran()).toBe(false);
  });

  it('in DRY_RUN the action pane shows what would run, and nothing runs', async () => {
    const t = await mount('DRY_RUN', 'deploy:ops-cycle');
    await t.act();
    await waitFor(() => t.frame().includes("would run: bash -c 'touch ran'") && t.frame().includes('DRY-RUN'), 'the plan');
    expect(t.ran()).toBe(false);
  });
});
