// A `<NAME>` value is one word, exactly as typed, wherever the placeholder sits: bash runs the
// filled block with values that would split (`a  b`) or glob (`*`) in a folder where a glob
// matches, and each value arrives whole. What the operator reads before Enter is the same.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lineWithValues, placeholdersOf } from '../src/runbook/markdown/placeholders.js';
import { parseMarkdownRunbook } from '../src/runbook/markdown/load.js';
import { RunbookError } from '../src/runbook/errors.js';
import { withValues } from '../screens/step-command.js';

const dir = mkdtempSync(join(tmpdir(), 'opscockpit-words-'));
for (const f of ['one.txt', 'two.txt']) writeFileSync(join(dir, f), '');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What bash prints running the block as filled, ARG given. */
function run(block: string, value: string): string {
  const filled = placeholdersOf(block, new Set());
  expect(filled.placeholders).toEqual(['ARG']);
  return execFileSync('bash', ['-c', filled.script], { cwd: dir, env: { PATH: process.env.PATH, ARG: value }, encoding: 'utf8' });
}

const VALUES = ['*', 'a  b', "it's \"$(id)\" `x` \\n"];

describe('a placeholder value is one word as typed', () => {
  it.each(VALUES)('unquoted in code: %s', (v) => {
    expect(run("printf '[%s]\\n' <ARG>", v)).toBe(`[${v}]\n`);
    expect(run("for x in <ARG>; do printf '[%s]\\n' \"$x\"; done", v)).toBe(`[${v}]\n`);
    expect(run("echo \"$(printf '[%s]' <ARG>)\"", v)).toBe(`[${v}]\n`);
  });

  it.each(VALUES)('inside double quotes: %s', (v) => {
    expect(run('printf \'[%s]\\n\' "x <ARG> y"', v)).toBe(`[x ${v} y]\n`);
  });

  it.each(VALUES)('inside single quotes: %s', (v) => {
    expect(run("printf '[%s]\\n' 'x <ARG> y'", v)).toBe(`[x ${v} y]\n`);
  });

  it.each(VALUES)('in a here-document with an unquoted delimiter: %s', (v) => {
    expect(run('cat <<EOF\nname: <ARG>\nhome: ${HOME:-none}\nEOF', v)).toBe(`name: ${v}\nhome: none\n`);
    expect(run('cat <<-EOF\n\tname: <ARG>\n\tEOF', v)).toBe(`name: ${v}\n`);
  });

  it('in a here-document with a quoted delimiter no value can reach it: the runbook says so, naming the placeholder', () => {
    for (const opener of ["<<'EOF'", '<<"EOF"', '<<\\EOF']) {
      const filled = placeholdersOf(`cat ${opener}\nname: <ARG> $HOME\nEOF\necho <ARG>`, new Set());
      expect(filled.unfillable).toEqual(['ARG']);
      expect(filled.script).toBe(`cat ${opener}\nname: <ARG> $HOME\nEOF\necho "\${ARG}"`);
    }
    const md = ['# Apply', '', '## Steps', '', '```bash', "kubectl apply -f - <<'EOF'", 'metadata:', '  name: <POD_NAME>', 'EOF', '```', ''].join('\n');
    let issues: string[] = [];
    try {
      parseMarkdownRunbook(md, 'apply.md', {});
    } catch (e) {
      if (!(e instanceof RunbookError)) throw e;
      issues = e.issues.map((i) => `${i.file}:${i.line} ${i.path}: ${i.message}`);
    }
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^apply\.md:5 <POD_NAME>: sits in a here-document whose delimiter is quoted/);
  });
});

describe('what the operator reads before Enter', () => {
  const params = (value: string) => [{ name: 'ARG', type: 'string' as const, value, atStep: 'x' }];

  it('shows a value in code as the one shell word it is: as typed when plain, quoted when it would split or glob', () => {
    const { script } = placeholdersOf('kubectl delete pod <ARG> -n "ns <ARG>" --note \'<ARG>\'', new Set());
    expect(withValues([script], params('web-1'))).toEqual(['kubectl delete pod web-1 -n "ns web-1" --note \'web-1\'']);
    expect(withValues([script], params('a  b'))).toEqual(['kubectl delete pod \'a  b\' -n "ns a  b" --note \'a  b\'']);
    expect(withValues([script], params('*'))).toEqual(['kubectl delete pod \'*\' -n "ns *" --note \'*\'']);
    expect(withValues([script], params("it's"))).toEqual(['kubectl delete pod \'it\'\\\'\'s\' -n "ns it\'s" --note \'\'"it\'s"\'\'']);
  });

  it('each shown line, read by bash, prints what the filled line prints', () => {
    for (const v of VALUES) {
      const { script } = placeholdersOf("printf '[%s]' <ARG> 'q <ARG>'", new Set());
      const shown = lineWithValues(script, new Map([['ARG', v]]));
      const bash = (text: string, env: Record<string, string> = {}) => execFileSync('bash', ['-c', text], { cwd: dir, env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });
      expect(bash(shown)).toBe(bash(script, { ARG: v }));
      expect(bash(shown)).toBe(`[${v}][q ${v}]`);
    }
  });
});
