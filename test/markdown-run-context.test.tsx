// What a Markdown run's blocks see besides their own text: a polled check sees the run's
// exports (read-only, stop-on-error) and is never run without its placeholder's value; the
// rollback runs in the run's shell with the run's parameters and shows its commands before
// the typed confirmation. Real shells, real SQLite ledgers, the real cockpit and the built binary.
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRunbook } from '../src/runbook/load.js';
import '../src/runbook/markdown/load.js'; // registers the Markdown reader
import { withParamValues } from '../src/runbook/params.js';
import { mountCockpit, mountCockpitOn, unmountAll } from './support/mount.js';
import { openLedger } from '../adapters/ledger.js';
import { SqliteStore } from '../adapters/sqlite-store.js';
import { waitFor } from './support/cockpit.js';
import { cli } from './support/cli.js';

afterEach(unmountAll);

function runbook(lines: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'oc-md-ctx-'));
  const file = join(dir, 'runbook.md');
  writeFileSync(file, lines.join('\n'));
  return file;
}

const ENV = { PATH: process.env.PATH, OPSCOCKPIT_OPERATOR: 'night-sre', OPSCOCKPIT_ALLOW_SCOPES: 'run:steps,deploy:rollback' };
const fence = (...body: string[]) => ['   ```bash', ...body.map((l) => `   ${l}`), '   ```', ''];

describe('a polled check in the cockpit', () => {
  it('fails on the unset variable until the step that exports it ran, then queries that environment only', async () => {
    const file = runbook([
      '# Patroni', '', '## Steps', '',
      '1. Pick the environment', '', ...fence('export ENV=gprd'),
      '2. Watch the cluster', '', '   ```bash {every=1s}', '   echo "query fqdn:patroni-*-db-${ENV}*" >> queries', '   ```', '',
    ]);
    const queries = join(file, '..', 'queries');
    const m = await mountCockpit(loadRunbook(file, {}), { env: ENV });
    const live = () => m.session.store.getState().live['preflight.steps-2'];
    await waitFor(() => live()?.status === 'error', 'the check polled before ENV is set');
    expect(live()?.reason).toMatch(/ENV: unbound variable/);
    expect(existsSync(queries)).toBe(false);
    m.app.stdin.write('\r');
    await waitFor(() => existsSync(queries), 'the check run once ENV is exported', 5000);
    await waitFor(() => live()?.status === 'healthy', 'healthy once ENV is there');
    expect(readFileSync(queries, 'utf8').split('\n')[0]).toBe('query fqdn:patroni-*-db-gprd*');
  });

  it('is not run while its placeholder has no value: an error, and the Gate is never GO on it', async () => {
    const file = runbook(['# Pods', '', '## Steps', '', '1. Watch pods', '', '   ```bash {every=1s}', '   echo "ns=[<NAMESPACE>]" >> polled', '   ```', '']);
    const m = await mountCockpit(loadRunbook(file, {}), { env: ENV });
    const live = () => m.session.store.getState().live['preflight.steps-1'];
    await waitFor(() => live()?.status === 'error', 'the check judged');
    expect(live()).toMatchObject({ code: 'needs_value', reason: 'needs a value for NAMESPACE' });
    await new Promise((r) => setTimeout(r, 1500));
    expect(existsSync(join(file, '..', 'polled'))).toBe(false);
    await waitFor(() => m.frame().includes('NO-GO — 1 reason'), 'the Gate NO-GO on it');
    expect(m.frame()).toContain('polled: needs a value for NAMESPACE');
  });
});

