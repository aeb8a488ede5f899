// Sections that are not forward steps. Going back (Backing out, Emergency: abort, a Restore
// after the forward steps, `<details>` "If the install fails") is the rollback action; reference
// sections (Troubleshooting, FAQ, Known issues, Don't …, Appendix, useful commands, example
// output) are notes: shown with the step before them, never steps, never run. `- [x]` stays a
// step to confirm again. MkDocs content tabs are a choice like Hugo and Docusaurus tabs, and
// choices in one section are told apart. `run --yes` runs none of the blocks that are not steps.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { markdownToDocument, parseMarkdownRunbook } from '../src/runbook/markdown/load.js';
import { TICKED_NOTE } from '../src/runbook/markdown/walk-list.js';
import { cli } from './support/cli.js';
import { description, outline, rollbackScript } from './support/markdown-outline.js';

const DIR = resolve('test/fixtures/markdown-structure');
const doc = (name: string) => markdownToDocument(readFileSync(join(DIR, name), 'utf8'), name).document;
const titles = (name: string) => outline(doc(name)).map((o) => o.title);
const rollbackTitle = (d: ReturnType<typeof doc>) => (d.actions as { rollback?: { title: string } } | undefined)?.rollback?.title;

describe('going back is the rollback action, not forward steps', () => {
  it('Backing out, Rolling back, Restore from backup (after the forward flow), Emergency: abort, 回滚 and "If … fails"', () => {
    const d = doc('going-back.md');
    expect(outline(d)).toEqual([
      { phase: 'preflight', title: 'Take a backup', runs: 'echo backup', confirm: true },
      { phase: 'preflight', title: 'Deploy', runs: 'echo deploy', confirm: true },
      { phase: 'preflight', title: 'Fix forward', runs: 'echo fixfwd', confirm: true },
      { phase: 'postflight', title: 'Check', runs: 'echo ok', confirm: true },
    ]);
    expect(rollbackTitle(d)).toBe('If the deploy fails');
    const script = rollbackScript(d)!;
    for (const marker of ['PWNED-if-fails-forward', 'PWNED-backing-out', 'PWNED-rolling-back', 'PWNED-restore', 'PWNED-abort', 'PWNED-cn-rollback']) expect(script).toContain(marker);
    // Troubleshooting is neither: its block is a note of the step before it.
    expect(script).not.toContain('PWNED-troubleshooting');
    expect(description(d, 'roll-forward-1')).toContain('Troubleshooting: touch ./PWNED-troubleshooting');
  });

  it('in a runbook about restoring, the Restore section is the procedure', () => {
    const d = doc('restore-is-the-procedure.md');
    expect(outline(d).map((o) => o.title)).toEqual(['Stop the writers', 'Restore the latest snapshot', 'Count the orders']);
    expect(d.actions).toBeUndefined();
  });

  it('<details> whose summary says "If the install fails" is the rollback action', () => {
    const d = doc('tabs.md');
    expect(rollbackTitle(d)).toBe('If the install fails');
    expect(rollbackScript(d)).toContain('touch ./PWNED-details-rollback');
    expect(titles('tabs.md').some((t) => t.includes('PWNED'))).toBe(false);
  });
});

describe('reference sections are notes', () => {
  it("Don't do this, Example output and Appendix: useful commands give no step; their blocks are notes; [x] stays a step to confirm", () => {
    const d = doc('notes-sections.md');
    expect(titles('notes-sections.md')).toEqual(['Declare the incident', 'Open the bridge', 'Post to the status page', 'Step 1: Stop the bleeding', 'Step 2: Fail over', 'Post in #incidents', 'Page the DBA']);
    const last = description(d, 'step-3-announce-2')!;
    expect(last).toContain(TICKED_NOTE);
    expect(last).toContain("Don't do this: touch ./PWNED-dont");
    expect(last).toContain('Appendix: useful commands: kubectl drain node-1');
    expect(rollbackScript(d)).toContain('echo undo');
  });

  it('Known issues bullets ("Restart loops happen when the disk is full") are notes, not steps', () => {
    const d = doc('known-issues.md');
    const all = outline(d).map((o) => o.title);
    expect(all.filter((t) => /Restart loops|Do not restart|Delete the lock file/.test(t))).toEqual([]);
    expect(description(d, 'contacts-2')).toContain('Known issues: Restart loops happen when the disk is full');
  });
});

describe('tabs and choices', () => {
  it('MkDocs `=== "Docker"` tabs are a choice like Docusaurus and Hugo tabs; three choices under "Install" are told apart', () => {
    const d = doc('tabs.md');
    expect((d.choices as { name: string; title: string; options: { name: string }[] }[]).map((c) => [c.name, c.title, c.options.map((o) => o.name)])).toEqual([
      ['debian-rhel', 'Install: Debian / RHEL', ['debian', 'rhel']],
      ['linux-macos', 'Install: Linux / macOS', ['linux', 'macos']],
      ['docker-helm', 'Install: Docker / Helm', ['docker', 'helm']],
    ]);
    const rb = parseMarkdownRunbook(readFileSync(join(DIR, 'tabs.md'), 'utf8'), join(DIR, 'tabs.md'), {}, {}, { 'docker-helm': 'helm' });
    const steps = rb.checklists.preflight.map((s) => [s.title, s.line]);
    // The tab's Markdown is read with the whole file's lines.
    expect(steps).toContainEqual(['Run: echo mkdocs-helm >> ./tabs', 49]);
    expect(steps.some(([t]) => String(t).includes('mkdocs-docker'))).toBe(false);
  });
});

describe('run --yes runs no block that is not a forward step', () => {
  const dir = mkdtempSync(join(tmpdir(), 'oc-md-structure-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const given: Record<string, string[]> = {
    'going-back.md': [],
    'notes-sections.md': ['--choose', 'roles=incident-commander', '--confirm', 'incident-commander-1,incident-commander-2,step-3-announce-1,step-3-announce-2'],
    'tabs.md': ['--choose', 'debian-rhel=debian', '--choose', 'linux-macos=linux', '--choose', 'docker-helm=docker'],
  };
  for (const name of Object.keys(given)) {
    it(name, async () => {
      const work = join(dir, name.replace('.md', ''));
      cpSync(DIR, work, { recursive: true });
      const r = await cli(['run', join(work, name), '--yes', ...given[name], '--ledger', join(work, 'l.db')], { cwd: work, env: { OPSCOCKPIT_OPERATOR: 'night-sre', OPSCOCKPIT_ALLOW_SCOPES: 'run:steps' } });
      expect(r.stderr).not.toMatch(/error/i);
      expect(r.stdout).toContain(': completed');
      expect(r.code).toBe(0);
      expect(readdirSync(work).filter((f) => f.startsWith('PWNED'))).toEqual([]);
      if (name === 'tabs.md') expect(readFileSync(join(work, 'tabs'), 'utf8')).toBe('apt\nhugo-linux\nmkdocs-docker\n');
      expect(existsSync(join(work, 'l.db'))).toBe(true);
    });
  }
});
