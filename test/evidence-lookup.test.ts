// The gate check's evidence lookup on a ledger that has been used for a long time: it reads the
// evidence events through their index (adapters/ledger-evidence.ts), never every
// event of every run, on SQLite and on the real PostgreSQL, and still finds the last record.
import Database from 'better-sqlite3';
import pg from 'pg';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { openLedger } from '../adapters/ledger.js';
import { evidenceSql } from '../adapters/ledger-evidence.js';
import { runGateCheck } from '../adapters/gate-check.js';
import { openSqliteStore } from '../adapters/sqlite-store.js';
import type { LedgerStore } from '../src/engine/ledger-store.js';
import type { EventBody } from '../src/engine/types.js';
import type { GateCheck } from '../src/runbook/model.js';
import { readEvidence, recordEvidence, sha256File, verifyEvidence } from '../src/evidence/store.js';
import { openPgLedger } from '../adapters/pg-ledger.js';
import { initSchema } from '../adapters/pg-schema.js';
import { postgresLedger } from './support/ledger-stores.js';
import { root } from './support/cli.js';

const T0 = Date.UTC(2026, 5, 1, 8, 0, 0);
const RUNS = 200;
const EVENTS = 200; // in each run
const EVIDENCE_RUNS = new Set([3, 90, 150]); // harvests of the gate's evidence
/** The file's document as a new harvest makes it (no version: the ledger gives the next). */
const harvested = (path: string) => ({ ...readEvidence(path), version: undefined, state: undefined });
const note = (n: number): EventBody => ({ kind: 'step.note', phase: 'postflight', step: 's', note: `n${n}` });

function gateOn(evidence: string): GateCheck {
  const slo = join(root, 'fixtures', 'slo');
  return { kind: 'gate', name: 'infra-gate', title: 'gates', sloFiles: [`${slo}/slo-judge-infra.json`, `${slo}/slo-billing-strict-v2.json`, `${slo}/slo-latency-loose.yaml`], evidence, quorum: 2 };
}

/** The store's methods the gate check calls, by name, in order. */
function watched(store: LedgerStore): { store: LedgerStore; calls: string[] } {
  const calls: string[] = [];
  const proxy = new Proxy(store, {
    get(target, name, receiver) {
      const v = Reflect.get(target, name, receiver);
      return typeof v === 'function' ? (...args: unknown[]) => (calls.push(String(name)), v.apply(target, args)) : v;
    },
  });
  return { store: proxy, calls };
}

const opened: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const o of opened.splice(0)) await o.close();
});

