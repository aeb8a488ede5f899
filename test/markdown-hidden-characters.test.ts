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
    ['\u200f', '<U+200F> (right-to-left mark)'],
    ['\u061c', '<U+061C> (arabic letter mark)'],
    ['\u00ad', '<U+00AD> (soft hyphen)'],
    ['\u3164', '<U+3164> (hangul filler)'],
    ['\u2028', '<U+2028> (line separator)'],
    ['\u034f', '<U+034F> (an invisible character)'],
    ['\u{e0041}', '<U+E0041> (an invisible character)'],
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
    // Every default-ignorable code point and bidi control, astral ones as their two halves.
    expect(visible('prod\u00ad|\u115f|\u17b4|\u180e|\u2061|\uffa0|\u{1d173}|\u{e0001}')).toBe('prod\\u00ad|\\u115f|\\u17b4|\\u180e|\\u2061|\\uffa0|\\ud834\\udd73|\\udb40\\udc01');
    // A variation selector only picks how an emoji looks: left as it is.
    expect(visible('done \u2705\ufe0f')).toBe('done \u2705\ufe0f');
  });

  it('a soft hyphen cannot make "prod" look like the string a guard compares with', () => {
    expect(problems(runbook('bash', 'if [ "$ENVIRONMENT" = "prod\u00ad" ]; then exit 1; fi; echo purge'))[0]).toContain('<U+00AD> (soft hyphen)');
  });
});
