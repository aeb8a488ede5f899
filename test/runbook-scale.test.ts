// Validation is linear in the runbook's size: a generated runbook of 50,000 checks whose every
// step names a missing check is answered in seconds (it took hours when every broken name was
// compared with every check, and each key with every earlier key), and the answer is the
// first 50 problems and a count of the rest.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseRunbook, RunbookError } from '../src/runbook/load.js';
import { cli } from './support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'oc-scale-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function generated(n: number): string {
  const out = ['version: 1', 'name: generated', 'targets:', '  app: http://127.0.0.1:1', 'checks:'];
  for (let i = 0; i < n; i++) out.push(`  c${i}:`, `    title: C ${i}`, '    http:', '      target: app', `      path: /h${i}`);
  out.push('checklists:', '  preflight:');
  for (let i = 0; i < n; i++) out.push(`    - id: s${i}`, `      title: S ${i}`, `      check: c${i}x`);
  return out.join('\n') + '\n';
}

describe('a runbook of 50,000 checks', () => {
  it('validates in one pass: the first 50 problems, then a count of the rest', async () => {
    const file = join(dir, 'generated.yaml');
    writeFileSync(file, generated(50_000));
    const r = await cli(['validate', file], { timeoutMs: 50_000 });
    expect(r.code).toBe(1);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe(`${file}: 50000 problems`);
    expect(lines.filter((l) => l.includes('no check named'))).toHaveLength(50);
    expect(lines[1]).toMatch(/^ {2}line \d+, column \d+ {2}checklists\.preflight\[0\]\.check$/);
    expect(lines[2]).toBe('    no check named "c0x" — did you mean "c0"?');
    expect(lines[lines.length - 1]).toBe('  … and 49950 more problems (the first 50 are shown; fix them and validate again)');
  }, 60_000);
});

describe('keys repeated in one mapping', () => {
  const load = (text: string) => {
    try {
      parseRunbook(text, 'dup.yaml', {});
      return [];
    } catch (e) {
      if (e instanceof RunbookError) return e.issues;
      throw e;
    }
  };

  it('are found at the repeated key, in any mapping; the same key in two mappings is fine', () => {
    const issues = load('version: 1\nname: d\nchecks:\n  a:\n    title: A\n    title: B\n    http: { target: app, path: /x }\n');
    expect(issues).toEqual([expect.objectContaining({ line: 6, column: 5, message: 'YAML syntax: Map keys must be unique ("title" appears twice)' })]);
    const fine = load('version: 1\nname: d\ntargets:\n  app: http://127.0.0.1:1\nchecks:\n  a:\n    title: A\n    http: { target: app, path: /x }\n  b:\n    title: A\n    http: { target: app, path: /y }\n');
    expect(fine).toEqual([]);
  });
});
