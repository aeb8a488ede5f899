// The PostgreSQL ledger's schema (schema `opscockpit`): versioned migrations recorded in
// opscockpit.schema_migrations, applied by `opscockpit ledger init` as the ledger's owner,
// and the group role `opscockpit_operator` that operators' logins are members of. Operators
// may read everything and append events, but not change or remove one: events carry no
// UPDATE or DELETE grant, and the operator on each event is the login (session_user), stamped
// by the database whatever the client sends.
import type pg from 'pg';
import { GENESIS, keyCheck } from './ledger-chain.js';
import { LedgerError } from './ledger-errors.js';
import type { ChainSettings } from './ledger-migrations.js';

export const OPERATOR_ROLE = 'opscockpit_operator';
/** NOTIFY channel: the payload is the run id that got events. */
export const CHANNEL = 'opscockpit_ledger';

// Never edit a released entry: add a new one.
export const PG_MIGRATIONS: readonly { description: string; sql: string }[] = [
  {
    description: 'runs, events with their hash chain, the chain head, run leases, the operator role',
    sql: `
CREATE TABLE opscockpit.ledger_meta (name text PRIMARY KEY, value text NOT NULL);
CREATE TABLE opscockpit.runs (
  run_id       text PRIMARY KEY,
  runbook      text NOT NULL,
  name         text NOT NULL,
  status       text NOT NULL CHECK (status IN ('running','succeeded','failed','aborted','rolled_back')),
  branch       text,
  commit_sha   text,
  backlog_id   text,
  release_type text,
  started_at   bigint NOT NULL,
  released_at  bigint,
  completed_at bigint,
  note         text,
  seal         text
);
CREATE INDEX runs_started_run ON opscockpit.runs (started_at, run_id);
CREATE INDEX runs_runbook_status ON opscockpit.runs (runbook, status);
-- id is the chain's order, handed out under the head's lock (it is part of each hash).
CREATE TABLE opscockpit.events (
  id              bigint PRIMARY KEY,
  run_id          text NOT NULL REFERENCES opscockpit.runs (run_id),
  seq             integer NOT NULL,
  at              bigint NOT NULL,
  kind            text NOT NULL,
  step            text,
  operator        text NOT NULL DEFAULT session_user,
  display_name    text,
  payload         text NOT NULL,
  prev_hash       bytea NOT NULL DEFAULT '\\x',
  hash            bytea NOT NULL,
  idempotency_key text,
  UNIQUE (run_id, seq)
);
CREATE UNIQUE INDEX events_idempotency_key ON opscockpit.events (idempotency_key) WHERE idempotency_key IS NOT NULL;
-- Whatever the client sends, the operator is the login.
CREATE FUNCTION opscockpit.stamp_operator() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.operator := session_user; RETURN NEW; END $$;
CREATE TRIGGER events_stamp_operator BEFORE INSERT ON opscockpit.events
  FOR EACH ROW EXECUTE FUNCTION opscockpit.stamp_operator();
CREATE FUNCTION opscockpit.notify_append() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_notify('${CHANNEL}', NEW.run_id); RETURN NULL; END $$;
CREATE TRIGGER events_notify AFTER INSERT ON opscockpit.events
  FOR EACH ROW EXECUTE FUNCTION opscockpit.notify_append();
-- The chain's head: one row, locked FOR UPDATE by every append, so appends are serialised.
CREATE TABLE opscockpit.chain_head (
  one       boolean PRIMARY KEY DEFAULT true CHECK (one),
  last_id   bigint NOT NULL,
  last_hash bytea NOT NULL
);
INSERT INTO opscockpit.chain_head (last_id, last_hash) VALUES (0, '\\x${GENESIS.toString('hex')}');
CREATE TABLE opscockpit.run_leases (
  run_id       text PRIMARY KEY,
  pid          integer NOT NULL,
  host         text NOT NULL,
  token        text NOT NULL,
  taken_at     bigint NOT NULL,
  heartbeat_at bigint NOT NULL
);
GRANT USAGE ON SCHEMA opscockpit TO ${OPERATOR_ROLE};
GRANT SELECT ON ALL TABLES IN SCHEMA opscockpit TO ${OPERATOR_ROLE};
GRANT INSERT ON opscockpit.events, opscockpit.runs, opscockpit.run_leases TO ${OPERATOR_ROLE};
GRANT UPDATE (status, completed_at, released_at, note) ON opscockpit.runs TO ${OPERATOR_ROLE};
GRANT UPDATE ON opscockpit.chain_head TO ${OPERATOR_ROLE};
GRANT UPDATE, DELETE ON opscockpit.run_leases TO ${OPERATOR_ROLE};`,
  },
  {
    description: 'the release stage as signed rows, the runs change counter',
    sql: `
-- The release stage (stable / canary / promoted): one row per move, signed as stage.json is
-- (stage-file.ts); the newest row is the stage. The mover each signature covers is the login,
-- stamped by the database, so a row signed for another name does not verify.
CREATE TABLE opscockpit.stage (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  stage      text NOT NULL,
  updated_at bigint NOT NULL,
  updated_by text NOT NULL DEFAULT session_user,
  key_id     text NOT NULL,
  sig        text NOT NULL
);
CREATE FUNCTION opscockpit.stamp_stage_mover() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.updated_by := session_user; RETURN NEW; END $$;
CREATE TRIGGER stage_stamp_mover BEFORE INSERT ON opscockpit.stage
  FOR EACH ROW EXECUTE FUNCTION opscockpit.stamp_stage_mover();
GRANT SELECT, INSERT ON opscockpit.stage TO ${OPERATOR_ROLE};
-- A run's row changes without an event (its end): this counter moves with every change, so a
-- screen can tell "nothing changed" from the chain head and this alone.
CREATE SEQUENCE opscockpit.run_changes;
CREATE FUNCTION opscockpit.count_run_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM nextval('opscockpit.run_changes'); RETURN NULL; END $$;
CREATE TRIGGER runs_changed AFTER INSERT OR UPDATE ON opscockpit.runs
  FOR EACH STATEMENT EXECUTE FUNCTION opscockpit.count_run_change();
GRANT USAGE, SELECT ON SEQUENCE opscockpit.run_changes TO ${OPERATOR_ROLE};`,
  },
  {
    description: 'run leases name their driver and the reason they gave',
    sql: `
ALTER TABLE opscockpit.run_leases ADD COLUMN driver text, ADD COLUMN reason text;`,
  },
  {
    description: 'the evidence events in time order (the evidence lookup of gate checks)',
    sql: `
CREATE INDEX events_evidence_at ON opscockpit.events (at) WHERE kind IN ('evidence.recorded', 'evidence.tampered');`,
  },
];

