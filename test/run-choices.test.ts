// The run's choices in the ledger (a real SQLite file): recorded as run.choices beside
// run.params when the run starts and when it resumes, shown in the Ledger panel's words; and a
// start that would resume the open run with other options is refused before it takes the run
// or records anything.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLedger } from '../adapters/ledger.js';
import { letGo } from '../adapters/ledger-leases.js';
import { parseMarkdownRunbook } from '../src/runbook/markdown/load.js';
import { systemClock } from '../src/engine/ports.js';
import type { LedgerStore } from '../src/engine/ledger-store.js';
import { SqliteStore } from '../adapters/sqlite-store.js';
import { openRun, seatRunValues, ResumeConflictError } from '../src/session/run-lifecycle.js';
import { describeEvent } from '../screens/presentation.js';
import { ROTATE_MD } from './support/rotate-runbook.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

const runbook = (params: Record<string, string>, choose: Record<string, string>) => parseMarkdownRunbook(ROTATE_MD, '/srv/runbooks/rotate.md', {}, params, choose);

/** A start as the session makes it: the run opened (or resumed) and its start recorded, in one transaction. */
async function start(ledger: LedgerStore, rb: ReturnType<typeof runbook>) {
  const opened = await openRun(ledger, rb, systemClock, { asserted: 'alice' });
  letGo(opened.holder); // this start's process is gone: the next one resumes the run
  return opened.run.runId;
}

describe('run.choices in the ledger', () => {
  it('is recorded at the start and at the resume, and a start with other values is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oc-run-choices-'));
    dirs.push(dir);
    const ledger = openLedger(join(dir, 'ledger.db'));
    const store = new SqliteStore(ledger, join(dir, 'ledger.db'));
    try {
      const runId = await start(store, runbook({ ticket: 'CHG-7', region: 'us' }, { choice: 'macos' }));
      const first = ledger.events(runId);
      expect(first.map((e) => e.body)).toEqual([
        { kind: 'run.started', runbook: '/srv/runbooks/rotate.md', name: 'Rotate the queue credentials' },
        { kind: 'run.params', params: { ticket: 'CHG-7', region: 'us' } },
        { kind: 'run.choices', choices: { choice: 'macos' } },
      ]);
      expect(describeEvent(first[2])).toBe('chosen: choice=macos');
      expect(await seatRunValues(store, { file: '/srv/runbooks/rotate.md', key: '/srv/runbooks/rotate.md' }, systemClock.now(), {})).toEqual({ runId, recorded: { params: { ticket: 'CHG-7', region: 'us' }, choices: { choice: 'macos' } } });

      // Another option: refused, naming the run's; nothing recorded, the run not taken.
      const other = runbook({ ticket: 'CHG-7', region: 'us' }, { choice: 'linux' });
      await expect(openRun(store, other, systemClock)).rejects.toThrow(ResumeConflictError);
      await expect(openRun(store, other, systemClock)).rejects.toThrow(/This start gives choice=linux \(the run has choice=macos\)\./);
      expect(ledger.events(runId)).toHaveLength(3);

      // The same values: the run resumes and records what it goes on with.
      expect(await start(store, runbook({ ticket: 'CHG-7', region: 'us' }, { choice: 'macos' }))).toBe(runId);
      expect(ledger.events(runId).slice(3).map((e) => e.body)).toEqual([
        { kind: 'run.resumed' },
        { kind: 'run.params', params: { ticket: 'CHG-7', region: 'us' } },
        { kind: 'run.choices', choices: { choice: 'macos' } },
      ]);
    } finally {
      ledger.close();
    }
  });
});