describe('the evidence lookup on a long-used SQLite ledger', () => {
  it(`a gate check on ${RUNS} runs × ${EVENTS} events reads the evidence events only, through their index`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oc-evidence-lookup-'));
    const file = join(dir, 'ledger.db');
    const evidence = join(dir, 'latest.json');
    const other = join(dir, 'other.json');
    copyFileSync(join(root, 'fixtures', 'evidence', 'good.json'), evidence);
    copyFileSync(join(root, 'fixtures', 'evidence', 'good.json'), other);
    const ledger = openLedger(file);
    const written: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const at = T0 + r * 60_000;
      const run = ledger.startRun({ runbook: '/rb/release.yaml', name: `release ${r}` }, at);
      ledger.appendMany(run.runId, 'ops', Array.from({ length: EVENTS - 1 }, (_, i) => note(i)), at + 1);
      // The last event of the run: a harvest of the gate's evidence, or of another file.
      if (EVIDENCE_RUNS.has(r)) written.push(recordEvidence(ledger, run.runId, 'sre', evidence, harvested(evidence), at + 2).version);
      else if (r % 40 === 0) recordEvidence(ledger, run.runId, 'sre', other, harvested(other), at + 2);
      else ledger.append(run.runId, 'ops', note(EVENTS), at + 2);
    }
    expect(written).toEqual([1, 2, 3]);
    const sync = verifyEvidence(ledger, evidence);
    ledger.close();

    const { store, calls } = watched(openSqliteStore(file));
    opened.push(store);
    const go = await runGateCheck(gateOn(evidence), { ledger: store });
    expect(go).toMatchObject({ status: 'healthy', code: 'ok', evidence: { sha256: sha256File(evidence), tampered: false } });
    expect(calls).toEqual(['evidenceEvents']);
    expect(sync).toEqual({ tampered: false, expected: sha256File(evidence), actual: sha256File(evidence), version: 3, state: 'WIP' });
    expect((await store.evidenceEvents(evidence)).map((e) => e.body)).toEqual([1, 2, 3].map((version) => expect.objectContaining({ kind: 'evidence.recorded', version })));

    // Someone edits the numbers by hand: the same lookup finds the change.
    const doc = readEvidence(evidence);
    doc.overall.p99_ms = 1;
    writeFileSync(evidence, JSON.stringify(doc));
    expect(await runGateCheck(gateOn(evidence), { ledger: store })).toMatchObject({ code: 'evidence_tampered', evidence: { tampered: true } });

    const db = new Database(file, { readonly: true });
    try {
      expect(db.prepare('SELECT count(*) FROM events').pluck().get()).toBe(RUNS * EVENTS);
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${evidenceSql('')}`).all() as { detail: string }[]).map((p) => p.detail);
      expect(plan).toContainEqual(expect.stringMatching(/^SCAN e USING INDEX events_evidence_at\b/));
      expect(plan).not.toContainEqual(expect.stringMatching(/^SCAN e$/));
    } finally {
      db.close();
    }
  }, 60_000);
});

describe('the evidence lookup on PostgreSQL', () => {
  it('reads through the index of the evidence events once the table is large, and finds the last record', async () => {
    const l = await postgresLedger(inject('postgres'));
    const store = await l.open();
    opened.push(store);
    const path = '/srv/evidence/latest.json';
    const runs = 20;
    let last = 0;
    for (let r = 0; r < runs; r++) {
      const at = T0 + r * 60_000;
      const run = await store.startRun({ runbook: '/rb/release.yaml', name: `release ${r}` }, at);
      // Appended together: the group commit stores them in a few transactions.
      const appends = Array.from({ length: EVENTS }, (_, i) => store.append(run.runId, 'ops', note(i), at + 1));
      if (r % 5 === 0) appends.push(store.append(run.runId, 'sre', { kind: 'evidence.recorded', path, sha256: String(++last).repeat(64), version: last, state: 'WIP', samples: 9 }, at + 2));
      await Promise.all(appends);
    }
    expect((await store.evidenceEvents(path)).map((e) => (e.body as { version: number }).version)).toEqual([1, 2, 3, 4]);
    const admin = new pg.Client({ connectionString: l.urls.admin });
    await admin.connect();
    try {
      await admin.query('ANALYZE opscockpit.events');
      const { rows } = await admin.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${evidenceSql('opscockpit.')}`);
      const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(plan).toMatch(/events_evidence_at/);
      expect(plan).not.toMatch(/Seq Scan on events/);
    } finally {
      await admin.end();
    }
  }, 60_000);

  it('a team ledger set up before the index: operators are told to run init, which adds only the index', async () => {
    const l = await postgresLedger(inject('postgres'));
    const store = await l.open();
    const run = await store.startRun({ runbook: '/rb/release.yaml', name: 'before' }, T0);
    await store.append(run.runId, 'sre', { kind: 'evidence.recorded', path: '/srv/e.json', sha256: 'a'.repeat(64), version: 1, state: 'WIP', samples: 9 }, T0 + 1);
    await store.close();
    // What a ledger set up by the version before this index holds: schema v3, no index.
    const owner = new pg.Client({ connectionString: l.urls.admin });
    await owner.connect();
    try {
      await owner.query('DROP INDEX opscockpit.events_evidence_at; DELETE FROM opscockpit.schema_migrations WHERE version = 4');
      await expect(openPgLedger(l.urls.alice)).rejects.toThrow(/has ledger schema v3, this opscockpit needs v4: run "opscockpit ledger init/);
      expect(await initSchema(owner, undefined)).toEqual([4]);
    } finally {
      await owner.end();
    }
    const after = await openPgLedger(l.urls.alice);
    opened.push(after);
    expect((await after.evidenceEvents('/srv/e.json')).map((e) => e.body)).toEqual([expect.objectContaining({ version: 1 })]);
    expect(await l.verify()).toMatchObject({ ok: true, events: 1 });
  });
});