const INIT_LOCK = "hashtext('opscockpit ledger init')";

/**
 * Creates or upgrades the schema and the operator role (idempotent; concurrent inits wait for
 * each other). `chainKey` seals a new ledger's chain with HMAC; an existing chain keeps its own.
 * Returns the versions applied now.
 */
export async function initSchema(client: pg.ClientBase, chainKey: string | undefined): Promise<number[]> {
  await client.query('BEGIN');
  try {
    await client.query(`SELECT pg_advisory_xact_lock(${INIT_LOCK})`);
    // Roles are the cluster's, shared by its databases: another ledger may have made it.
    await client.query(`DO $$ BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${OPERATOR_ROLE}') THEN CREATE ROLE ${OPERATOR_ROLE} NOLOGIN; END IF;
      EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`);
    await client.query('CREATE SCHEMA IF NOT EXISTS opscockpit');
    await client.query(`CREATE TABLE IF NOT EXISTS opscockpit.schema_migrations (
        version integer PRIMARY KEY, description text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now(), applied_by text NOT NULL DEFAULT session_user)`);
    await client.query(`GRANT USAGE ON SCHEMA opscockpit TO ${OPERATOR_ROLE}`);
    await client.query(`GRANT SELECT ON opscockpit.schema_migrations TO ${OPERATOR_ROLE}`);
    const { rows } = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM opscockpit.schema_migrations');
    const current = rows[0].v ?? 0;
    if (current > PG_MIGRATIONS.length) throw newerSchema(current);
    const applied: number[] = [];
    for (let v = current; v < PG_MIGRATIONS.length; v++) {
      await client.query(PG_MIGRATIONS[v].sql);
      await client.query('INSERT INTO opscockpit.schema_migrations (version, description) VALUES ($1, $2)', [v + 1, PG_MIGRATIONS[v].description]);
      applied.push(v + 1);
    }
    if (current === 0) {
      const meta = [['chain', chainKey === undefined ? 'sha256' : 'hmac-sha256'], ['chained_at', String(Date.now())], ['legacy_through', '0'], ['prev_hash_through', '0']];
      if (chainKey !== undefined) meta.push(['key_check', keyCheck(chainKey)]);
      for (const [name, value] of meta) await client.query('INSERT INTO opscockpit.ledger_meta (name, value) VALUES ($1, $2)', [name, value]);
    }
    await client.query('COMMIT');
    return applied;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

const newerSchema = (v: number) => new LedgerError(`this PostgreSQL ledger was set up by a newer opscockpit (schema v${v}, this one knows v${PG_MIGRATIONS.length}). Upgrade opscockpit.`);

/** The schema is there and current; else what to do about it. */
export async function checkSchema(db: pg.Pool | pg.ClientBase, location: string): Promise<void> {
  let v: number;
  try {
    v = (await db.query<{ v: number | null }>('SELECT max(version) AS v FROM opscockpit.schema_migrations')).rows[0].v ?? 0;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === '42P01' || code === '3F000') throw new LedgerError(`${location} holds no opscockpit ledger yet: set it up once with "opscockpit ledger init --ledger postgres://OWNER@…" as the login that is to own it.`);
    if (code === '42501') throw new LedgerError(`${location}: login may not read the ledger (${(err as Error).message}). Grant it the role: GRANT ${OPERATOR_ROLE} TO <login>;`);
    throw err;
  }
  if (v > PG_MIGRATIONS.length) throw newerSchema(v);
  if (v < PG_MIGRATIONS.length) throw new LedgerError(`${location} has ledger schema v${v}, this opscockpit needs v${PG_MIGRATIONS.length}: run "opscockpit ledger init --ledger postgres://OWNER@…" as its owner to upgrade it.`);
}

export async function readPgChainSettings(db: pg.Pool | pg.ClientBase): Promise<ChainSettings> {
  const { rows } = await db.query<{ name: string; value: string }>('SELECT name, value FROM opscockpit.ledger_meta');
  const meta = new Map(rows.map((r) => [r.name, r.value]));
  return {
    algorithm: meta.get('chain') === 'hmac-sha256' ? 'hmac-sha256' : 'sha256',
    keyCheck: meta.get('key_check'),
    legacyThrough: Number(meta.get('legacy_through') ?? 0),
    chainedAt: Number(meta.get('chained_at') ?? 0),
    prevHashThrough: Number(meta.get('prev_hash_through') ?? 0),
  };
}
