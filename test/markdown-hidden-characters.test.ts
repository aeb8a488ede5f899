// "Trojan source" in a Markdown runbook: a bidi control or a zero-width character in a command
// makes the screen show one command while another runs. Such a block is refused, naming file,
// line and column of the first one, unless the author annotates it allow-hidden; wherever a
// command is shown, the character is a visible escape.
import { describe, expect, it } from 'vitest';
import { parseMarkdownRunbook } from '../src/runbook/markdown/load.js';
import { RunbookError } from '../src/runbook/errors.js';
import { formatOutline } from '../src/cli/outline.js';
import { visible } from '../src/visible.js';

const runbook = (fence: string, body: string) => ['# Cleanup', '', '## Steps', '', '```' + fence, 'echo start', body, '```', ''].join('\n');

function problems(text: string): string[] {
  try {
    parseMarkdownRunbook(text, 'cleanup.md', {});
  } catch (e) {
    if (e instanceof RunbookError) return e.issues.map((i) => `${i.file}:${i.line}:${i.column} ${i.path}: ${i.message}`);
    throw e;
  }
  return [];
}

describe('hidden characters in a command block', () => {
  it.each([
    ['\u202e', '<U+202E> (right-to-left override)'],
    ['\u2066', '<U+2066> (left-to-right isolate)'],
    ['\u200b', '<U+200B> (zero-width space)'],
    ['\u2060', '<U+2060> (word joiner)'],
    ['\ufeff', '<U+FEFF> (zero-width no-break space)'],
  ])('%j refuses the runbook, naming where it is', (ch, shown) => {
    expect(problems(runbook('bash', `rm -rf /tmp/app ${ch}# keep /var`))).toEqual([
      `cleanup.md:7:17 allow-hidden: the command holds ${shown}: what runs is not what the screen shows. Remove it, or annotate the block allow-hidden if it is meant`,
    ]);
  });

  it('allow-hidden lets the author keep one; the outline shows it as an escape, never as itself', () => {
    const rb = parseMarkdownRunbook(runbook('bash {allow-hidden}', 'echo "\u202eolleh\u200b"'), 'cleanup.md', {});
    const outline = formatOutline(rb, 'cleanup.md');
    expect(outline).toContain('$ echo "\\u202eolleh\\u200b"');
    expect(outline).not.toMatch(/[\u202e\u200b]/);
  });

  it('output and data fences never run: they are not refused', () => {
    expect(problems(runbook('text', 'status \u202e ok'))).toEqual([]);
  });

  it('visible() escapes zero-width characters as it does bidi controls', () => {
    expect(visible('a\u200bb\u200dc\u2060d\ufeffe\u202ef')).toBe('a\\u200bb\\u200dc\\u2060d\\ufeffe\\u202ef');
  });
});
