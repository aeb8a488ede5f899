// `opscockpit run` driven in-process: when the ledger stops taking writes mid-run (a full or
// failing disk), the run stops and says so instead of waiting forever for a step to move.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRunbook } from '../src/runbook/load.js';
import { openLedger } from '../adapters/ledger.js';
import { runProcedure } from '../src/session/headless-run.js';
import { SqliteStore } from '../adapters/sqlite-store.js';
import type { SqliteLedger } from '../adapters/ledger.js';

describe('headless run', () => {
  it('stops with the reason when a step cannot be recorded', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oc-run-'));
    const file = join(dir, 'rb.yaml');
    writeFileSync(file, 'version: 1\nname: Disk full\nchecks:\n  ok: { script: { command: /bin/true } }\nchecklists:\n  preflight:\n    - { id: one, check: ok }\n    - { id: two, check: ok }\n');
    const real = openLedger(join(dir, 'ledger.db'));
    let broken = false;
    // The real ledger, until the disk "fills" once the run has started: then every append
    // throws as SQLite would.
    const ledger = new Proxy(real, {
      get(target, prop, receiver) {
        if (prop === 'append')
          return (...args: Parameters<SqliteLedger['append']>) => {
            if (broken) throw new Error('SQLITE_FULL: database or disk is full');
            const ev = target.append(...args);
            if (ev.body.kind === 'run.started') broken = true;
            return ev;
          };
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const runbook = loadRunbook(file, {});
    const started = runProcedure({ runbook, ledger: new SqliteStore(ledger, join(dir, 'ledger.db')), ledgerPath: join(dir, 'ledger.db'), env: { PATH: process.env.PATH }, actions: [], yes: true });
    const report = await Promise.race([started, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 5000))]);
    expect(report).not.toBe('hung');
    if (report === 'hung') return;
    expect(report.outcome).toBe('action-failed');
    expect(report.stopped).toMatch(/preflight step "one" could not be recorded: .*SQLITE_FULL/);
    real.close();
  });
});
