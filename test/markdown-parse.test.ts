// Markdown read by satteri through its public markdownToMdast: the seeds and random documents
// of realistic blocks load and every step made from them passes the schema; never a crash on
// documents of tricky lines; deep nesting gives one clear error or text; and the corners where
// CommonMark is subtle read as CommonMark says.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunbookError } from '../src/runbook/errors.js';
import { markdownToDocument, parseMarkdownRunbook } from '../src/runbook/markdown/load.js';
import { MAX_LIST_DEPTH } from '../src/runbook/markdown/outline.js';
import { outlineDocument } from '../src/runbook/markdown/read.js';
import { quotedShellWords, shellWords } from '../src/runbook/markdown/requests.js';
import type { Runbook } from '../src/runbook/model.js';
import { RunbookSchema } from '../src/runbook/schema.js';
import { seeded } from './support/random.js';

const SEEDS = 'fixtures/runbooks/seeds';
const FILE = resolve('fixtures/runbooks/parse.md');
const outline = (text: string) => outlineDocument(text);
const runbookOf = (text: string) => {
  try {
    return parseMarkdownRunbook(text, FILE, {});
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

// Blocks as runbooks hold them, each one or more lines, joined by blank lines.
const BLOCKS = [
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

/** Lines that parsers read in more than one way. */
const TRICKY_LINES = [
  '# H', '## H2', '#', '#x', ' # h', 'Title', '=====', '-----', '---', '***', '', '', '', '```', '```bash', '~~~', '````', '``` a`b',
  '  ```', '   ```', '    ```', '\t```', '- item', '- [ ] task', '1. one', '   para', '  - sub', '10. ten', '   # not', '> quote',
  '> ```', '> # q', 'text', '| a | b |', '|---|---|', '<!--', '-->', '<!-- c -->', '<!-->', '<div>', '</div>', '<pre>', '</pre>',
  '<?php', '?>', '<span>', '<![CDATA[', ']]>', '<!DOCTYPE html>', 'GET /health', '    code', 'www.example.com', 'a\\', '\u0000', '\uFFFD',
  'see https://a.example/x). or ops@example.com', '- [ ] `curl http://localhost/readyz` www.b.example,', '[^x]: note', '[^x]', '$$', 'x ~~y~~ z',
];

/** A realistic document: some of BLOCKS, maybe front matter, maybe CRLF. */
function realisticDocument(random: () => number): string {
  const doc = Array.from({ length: 3 + Math.floor(random() * 25) }, () => BLOCKS[Math.floor(random() * BLOCKS.length)]);
  if (doc[0] === '---') doc.unshift(BLOCKS[0]); // a first line of --- is one of the corners below
  if (random() < 0.15) doc.unshift('---\nname: generated\ntargets:\n  app: http://127.0.0.1:8080\n---');
  return doc.join('\n\n').replace(/\n/g, random() < 0.2 ? '\r\n' : '\n');
}

/** A document of TRICKY_LINES, some indented, maybe CRLF; with the lines it has. */
function trickyDocument(random: () => number): { text: string; lines: number } {
  const indent = () => (random() < 0.3 ? ' '.repeat(Math.floor(random() * 6)) : '');
  const doc = Array.from({ length: 10 + Math.floor(random() * 30) }, () => indent() + TRICKY_LINES[Math.floor(random() * TRICKY_LINES.length)]);
  return { text: doc.join(random() < 0.2 ? '\r\n' : '\n'), lines: doc.length };
}

it('satteri reads a heading, a task list with a code block, a table and front matter', () => {
  expect(outline('---\nname: x\n---\n# T\n\n- [ ] Step `x`\n  ```sh\n  echo hi\n  ```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n')).toEqual([
    { type: 'yaml', line: 1, value: 'name: x' },
    { type: 'heading', line: 4, depth: 1, text: 'T' },
    { type: 'list', line: 6, ordered: false, items: [{ line: 6, checked: false, first: { text: 'Step x', codes: ['x'] }, soleParagraph: false, parts: [{ type: 'code', line: 7, lang: 'sh', value: 'echo hi' }] }] },
    { type: 'note', text: 'a | b; 1 | 2' },
  ]);
});

describe('runbooks load, and what is made of them passes the schema', () => {
  for (const name of readdirSync(SEEDS).filter((f) => f.endsWith('.md'))) {
    it(`seed ${name}`, () => {
      const text = readFileSync(join(SEEDS, name), 'utf8');
      const rb = runbookOf(text);
      expect(Array.isArray(rb), JSON.stringify(rb).slice(0, 500)).toBe(false); // a runbook, not errors
      expect(Object.values((rb as Runbook).checklists).flat().length).toBeGreaterThan(3);
      expectMadeValid(text);
    });
  }

  it('random documents of realistic blocks, with front matter, CRLF and Korean text', () => {
    const { next: random } = seeded(42);
    for (let n = 0; n < 300; n++) {
      const text = realisticDocument(random);
      const blocks = outline(text);
      expect(blocks.length, text).toBeGreaterThan(0);
      if (n % 10 === 0) runbookOf(text); // a runbook or a RunbookError; anything else is thrown
      expectMadeValid(text);
    }
  });
});

describe('requests and commands in all their forms', () => {
  const urls = [
    '/health', '/api/v1/items?id=3&x=y', 'http://localhost:8080/readyz', 'https://[::1]:8443/x', 'http://user:pw@host.example:81/p',
    'http://127.0.0.1/', 'https://example.com', 'http://$HOST/x', 'http://<host>/x', 'http://ex ample.com/', 'HTTP://Example.COM:80/A', 'https://例え.jp/パス',
  ];
  const flags = [
    '-sS', '-fsS', '-I', '--head', '-X HEAD', '-X GET', '-X POST', '--request delete', '-H "Accept: application/json"', '-H "X-Token: $TOKEN"',
    "-H 'Bad Header: x'", "-H 'Empty:'", '-d x', '--data=1', '--json {}', '-o /dev/null', '-w "%{http_code}"', '--max-time 5',
  ];
  const tails = ['', ' | jq .', ' && echo ok', ' > out.json', ' ; true', ' || exit 1'];

  it('every step made from them passes the schema, and the runbook loads', () => {
    const { next: random, pick } = seeded(2026);
    const seen = { head: 0, headers: 0, ipv6: 0, script: 0, manual: 0 };
    for (let n = 0; n < 200; n++) {
      const curl = () => `curl ${Array.from({ length: Math.floor(random() * 4) }, () => pick(flags)).join(' ')} ${pick(urls)}${pick(tails)}`;
      const request = () => `${pick(['GET', 'HEAD', 'POST', 'DELETE'])} ${pick(urls)}${random() < 0.2 ? ' HTTP/1.1' : ''}`;
      const parts = ['# Requests', '', '## Before the change', ''];
      for (let i = 0; i < 6; i++) {
        const r = random();
        if (r < 0.3) parts.push(`- [ ] Check \`${random() < 0.5 ? request() : curl()}\``, '');
        else if (r < 0.6) parts.push('```bash', ...Array.from({ length: 1 + Math.floor(random() * 3) }, (_, g) => [...(random() < 0.5 ? [`# group ${g}`] : []), curl(), '']).flat(), '```', '');
        else if (r < 0.8) parts.push('```', request(), request(), '```', '');
        else parts.push(`1. Run \`${curl()}\``, `   \`\`\`sh`, `   ${curl()} \\`, `     --retry 2`, '   ```', '');
      }
      const text = parts.join('\n');
      expectMadeValid(text);
      const rb = runbookOf(text);
      expect(Array.isArray(rb) ? rb : [], text).toEqual([]);
      const loaded = rb as Runbook;
      for (const c of Object.values(loaded.checks)) {
        if (c.kind === 'http' && c.method === 'HEAD') seen.head++;
        if (c.kind === 'http' && Object.keys(c.headers).length > 0) seen.headers++;
        if (c.kind === 'http' && c.url.includes('[::1]')) seen.ipv6++;
        if (c.kind === 'script') seen.script++;
      }
      seen.manual += loaded.checklists.preflight.filter((s) => !s.check).length;
    }
    // The forms above were all reached: HEAD requests, headers kept, IPv6 hosts, scripts, and
    // requests that stay manual (a POST, a URL with a variable).
    for (const [form, count] of Object.entries(seen)) expect(count, form).toBeGreaterThan(5);
  });
});

describe('shell words', () => {
  it('a line without quotes is split by one regex into the words the character loop gives', () => {
    const pieces = ['curl', '-sS', 'http://a.example/x?y=1&z=2', 'a&b', '&', '&&', '&&&', '|', '||', '|||', ';', ';;', '>', '>>', '>>>', 'x|y', 'a;b', '2>&1', 'é', '명령', '$X', '\\', ''];
    const gaps = ['', ' ', '  ', '\t', ' \t '];
    const { next: random, pick } = seeded(99);
    for (let n = 0; n < 2000; n++) {
      const line = Array.from({ length: 1 + Math.floor(random() * 8) }, () => pick(gaps) + pick(pieces)).join('') + pick(gaps);
      expect(shellWords(line), JSON.stringify(line)).toEqual(quotedShellWords(line));
    }
    expect(shellWords('curl -H "A: b" \'x y\'|jq')).toEqual(['curl', '-H', 'A: b', 'x y', '|', 'jq']);
  });
});

describe('documents of tricky lines', () => {
  it('never crash, and every line named is a line of the document', () => {
    const { next: random } = seeded(7);
    for (let n = 0; n < 400; n++) {
      const { text, lines } = trickyDocument(random);
      const named = JSON.stringify(outline(text)).match(/"line":\d+/g) ?? [];
      for (const l of named) expect(Number(l.slice(7)), text).toBeGreaterThanOrEqual(1);
      for (const l of named) expect(Number(l.slice(7)), text).toBeLessThanOrEqual(lines);
      runbookOf(text); // a runbook or a RunbookError; anything else is thrown
      expectMadeValid(text);
    }
  });
});

describe('documents nested thousands of levels deep', () => {
  const lists = '## Before\n\n' + Array.from({ length: 3000 }, (_, i) => `${'  '.repeat(i)}- [ ] step ${i}`).join('\n') + '\n';
  const quotes = '## Before\n\n- [ ] Read the note\n\n' + '>'.repeat(10_000) + ' deep\n';
  const emphasis = '## Before\n\n- [ ] ' + '*a '.repeat(20_000) + 'x' + ' a*'.repeat(20_000) + '\n';

  it('lists past MAX_LIST_DEPTH levels read as text, quotes and emphasis as text', () => {
    const rb = parseMarkdownRunbook(lists, FILE, {});
    const titles = rb.checklists.preflight.map((s) => s.title);
    expect(titles).toHaveLength(MAX_LIST_DEPTH);
    expect(titles[0]).toBe('step 0');
    expect(titles[1]).toBe('step 0 › step 1');
    expect(rb.checklists.preflight[MAX_LIST_DEPTH - 1].description).toContain(`step ${MAX_LIST_DEPTH}`);
    expect(parseMarkdownRunbook(quotes, FILE, {}).checklists.preflight.map((s) => s.description)).toEqual(['Before — deep']);
    expect(parseMarkdownRunbook(emphasis, FILE, {}).checklists.preflight[0].title).toMatch(/^a a a .*…$/);
  });
});

describe('the outline follows CommonMark', () => {
  it('an indented code block after a list or quote that ends without a blank line is one block', () => {
    // satteri hands it over a node per run of lines there; outline.ts joins them.
    const text = '- item\n -----\n    first\n\n      second, indented two more\n    third\n';
    expect(outline(text)).toEqual([
      { type: 'list', line: 1, ordered: false, items: [expect.objectContaining({ first: { text: 'item', codes: [] } })] },
      { type: 'other' },
      { type: 'code', line: 3, lang: null, value: 'first\n\n  second, indented two more\nthird' },
    ]);
    // The same inside a list item, and after a quote.
    expect(outline('- item\n\n  > q\n  # h\n      a\n      b\n')[0]).toMatchObject({ items: [{ parts: [{ type: 'text' }, { type: 'code', value: 'a\nb' }] }] });
    expect(outline('> ```\n    ## H2\n    www.example.com\n')).toEqual([{ type: 'note', text: '' }, { type: 'code', line: 2, lang: null, value: '## H2\nwww.example.com' }]);
    // A fenced block is never joined to an indented one.
    expect(outline('    a\n\n```\nb\n```\n').map((b) => b.type)).toEqual(['code', 'code']);
  });

  it('a fenced block followed by an indented one stays two blocks', () => {
    expect(outline('```\nx\n```\n    indented\n')).toEqual([
      { type: 'code', line: 1, lang: null, value: 'x' },
      { type: 'code', line: 4, lang: null, value: 'indented' },
    ]);
    expect(outline('    a\n```\nb\n```\n')).toEqual([
      { type: 'code', line: 1, lang: null, value: 'a' },
      { type: 'code', line: 2, lang: null, value: 'b' },
    ]);
  });

  it('a first line of --- with no closing --- is a thematic break, and the task under it is a step', () => {
    const text = '---\n- [ ] Check the backups\n';
    expect(outline(text)).toEqual([{ type: 'other' }, expect.objectContaining({ type: 'list', items: [expect.objectContaining({ checked: false })] })]);
    const rb = parseMarkdownRunbook(text, FILE, {});
    expect(rb.checklists.preflight.map((s) => s.title)).toEqual(['Check the backups']);
  });

  it('front matter may end with ... (YAML\'s end-of-document line), as Pandoc reads it too', () => {
    const text = '---\nname: dots\n...\n\n# T\n\n- [ ] Step\n';
    expect(outline(text)[0]).toEqual({ type: 'yaml', line: 1, value: 'name: dots' });
    expect(parseMarkdownRunbook(text, FILE, {}).name).toBe('dots');
  });

  it('U+0000 reads as U+FFFD (normalizeSource), as CommonMark asks', () => {
    expect(outline('a\u0000b\n')).toEqual([{ type: 'paragraph', line: 1, text: 'a\uFFFDb' }]);
    expect(outline('    \u0000\n')).toEqual([{ type: 'code', line: 1, lang: null, value: '\uFFFD' }]);
  });
});
