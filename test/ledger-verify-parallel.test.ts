// `ledger verify` walks a large ledger in two halves at once (the second in a worker thread).
// The split walk must say exactly what one walk says: the same first break, the same counts,
// whatever is tampered with and wherever it sits relative to the split.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLedger } from '../adapters/ledger.js';
import { mergeScans, type RangeScan } from '../adapters/ledger-verify.js';
import { cli } from './support/cli.js';

const T0 = 1_700_000_000_000;

function build(): string {
  const dir = mkdtempSync(join(tmpdir(), 'oc-verify-par-'));
  const file = join(dir, 'ledger.db');
  const l = openLedger(file);
  const runs = ['a', 'b', 'c'].map((n, i) => l.startRun({ runbook: `/rb/${n}.yaml`, name: n }, T0 + i).runId);
  // Runs interleaved, so every run has events on both sides of any split.
  for (let i = 0; i < 600; i++) l.appendMany(runs[i % 3], 'ana', [{ kind: 'step.note', phase: 'preflight', step: 's', note: `n${i}` }], T0 + i);
  l.close();
  return file;
}

async function verifyBoth(file: string) {
  const run = async (splitMin: string) => {
    const r = await cli(['ledger', 'verify', '--ledger', file, '--json'], { env: { OPSCOCKPIT_VERIFY_SPLIT_MIN: splitMin } });
    const doc = JSON.parse(r.stdout);
    return { code: r.code, walks: doc.walks, doc: { ...doc, walks: undefined } };
  };
  const both = { split: await run('2'), single: await run('1000000000') };
  expect([both.split.walks, both.single.walks]).toEqual([2, 1]); // the split walk really ran in two halves
  return both;
}

describe('ledger verify in two halves', () => {
  it('an intact ledger: the same answer as one walk', async () => {
    const { split, single } = await verifyBoth(build());
    expect(split.code).toBe(0);
    expect(split.doc).toEqual(single.doc);
    expect(split.doc.events).toBe(600);
  });

  const cases: [string, string][] = [
    ['a payload edited in the second half', "UPDATE events SET payload = replace(payload, 'n450', 'nXXX') WHERE id = (SELECT id FROM events ORDER BY id LIMIT 1 OFFSET 450)"],
    ['a payload edited in the first half', "UPDATE events SET payload = replace(payload, 'n30', 'nYY') WHERE id = (SELECT id FROM events ORDER BY id LIMIT 1 OFFSET 30)"],
    ['the event right after the split deleted', 'DELETE FROM events WHERE id = (SELECT id FROM events ORDER BY id LIMIT 1 OFFSET 302)'],
    ['the event the split is made at edited', "UPDATE events SET operator = 'mallory' WHERE id = (SELECT id FROM events ORDER BY id LIMIT 1 OFFSET 301)"],
    ['rows cut off the end', 'DELETE FROM events WHERE id > (SELECT MAX(id) - 5 FROM events)'],
    ['edits in both halves', "UPDATE events SET at = at + 1 WHERE id IN ((SELECT id FROM events ORDER BY id LIMIT 1 OFFSET 100), (SELECT id FROM events ORDER BY id LIMIT 1 OFFSET 500))"],
  ];
  for (const [what, sql] of cases) {
    it(`${what}: the same first break as one walk`, async () => {
      const file = build();
      copyFileSync(file, `${file}.orig`);
      execFileSync('sqlite3', [file, `DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete; ${sql};`]);
      const { split, single } = await verifyBoth(file);
      expect(single.code).toBe(2);
      expect(split.code).toBe(2);
      expect(split.doc).toEqual(single.doc);
    });
  }

  it('merging: a run whose first event in the later half does not follow its last seq is a gap there', () => {
    const a: RangeScan = { events: 3, lastId: 3, lastRun: 'r1', lastSeqOfRow: 2, firstSeen: [], lastSeq: [['r1', 2], ['r2', 1]], completed: [] };
    const b: RangeScan = { events: 2, lastId: 5, lastRun: 'r2', lastSeqOfRow: 2, firstSeen: [['r1', 4, 4], ['r2', 2, 5]], lastSeq: [['r1', 4], ['r2', 2]], completed: [] };
    expect(mergeScans(a, b).broken).toEqual({ id: 4, runId: 'r1', seq: 4, reason: 'gap', expectedSeq: 3 });
    const ok: RangeScan = { ...b, firstSeen: [['r1', 3, 4], ['r2', 2, 5]] };
    expect(mergeScans(a, ok).broken).toBeUndefined();
    // A break inside the later half before the gap comes first; the earlier half's break beats both.
    expect(mergeScans(a, { ...b, broken: { id: 4, runId: 'r1', seq: 4, reason: 'hash mismatch' } }).broken?.reason).toBe('hash mismatch');
    expect(mergeScans({ ...a, broken: { id: 2, runId: 'r1', seq: 2, reason: 'hash mismatch' } }, b).broken?.id).toBe(2);
  });
});
