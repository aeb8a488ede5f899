// The native Markdown parser (satteri: pulldown-cmark, mdast out) against remark: the same
// outline and the same runbook on the five seeds and on random documents of realistic blocks;
// never a crash on documents of tricky lines; the places where the two parse differently,
// pinned with what CommonMark says; and the built binary falling back to remark where satteri
// cannot load.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunbookError } from '../src/runbook/errors.js';
import { markdownToDocument, parseMarkdownRunbook } from '../src/runbook/markdown/load.js';
import { nativeOutline, nativeParser } from '../src/runbook/markdown/native.js';
import { outlineOf } from '../src/runbook/markdown/outline.js';
import { normalizeSource, parseMarkdown } from '../src/runbook/markdown/parse.js';
import { RunbookSchema } from '../src/runbook/schema.js';
import { cli } from './support/cli.js';

const SEEDS = 'fixtures/runbooks/seeds';
const FILE = resolve('fixtures/runbooks/native.md');
const remarkOutline = (text: string) => outlineOf(parseMarkdown(normalizeSource(text)).children);
const native = (text: string) => nativeOutline(normalizeSource(text));
const runbookWith = (parser: 'native' | 'remark', text: string) => {
  try {
    return parseMarkdownRunbook(text, FILE, {}, { parser, cache: false });
  } catch (e) {
    if (e instanceof RunbookError) return e.issues;
    throw e;
  }
};

/**
 * The steps and targets made from the text pass the whole schema. Loading checks only the
 * front matter against it (load.ts): the rest is made by document.ts, and this is its check.
 */
function expectMadeValid(text: string): void {
  let made;
  try {
    made = markdownToDocument(text, FILE).document;
  } catch (e) {
    if (e instanceof RunbookError) return; // front matter that is not YAML: nothing was made
    throw e;
  }
  const result = RunbookSchema.safeParse({ version: 1, name: 'made', targets: made.targets, checklists: made.checklists });
  expect(result.error?.issues, text).toBeUndefined();
}

/** A seeded generator, so a failure names a document that can be made again. */
function randomFrom(seed: number) {
  return () => {
    seed = (seed * 16807) % 2147483647;
    return seed / 2147483647;
  };
}

it('satteri loads on this machine (else every test below would test remark against itself)', () => {
  expect(nativeParser()).not.toBeNull();
  expect(native('# T\n')).toEqual([{ type: 'heading', line: 1, depth: 1, text: 'T' }]);
});

