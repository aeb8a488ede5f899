// `opscockpit ledger verify`: the command module with a fake Io, then the built binary.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { openLedger } from '../adapters/ledger.js';
import { verifyCommand } from '../src/cli/commands/ledger-verify.js';
import type { Io } from '../src/cli/main.js';
import { cli } from './support/cli.js';

const T0 = Date.UTC(2026, 10, 23, 11, 22, 33);
const note = (n: string) => ({ kind: 'step.note', phase: 'preflight', step: 'db', note: n }) as const;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'oc-verify-'));
});

/** A ledger with one run of `events` notes plus its completion; returns the run id. */
function writeLedger(file: string, opts: { chainKey?: string; events?: number } = {}): string {
  const l = openLedger(file, { chainKey: opts.chainKey });
  try {
    const run = l.startRun({ runbook: join(dir, 'rb.yaml'), name: 'cutover' }, T0).runId;
    l.appendMany(run, 'ana', Array.from({ length: opts.events ?? 20 }, (_, i) => note(String(i + 1))), T0);
    l.append(run, 'ana', { kind: 'run.completed', status: 'succeeded' }, T0 + 1, { durable: true });
    l.completeRun(run, 'succeeded', T0 + 1);
    return run;
  } finally {
    l.close();
  }
}

function fakeIo(env: NodeJS.ProcessEnv = {}) {
  const out = { stdout: '', stderr: '' };
  const stream = (k: 'stdout' | 'stderr') => ({ write: (s: string) => ((out[k] += s), true), isTTY: false });
  return { io: { stdout: stream('stdout'), stderr: stream('stderr'), env } as unknown as Io, out };
}

async function verify(args: string[], env?: NodeJS.ProcessEnv) {
  const { io, out } = fakeIo(env);
  const code = await verifyCommand(args, io);
  return { code, ...out };
}

const tamper = (file: string, sql: string) => execFileSync('sqlite3', [file, sql], { encoding: 'utf8' });

