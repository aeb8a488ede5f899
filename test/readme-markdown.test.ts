// The README shows a Markdown runbook written for people, docs/runbook.md what the cockpit makes
// of it (`validate --outline`). This keeps the shown outline equal to what the binary prints for
// that very file, so the documents never promise a reading the reader does not give.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, root } from './support/cli.js';

const readme = readFileSync(join(root, 'README.md'), 'utf8');
const formatDoc = readFileSync(join(root, 'docs', 'runbook.md'), 'utf8');

/** The text between an opening fence line and the next line that is exactly `close`. */
function fenced(open: string, close: string, doc = readme): string {
  const lines = doc.split('\n');
  const start = lines.indexOf(open);
  expect(start, `the document has a ${open} block`).toBeGreaterThan(-1);
  const end = lines.indexOf(close, start + 1);
  return lines.slice(start + 1, end).join('\n') + '\n';
}

describe('the README Markdown example', () => {
  it('prints, through validate --outline, exactly the outline docs/runbook.md shows', async () => {
    const markdown = fenced('````markdown', '````');
    const shown = fenced('```text', '```', formatDoc);
    const [command, ...outline] = shown.trimEnd().split('\n');
    expect(command).toBe('$ opscockpit validate orders-failover.md --outline');
    const dir = mkdtempSync(join(tmpdir(), 'readme-md-'));
    writeFileSync(join(dir, 'orders-failover.md'), markdown);
    const r = await cli(['validate', 'orders-failover.md', '--outline'], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd()).toBe(outline.join('\n'));
    // What the example is there to show: a prompted line runs and its output does not, a
    // destructive block asks for typing, the marked block is a polled check, the roll-back
    // section is the rollback action, and the parameter is named.
    expect(r.stdout).toContain('$ psql -h "$NEW_PRIMARY"');
    expect(r.stdout).not.toContain('$ 0/5A000148');
    expect(r.stdout).toContain('note: Expected output: 0/5A000148');
    expect(r.stdout).toMatch(/runs after you type "[a-z0-9-]+"/);
    expect(r.stdout).toContain('check, every 5s; the Gate waits on it');
    expect(r.stdout).toContain('rollback (key R): Roll back');
    expect(r.stdout).toContain('NEW_PRIMARY (string) no value yet');
    expect(r.stdout).toContain('note: Warning: Tell #orders-oncall');
  });
});

describe('validate --outline', () => {
  it('names a choice and the option walked, and what --choose picks instead', async () => {
    const r = await cli(['validate', 'fixtures/runbooks/markdown/dev-setup-platforms.md', '--outline']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('choice: Developer workstation set-up  (--choose choice=OPTION)');
    expect(r.stdout).toMatch(/● linux {2}Linux {2}\(walked\)\n {2}○ macos/);
    expect(r.stdout).toContain('$ sudo apt-get install -y jq make');
  });

  it('reads a YAML runbook the same way: checks polled, manual steps, actions with their keys', async () => {
    const r = await cli(['validate', 'fixtures/runbooks/demo.yaml', '--outline']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/1\. RBAC scopes minimised.*\n {6}a person confirms it\n/);
    expect(r.stdout).toMatch(/Judge readiness is 200.*\n {6}check, every 1s; the Gate waits on it\n {6}\$ GET http:\/\/127\.0\.0\.1:8080\/readyz/);
    expect(r.stdout).toContain('rollback (key R): Roll back to the previous release — type "rollback" to run; scope deploy:rollback');
  });
});
