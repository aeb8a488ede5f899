// Every Markdown runbook of the corpus opens in the built binary at 120x40: the header is the
// first line and the Checklist shows the first step to walk. Parameters without a default are
// given with --param and each choice is made with --choose (its last option, so the choice is
// seen to be applied), so the cockpit opens directly; q quits.
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bin, root } from './support/cli.js';
import { doc, load, MARKDOWN_DIR } from './support/markdown-outline.js';
import { shellQuote, Tmux } from './support/tmux.js';

let tmux: Tmux | undefined;
afterEach(() => tmux?.kill());

const names = readdirSync(join(root, MARKDOWN_DIR)).filter((n) => n.endsWith('.md')).sort();

/** A value each parameter without a default accepts (its pattern's shape where it has one). */
const VALUES: Record<string, string> = { CHANGE_ID: 'CHG-4821', ZONE_ID: 'Z0123456789ABC' };

function openArgs(name: string): { params: Record<string, string>; choose: Record<string, string>; first?: string } {
  const d = doc(name);
  const declared = (d.params ?? {}) as Record<string, { default?: unknown }>;
  const params = Object.fromEntries(Object.entries(declared).filter(([, p]) => p.default === undefined).map(([n]) => [n, VALUES[n] ?? 'value']));
  const choose = Object.fromEntries(((d.choices ?? []) as { name: string; options: { name: string }[] }[]).map((c) => [c.name, c.options[c.options.length - 1].name]));
  const rb = load(name, choose, params);
  const first = [...rb.checklists.preflight, ...rb.checklists.postflight][0];
  return { params, choose, first: first?.title };
}

describe('the Markdown corpus in the cockpit (built binary in tmux, 120x40)', () => {
  beforeAll(() => {
    expect(names.length).toBeGreaterThanOrEqual(20);
  });

  it.each(names)('%s opens with the header on the first line and its first step in the Checklist', async (name) => {
    const { params, choose, first } = openArgs(name);
    const ledger = join(mkdtempSync(join(tmpdir(), 'oc-corpus-')), 'l.db');
    const flags = [
      ...Object.entries(params).map(([n, v]) => `--param ${shellQuote(`${n}=${v}`)}`),
      ...Object.entries(choose).map(([n, o]) => `--choose ${shellQuote(`${n}=${o}`)}`),
    ].join(' ');
    tmux = new Tmux();
    tmux.start(`node ${bin} open ${shellQuote(join(MARKDOWN_DIR, name))} --ledger ${ledger} ${flags}`, { cwd: root, width: 120, height: 40 });
    // The checklist cuts long titles to its width: the first 30 characters are always shown.
    const expected = first ? first.slice(0, 30) : 'no steps';
    const screen = await tmux.waitFor((s) => s.includes('Checklist') && s.includes(expected), `${name}: the Checklist showing "${expected}"`);
    expect(screen.split('\n')[0]).toMatch(/^ opscockpit · RUNNING · /);
    tmux.send('q');
    await tmux.waitFor(() => tmux!.paneDead(), `${name}: the cockpit quit`);
  });
});