describe('the same outline and runbook as remark', () => {
  for (const name of readdirSync(SEEDS).filter((f) => f.endsWith('.md'))) {
    it(`seed ${name}`, () => {
      const text = readFileSync(join(SEEDS, name), 'utf8');
      expect(native(text)).toEqual(remarkOutline(text));
      const rb = runbookWith('native', text);
      expect(rb).toEqual(runbookWith('remark', text));
      expect(Array.isArray(rb)).toBe(false); // a runbook, not errors
      expectMadeValid(text);
    });
  }

  // Blocks as runbooks hold them, each one or more lines, joined by blank lines.
  const blocks = [
    '# Release runbook', '## Pre-flight checks', '### 사전 점검 (T-24h)', 'Post-deploy verification\n------------------------', 'Rollback\n========',
    'Before production run:', 'After run:', 'Plain context with **bold**, _emphasis_, `code`, [a link](https://example.com) and ![img](x.png).',
    'A hard break\\\nand a soft one  \nthen more.', '운영 스코프 최소화 적용 확인 — 한국어 문단입니다.',
    '- [ ] Main branch green in CI\n- [x] Tag pushed\n- [ ] `GET /health` responds with `ok: true`',
    '1. **Clock**: `jobs/clock_guard.py` 실행\n2. Verify flows:\n   - email link -> app landing\n   - onboarding modal',
    '1. Prepare release PR', '- Deploy:\n  ```bash\n  ./deploy.sh --env prod\n  ```\n- Verify `curl -fsS http://localhost:8080/readyz`',
    '```bash\n# Ready\ncurl -sS http://localhost:8080/readyz | jq .\n\n# Promote\npipeline/release/promote.sh --step 2\n```',
    '~~~sh\nmake verify\n~~~', '    indented code\n    more of it', '| 상태 | 조치 |\n|------|------|\n| `enabled: false` | 정상 |\n| `enabled: true` | **즉시 중단** |',
    '> 🚫 **Do not** edit `state/tickets/*.jsonl` by hand.', '> **Note**\n> Two lines of note.', '<!-- a comment -->', '---', '* * *',
    '10. Tenth step\n11. Eleventh step', '- Item with a paragraph\n\n  and a second paragraph', 'GET /ops/cards/reason-trends',
    'Text with a footnote[^1].\n\n[^1]: The footnote.', '- [ ] Nested task\n  - [ ] child task\n    - grandchild note',
  ];
  it('random documents of realistic blocks, with front matter, CRLF and Korean text', () => {
    const random = randomFrom(42);
    for (let n = 0; n < 300; n++) {
      const doc = Array.from({ length: 3 + Math.floor(random() * 25) }, () => blocks[Math.floor(random() * blocks.length)]);
      if (doc[0] === '---') doc.unshift(blocks[0]); // a first line of --- is one of the corners below
      if (random() < 0.15) doc.unshift('---\nname: generated\ntargets:\n  app: http://127.0.0.1:8080\n---');
      const text = doc.join('\n\n').replace(/\n/g, random() < 0.2 ? '\r\n' : '\n');
      expect(native(text), text).toEqual(remarkOutline(text));
      if (n % 10 === 0) expect(runbookWith('native', text), text).toEqual(runbookWith('remark', text));
      expectMadeValid(text);
    }
  });
});

describe('documents of tricky lines', () => {
  const lines = [
    '# H', '## H2', '#', '#x', ' # h', 'Title', '=====', '-----', '---', '***', '', '', '', '```', '```bash', '~~~', '````', '``` a`b',
    '  ```', '   ```', '    ```', '\t```', '- item', '- [ ] task', '1. one', '   para', '  - sub', '10. ten', '   # not', '> quote',
    '> ```', '> # q', 'text', '| a | b |', '|---|---|', '<!--', '-->', '<!-- c -->', '<!-->', '<div>', '</div>', '<pre>', '</pre>',
    '<?php', '?>', '<span>', '<![CDATA[', ']]>', '<!DOCTYPE html>', 'GET /health', '    code', 'www.example.com', 'a\\', '\u0000', '\uFFFD',
    'see https://a.example/x). or ops@example.com', '- [ ] `curl http://localhost/readyz` www.b.example,', '[^x]: note', '[^x]', '$$', 'x ~~y~~ z',
  ];

  it('never crash, and every line named is a line of the document', () => {
    const random = randomFrom(7);
    let agree = 0;
    for (let n = 0; n < 400; n++) {
      const indent = () => (random() < 0.3 ? ' '.repeat(Math.floor(random() * 6)) : '');
      const doc = Array.from({ length: 10 + Math.floor(random() * 30) }, () => indent() + lines[Math.floor(random() * lines.length)]);
      const text = doc.join(random() < 0.2 ? '\r\n' : '\n');
      const outline = native(text)!;
      const named = JSON.stringify(outline).match(/"line":\d+/g) ?? [];
      for (const l of named) expect(Number(l.slice(7)), text).toBeGreaterThanOrEqual(1);
      for (const l of named) expect(Number(l.slice(7)), text).toBeLessThanOrEqual(doc.length);
      const rb = runbookWith('native', text);
      expect(rb, text).toBeDefined();
      expectMadeValid(text);
      if (JSON.stringify(outline) === JSON.stringify(remarkOutline(text))) agree++;
    }
    // The two differ only in the corners pinned below: most such documents read the same.
    expect(agree).toBeGreaterThan(360);
  });
});

