// Shared by the ledger adapter tests: a scratch folder, ledgers opened in it and closed after
// each test, and the rows of the events table as SQLite stores them.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll } from 'vitest';
import { openLedger, type SqliteLedger } from '../../adapters/ledger.js';
import type { MovedEvent } from '../../adapters/ledger-move.js';

export const T0 = Date.UTC(2026, 10, 23, 11, 22, 33);
export const RUNBOOK = '/srv/runbooks/release.yaml';

export let dir: string;
const open: SqliteLedger[] = [];
export function ledgerAt(file = path.join(dir, 'ledger.db'), opts?: Parameters<typeof openLedger>[1]) {
  const l = openLedger(file, opts);
  open.push(l);
  return l;
}

/** A scratch folder (`dir`), new after each test, and the ledgers opened closed. Call at a test file's top level. */
export function useLedgerDir(): void {
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opscockpit-ledger-'));
  });
  afterEach(() => {
    for (const l of open.splice(0)) l.close();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opscockpit-ledger-'));
  });
}

export const note = (n: string) => ({ kind: 'step.note', phase: 'preflight', step: 'db', note: n }) as const;

/** An event's row as SQLite stores it (the move's row, without its idempotency key). */
export type StoredEvent = Omit<MovedEvent, 'idempotency_key'>;
export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest();

/** Every event body of the newest runs of a ledger file (opened and closed again). */
export function allEvents(file: string, runs = 10): import('../../src/engine/types.js').EventBody[] {
  const l = openLedger(file);
  try {
    return l.listRuns(runs).flatMap((r) => l.events(r.runId).map((e) => e.body));
  } finally {
    l.close();
  }
}
