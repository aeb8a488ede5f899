// The emergency stop while the team ledger is unreachable (real PostgreSQL from the global
// setup, reached through a TCP gate the test cuts: the shared server runs on). In the cockpit
// that runs the work, ! stops it there at once (the block's process group killed, nothing new
// starts) and is recorded once the ledger answers, exactly once; the other cockpits see it after
// their catch-up. Turning it off waits for the ledger. `opscockpit stop on` from another terminal
// and ! in an observer cannot reach the driver's process: they say so, and nothing is queued.
import { afterEach, describe, expect, inject, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openPgLedger } from '../adapters/pg-ledger.js';
import { loadRunbookFile } from '../src/runbook/load.js';
import type { LedgerStore } from '../src/engine/ledger-store.js';
import { CONTROL_RUNBOOK } from '../src/session/controls.js';
import { pgLedgerDatabase } from './support/ledger-stores.js';
import { heldGate, type HeldGate } from './support/held-gate.js';
import { mountCockpitOn, unmountAll } from './support/mount.js';
import { waitFor } from './support/cockpit.js';
import { isGone, waitGone } from './support/processes.js';
import { cli } from './support/cli.js';

const stores: LedgerStore[] = [];
const gates: HeldGate[] = [];
afterEach(async () => {
  for (const g of gates) g.open();
  await unmountAll();
  for (const s of stores.splice(0)) await s.close().catch(() => undefined);
  for (const g of gates.splice(0)) await g.close();
});

async function ledger(url: string): Promise<LedgerStore> {
  const l = await openPgLedger(url);
  stores.push(l);
  return l;
}

async function gate(url: string): Promise<HeldGate> {
  const g = await heldGate(new URL(url));
  gates.push(g);
  return g;
}

/** A runbook whose one step starts a sleeper in its process group and waits for it, and an action that leaves a mark. */
async function runbook(dir: string) {
  const file = join(dir, 'migrate.yaml');
  const sleeper = `sleep 30 & echo $! > ${join(dir, 'sleeper.pid')}; wait`;
  writeFileSync(
    file,
    ['version: 1', 'name: Migrate', 'checks:', `  migrate: { script: { command: sh, args: [-c, '${sleeper}'], timeout: 60s } }`, 'checklists:', '  preflight:', '    - { id: migrate, title: Migrate the schema, check: migrate }',
      'actions:', `  ship: { title: Ship it, script: { command: sh, args: [-c, 'echo ran > ${join(dir, 'ship.txt')}'] } }`,
      `  drain: { title: Drain, script: { command: sh, args: [-c, '${sleeper}'] } }`, ''].join('\n'),
  );
  return loadRunbookFile(file, {});
}

async function sleeperOf(dir: string): Promise<number> {
  const file = join(dir, 'sleeper.pid');
  await waitFor(() => existsSync(file) && readFileSync(file, 'utf8').trim() !== '', 'the block’s sleeper', 8000);
  return Number(readFileSync(file, 'utf8'));
}

/** The control.stop events the database holds. */
async function stopsStored(url: string): Promise<Array<{ on: boolean; operator: string }>> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ payload: string; operator: string }>(
      'SELECT e.payload, e.operator FROM opscockpit.events e JOIN opscockpit.runs r ON r.run_id = e.run_id WHERE r.runbook = $1 ORDER BY e.run_id, e.seq',
      [CONTROL_RUNBOOK],
    );
    return rows.map((r) => ({ ...(typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload), operator: r.operator })).filter((b) => b.kind === 'control.stop').map((b) => ({ on: b.on, operator: b.operator }));
  } finally {
    await c.end();
  }
}

const env = (who: string) => ({ PATH: process.env.PATH, OPSCOCKPIT_OPERATOR: who, OPSCOCKPIT_ALLOW_SCOPES: 'run:steps,deploy:ship,deploy:drain,safety:stop-off' });

