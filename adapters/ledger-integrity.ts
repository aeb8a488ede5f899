// What verify checks besides the chain itself: the key the chain is sealed with, each run's
// row against its seal, events whose run is gone, and the head file beside the ledger (events
// cut off the end with sqlite_sequence rewound to match). Each finding is one line for the
// operator; a problem fails verify, a note does not.
import type Database from 'better-sqlite3';
import type { ChainSettings } from './ledger-migrations.js';
import { endedWithoutCompletionSql, headPath, readHead, runRowProblems, SEALED_RUN_COLUMNS, type SealedRunRow } from './ledger-seal.js';

export interface IntegrityFindings {
  problems: string[];
  notes: string[];
}


/** The chain's key as verify must see it: with a key set, only a chain sealed with that key passes. */
export function keyProblem(chain: ChainSettings, key: string | undefined): string | undefined {
  if (key !== undefined && chain.algorithm === 'sha256')
    return "OPSCOCKPIT_LEDGER_KEY is set, but this ledger's chain is plain SHA-256 (unkeyed): it proves nothing against whoever can write the file, so with a key set it does not pass";
  return undefined;
}

export function checkIntegrity(db: Database.Database, file: string | undefined, chain: ChainSettings, key: string | undefined, lastId: number): IntegrityFindings {
  const problems: string[] = [];
  const notes: string[] = [];
  const sealKey = chain.algorithm === 'hmac-sha256' ? key : undefined;
  const kp = keyProblem(chain, key);
  if (kp) problems.push(kp);
  if (hasSealColumn(db)) checkRuns(db, sealKey, problems);
  else notes.push('written before run rows were sealed: open it once with this opscockpit to seal them');
  const orphans = db.prepare('SELECT DISTINCT run_id FROM events WHERE run_id NOT IN (SELECT run_id FROM runs) LIMIT 3').pluck().all() as string[];
  if (orphans.length) problems.push(`events of run ${orphans.join(', ')} have no run row: the run was deleted from the runs table`);
  if (file) checkHead(file, db, chain, sealKey, lastId, problems, notes);
  return { problems, notes };
}

function checkRuns(db: Database.Database, sealKey: string | undefined, problems: string[]): void {
  // Every run row carries a seal from v5 on (runs before it were sealed by the migration). A
  // run that its events started (run.started) and never ended is still running, whatever its
  // row says. (Harvest runs record no run.started and end in their row alone.)
  const rows = db.prepare(`SELECT ${SEALED_RUN_COLUMNS}, seal FROM runs`).raw().iterate() as IterableIterator<[...SealedRunRow, string | null]>;
  const ended = db.prepare(endedWithoutCompletionSql()).raw().all() as [string, string][];
  problems.push(...runRowProblems(rows, sealKey, ended));
}

const hasSealColumn = (db: Database.Database) => (db.prepare("SELECT COUNT(*) FROM pragma_table_info('runs') WHERE name = 'seal'").pluck().get() as number) > 0;

function checkHead(file: string, db: Database.Database, chain: ChainSettings, sealKey: string | undefined, lastId: number, problems: string[], notes: string[]): void {
  // Head files came with run seals (v5): a sealed ledger without head_from had it removed.
  const headFrom = chain.headFrom ?? (hasSealColumn(db) ? 0 : undefined);
  if (headFrom === undefined) return; // written before head files
  const read = readHead(file, sealKey);
  if (read.state === 'bad') return void problems.push(read.why);
  if (read.state === 'none') {
    if (lastId <= headFrom) return;
    const missing = `no head file (${headPath(file)}) beside the ledger`;
    if (sealKey) problems.push(`${missing}: a keyed ledger keeps one; without it events cut off the end cannot be ruled out`);
    else notes.push(`${missing}: events cut off the end cannot be ruled out`);
    return;
  }
  const { head } = read;
  if (head.id > lastId) {
    problems.push(`events #${lastId + 1}–#${head.id} are missing: the head file beside the ledger says the chain reached event #${head.id}`);
    return;
  }
  const stored = db.prepare('SELECT lower(hex(hash)) FROM events WHERE id = ?').pluck().get(head.id) as string | undefined;
  if (stored !== head.hash) problems.push(`event #${head.id} is not the event the head file beside the ledger names: the chain was rewritten`);
}