describe('opscockpit check (built binary)', () => {
  it('fails a check whose placeholder has no value, without running it', async () => {
    const file = runbook(['# Pods', '', '## Steps', '', '1. Watch pods', '', '   ```bash {every=2s}', '   echo "ns=[<NAMESPACE>]" >> polled', '   ```', '']);
    const r = await cli(['check', file, '--ledger', join(file, '..', 'l.db')]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('needs a value for NAMESPACE');
    expect(existsSync(join(file, '..', 'polled'))).toBe(false);
  });
});

const ROLLBACK = [
  '# Payments release', '', '## Deploy', '',
  '1. Deploy', '', ...fence('export RELEASE=payments', 'echo deployed'),
  '## Rollback', '',
  '1. Roll back', '', ...fence('echo "helm rollback $RELEASE <REVISION>" > rolled-back'),
];

describe('the Markdown rollback', () => {
  it('shows its commands in the typed confirmation and runs in the run\'s shell, with the run\'s REVISION', async () => {
    const file = runbook(ROLLBACK);
    const rb = loadRunbook(file, {}, { REVISION: '41' });
    expect(rb.params.find((p) => p.name === 'REVISION')).toMatchObject({ value: '41' });
    const m = await mountCockpit(rb, { env: withParamValues(rb.params, ENV) });
    await waitFor(() => m.frame().includes('export RELEASE=payments'), 'the first block shown');
    m.app.stdin.write('\r');
    await waitFor(() => m.session.store.getState().stepEvents.some((e) => e.kind === 'step.result'), 'the deploy block ran', 5000);
    m.app.stdin.write('R');
    await waitFor(() => m.frame().includes('It runs:'), 'the confirmation with its commands');
    expect(m.frame()).toContain('echo "helm rollback $RELEASE ${REVISION}" > rolled-back');
    m.app.stdin.write('rollback');
    await waitFor(() => m.frame().includes('> rollback'), 'typed');
    m.app.stdin.write('\r');
    const out = join(file, '..', 'rolled-back');
    await waitFor(() => existsSync(out), 'the rollback ran', 5000).catch((e) => {
      throw new Error(`${e.message}; the screen: ${m.frame()}`);
    });
    expect(readFileSync(out, 'utf8')).toBe('helm rollback payments 41\n');
  });

  it('R asks the rollback\'s REVISION first when the run has none, records it, then shows the confirmation', async () => {
    const file = runbook(ROLLBACK);
    const rb = loadRunbook(file, {});
    const m = await mountCockpit(rb, { env: withParamValues(rb.params, ENV) });
    await waitFor(() => m.frame().includes('export RELEASE=payments'), 'the first block shown');
    m.app.stdin.write('\r');
    await waitFor(() => m.session.store.getState().stepEvents.some((e) => e.kind === 'step.result'), 'the deploy block ran', 5000);
    m.app.stdin.write('R');
    await waitFor(() => m.frame().includes('REVISION: a value for'), 'the value asked before the confirmation');
    m.app.stdin.write('40');
    await waitFor(() => m.frame().includes('> 40'), 'typed');
    m.app.stdin.write('\r');
    await waitFor(() => m.frame().includes('It runs:'), 'then the typed confirmation with its commands');
    const params = m.ledger.events(m.session.store.getState().run!.runId).filter((e) => e.body.kind === 'run.params');
    expect(params.at(-1)?.body).toEqual({ kind: 'run.params', params: { REVISION: '40' } });
    m.app.stdin.write('rollback');
    await waitFor(() => m.frame().includes('> rollback'), 'typed');
    m.app.stdin.write('\r');
    const out = join(file, '..', 'rolled-back');
    await waitFor(() => existsSync(out), 'the rollback ran', 5000);
    expect(readFileSync(out, 'utf8')).toBe('helm rollback payments 40\n');
  });

  it('act passes REVISION from the environment or --param, and says it runs in a fresh shell', async () => {
    const file = runbook(ROLLBACK);
    const ledger = join(file, '..', 'l.db');
    const env = { OPSCOCKPIT_ALLOW_SCOPES: 'deploy:rollback', OPSCOCKPIT_OPERATOR: 'night-sre' };
    const missing = await cli(['act', file, 'rollback', '--yes', '--ledger', ledger], { env });
    // Before anything is recorded: a person must give it.
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('needs a person: rollback needs a value for REVISION; nothing was run or recorded');
    expect(missing.stderr).toContain('--param REVISION=…');
    expect(existsSync(ledger)).toBe(false);
    const fresh = await cli(['act', file, 'rollback', '--yes', '--ledger', ledger], { env: { ...env, REVISION: '41' } });
    // Not the unset REVISION: the next line, in a shell where the deploy's export is not.
    expect(fresh.stdout + fresh.stderr).toContain('RELEASE: unbound variable');
    expect(fresh.stdout + fresh.stderr).toContain("in a fresh shell: the run's shell is not alive here");
    const run = await cli(['run', file, '--yes', '--action', 'rollback', '--param', 'REVISION=42', '--ledger', join(file, '..', 'r.db')], {
      env: { ...env, OPSCOCKPIT_ALLOW_SCOPES: 'run:steps,deploy:rollback' },
    });
    expect(run.code).toBe(0);
    expect(readFileSync(join(file, '..', 'rolled-back'), 'utf8')).toBe('helm rollback payments 42\n');
  });
});

const LOGIN = [
  '---', 'title: Log in', 'opscockpit:', '  secrets: [API_TOKEN]', '---', '', '# Log in', '', '## Steps', '',
  '1. Log in', '', ...fence('echo "logging in with <DB_PASSWORD> and $API_TOKEN" | tee said'),
];

describe('secrets in Markdown blocks', () => {
  it('a declared secret reaches the block that uses it; a credential placeholder is asked masked, recorded as ***, masked in output', async () => {
    const file = runbook(LOGIN);
    const rb = loadRunbook(file, {});
    expect(rb.params.find((p) => p.name === 'DB_PASSWORD')).toMatchObject({ type: 'secret' });
    expect(rb.secrets).toEqual(expect.arrayContaining(['API_TOKEN', 'DB_PASSWORD']));
    const m = await mountCockpit(rb, { env: { ...ENV, API_TOKEN: 'tok-5e3cr3t-value' } });
    await waitFor(() => m.frame().includes('Log in'), 'the step');
    m.app.stdin.write('\r');
    await waitFor(() => m.frame().includes('DB_PASSWORD: a value for'), 'the value asked');
    m.app.stdin.write('hunter2-pass');
    await waitFor(() => m.frame().includes('> ••••••••••••'), 'typed, masked');
    expect(m.frame()).not.toContain('hunter2');
    m.app.stdin.write('\r');
    await waitFor(() => m.frame().includes('DB_PASSWORD recorded'), 'recorded');
    m.app.stdin.write('\r');
    const said = join(file, '..', 'said');
    await waitFor(() => m.session.store.getState().stepEvents.some((e) => e.kind === 'step.result'), 'the block ran', 5000);
    expect(readFileSync(said, 'utf8')).toBe('logging in with hunter2-pass and tok-5e3cr3t-value\n');
    const events = JSON.stringify(m.ledger.events(m.session.store.getState().run!.runId));
    expect(events).not.toContain('hunter2');
    expect(events).not.toContain('5e3cr3t');
    expect(events).toContain('"DB_PASSWORD":"***"');
    expect(events).toContain('logging in with *** and ***');
    expect(m.frame()).not.toContain('hunter2');
  });

  it('headless, --param gives the secret placeholder and the declared secret comes from the environment, both masked', async () => {
    const file = runbook(LOGIN);
    const r = await cli(['run', file, '--yes', '--json', '--param', 'DB_PASSWORD=hunter2-pass', '--ledger', join(file, '..', 'l.db')], {
      env: { OPSCOCKPIT_ALLOW_SCOPES: 'run:steps', API_TOKEN: 'tok-5e3cr3t-value' },
    });
    expect(r.code).toBe(0);
    expect(readFileSync(join(file, '..', 'said'), 'utf8')).toBe('logging in with hunter2-pass and tok-5e3cr3t-value\n');
    expect(r.stdout + r.stderr).not.toMatch(/hunter2|5e3cr3t/);
    const exported = await cli(['ledger', 'show', 'last', '--json', '--ledger', join(file, '..', 'l.db')]);
    expect(exported.stdout).not.toMatch(/hunter2|5e3cr3t/);
    expect(exported.stdout).toContain('***');
  });
});

describe('a resumed run says its next block starts in a fresh shell, before it runs', () => {
  const RESUME = ['# Restart', '', '## Steps', '', '1. Pick staging', '', ...fence('export TARGET_ENV=staging'), '2. Ask the DBA', '', '3. Flush the cache', '', ...fence('echo "flush ${TARGET_ENV:-production}" > flushed')];

  it('headless: a line on stderr before the block, and the fresh shell in the ledger', async () => {
    const file = runbook(RESUME);
    const ledger = join(file, '..', 'l.db');
    const env = { OPSCOCKPIT_ALLOW_SCOPES: 'run:steps' };
    expect((await cli(['run', file, '--yes', '--ledger', ledger], { env })).code).toBe(2);
    const resumed = await cli(['run', file, '--yes', '--confirm', 'steps-2', '--ledger', ledger], { env });
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain('opscockpit: preflight step "steps-3": this block starts in a fresh shell: the run restarted');
    const shown = await cli(['ledger', 'show', 'last', '--ledger', ledger]);
    expect(shown.stdout).toMatch(/bash shell started \(pid \d+\) — a fresh shell: earlier steps of this run ran in another shell/);
  });

  it('cockpit: the current step\'s pane says so before Enter, and stops saying it once the block ran', async () => {
    const file = runbook(RESUME);
    const first = await mountCockpit(loadRunbook(file, {}), { env: ENV });
    await waitFor(() => first.frame().includes('export TARGET_ENV=staging'), 'the first block');
    expect(first.frame()).not.toContain('fresh shell');
    first.app.stdin.write('\r');
    await waitFor(() => first.frame().includes('Ask the DBA'), 'the first block ran');
    await waitFor(() => first.session.store.getState().stepEvents.some((e) => e.kind === 'step.result'), 'recorded', 5000);
    first.app.stdin.write('\r'); // the manual step
    await waitFor(() => first.frame().includes('flush ${TARGET_ENV:-production}'), 'the third block shown');
    expect(first.frame()).not.toContain('fresh shell');
    first.app.unmount();
    await first.session.stop();
    await new Promise((r) => setTimeout(r, 300));
    const ledger = openLedger(first.ledgerPath);
    const again = await mountCockpitOn(loadRunbook(file, {}), new SqliteStore(ledger, first.ledgerPath), first.ledgerPath, { env: ENV });
    await waitFor(() => again.frame().includes('this block starts in a fresh shell'), 'the notice before Enter');
    expect(existsSync(join(file, '..', 'flushed'))).toBe(false);
    again.app.stdin.write('\r');
    await waitFor(() => existsSync(join(file, '..', 'flushed')), 'the block ran', 5000);
    await waitFor(() => !again.frame().includes('this block starts in a fresh shell'), 'the notice gone once a shell started');
    expect(readFileSync(join(file, '..', 'flushed'), 'utf8')).toBe('flush production\n');
    await unmountAll(); // the cockpit gives its run up before its ledger closes
    ledger.close();
  });
});