describe('ledger verify (module)', () => {
  it('exits 0 on an intact ledger and says how much it checked', async () => {
    const file = join(dir, 'ledger.db');
    writeLedger(file);
    const r = await verify(['--ledger', file]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe(`ledger ${file}: intact — 21 events in one SHA-256 chain, run statuses match their events\n`);
    // `verify` itself may come first, whichever way the ledger command passes it on.
    expect((await verify(['verify', '--ledger', file])).code).toBe(0);
    // One event is one event.
    const one = join(dir, 'one.db');
    const l = openLedger(one);
    l.appendMany(l.startRun({ runbook: '/rb/one.yaml', name: 'one' }, T0).runId, 'ana', [note('only')], T0);
    l.close();
    expect((await verify(['--ledger', one])).stdout).toContain('intact — 1 event in one SHA-256 chain');
  });

  it('exits 2 and names the edited event, its run and what is wrong', async () => {
    const file = join(dir, 'ledger.db');
    const run = writeLedger(file);
    tamper(file, `DROP TRIGGER events_no_update; UPDATE events SET payload = replace(payload, '"17"', '"seventeen"') WHERE seq = 17;`);
    const r = await verify(['--ledger', file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(`broken at event #17 (run ${run}, seq 17): content does not match its hash — edited after it was written, or event #16 was replaced`);

    const json = await verify(['--ledger', file, '--json']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ledger: file,
      ok: false,
      events: 21,
      chain: 'sha256',
      firstBroken: { id: 17, runId: run, seq: 17, reason: 'hash mismatch', problem: expect.stringMatching(/^content does not match its hash — edited after it was written, or event #16 was replaced by a copy with a recomputed hash$/) },
    });
  });

  it('says which events were deleted', async () => {
    const file = join(dir, 'ledger.db');
    const run = writeLedger(file);
    tamper(file, 'DROP TRIGGER events_no_delete; DELETE FROM events WHERE id BETWEEN 4 AND 6;');
    const r = await verify(['--ledger', file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(`broken at event #7 (run ${run}, seq 7): events #4–#6 before it are missing — deleted after they were written`);
    const tail = join(dir, 'tail.db');
    writeLedger(tail);
    tamper(tail, 'DROP TRIGGER events_no_delete; DELETE FROM events WHERE id = 21;');
    expect((await verify(['--ledger', tail])).stdout).toContain('broken after event #20 (run ');
    expect((await verify(['--ledger', tail])).stdout).toContain('event #21 that followed it is missing — deleted after it was written');
  });

  it('reports a run whose status no longer matches its run.completed event', async () => {
    const file = join(dir, 'ledger.db');
    const run = writeLedger(file);
    tamper(file, `UPDATE runs SET status = 'aborted' WHERE run_id = '${run}';`);
    const r = await verify(['--ledger', file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('NOT INTACT (21 events, SHA-256 chain)');
    expect(r.stdout).toContain(`run ${run} is marked aborted, but its last run.completed event (#21, seq 21) says succeeded`);
  });

  it('needs the key of a keyed ledger: exits 1 without it, 2 with another one', async () => {
    const file = join(dir, 'ledger.db');
    writeLedger(file, { chainKey: 'team-key' });
    const ok = await verify(['--ledger', file], { OPSCOCKPIT_LEDGER_KEY: 'team-key' });
    expect(ok).toMatchObject({ code: 0, stdout: expect.stringContaining('one HMAC-SHA256 (keyed) chain') });
    const none = await verify(['--ledger', file]);
    expect(none).toMatchObject({ code: 1, stdout: '' });
    expect(none.stderr).toContain('is sealed with a key: set OPSCOCKPIT_LEDGER_KEY');
    const wrong = await verify(['--ledger', file], { OPSCOCKPIT_LEDGER_KEY: 'wrong' });
    expect(wrong.code).toBe(2);
    expect(wrong.stdout).toContain('sealed with another key than OPSCOCKPIT_LEDGER_KEY');
    // With a key set, an unkeyed chain does not pass: it proves nothing against a writer.
    const plain = join(dir, 'plain.db');
    writeLedger(plain);
    const warned = await verify(['--ledger', plain], { OPSCOCKPIT_LEDGER_KEY: 'team-key' });
    expect(warned).toMatchObject({ code: 2, stdout: expect.stringContaining("OPSCOCKPIT_LEDGER_KEY is set, but this ledger's chain is plain SHA-256") });
  });

  it('exits 1 for a missing ledger or a bad option', async () => {
    const missing = await verify(['--ledger', join(dir, 'none.db')]);
    expect(missing).toMatchObject({ code: 1, stdout: '' });
    expect(missing.stderr).toContain(`no ledger at ${join(dir, 'none.db')}`);
    const bad = await verify(['--bogus']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/opscockpit ledger verify: .*--bogus[\s\S]*Usage: opscockpit ledger verify/);
    // --runbook finds the ledger beside the runbook.
    writeLedger(join(dir, '.opscockpit', 'ledger.db'));
    expect((await verify(['--runbook', join(dir, 'rb.yaml')])).code).toBe(0);
  });
});

describe('ledger verify (binary)', () => {
  it('exits 0 intact, 2 with the broken event named, 1 without the key', async () => {
    const file = join(dir, 'ledger.db');
    const run = writeLedger(file);
    const intact = await cli(['ledger', 'verify', '--ledger', file]);
    expect(intact).toMatchObject({ code: 0, stderr: '' });
    expect(intact.stdout).toContain('intact — 21 events');
    tamper(file, `DROP TRIGGER events_no_update; UPDATE events SET operator = 'eve' WHERE seq = 5;`);
    const broken = await cli(['ledger', 'verify', '--ledger', file]);
    expect(broken.code).toBe(2);
    expect(broken.stdout).toContain(`broken at event #5 (run ${run}, seq 5): content does not match its hash — edited after it was written`);

    const keyed = join(dir, 'keyed.db');
    writeLedger(keyed, { chainKey: 'team-key' });
    expect((await cli(['ledger', 'verify', '--ledger', keyed, '--json'], { env: { OPSCOCKPIT_LEDGER_KEY: 'team-key' } })).code).toBe(0);
    const noKey = await cli(['ledger', 'verify', '--ledger', keyed]);
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toContain('sealed with a key');
  });
});