describe('the emergency stop while the PostgreSQL ledger is unreachable', () => {
  it('the driver’s ! kills the running block at once, refuses new work as STOPPED, and is recorded once when the ledger is back; others see it then', { timeout: 60_000 }, async () => {
    const urls = await pgLedgerDatabase(inject('postgres'));
    const dir = mkdtempSync(join(tmpdir(), 'oc-stop-down-'));
    const rb = await runbook(dir);
    const cut = await gate(urls.alice);
    const driver = await mountCockpitOn(rb, await ledger(cut.url), cut.url, { env: env('alice'), seat: 'join' });
    const observer = await mountCockpitOn(rb, await ledger(urls.bob), urls.bob, { env: env('bob'), seat: 'watch' });
    const d = () => driver.session.store.getState();
    await waitFor(() => observer.session.store.getState().seat?.role === 'observer', 'bob observing', 5000);
    const ran = driver.session.advance();
    const sleeper = await sleeperOf(dir);

    cut.cut();
    await waitFor(() => d().ledgerDown !== undefined, 'the driver sees the ledger gone', 8000);
    const pressed = Date.now();
    driver.session.command('safety.stop'); // the ! key
    expect(await waitGone(sleeper, 3000)).toBe(true);
    expect(Date.now() - pressed).toBeLessThan(3000);
    await waitFor(() => d().controls?.stopUnrecorded && /EMERGENCY STOP ON LOCALLY — not yet recorded: the ledger is unreachable — by alice at \d\d:\d\d/.test(driver.frame()), 'the stop on here, on screen', 3000);

    // New work here is refused as STOPPED at once, while the stop is not recorded.
    expect(await driver.session.runAction('ship', 'ship')).toBeUndefined();
    expect(d().flash?.text).toMatch(/^ship not run: STOPPED: the emergency stop is on here \(by alice: emergency stop from the cockpit\), not yet recorded/);
    expect(existsSync(join(dir, 'ship.txt'))).toBe(false);
    // Off waits for the ledger: refused with a clear line, before a reason is asked.
    driver.session.command('safety.stop');
    expect(d().modal).toBeUndefined();
    expect(d().flash?.text).toMatch(/^The emergency stop stays on: turning it off needs its reason and scope recorded first, and the ledger is unreachable/);
    expect(d().controls?.stop.on).toBe(true);

    // Another terminal cannot reach anyone: it says so, on one line, and fails.
    const fromCli = await cli(['stop', 'on', '--reason', 'from elsewhere', '--ledger', cut.url], { env: { OPSCOCKPIT_OPERATOR: 'carol' } });
    expect(fromCli.code).not.toBe(0);
    expect(fromCli.stderr.trim().split('\n')).toHaveLength(1);
    expect(fromCli.stderr).toMatch(/^opscockpit: the emergency stop is NOT in force anywhere: the PostgreSQL ledger .* is unreachable .*; press ! in the cockpit that runs the work/);
    expect(await stopsStored(urls.postgres)).toEqual([]);

    cut.open();
    await ran;
    await waitFor(() => d().ledgerDown === undefined && d().controls?.stop.on && !d().controls?.stopUnrecorded, 'the stop recorded', 15_000);
    expect(await stopsStored(urls.postgres)).toEqual([{ on: true, operator: 'alice' }]);
    expect(driver.frame()).toMatch(/EMERGENCY STOP — emergency stop from the cockpit by alice/);
    // The step is on record as stopped; the observer shows the stop after its catch-up.
    const reader = await ledger(urls.carol);
    const stepResults = async () => (await reader.events(driver.session.runId)).filter((e) => e.body.kind === 'step.result').map((e) => (e.body as { result: { status: string; reason?: string } }).result);
    await waitFor(() => d().events.some((e) => e.body.kind === 'step.result'), 'the step’s result recorded', 10_000);
    const results = await stepResults();
    expect(results).toHaveLength(1);
    expect(results[0].status).toBe('error');
    expect(results[0].reason).toMatch(/^stopped by alice \(the emergency stop: emergency stop from the cockpit\); killed by SIGTERM/);
    await waitFor(() => observer.session.store.getState().controls?.stop.on, 'the observer sees the stop', 8000);
    expect(observer.session.store.getState().controls?.stop.by).toBe('alice');
    // Still exactly once, after the catch-ups.
    expect(await stopsStored(urls.postgres)).toEqual([{ on: true, operator: 'alice' }]);
    // Back, off is recorded with its reason.
    expect(await driver.session.setStop(false, 'migration stopped on purpose')).toBe(true);
    expect(await stopsStored(urls.postgres)).toEqual([{ on: true, operator: 'alice' }, { on: false, operator: 'alice' }]);
  });

  it('an action running when the ledger goes: ! kills it at once; its outcome, stopped, and the stop are recorded once it is back', { timeout: 60_000 }, async () => {
    const urls = await pgLedgerDatabase(inject('postgres'));
    const dir = mkdtempSync(join(tmpdir(), 'oc-stop-down-'));
    const cut = await gate(urls.alice);
    const driver = await mountCockpitOn(await runbook(dir), await ledger(cut.url), cut.url, { env: env('alice'), seat: 'join' });
    const d = () => driver.session.store.getState();
    const outcome = driver.session.runAction('drain', 'drain');
    const sleeper = await sleeperOf(dir);
    cut.cut();
    await waitFor(() => d().ledgerDown !== undefined, 'the ledger gone', 8000);
    driver.session.command('safety.stop');
    expect(await waitGone(sleeper, 3000)).toBe(true);
    // Its outcome waits for the ledger, in order behind what waited before it.
    cut.open();
    const stopped = await outcome;
    expect(stopped?.status).toBe('failed');
    expect(stopped?.reason).toMatch(/^stopped by alice \(the emergency stop: emergency stop from the cockpit\)/);
    await waitFor(() => d().ledgerDown === undefined && d().controls?.stop.on && !d().controls?.stopUnrecorded, 'the stop recorded', 15_000);
    await waitFor(() => d().events.some((e) => e.body.kind === 'action.completed'), 'the outcome recorded', 10_000);
    const completed = (await (await ledger(urls.carol)).events(driver.session.runId)).filter((e) => e.body.kind === 'action.completed').map((e) => e.body as { status: string; reason: string });
    expect(completed).toHaveLength(1);
    expect(completed[0].status).toBe('failed');
    expect(completed[0].reason).toMatch(/^stopped by alice/);
    expect(await stopsStored(urls.postgres)).toEqual([{ on: true, operator: 'alice' }]);
  });

  it('an observer’s ! while its ledger is unreachable: says it cannot stop the driver’s process; the driver runs on, nothing is queued', { timeout: 60_000 }, async () => {
    const urls = await pgLedgerDatabase(inject('postgres'));
    const dir = mkdtempSync(join(tmpdir(), 'oc-stop-down-'));
    const rb = await runbook(dir);
    const driver = await mountCockpitOn(rb, await ledger(urls.alice), urls.alice, { env: env('alice'), seat: 'join' });
    const cut = await gate(urls.bob);
    const observer = await mountCockpitOn(rb, await ledger(cut.url), cut.url, { env: env('bob'), seat: 'watch' });
    const o = () => observer.session.store.getState();
    await waitFor(() => o().seat?.role === 'observer', 'bob observing', 5000);
    const ran = driver.session.advance();
    const sleeper = await sleeperOf(dir);

    cut.cut();
    await waitFor(() => o().ledgerDown !== undefined, 'the observer sees the ledger gone', 8000);
    observer.session.command('safety.stop');
    await waitFor(() => /^The emergency stop is NOT on: the ledger is unreachable, and this cockpit only observes the run/.test(o().flash?.text ?? ''), 'the honest line', 3000);
    expect(o().flash?.text).toContain('Press ! in the cockpit that drives the run');
    expect(o().controls?.stop.on).toBe(false);
    await new Promise((r) => setTimeout(r, 500));
    expect(isGone(sleeper)).toBe(false);

    cut.open();
    await waitFor(() => o().ledgerDown === undefined, 'the observer reaches the ledger again', 15_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(await stopsStored(urls.postgres)).toEqual([]);
    expect(isGone(sleeper)).toBe(false);
    // The driver's own stop still works, and the observer sees it.
    expect(await driver.session.setStop(true, 'from the driver')).toBe(true);
    await ran;
    expect(await waitGone(sleeper)).toBe(true);
    await waitFor(() => o().controls?.stop.on, 'the observer sees the driver’s stop', 8000);
  });
});
