// ledger migrate's PostgreSQL side (ledger-move.ts): a ledger read in one snapshot, and a ledger
// written in one transaction that is verified before it commits. Events keep the operators they
// were recorded with: the trigger that stamps the login on each event (and on each stage row) is
// disabled inside that transaction only, which only the tables' owner may do (ALTER TABLE); an
// operator's login is refused. Other connections wait for the transaction (ALTER TABLE locks
// the tables) and never see the triggers off.
import type pg from 'pg';
import { LedgerError } from './ledger-errors.js';
import { notEmpty, type LedgerSource, type LedgerTarget, type MovedEvent, type MovedRun } from './ledger-move.js';
import { pgTarget as targetOf } from './pg-connect.js';
import { connectedPgClient, verifyPgOn } from './pg-verify.js';
import type { SignedStage } from './stage-file.js';

const PAGE = 5000;
const RUN_FIELDS = 'run_id, runbook, name, status, branch, commit_sha, backlog_id, release_type, started_at, released_at, completed_at, note, seal';
const EVENT_FIELDS = 'id, run_id, seq, at, kind, step, operator, payload, prev_hash, hash, idempotency_key';
const STAMPING = [
  ['opscockpit.events', 'events_stamp_operator'],
  ['opscockpit.stage', 'stage_stamp_mover'],
] as const;

export async function pgSource(url: string): Promise<LedgerSource> {
  const { client, location } = await connectedPgClient(url);
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  return {
    location,
    kind: 'PostgreSQL',
    async meta() {
      return (await client.query<[string, string]>({ text: 'SELECT name, value FROM opscockpit.ledger_meta ORDER BY name', rowMode: 'array' })).rows;
    },
    async *runs() {
      const page = `SELECT ${RUN_FIELDS} FROM opscockpit.runs WHERE run_id > $1 ORDER BY run_id LIMIT ${PAGE}`;
      for (let rows = (await client.query<MovedRun>(page, [''])).rows; rows.length; rows = (await client.query<MovedRun>(page, [rows[rows.length - 1].run_id])).rows) yield rows;
    },
    async *events() {
      const page = `SELECT ${EVENT_FIELDS} FROM opscockpit.events WHERE id > $1 ORDER BY id LIMIT ${PAGE}`;
      for (let rows = (await client.query<MovedEvent>(page, [0])).rows; rows.length; rows = (await client.query<MovedEvent>(page, [rows[rows.length - 1].id])).rows) yield rows;
    },
    async stage() {
      return { rows: (await client.query<SignedStage>('SELECT stage, updated_at, updated_by, key_id, sig FROM opscockpit.stage ORDER BY id')).rows };
    },
    async close() {
      await client.query('COMMIT').catch(() => {});
      await client.end().catch(() => {});
    },
  };
}

/** Rows as one array per column, for INSERT … SELECT FROM unnest(…): a page in one statement. */
function columns<T extends object>(rows: T[], fields: string): unknown[][] {
  return fields.split(', ').map((f) => rows.map((r) => (r as Record<string, unknown>)[f] ?? null));
}

export function pgTarget(url: string): LedgerTarget {
  let client: pg.Client | undefined;
  let location = targetOf(url).location;
  const q = (text: string, values?: unknown[]) => client!.query(text, values);
  return {
    get location() {
      return location;
    },
    kind: 'PostgreSQL',
    async begin() {
      ({ client, location } = await connectedPgClient(url));
      await q('BEGIN');
      try {
        for (const [table, trigger] of STAMPING) await q(`ALTER TABLE ${table} DISABLE TRIGGER ${trigger}`);
      } catch (err) {
        if ((err as { code?: string }).code !== '42501') throw err;
        throw new LedgerError(`${location}: ledger migrate writes a PostgreSQL ledger as its owner (the login that ran "opscockpit ledger init"), so that the events keep the operators they were recorded with; ${targetOf(url).user} is not the owner (${(err as Error).message}). Nothing was migrated.`);
      }
      const held = (await q(`SELECT (SELECT count(*) FROM opscockpit.runs) AS runs, (SELECT count(*) FROM opscockpit.events) AS events,
                                    (SELECT count(*) FROM opscockpit.stage) AS stage, last_id FROM opscockpit.chain_head FOR UPDATE`)).rows[0];
      if (held.runs || held.events || held.stage || held.last_id) throw notEmpty(location, `${held.runs} runs, ${held.events} events and ${held.stage} stage rows`);
    },
    async meta(rows) {
      // A new ledger's settings are replaced by the source's: the chain is sealed as it was.
      await q('DELETE FROM opscockpit.ledger_meta');
      for (const [name, value] of rows) await q('INSERT INTO opscockpit.ledger_meta (name, value) VALUES ($1, $2)', [name, value]);
    },
    async runs(rows) {
      await q(
        `INSERT INTO opscockpit.runs (${RUN_FIELDS}) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
           $7::text[], $8::text[], $9::bigint[], $10::bigint[], $11::bigint[], $12::text[], $13::text[])`,
        columns(rows, RUN_FIELDS),
      );
    },
    async events(rows) {
      await q(
        `INSERT INTO opscockpit.events (${EVENT_FIELDS}) SELECT * FROM unnest($1::bigint[], $2::text[], $3::int[], $4::bigint[], $5::text[], $6::text[],
           $7::text[], $8::text[], $9::bytea[], $10::bytea[], $11::text[])`,
        columns(rows, EVENT_FIELDS),
      );
    },
    async head(id, hash) {
      await q('UPDATE opscockpit.chain_head SET last_id = $1, last_hash = $2', [id, hash]);
    },
    async stage(rows) {
      for (const r of rows)
        await q('INSERT INTO opscockpit.stage (stage, updated_at, updated_by, key_id, sig) VALUES ($1, $2, $3, $4, $5)', [r.stage, r.updated_at, r.updated_by, r.key_id, r.sig]);
    },
    async verify(chainKey) {
      const verification = await verifyPgOn(client!, location, chainKey);
      const { rows } = await q("SELECT (SELECT count(*) FROM opscockpit.runs) AS runs, last_id, encode(last_hash, 'hex') AS hash FROM opscockpit.chain_head");
      return { verification, runs: rows[0].runs, head: { id: rows[0].last_id, hash: rows[0].hash } };
    },
    async commit() {
      for (const [table, trigger] of STAMPING) await q(`ALTER TABLE ${table} ENABLE TRIGGER ${trigger}`);
      await q('COMMIT');
      await client!.end().catch(() => {});
      client = undefined;
    },
    async abort() {
      if (!client) return;
      await q('ROLLBACK').catch(() => {});
      await client.end().catch(() => {});
      client = undefined;
    },
  };
}
