// A SQLite ledger deleted (its folder removed) or replaced (another file moved over it) while a
// cockpit has it open. SQLite would go on writing the file it opened, which no other process
// reaches: a stop recorded there would be seen by nobody. The store notices before its next
// operation, saves what the lost file holds to a file that can be kept, and is unreachable from
// then on; the cockpit says so, and its ! stops the work here, not recorded.
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore, type SqliteStore } from '../adapters/sqlite-store.js';
import { isLedgerUnreachable } from '../src/engine/ledger-store.js';
import { loadRunbookFile } from '../src/runbook/load.js';
import { mountCockpitOn, unmountAll } from './support/mount.js';
import { waitFor } from './support/cockpit.js';
import { cli } from './support/cli.js';

const stores: SqliteStore[] = [];
afterEach(async () => {
  await unmountAll();
  for (const s of stores.splice(0)) await s.close().catch(() => undefined);
});

function store(path: string): SqliteStore {
  const s = openSqliteStore(path);
  stores.push(s);
  return s;
}

const note = (text: string) => ({ kind: 'step.note' as const, phase: 'preflight' as const, step: 'look', note: text });

async function refusal(p: Promise<unknown>): Promise<Error> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(Error);
  expect(isLedgerUnreachable(err)).toBe(true);
  return err as Error;
}

/** A new ledger in a folder of its own, with a run and these notes in it. */
async function ledgerWithRun(notes: string[], open = store) {
  const dir = mkdtempSync(join(tmpdir(), 'oc-lost-'));
  const path = join(dir, 'ledger.db');
  const s = open(path);
  const run = await s.startRun({ runbook: 'rb', name: 'Old' }, 1000);
  for (const [i, text] of notes.entries()) await s.append(run.runId, 'alice', note(text), 1001 + i);
  return { dir, path, s, run };
}

