// `opscockpit ledger migrate` through the built binary against the real PostgreSQL server the
// test setup starts: the committed ledgers (keyed and unkeyed) SQLite → PostgreSQL → SQLite with
// their chain, operators, seals and stage; verify on all three; counts and heads printed alike;
// an untrustworthy source, a non-empty target and an operator's login refused; a migration that
// fails halfway leaves the target empty.
import Database from 'better-sqlite3';
import { copyFileSync, existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { openLedger } from '../adapters/ledger.js';
import { sqliteTarget } from '../adapters/move-sqlite.js';
import { openPgLedger } from '../adapters/pg-ledger.js';
import { loadStageKeys, readStage, writeStage } from '../adapters/stage-file.js';
import { cli, root } from './support/cli.js';
import { OPERATORS, pgUrl, type PgLogin } from './support/postgres.js';

const KEY = 'opscockpit-test-only-ledger-key';
const STAGE_ENV = { OPSCOCKPIT_STAGE_KEY: Buffer.alloc(32, 7).toString('base64') };
const fixtures = [
  { name: 'unkeyed-v1.sqlite', env: {} as NodeJS.ProcessEnv, chain: 'SHA-256' },
  { name: 'keyed-v1.sqlite', env: { OPSCOCKPIT_LEDGER_KEY: KEY } as NodeJS.ProcessEnv, chain: 'HMAC-SHA256 (keyed)' },
];

/** A copy of a committed ledger in a folder of its own. */
function copy(name: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'oc-migrate-')), 'ledger.db');
  copyFileSync(join(root, 'test', 'fixtures', 'ledgers', name), file);
  return file;
}

async function sql<T extends object = Record<string, unknown>>(url: string, text: string, values?: unknown[]): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(text, values)).rows;
  } finally {
    await c.end();
  }
}

/** A new database, set up by `ledger init` as admin (its owner), the operators granted the role. */
async function newLedger(): Promise<Record<PgLogin, string>> {
  const server = inject('postgres');
  const db = `migrate_${Math.random().toString(36).slice(2, 10)}`;
  await sql(pgUrl(server, 'admin'), `CREATE DATABASE ${db}`);
  const urls = Object.fromEntries((['postgres', 'admin', ...OPERATORS] as const).map((l) => [l, pgUrl(server, l, db)])) as Record<PgLogin, string>;
  expect(await cli(['ledger', 'init', '--ledger', urls.admin])).toMatchObject({ code: 0, stderr: '' });
  await sql(urls.admin, `GRANT opscockpit_operator TO ${OPERATORS.join(', ')}`);
  return urls;
}

/** The "from" and "to" lines of a migration's report. */
function sides(stdout: string): { from: string; to: string } {
  const line = (label: string) => /^\s+(?:from|to)\s+\S+\s+(.*)$/.exec(stdout.split('\n').find((l) => l.trimStart().startsWith(label))!)![1];
  return { from: line('from'), to: line('to') };
}

/** What a read command prints, with the ledger's own location taken out. */
async function read(args: string[], ledger: string, env: NodeJS.ProcessEnv, shownAs: string): Promise<string> {
  const r = await cli([...args, '--ledger', ledger], { env });
  expect(r, args.join(' ')).toMatchObject({ code: 0, stderr: '' });
  return r.stdout.split(shownAs).join('LEDGER').split(JSON.stringify(shownAs)).join('"LEDGER"').replace(/"exportedAt":"[^"]+"/, '');
}

const shown = (url: string) => url.replace(/:[^:@/]+@/, '@');

