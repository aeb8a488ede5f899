// Shared by the evidence tests: a scratch folder per test, files and ledgers in it, a small
// request log whose numbers the tests work out by hand, and percentiles by their definition.
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { openLedger, type SqliteLedger } from '../../adapters/ledger.js';

export const T = Date.UTC(2026, 10, 23, 10, 0, 0); // 2026-11-23T10:00:00Z
export const sha = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

export let dir: string;
const ledgers: SqliteLedger[] = [];

/** A fresh folder for each test (`dir`), and the ledgers opened in it closed after each. Call at a test file's top level. */
export function useEvidenceDir(): void {
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'oc-evidence-'));
  });
  afterEach(() => {
    for (const l of ledgers.splice(0)) l.close();
  });
}

export function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
export function ledger(name = 'ledger.db'): SqliteLedger {
  const l = openLedger(join(dir, name));
  ledgers.push(l);
  return l;
}

/** Percentile by the definition, written out independently of the code under test. */
export function reference(values: number[], p: number): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  // ceil(p/100 · n) in integers: p·n/100 rounded up.
  const rank = Math.max(1, Math.floor((p * values.length + 99) / 100));
  return sorted[rank - 1];
}

export const HEADER = 'ts,latency_ms,status,route\n';
// Six requests over two one-minute windows; see the expectations for the arithmetic.
export const BASIC =
  HEADER +
  '2026-11-23T10:00:05Z,120,200,/api/judge\n' +
  '2026-11-23T10:00:20.500Z,80,200,"/api/cards,trends"\n' +
  `${T + 30_000},300,503,/api/judge\n` +
  '2026-11-23T11:00:40+01:00,95,200,/readyz\n' +
  '2026-11-23T10:01:10Z,210,500,"/api/cards,trends"\n' +
  '"2026-11-23T10:01:50Z",60,404,/api/judge\n';
