import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeEvent, formatAge, formatDuration, progressBar, truncate } from '../screens/presentation.js';
import { buildKeymap, commandForKey, keyTableMarkdown, RESERVED_KEYS } from '../src/keys/keymap.js';
import { loadRunbook } from '../src/runbook/load.js';
import { demoRunbookPath } from '../src/cli/paths.js';
import type { EventBody, LedgerEvent } from '../src/engine/types.js';

describe('presentation', () => {
  it('formats durations and ages for a quick read', () => {
    expect(formatDuration(undefined)).toBe('—');
    expect(formatDuration(12.4)).toBe('12 ms');
    expect(formatDuration(1500)).toBe('1.5 s');
    expect(formatDuration(42_000)).toBe('42 s');
    expect(formatDuration(125_000)).toBe('2 min 5 s');
    expect(formatDuration(120_000)).toBe('2 min');
    expect(formatAge(300)).toBe('now');
    expect(formatAge(4_200)).toBe('4s');
    expect(formatAge(180_000)).toBe('3m');
    expect(formatAge(7_300_000)).toBe('2h');
  });

  it('truncates with an ellipsis and draws progress', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('abc', 4)).toBe('abc');
    expect(truncate('abc', 0)).toBe('');
    expect(progressBar(1, 4, 8)).toBe('██░░░░░░');
    expect(progressBar(0, 0, 8)).toBe('');
  });

  it('describes every kind of ledger event in one line', () => {
    const ev = (body: EventBody): LedgerEvent => ({ runId: 'r', seq: 1, at: 0, operator: 'op', body });
    const result = { check: 'readyz', status: 'unhealthy' as const, code: 'status' as const, reason: 'expected 200, got 503', startedAt: 0, durationMs: 3 };
    expect(describeEvent(ev({ kind: 'step.skipped', phase: 'preflight', step: 'rbac', reason: 'waived' }))).toBe('rbac: skipped — waived');
    expect(describeEvent(ev({ kind: 'step.result', phase: 'preflight', step: 'ready', result }))).toBe('ready: unhealthy — expected 200, got 503');
    expect(describeEvent(ev({ kind: 'verdict.changed', verdict: 'NO-GO', phase: 'preflight', reasons: ['Readiness: 503'] }))).toBe('verdict NO-GO — Readiness: 503');
    expect(describeEvent(ev({ kind: 'action.completed', action: 'abort', status: 'succeeded', reason: 'exit 0', output: '', durationMs: 5 }))).toBe('abort succeeded — exit 0');
    expect(describeEvent(ev({ kind: 'run.completed', status: 'rolled_back' }))).toBe('run rolled back');
  });
});

describe('keymap registry', () => {
  const runbook = loadRunbook(demoRunbookPath(), { OPSCOCKPIT_DEMO_URL: 'http://127.0.0.1:9' });
  const keymap = buildKeymap(runbook, { demo: true });

  it('the key tables of the README (the cockpit) and docs/keys.md (other screens) are the ones generated from the registry', () => {
    const table = (file: string) => readFileSync(join(import.meta.dirname, '..', file), 'utf8').split('<!-- keys:start -->\n')[1].split('\n<!-- keys:end -->')[0];
    expect(table('README.md')).toBe(keyTableMarkdown(keymap));
    expect(table('docs/keys.md')).toBe(keyTableMarkdown(keymap, 'screens'));
    // Every command is in one of the two, once.
    const rows = (t: string) => t.split('\n').slice(2);
    expect(rows(table('README.md')).length + rows(table('docs/keys.md')).length).toBe(keymap.length);
    expect(table('README.md')).toContain('Emergency stop');
    expect(table('docs/keys.md')).toContain('Ledger: filter');
  });

  it('no key means two things on one screen outside dialogs, and the defaults are a / R / p / Enter / ? / q', () => {
    const screens = {
      cockpit: keymap.filter((c) => !['Dialog', 'Ledger', 'Start form'].includes(c.group)),
      ledger: keymap.filter((c) => ['Ledger', 'Actions', 'View'].includes(c.group)),
      form: keymap.filter((c) => c.group === 'Start form'),
    };
    for (const [screen, commands] of Object.entries(screens)) {
      const keys = commands.flatMap((c) => c.keys);
      expect(new Set(keys).size, screen).toBe(keys.length);
    }
    expect(screens.form.map((c) => c.id)).toEqual(['form.prev', 'form.next', 'form.change', 'form.submit', 'form.quit']);
    expect(commandForKey(keymap, 'a')?.id).toBe('action.abort');
    expect(commandForKey(keymap, 'R')?.id).toBe('action.rollback');
    expect(commandForKey(keymap, 'p')?.id).toBe('action.promote');
    expect(commandForKey(keymap, 'enter')?.id).toBe('step.advance');
    expect(commandForKey(keymap, '?')?.id).toBe('view.help');
    expect(commandForKey(keymap, 'q')?.id).toBe('app.quit');
    expect(RESERVED_KEYS).toEqual(expect.arrayContaining(['?', 'q', 'r', 's', 'n', 'f', 'enter', 'escape']));
  });

  it('dangerous actions are marked; the demo key exists only in the demo', () => {
    expect(keymap.find((c) => c.id === 'action.abort')?.dangerous).toBe(true);
    expect(buildKeymap(runbook).some((c) => c.id === 'demo.fault')).toBe(false);
  });
});
