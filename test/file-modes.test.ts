// What opscockpit creates for a ledger is its owner's alone: the .opscockpit/ folder 0700, the
// ledger file and its -wal and -shm files 0600, the stage file 0600.
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openLedger } from '../adapters/ledger.js';
import { loadStageKeys, writeStage } from '../adapters/stage-file.js';
import { cli } from './support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'oc-modes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const mode = (path: string) => statSync(path).mode & 0o777;

describe('file modes', () => {
  it('check beside a runbook: .opscockpit/ is 0700 and the ledger 0600', async () => {
    const runbook = join(dir, 'rb.yaml');
    writeFileSync(runbook, 'version: 1\nname: modes\nchecklists:\n  preflight:\n    - { id: a, title: A manual step }\n');
    const r = await cli(['check', runbook]);
    expect(r.stderr).toBe('');
    expect(mode(join(dir, '.opscockpit'))).toBe(0o700);
    expect(mode(join(dir, '.opscockpit', 'ledger.db'))).toBe(0o600);
  });

  it('the -wal and -shm files of an open ledger, and the stage file, are 0600', () => {
    const file = join(dir, 'deep', 'er', 'ledger.db');
    const ledger = openLedger(file);
    try {
      ledger.startRun({ runbook: '/x.yaml', name: 'x' }, Date.now());
      for (const f of [file, `${file}-wal`, `${file}-shm`]) expect(mode(f), f).toBe(0o600);
      expect(mode(join(dir, 'deep'))).toBe(0o700);
    } finally {
      ledger.close();
    }
    const stage = join(dir, 'stage', 'stage.json');
    writeStage(stage, 'canary', 'ana', loadStageKeys({ OPSCOCKPIT_STAGE_KEY: 'k'.repeat(32) }), Date.now());
    expect(mode(stage)).toBe(0o600);
  });
});
