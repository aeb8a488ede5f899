// Evidence: atomic versioned files recorded in the ledger, locking, and tamper checks.
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SqliteLedger } from '../adapters/ledger.js';
import type { EvidenceDoc } from '../src/engine/gate-types.js';
import { EvidenceError, harvestFile } from '../src/evidence/harvest.js';
import { archivePath, evidenceEvents, lockEvidence, readEvidence, recordEvidence, verifyEvidence, writeFileAtomic } from '../src/evidence/store.js';
import { useEvidenceDir, T, sha, dir, file, ledger, BASIC } from './support/evidence-files.js';

useEvidenceDir();

const doc0 = async (name = 'reqlog.csv') => harvestFile(file(name, BASIC), { kind: 'reqlog' });
const recorded = (l: SqliteLedger, path: string) => evidenceEvents(l, path).map((e) => e.body);

describe('evidence store', () => {
  it('writes atomically: a failed write leaves the old file and no temp files', () => {
    const path = join(dir, 'out', 'perf.json');
    writeFileAtomic(path, '{"v":1}\n');
    expect(readFileSync(path, 'utf8')).toBe('{"v":1}\n');
    writeFileAtomic(path, '{"v":2}\n');
    expect(readFileSync(path, 'utf8')).toBe('{"v":2}\n');
    expect(readdirSync(join(dir, 'out'))).toEqual(['perf.json']);
    // A non-empty folder in the way: the rename fails after the temp file was written.
    const blocked = join(dir, 'out', 'blocked.json');
    mkdirSync(join(blocked, 'inside'), { recursive: true });
    expect(() => writeFileAtomic(blocked, 'x')).toThrow(EvidenceError);
    expect(readdirSync(join(dir, 'out')).sort()).toEqual(['blocked.json', 'perf.json']);
  });

  it('records WIP versions, locks one, refuses to rewrite it, and keeps it when v+1 is harvested', async () => {
    const l = ledger();
    const run = l.startRun({ runbook: '/rb.yaml', name: 'cutover' }, T);
    const path = join(dir, 'evidence', 'latest.json');
    const doc = await doc0();

    const v1 = recordEvidence(l, run.runId, 'ana', path, doc, T + 1);
    expect(v1).toMatchObject({ version: 1, state: 'WIP', warnings: [] });
    expect(v1.sha256).toBe(sha(readFileSync(path)));
    expect(readEvidence(path)).toMatchObject({ state: 'WIP', version: 1, overall: { samples: 6 } });

    // A later run continues the numbering: the ledger, not the run, holds the versions.
    const run2 = l.startRun({ runbook: '/rb.yaml', name: 'cutover 2' }, T + 2);
    const v2 = recordEvidence(l, run2.runId, 'bo', path, doc, T + 3);
    expect(v2.version).toBe(2);

    const locked = lockEvidence(l, run2.runId, 'bo', path, T + 4);
    expect(locked).toMatchObject({ version: 2, state: 'LOCKED' });
    expect(locked.sha256).not.toBe(v2.sha256);
    expect(locked.sha256).toBe(sha(readFileSync(path)));
    expect(readEvidence(path)).toMatchObject({ state: 'LOCKED', version: 2 });
    expect(statSync(path).mode & 0o222).toBe(0); // read-only
    expect(lockEvidence(l, run2.runId, 'bo', path, T + 5).sha256).toBe(locked.sha256); // again: no change

    expect(() => recordEvidence(l, run2.runId, 'bo', path, { ...doc, version: 2 }, T + 6)).toThrow('evidence v2 is LOCKED; a new harvest makes v3');
    expect(readEvidence(path)).toMatchObject({ state: 'LOCKED', version: 2 });

    const v3 = recordEvidence(l, run2.runId, 'bo', path, doc, T + 7);
    expect(v3).toMatchObject({ version: 3, state: 'WIP', archived: join(dir, 'evidence', 'latest-v2.json') });
    expect(archivePath(path, 2)).toBe(v3.archived);
    expect(sha(readFileSync(v3.archived!))).toBe(locked.sha256);
    expect(verifyEvidence(l, v3.archived!)).toMatchObject({ tampered: false, state: 'LOCKED', version: 2 });
    expect(verifyEvidence(l, path)).toMatchObject({ tampered: false, state: 'WIP', version: 3 });
    // Still refused after it moved.
    expect(() => recordEvidence(l, run2.runId, 'bo', path, { ...doc, version: 2 }, T + 8)).toThrow('evidence v2 is LOCKED; a new harvest makes v4');

    // A WIP version may be rewritten as itself; other versions are refused.
    expect(recordEvidence(l, run2.runId, 'bo', path, { ...doc, version: 3 }, T + 9).version).toBe(3);
    expect(() => recordEvidence(l, run2.runId, 'bo', path, { ...doc, version: 9 }, T + 10)).toThrow('is at v3; leave the version out to write v4');

    expect(recorded(l, path).map((b) => b.kind === 'evidence.recorded' && `v${b.version} ${b.state}`)).toEqual([
      'v1 WIP',
      'v2 WIP',
      'v2 LOCKED',
      'v3 WIP',
      'v3 WIP',
    ]);
    const all = evidenceEvents(l);
    expect(all.map((e) => e.runId)).toEqual([run.runId, ...Array(5).fill(run2.runId)]);
    expect(all.every((e) => e.body.kind === 'evidence.recorded' && e.body.samples === 6)).toBe(true);
  });

  it('detects a file edited by hand or removed, and refuses to lock it', async () => {
    const l = ledger();
    const run = l.startRun({ runbook: '/rb.yaml', name: 'cutover' }, T);
    const path = join(dir, 'latest.json');
    expect(verifyEvidence(l, path)).toEqual({ tampered: false, expected: null, actual: null });
    const w = recordEvidence(l, run.runId, 'ana', path, await doc0(), T + 1);
    expect(verifyEvidence(l, path)).toEqual({ tampered: false, expected: w.sha256, actual: w.sha256, version: 1, state: 'WIP' });

    const edited = readFileSync(path, 'utf8').replace('"p99_ms": 300', '"p99_ms": 30');
    writeFileSync(path, edited);
    expect(verifyEvidence(l, path)).toEqual({ tampered: true, expected: w.sha256, actual: sha(edited), version: 1, state: 'WIP' });
    expect(() => lockEvidence(l, run.runId, 'ana', path, T + 2)).toThrow(/changed since it was recorded.*harvest again before locking/);
    expect(recorded(l, path).at(-1)).toEqual({ kind: 'evidence.tampered', path, expected: w.sha256, actual: sha(edited) });

    unlinkSync(path);
    expect(verifyEvidence(l, path)).toMatchObject({ tampered: true, expected: w.sha256, actual: null });

    // A new harvest over a tampered WIP file goes ahead, says so, and records it.
    const v2 = recordEvidence(l, run.runId, 'ana', path, await doc0(), T + 3);
    expect(v2.version).toBe(2);
    expect(v2.warnings).toEqual([`evidence ${path} v1 went missing since it was recorded (recorded as tampered)`]);
    expect(verifyEvidence(l, path).tampered).toBe(false);
  });

  it('never replaces a LOCKED version that was edited; a missing one is recorded and replaced', async () => {
    const l = ledger();
    const run = l.startRun({ runbook: '/rb.yaml', name: 'cutover' }, T);
    const path = join(dir, 'latest.json');
    recordEvidence(l, run.runId, 'ana', path, await doc0(), T + 1);
    const locked = lockEvidence(l, run.runId, 'ana', path, T + 2);
    writeFileSync(path, '{"forged": true}\n');
    expect(() => recordEvidence(l, run.runId, 'ana', path, asFresh(locked.doc), T + 3)).toThrow(/v1 is LOCKED but changed since/);
    expect(readFileSync(path, 'utf8')).toBe('{"forged": true}\n');
    unlinkSync(path);
    const v2 = recordEvidence(l, run.runId, 'ana', path, asFresh(locked.doc), T + 4);
    expect(v2).toMatchObject({ version: 2, state: 'WIP', archived: undefined });
    expect(existsSync(archivePath(path, 1))).toBe(false);
    expect(recorded(l, path).filter((b) => b.kind === 'evidence.tampered')).toHaveLength(2);
  });
});

/** A LOCKED document fed back as a fresh harvest (no version). */
function asFresh(doc: EvidenceDoc): EvidenceDoc {
  return { ...doc, version: undefined, state: undefined };
}