describe.each(fixtures)('ledger migrate: the committed $name, SQLite → PostgreSQL → SQLite', ({ name, env, chain }) => {
  it('keeps runs, events with their chain and operators, seals and the stage; verify passes on all three; the reads agree', { timeout: 90_000 }, async () => {
    const source = copy(name);
    const stageKeys = loadStageKeys(STAGE_ENV);
    writeStage(join(source, '..', 'stage.json'), 'canary', 'zoë', stageKeys, Date.UTC(2026, 11, 8));
    const urls = await newLedger();

    const there = await cli(['ledger', 'migrate', '--from', source, '--to', urls.admin], { env });
    expect(there).toMatchObject({ code: 0, stderr: '' });
    expect(there.stdout).toContain(`both verified intact (${chain} chain); event counts and head hashes agree`);
    expect(there.stdout).toContain('stage: 1 signed record copied as signed');
    expect(there.stdout).not.toContain(inject('postgres').passwords.admin);
    const out = sides(there.stdout);
    expect(out.from).toMatch(/^4 runs, 16 events, head #16 [0-9a-f]{64}$/);
    expect(out.to).toBe(out.from);

    // The operators as recorded, not the login that moved them.
    const operators = await sql<{ operator: string }>(urls.alice, 'SELECT DISTINCT operator FROM opscockpit.events ORDER BY 1');
    expect(operators.map((r) => r.operator)).toEqual(['ops', 'zoë']);
    const pgVerify = await cli(['ledger', 'verify', '--ledger', urls.alice], { env });
    expect(pgVerify).toMatchObject({ code: 0, stderr: '' });
    expect(pgVerify.stdout).toContain(`intact — 16 events in one ${chain} chain`);
    // The stage, as signed in the file, read from its row.
    const ledger = await openPgLedger(urls.bob);
    expect(await ledger.stage.read(stageKeys)).toMatchObject({ ok: true, stage: 'canary', updatedBy: 'zoë' });
    await ledger.close();

    const back = join(mkdtempSync(join(tmpdir(), 'oc-migrate-back-')), 'ops', 'ledger.db');
    const home = await cli(['ledger', 'migrate', '--from', urls.admin, '--to', back], { env });
    expect(home).toMatchObject({ code: 0, stderr: '' });
    expect(sides(home.stdout)).toEqual({ from: out.from, to: out.from });
    expect(await cli(['ledger', 'verify', '--ledger', back], { env })).toMatchObject({ code: 0, stdout: `ledger ${back}: intact — 16 events in one ${chain} chain, run statuses match their events\n` });
    expect(readStage(join(back, '..', 'stage.json'), stageKeys)).toMatchObject({ ok: true, stage: 'canary', updatedBy: 'zoë' });
    // The source is untouched, and still verifies (a note: it predates run seals).
    expect((await cli(['ledger', 'verify', '--ledger', source], { env })).code).toBe(0);
    // Nothing of the temporary file is left beside the new one (-wal and -shm are verify's reading).
    expect(readdirSync(join(back, '..')).filter((f) => !/-(wal|shm)$/.test(f)).sort()).toEqual(['ledger.db', 'ledger.db.head', 'stage.json']);

    // list, show and export read the same on PostgreSQL as on the file it went back to, and on
    // the committed ledger upgraded in place by today's code.
    const upgraded = copy(name);
    openLedger(upgraded, { chainKey: env.OPSCOCKPIT_LEDGER_KEY }).close();
    const lastRun = (new Database(back, { readonly: true }).prepare('SELECT run_id FROM runs ORDER BY started_at DESC LIMIT 1').pluck().get()) as string;
    const reads = [['ledger', 'list'], ['ledger', 'list', '--json'], ['ledger', 'list', '--status', 'succeeded', '--page-size', '2', '--page', '2'], ['ledger', 'show', lastRun], ['ledger', 'show', 'last', '--json'],
      ['ledger', 'export', '--format', 'csv', '--events'], ['ledger', 'export', '--format', 'json', '--events'], ['ledger', 'export', '--format', 'csv'], ['report', lastRun, '--timeline'], ['report', 'last', '--release-notes']];
    for (const args of reads) {
      const onPg = await read(args, urls.carol, env, shown(urls.carol));
      expect(onPg, args.join(' ')).toContain(args[1] === 'list' && args.includes('--status') ? 'succeeded' : lastRun.slice(0, 10));
      expect(onPg, args.join(' ')).toBe(await read(args, back, env, back));
      expect(onPg, args.join(' ')).toBe(await read(args, upgraded, env, upgraded));
    }
  });
});

describe('ledger migrate refuses what it cannot move faithfully', () => {
  it('a tampered source: nothing is written, the report names the break', async () => {
    const source = copy('unkeyed-v1.sqlite');
    const db = new Database(source);
    db.exec('DROP TRIGGER events_no_update');
    db.prepare(`UPDATE events SET payload = replace(payload, '"preflight"', '"postflight"') WHERE id = 3`).run();
    db.close();
    const urls = await newLedger();
    const r = await cli(['ledger', 'migrate', '--from', source, '--to', urls.admin]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ledger migrate: the source does not verify: nothing was migrated');
    expect(r.stderr).toContain('broken at event #3');
    expect(await sql(urls.admin, 'SELECT count(*)::int AS n FROM opscockpit.runs')).toEqual([{ n: 0 }]);
  });

  it('a target that is not empty, an operator login as the target, a keyed source without its key', async () => {
    const urls = await newLedger();
    expect((await cli(['ledger', 'migrate', '--from', copy('unkeyed-v1.sqlite'), '--to', urls.admin])).code).toBe(0);
    const again = await cli(['ledger', 'migrate', '--from', copy('unkeyed-v1.sqlite'), '--to', urls.admin]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('is not empty: it holds 4 runs, 16 events and 0 stage rows');
    expect(await sql(urls.admin, 'SELECT count(*)::int AS n FROM opscockpit.events')).toEqual([{ n: 16 }]);

    const file = join(mkdtempSync(join(tmpdir(), 'oc-migrate-full-')), 'ledger.db');
    expect((await cli(['ledger', 'migrate', '--from', urls.admin, '--to', file])).code).toBe(0);
    const intoFile = await cli(['ledger', 'migrate', '--from', urls.admin, '--to', file]);
    expect(intoFile.stderr).toContain(`${file} is not empty: it holds 4 runs and 16 events`);

    const fresh = await newLedger();
    const asOperator = await cli(['ledger', 'migrate', '--from', copy('unkeyed-v1.sqlite'), '--to', fresh.alice]);
    expect(asOperator.code).toBe(1);
    expect(asOperator.stderr).toContain('ledger migrate writes a PostgreSQL ledger as its owner');
    expect(asOperator.stderr).not.toMatch(/\n\s+at /);
    const keyless = await cli(['ledger', 'migrate', '--from', copy('keyed-v1.sqlite'), '--to', fresh.admin]);
    expect(keyless).toMatchObject({ code: 1 });
    expect(keyless.stderr).toContain('is sealed with a key: set OPSCOCKPIT_LEDGER_KEY');
    expect(await sql(fresh.admin, 'SELECT count(*)::int AS n FROM opscockpit.runs')).toEqual([{ n: 0 }]);
  });
});

describe('a migration that fails halfway leaves the target empty', () => {
  it('PostgreSQL: one transaction; the runs written before the failing event page are gone too', async () => {
    // A step name PostgreSQL's text cannot hold (NUL): SQLite stores it, the events' insert fails.
    const source = join(mkdtempSync(join(tmpdir(), 'oc-migrate-nul-')), 'ledger.db');
    const ledger = openLedger(source);
    const run = ledger.startRun({ runbook: '/ops/r.yaml', name: 'r' }, 1000);
    ledger.append(run.runId, 'ops', { kind: 'step.note', phase: 'postflight', step: 'a\u0000b', note: 'n' }, 1000);
    ledger.close();
    const urls = await newLedger();
    const r = await cli(['ledger', 'migrate', '--from', source, '--to', urls.admin]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ledger migrate .* failed: .*Nothing was kept: the target is as it was/);
    expect(await sql(urls.admin, 'SELECT (SELECT count(*) FROM opscockpit.runs)::int AS runs, (SELECT count(*) FROM opscockpit.events)::int AS events')).toEqual([{ runs: 0, events: 0 }]);
    // The stamping trigger is on again: an operator's append is stamped with the login.
    const alice = await openPgLedger(urls.alice);
    const mine = await alice.startRun({ runbook: '/ops/r.yaml', name: 'r' }, 2000);
    expect(await alice.append(mine.runId, 'not alice', { kind: 'step.note', phase: 'postflight', step: 's', note: 'n' }, 2000)).toMatchObject({ operator: 'alice' });
    await alice.close();
  });

  it('SQLite: written into a temporary file; abandoned, nothing is left at the target', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oc-migrate-abort-'));
    const target = sqliteTarget(join(dir, 'ledger.db'));
    await target.begin(undefined, 0);
    await target.meta([['chain', 'sha256']]);
    await target.runs([{ run_id: 'r-1', runbook: '/r.yaml', name: 'r', status: 'running', branch: null, commit_sha: null, backlog_id: null, release_type: null, started_at: 1, released_at: null, completed_at: null, note: null, seal: 'x' }]);
    await target.abort();
    expect(readdirSync(dir)).toEqual([]);
    expect(existsSync(join(dir, 'ledger.db'))).toBe(false);
  });
});
