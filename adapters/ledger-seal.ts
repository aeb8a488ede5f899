// What the hash chain does not cover by itself, sealed the way the chain is (SHA-256, or
// HMAC-SHA256 with the ledger's key): each run's row (its name, branch, start, …), and the
// chain's head kept outside the database in a file beside it, so that events cut off the end
// (with sqlite_sequence rewound to match) are still found missing. Without a key a seal only
// shows accidental damage: whoever can write the files can recompute it.
import { createHash, createHmac } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../src/evidence/record.js';
import { hmacKey } from './ledger-chain.js';
import { PRIVATE } from './ledger-path.js';

/** The run fields that never change after a run starts (status, end and note do). */
export interface SealedRunFields {
  runId: string;
  runbook: string;
  name: string;
  branch: string | null;
  commitSha: string | null;
  backlogId: string | null;
  releaseType: string | null;
  startedAt: number;
}

function digestOf(key: string | undefined, text: string): string {
  return (key === undefined ? createHash('sha256') : createHmac('sha256', hmacKey(key))).update(text).digest('hex');
}

/** A run row's seal; `key` only for a keyed ledger. */
export function sealRun(key: string | undefined, r: SealedRunFields): string {
  return digestOf(key, JSON.stringify(['opscockpit-run/v1', r.runId, r.runbook, r.name, r.branch, r.commitSha, r.backlogId, r.releaseType, r.startedAt]));
}

/** The sealed fields as the runs table holds them, in this column order. */
export const SEALED_RUN_COLUMNS = 'run_id, runbook, name, branch, commit_sha, backlog_id, release_type, started_at';
export type SealedRunRow = [string, string, string, string | null, string | null, string | null, string | null, number];

/** The seal of a row read with SEALED_RUN_COLUMNS. */
export function sealRunRow(key: string | undefined, [runId, runbook, name, branch, commitSha, backlogId, releaseType, startedAt]: SealedRunRow): string {
  return sealRun(key, { runId, runbook, name, branch, commitSha, backlogId, releaseType, startedAt });
}

/** The chain's head as last written beside the ledger: an event that must exist, with this hash. */
export interface ChainHead {
  id: number;
  hash: string;
}

export const headPath = (ledgerFile: string) => `${ledgerFile}.head`;

const headText = (h: ChainHead) => JSON.stringify(['opscockpit-ledger-head/v1', h.id, h.hash]);

/**
 * Replace the head file (atomically, owner-only) unless it already names a later event: two
 * processes may write it, and a head that lags is still a true one.
 */
export function writeHead(ledgerFile: string, key: string | undefined, head: ChainHead): void {
  const current = readHeadLoosely(ledgerFile);
  if (current && current.id >= head.id) return;
  // Renamed into place, not fsynced: an action waits for its intent to be on disk, not for
  // this file, and a head lost to a power cut only lags.
  writeFileAtomic(headPath(ledgerFile), JSON.stringify({ ...head, sig: digestOf(key, headText(head)) }) + '\n', PRIVATE, false);
}

function readHeadLoosely(ledgerFile: string): ChainHead | undefined {
  try {
    const h = JSON.parse(readFileSync(headPath(ledgerFile), 'utf8')) as ChainHead;
    return Number.isSafeInteger(h.id) ? h : undefined;
  } catch {
    return undefined;
  }
}

export type HeadRead = { state: 'none' } | { state: 'ok'; head: ChainHead } | { state: 'bad'; why: string };

/** The head file, checked against its seal. */
export function readHead(ledgerFile: string, key: string | undefined): HeadRead {
  const file = headPath(ledgerFile);
  if (!existsSync(file)) return { state: 'none' };
  let h: { id?: unknown; hash?: unknown; sig?: unknown };
  try {
    h = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return { state: 'bad', why: `the head file ${file} is not readable JSON` };
  }
  if (!Number.isSafeInteger(h.id) || typeof h.hash !== 'string' || typeof h.sig !== 'string') return { state: 'bad', why: `the head file ${file} is damaged` };
  const head = { id: h.id as number, hash: h.hash };
  if (digestOf(key, headText(head)) !== h.sig) return { state: 'bad', why: `the head file ${file} does not match its seal${key ? ' (made with another key, or edited)' : ' (edited)'}` };
  return { state: 'ok', head };
}

/**
 * What verify says of the runs table, from both backends' rows: each row against its seal
 * (rows are the sealed columns, then the seal), and runs marked ended that no run.completed
 * event ends (`endedWithoutCompletion`: run id and status).
 */
export function runRowProblems(rows: Iterable<[...SealedRunRow, string | null]>, sealKey: string | undefined, endedWithoutCompletion: Iterable<[string, string]>): string[] {
  const problems: string[] = [];
  for (const row of rows) {
    const [runId, seal] = [row[0], row[8]];
    if (seal === null) problems.push(`run ${runId} has no seal: its row was edited, or added, after the ledger was written`);
    else if (seal !== sealRunRow(sealKey, row.slice(0, 8) as SealedRunRow))
      problems.push(`run ${runId}: its row (runbook, name, branch, commit, backlog, type or start time) was edited after it was written`);
  }
  for (const [runId, status] of endedWithoutCompletion) problems.push(`run ${runId} is marked ${status.replace('_', ' ')}, but no run.completed event ends it: its status was edited`);
  return problems;
}

/** Runs marked ended whose events started them (run.started) and never ended them; `t` is the schema prefix. */
export const endedWithoutCompletionSql = (t = '') =>
  `SELECT run_id, status FROM ${t}runs r WHERE status <> 'running'
     AND EXISTS (SELECT 1 FROM ${t}events e WHERE e.run_id = r.run_id AND e.kind = 'run.started')
     AND NOT EXISTS (SELECT 1 FROM ${t}events e WHERE e.run_id = r.run_id AND e.kind = 'run.completed') LIMIT 5`;
