// The second half of a parallel `ledger verify` (see verifyLedgerFile): walks its id range on a
// read-only connection of its own and posts what it found.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { hexRowHasher } from './ledger-hasher.js';
import { scanRange } from './ledger-verify.js';

const { file, key, from, to, startPrev } = workerData as { file: string; key?: string; from: number; to: number; startPrev: string };
try {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const scan = db.transaction(() => scanRange(db, hexRowHasher(key), from, to, startPrev))();
    parentPort!.postMessage({ scan });
  } finally {
    db.close();
  }
} catch (err) {
  parentPort!.postMessage({ error: err instanceof Error ? err.message : String(err) });
}