describe('where the two parse differently, the outline follows CommonMark', () => {
  it('an indented code block after a list or quote that ends without a blank line is one block', () => {
    // satteri hands it over a node per line there; native.ts reads it back as one block.
    const text = '- item\n -----\n    first\n\n      second, indented two more\n    third\n';
    expect(native(text)).toEqual([
      { type: 'list', line: 1, ordered: false, items: [expect.objectContaining({ first: { text: 'item', codes: [] } })] },
      { type: 'other' },
      { type: 'code', line: 3, lang: null, value: 'first\n\n  second, indented two more\nthird' },
    ]);
    expect(native(text)).toEqual(remarkOutline(text));
    // The same inside a list item, and after a quote.
    expect(native('- item\n\n  > q\n  # h\n      a\n      b\n')![0]).toMatchObject({ items: [{ parts: [{ type: 'text' }, { type: 'code', value: 'a\nb' }] }] });
    // remark splits this one: a quote's fence is closed by the quote's end, so the next two
    // lines are one indented code block.
    expect(native('> ```\n    ## H2\n    www.example.com\n')).toEqual([{ type: 'note', text: '' }, { type: 'code', line: 2, lang: null, value: '## H2\nwww.example.com' }]);
  });

  it('a fenced block followed by an indented one stays two blocks', () => {
    expect(native('```\nx\n```\n    indented\n')).toEqual([
      { type: 'code', line: 1, lang: null, value: 'x' },
      { type: 'code', line: 4, lang: null, value: 'indented' },
    ]);
    expect(native('    a\n```\nb\n```\n')).toEqual([
      { type: 'code', line: 1, lang: null, value: 'a' },
      { type: 'code', line: 2, lang: null, value: 'b' },
    ]);
  });

  it('a first line of --- with no closing --- is a thematic break, and the task under it is a step', () => {
    // remark-frontmatter reads the rest of such a document as one paragraph.
    const text = '---\n- [ ] Check the backups\n';
    expect(native(text)).toEqual([{ type: 'other' }, expect.objectContaining({ type: 'list', items: [expect.objectContaining({ checked: false })] })]);
    expect(remarkOutline(text)[1]).toMatchObject({ type: 'paragraph' });
    const rb = parseMarkdownRunbook(text, FILE, {});
    expect(rb.checklists.preflight.map((s) => s.title)).toEqual(['Check the backups']);
  });

  it('U+0000 reads as U+FFFD, as CommonMark asks', () => {
    expect(native('a\u0000b\n')).toEqual([{ type: 'paragraph', line: 1, text: 'a\uFFFDb' }]);
    expect(native('    \u0000\n')).toEqual(remarkOutline('    \u0000\n'));
  });
});

describe('where satteri cannot load', () => {
  it('the built binary reads Markdown runbooks with remark, and reads the seeds the same', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oc-md-nonative-'));
    const block = join(dir, 'no-satteri.cjs');
    // Loaded before the CLI: `require('satteri')` fails as it does where no binary is shipped.
    writeFileSync(
      block,
      "const M = require('node:module'); const r = M._resolveFilename; M._resolveFilename = function (req, ...a) { if (req === 'satteri') throw new Error('no satteri here'); return r.call(this, req, ...a); };\n",
    );
    for (const name of ['decisionos-cutover.md', 'talkative-release.md']) {
      const file = resolve(SEEDS, name);
      const env = { OPSCOCKPIT_MARKDOWN_CACHE: 'off' };
      const withNative = await cli(['convert', file], { env });
      const withRemark = await cli(['convert', file], { env: { ...env, NODE_OPTIONS: `--require ${block}` } });
      expect(withNative.code).toBe(0);
      expect(withRemark).toMatchObject({ code: 0, stderr: '' });
      expect(withRemark.stdout).toBe(withNative.stdout);
    }
    // The preload really keeps satteri out: on a document the two read differently, the
    // binary under it reads what remark reads.
    const differs = join(dir, 'differs.md');
    writeFileSync(differs, '---\n- [ ] Check the backups\n');
    const native = await cli(['convert', differs]);
    const remark = await cli(['convert', differs], { env: { NODE_OPTIONS: `--require ${block}` } });
    expect(native.stdout).toContain('title: Check the backups');
    expect(remark.stdout).not.toContain('title: Check the backups');
  });
});
