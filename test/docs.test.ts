// The documentation says what the program does: the field reference is the one generated from
// the schema the binary prints (npm run docs), and every YAML example is a runbook the binary
// accepts. (The README's key table is checked in presentation.test.ts.)
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, root } from './support/cli.js';
import { renderRunbookFormat } from '../scripts/runbook-format.mjs';

const documents = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** Every ```yaml block of a Markdown file, with the line it starts on. */
function yamlBlocks(file: string): { line: number; text: string }[] {
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  const blocks: { line: number; text: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== '```yaml') continue;
    const start = i + 1;
    while (++i < lines.length && lines[i].trim() !== '```');
    blocks.push({ line: start + 1, text: lines.slice(start, i).join('\n') + '\n' });
  }
  return blocks;
}

describe('documentation', () => {
  it('docs/runbook-format.md is what npm run docs generates from `opscockpit schema`', async () => {
    const r = await cli(['schema']);
    expect(r.code).toBe(0);
    const committed = readFileSync(join(root, 'docs', 'runbook-format.md'), 'utf8');
    expect(committed, 'run `npm run docs` and commit docs/runbook-format.md').toBe(renderRunbookFormat(JSON.parse(r.stdout)));
    expect(committed).toContain('## `checks.NAME.http.expect`');
  });

  it('the README is for an on-call engineer: two commands first, about 250 lines, no bench figures', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const firstBlock = readme.slice(readme.indexOf('```bash'), readme.indexOf('```', readme.indexOf('```bash') + 7));
    expect(firstBlock).toContain('npm run demo');
    expect(firstBlock).toContain('npm test');
    expect(readme.split('\n').length).toBeLessThanOrEqual(260);
    // Figures live in bench/README.md, in the table the bench rewrites.
    expect(readme).not.toMatch(/figures:start|events\/s|% of a core/);
  });

  it.each(documents)('every table row in %s has as many cells as its header (a | in a cell is escaped)', (doc) => {
    const cells = (row: string) => row.replace(/\\\|/g, '').split('|').length;
    const lines = readFileSync(join(root, doc), 'utf8').split('\n');
    const wrong: string[] = [];
    for (let i = 1; i < lines.length; i++) {
      if (!/^\|[\s:-]+\|/.test(lines[i]) || !lines[i - 1].startsWith('|')) continue; // a table's |---| line
      for (let j = i + 1; j < lines.length && lines[j].startsWith('|'); j++) if (cells(lines[j]) !== cells(lines[i - 1])) wrong.push(`${doc}:${j + 1}`);
    }
    expect(wrong).toEqual([]);
  });

  it('the README has runbook examples, and the reference has more', () => {
    expect(yamlBlocks('README.md').length).toBeGreaterThanOrEqual(1);
    expect(yamlBlocks('docs/runbook.md').length).toBeGreaterThanOrEqual(4);
  });

  it.each(documents)('every YAML example in %s is a valid runbook (opscockpit validate)', async (doc) => {
    const dir = mkdtempSync(join(tmpdir(), 'doc-yaml-'));
    const failures: string[] = [];
    for (const [n, block] of yamlBlocks(doc).entries()) {
      const file = join(dir, `example-${n + 1}.yaml`);
      writeFileSync(file, block.text);
      const r = await cli(['validate', file]);
      if (r.code !== 0) failures.push(`${doc}:${block.line}: ${r.stdout}${r.stderr}`);
    }
    expect(failures).toEqual([]);
  });
});
