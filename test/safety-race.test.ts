// One real-enable window, two `opscockpit act` processes at the same instant: exactly one of
// them may use it. Deciding and consuming happen in one write transaction, so the second
// process reads the window as used up and is refused.
//
// Both processes are started together on the same runbook; whichever takes the ledger's write
// lock first uses the window. (A runbook may not be a named pipe, which once let the test hold
// both at the same instant: opscockpit reads only regular files.)
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLedger } from '../adapters/ledger.js';
import { cli, type CliResult } from './support/cli.js';

const TRIALS = 10;
const SCOPES = 'ops:read,deploy:ops-cycle';
const RUNBOOK = `version: 1
name: Daily ops (race)
safety:
  mode: REAL_ENABLED
  allowlist: [ops-cycle]
  window: { ttl: 15m, approvals: 2 }
actions:
  ops-cycle:
    title: Run the daily ops cycle
    script: { command: bash, args: [-c, 'echo real >> ran.txt; echo ops cycle done'] }
`;

const as = (operator: string): NodeJS.ProcessEnv => ({ OPSCOCKPIT_OPERATOR: operator, OPSCOCKPIT_ALLOW_SCOPES: SCOPES });

/** `opscockpit act` on the runbook. */
function act(file: string, ledger: string, operator: string): Promise<CliResult> {
  return cli(['act', file, 'ops-cycle', '--yes', '--ledger', ledger], { env: as(operator), timeoutMs: 60_000 });
}

function ledgerEvents(file: string) {
  const l = openLedger(file);
  try {
    return l.listRuns(100).flatMap((r) => l.events(r.runId).map((e) => ({ ...e.body, operator: e.operator })));
  } finally {
    l.close();
  }
}

describe('one real-enable window, two processes acting at the same instant', () => {
  it(`exactly one runs the action and the other is refused WINDOW_NOT_ACTIVE (${TRIALS} trials)`, async () => {
    for (let trial = 0; trial < TRIALS; trial++) {
      const dir = mkdtempSync(join(tmpdir(), 'oc-race-'));
      const file = join(dir, 'daily-ops.yaml');
      writeFileSync(file, RUNBOOK);
      // dave acts from a second runbook file: one runbook's run has one driver, the window is the ledger's.
      const second = join(dir, 'daily-ops-2.yaml');
      writeFileSync(second, RUNBOOK);
      const ledger = join(dir, 'ledger.db');
      const window = (verb: string, who: string) => cli(['window', verb, '--runbook', file, '--ledger', ledger], { env: as(who) });
      expect((await window('request', 'alice')).code).toBe(0);
      expect((await window('approve', 'bob')).code).toBe(0);
      expect((await window('approve', 'carol')).code).toBe(0);

      const results = await Promise.all([act(file, ledger, 'alice'), act(second, ledger, 'dave')]);

      const detail = `trial ${trial + 1}: ${JSON.stringify(results)}`;
      const winners = results.filter((r) => r.code === 0);
      const refused = results.filter((r) => r.code === 3);
      expect(winners, detail).toHaveLength(1);
      expect(refused, detail).toHaveLength(1);
      expect(winners[0].stdout).toContain('ops cycle done');
      expect(refused[0].stderr).toMatch(/ops-cycle refused by WINDOW_NOT_ACTIVE: .*window w-[0-9a-f]+ was used by ops-cycle/);
      expect(readFileSync(join(dir, 'ran.txt'), 'utf8').trim().split('\n'), detail).toEqual(['real']);

      const events = ledgerEvents(ledger);
      expect(events.filter((e) => e.kind === 'control.consumed'), detail).toHaveLength(1);
      expect(events.filter((e) => e.kind === 'action.requested'), detail).toHaveLength(1);
      expect(events.filter((e) => e.kind === 'action.refused'), detail).toEqual([expect.objectContaining({ failure: 'WINDOW_NOT_ACTIVE' })]);
      const verify = await cli(['ledger', 'verify', '--ledger', ledger]);
      expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    }
  }, 180_000);
});
