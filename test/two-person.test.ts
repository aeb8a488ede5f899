// The two-person rule counts people, not spellings: "alice", "Alice", "ａｌｉｃｅ" and
// "alice" followed by a zero-width space are one person; and the approval says that on a
// local ledger the names are asserted, not proven.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyControl, decideApproval, initialSafety, personOf, type SafetyPolicy } from '../src/engine/safety.js';
import { cli } from './support/cli.js';

const policy: SafetyPolicy = { guarded: true, initialMode: 'REAL_ENABLED', windowTtlMs: 60_000, approvals: 2 };
const dir = mkdtempSync(join(tmpdir(), 'oc-two-person-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('personOf', () => {
  it('one person whatever the spelling', () => {
    for (const n of ['alice', 'Alice', ' ALICE ', 'alice\u200b', '\u200dal\u00adice', 'ａｌｉｃｅ', 'alice\u202e']) expect(personOf(n), JSON.stringify(n)).toBe('alice');
    expect(personOf('bob')).not.toBe(personOf('alice'));
  });
});

describe('decideApproval', () => {
  let s = initialSafety(policy);
  s = applyControl(s, { kind: 'control.window', id: 'w-1', ttlMs: 60_000, expiresAt: 60_000 }, 'alice', 0);

  it('the requester under another spelling cannot approve', () => {
    for (const n of ['Alice', 'alice\u200b', 'ａｌｉｃｅ']) expect(decideApproval(policy, s, n, 1)).toMatchObject({ ok: false, reason: expect.stringContaining('two-person rule') });
  });

  it('one approver twice under two spellings counts once', () => {
    const once = applyControl(s, { kind: 'control.approval', window: 'w-1' }, 'bob', 1);
    expect(decideApproval(policy, once, 'BOB\u200b', 2)).toMatchObject({ ok: false, reason: expect.stringContaining('already approved') });
    const twice = applyControl(once, { kind: 'control.approval', window: 'w-1' }, 'Bob', 2);
    expect(twice.window?.approvers).toEqual(['bob']);
  });
});

describe('window approve', () => {
  it('refuses the requester spelt otherwise, and says the names are asserted', async () => {
    const runbook = join(dir, 'rb.yaml');
    writeFileSync(runbook, 'version: 1\nname: w\nsafety:\n  mode: REAL_ENABLED\n  window: { ttl: 15m, approvals: 2 }\n');
    const ledger = join(dir, 'ledger.db');
    const as = (who: string) => ({ env: { OPSCOCKPIT_OPERATOR: who } });
    expect((await cli(['window', 'request', '--runbook', runbook, '--ledger', ledger], as('alice'))).code).toBe(0);
    const self = await cli(['window', 'approve', '--runbook', runbook, '--ledger', ledger], as('Alice\u200b'));
    expect(self.code).not.toBe(0);
    expect(self.stderr + self.stdout).toContain('two-person rule');
    const bob = await cli(['window', 'approve', '--runbook', runbook, '--ledger', ledger], as('bob'));
    expect(bob.code).toBe(0);
    expect(bob.stdout).toContain('asserted');
  });
});