/** The copy a lost ledger's message names, opened, with this run's notes. */
async function copyNotes(message: string | undefined, runId: string) {
  const saved = /saved in (\S+) \(/.exec(message ?? '')?.[1];
  expect(saved).toBeDefined();
  const notes = (await store(saved!).events(runId)).map((e) => e.body);
  return { saved: saved!, notes };
}

describe('a SQLite ledger lost under an open store', () => {
  it('deleted with its folder: the next write is refused as unreachable, and what it held is saved in the temporary folder', async () => {
    const { dir, path, s, run } = await ledgerWithRun(['before the folder went']);
    rmSync(dir, { recursive: true, force: true });

    const err = await refusal(s.append(run.runId, 'alice', note('after'), 1002));
    expect(err.message).toMatch(new RegExp(`^ledger ${path} was deleted while this process had it open: nothing more is recorded`));
    // Reads are refused too (a cockpit would show a ledger nobody else sees), with the same words.
    expect((await refusal(s.events(run.runId))).message).toBe(err.message);

    const { saved, notes } = await copyNotes(err.message, run.runId);
    expect(saved.startsWith(join(tmpdir(), 'ledger.db.rescued-'))).toBe(true);
    expect(statSync(saved).mode & 0o777).toBe(0o600); // private, as the ledger is
    expect(notes).toEqual([note('before the folder went')]);
    const verify = await cli(['ledger', 'verify', '--ledger', saved]);
    expect(verify.code).toBe(0);
    rmSync(saved, { force: true });
  });

  it('a loss found only as the store closes still gets its copy, and says where', async () => {
    const { dir, s, run } = await ledgerWithRun(['the only event'], openSqliteStore);
    rmSync(dir, { recursive: true, force: true });
    expect(s.lostReason).toBeUndefined();
    await s.close();
    const { saved, notes } = await copyNotes(s.lostReason, run.runId);
    expect(notes).toEqual([note('the only event')]);
    rmSync(saved, { force: true });
  });

  it('replaced by another ledger: refused and saved beside it; closing it leaves the new ledger, its head and its WAL alone', async () => {
    // More events than the new ledger has: a head written from here would name one past its end.
    const { dir, path, s, run } = await ledgerWithRun(Array(3).fill('in the old file'));
    // A restore from a copy: the old files removed, a ledger made elsewhere moved in.
    const other = join(mkdtempSync(join(tmpdir(), 'oc-other-')), 'ledger.db');
    const o = openSqliteStore(other);
    const newRun = await o.startRun({ runbook: 'rb', name: 'New' }, 2000);
    await o.append(newRun.runId, 'bob', note('in the new file'), 2001, { durable: true });
    await o.close();
    for (const f of readdirSync(dir)) rmSync(join(dir, f));
    for (const f of readdirSync(join(other, '..'))) renameSync(join(other, '..', f), join(dir, f));
    // Another cockpit on the new ledger: its latest event is in its WAL, not yet in the file.
    const n = store(path);
    await n.append(newRun.runId, 'bob', note('only in the WAL'), 2002);

    const err = await refusal(s.append(run.runId, 'alice', note('lost'), 1002, { durable: true }));
    expect(err.message).toMatch(new RegExp(`^ledger ${path} was replaced by another file while this process had it open`));
    const { saved, notes } = await copyNotes(err.message, run.runId);
    expect(saved.startsWith(join(dir, 'ledger.db.rescued-'))).toBe(true);
    expect(notes).toEqual(Array(3).fill(note('in the old file')));
    const head = readFileSync(`${path}.head`, 'utf8');
    await s.close();
    stores.splice(stores.indexOf(s), 1);
    expect(readFileSync(`${path}.head`, 'utf8')).toBe(head);

    // A new connection still sees the new ledger whole (its WAL was not deleted by name), and
    // its head file still names its own event: it verifies and takes appends.
    const fresh = store(path);
    expect((await fresh.events(newRun.runId)).map((e) => e.body)).toEqual([note('in the new file'), note('only in the WAL')]);
    await fresh.append(newRun.runId, 'bob', note('after the old store closed'), 2003, { durable: true });
    const verify = await cli(['ledger', 'verify', '--ledger', path]);
    expect(verify.code).toBe(0);
  });
});

describe('a cockpit whose SQLite ledger is deleted', () => {
  it('says the ledger is lost and where its copy is, refuses steps, and ! stops the work here, not recorded', { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oc-lost-cockpit-'));
    const rbFile = join(mkdtempSync(join(tmpdir(), 'oc-lost-rb-')), 'rb.yaml');
    writeFileSync(rbFile, ['version: 1', 'name: Lost ledger', 'checklists:', '  preflight:', '    - { id: look, title: Look around, manual: true }', ''].join('\n'));
    const rb = await loadRunbookFile(rbFile, {});
    const path = join(dir, 'ledger.db');
    const cockpit = await mountCockpitOn(rb, store(path), path, { env: { PATH: process.env.PATH, OPSCOCKPIT_OPERATOR: 'alice' } });
    const state = () => cockpit.session.store.getState();
    await waitFor(() => state().events.length > 0, 'the run on record', 5000);

    rmSync(dir, { recursive: true, force: true });
    // Nobody writes: the watch on the folder (or the lease's next beat) finds it gone.
    await waitFor(() => state().ledgerLost !== undefined, 'the ledger lost', 10_000);
    await waitFor(() => /LEDGER LOST since \d\d:\d\d:\d\d: file deleted or replaced; nothing is recorded/.test(cockpit.frame()), 'the banner', 3000);
    expect(state().ledgerLost).toMatch(new RegExp(`^ledger ${path} was deleted while this process had it open: .* saved in ${join(tmpdir(), 'ledger.db.rescued-')}`));
    expect(state().flash?.text).toBe(`The ledger is lost: ${state().ledgerLost}`);

    // A step needs its record: refused at once, not waiting for a ledger that cannot come back.
    await cockpit.session.advance();
    expect(state().flash?.text).toMatch(/not run: the ledger is lost since \d\d:\d\d:\d\d \(its file was deleted or replaced\)/);

    cockpit.session.command('safety.stop');
    await waitFor(() => state().controls?.stopUnrecorded && /EMERGENCY STOP ON LOCALLY — NOT recorded: the ledger is lost/.test(cockpit.frame()), 'the stop on here, not recorded', 5000);
    expect(state().flash?.text).toMatch(/^EMERGENCY STOP ON HERE: .* NOT recorded, and other cockpits will not know: the ledger is lost: ledger .* saved in /);
    expect(existsSync(dir)).toBe(false);
  });

  it('a headless run whose ledger is deleted under it ends with the reason instead of waiting', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oc-lost-run-'));
    const path = join(dir, 'ledger.db');
    const rbFile = join(mkdtempSync(join(tmpdir(), 'oc-lost-rb-')), 'rb.yaml');
    const gone = `rm -rf '${dir}'`;
    writeFileSync(rbFile, ['version: 1', 'name: Lost under a run', 'checks:', `  remove: { script: { command: sh, args: [-c, "${gone}"] } }`, '  after: { script: { command: "true" } }', 'checklists:', '  preflight:',
      '    - { id: remove, title: Remove the ledger folder, check: remove }', '    - { id: after, title: One more step, check: after }', ''].join('\n'));
    const r = await cli(['run', rbFile, '--ledger', path, '--yes'], { timeoutMs: 45_000 });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(new RegExp(`opscockpit: the ledger is lost: ledger ${path} was deleted while this process had it open`));
    expect(r.stderr).toMatch(/saved in (\S+) \(/);
    expect(r.stdout).toMatch(new RegExp(`run r-\\S+ recorded in ${path} until it was lost: ledger ${path} was deleted`));
    const saved = /saved in (\S+) \(/.exec(r.stderr)![1];
    expect((await cli(['ledger', 'verify', '--ledger', saved])).code).toBe(0);
    rmSync(saved, { force: true });
  });
});
