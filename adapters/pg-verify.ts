// `ledger verify` on a PostgreSQL ledger: the same walk over the same chain as on SQLite
// (ledger-walk.ts), with rows read in pages from one snapshot. What SQLite's sqlite_sequence and
// head file tell there, the chain head row tells here: the last id handed out and its hash.
import type pg from 'pg';
import type { RunStatus } from '../src/engine/ports.js';
import { GENESIS, keyCheck } from './ledger-chain.js';
import { LedgerError } from './ledger-errors.js';
import { hexRowHasher } from './ledger-hasher.js';
import { keyProblem } from './ledger-integrity.js';
import { endedWithoutCompletionSql, runRowProblems, SEALED_RUN_COLUMNS, type SealedRunRow } from './ledger-seal.js';
import { ChainWalk, judgeChain, type LedgerVerification, type VerifyRow } from './ledger-walk.js';
import { isConnectionError, pgClient, pgTarget, unreachable } from './pg-connect.js';
import { checkSchema, readPgChainSettings } from './pg-schema.js';

const PAGE = 10_000;

export async function verifyPgLedger(url: string, opts: { chainKey?: string } = {}): Promise<LedgerVerification> {
  const { client, location } = await connectedPgClient(url);
  try {
    // One snapshot for every read below: appends meanwhile are not seen.
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const v = await verifyPgOn(client, location, opts.chainKey);
    await client.query('COMMIT');
    return v;
  } catch (err) {
    if (isConnectionError(err)) throw unreachable(pgTarget(url), err);
    throw err;
  } finally {
    await client.end().catch(() => {});
  }
}

/** A client on the ledger at `url`, its schema checked; the connection's failures explained. */
export async function connectedPgClient(url: string): Promise<{ client: pg.Client; location: string }> {
  const target = pgTarget(url);
  const client = pgClient(url);
  client.on('error', () => {});
  try {
    await client.connect();
    await checkSchema(client, target.location);
    return { client, location: target.location };
  } catch (err) {
    await client.end().catch(() => {});
    throw isConnectionError(err) ? unreachable(target, err) : err;
  }
}

/** Verify on a connection inside a transaction the caller opened (and ends): what it wrote counts too. */
export async function verifyPgOn(client: pg.ClientBase, location: string, key: string | undefined): Promise<LedgerVerification> {
  const chain = await readPgChainSettings(client);
  if (chain.algorithm === 'hmac-sha256') {
    if (key === undefined) throw new LedgerError(`ledger ${location} is sealed with a key: set OPSCOCKPIT_LEDGER_KEY to that key to verify it.`);
    if (keyCheck(key) !== chain.keyCheck) {
      const events = Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM opscockpit.events')).rows[0].n);
      const problems = ['the chain is sealed with another key than OPSCOCKPIT_LEDGER_KEY: nothing in it is vouched for by this key (a wrong key, or a ledger rewritten with a key of its own)'];
      return { ok: false, events, runMismatches: [], problems, notes: [], chain };
    }
  }
  const sealKey = chain.algorithm === 'hmac-sha256' ? key : undefined;
  const walk = new ChainWalk(hexRowHasher(sealKey), 0, GENESIS.toString('hex'));
  const page = `SELECT id, run_id, seq, at, kind, step, operator, payload, encode(prev_hash, 'hex'), encode(hash, 'hex')
                  FROM opscockpit.events WHERE id > $1 ORDER BY id LIMIT ${PAGE}`;
  for (;;) {
    const { rows } = await client.query<VerifyRow>({ text: page, values: [walk.lastId], rowMode: 'array' });
    if (!rows.length) break;
    walk.add(rows);
  }
  const scan = walk.scan();
  const head = (await client.query<{ last_id: number; last_hash: string }>("SELECT last_id, encode(last_hash, 'hex') AS last_hash FROM opscockpit.chain_head")).rows[0];
  const status = new Map((await client.query<[string, RunStatus]>({ text: 'SELECT run_id, status FROM opscockpit.runs', rowMode: 'array' })).rows);
  const problems: string[] = [];
  const kp = keyProblem(chain, key);
  if (kp) problems.push(kp);
  await checkRuns(client, sealKey, problems);
  if (head && head.last_id === scan.lastId && scan.lastId > 0) {
    const last = (await client.query<{ h: string }>("SELECT encode(hash, 'hex') AS h FROM opscockpit.events WHERE id = $1", [scan.lastId])).rows[0];
    if (last?.h !== head.last_hash) problems.push(`event #${scan.lastId} is not the event the chain head names: the chain was rewritten`);
  } else if (head && head.last_id < scan.lastId) {
    problems.push(`events #${head.last_id + 1}–#${scan.lastId} were not appended through the ledger: the chain head stops at event #${head.last_id}`);
  }
  return judgeChain(scan, { usedThrough: head?.last_id ?? 0, status, findings: { problems, notes: [] }, chain });
}

/** Each run's row against its seal, and runs marked ended that no run.completed event ends. */
async function checkRuns(client: pg.ClientBase, sealKey: string | undefined, problems: string[]): Promise<void> {
  const { rows } = await client.query<[...SealedRunRow, string | null]>({ text: `SELECT ${SEALED_RUN_COLUMNS}, seal FROM opscockpit.runs ORDER BY started_at, run_id`, rowMode: 'array' });
  const ended = await client.query<[string, string]>({ text: endedWithoutCompletionSql('opscockpit.'), rowMode: 'array' });
  problems.push(...runRowProblems(rows, sealKey, ended.rows));
}
