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
import { ARENA, FIELD, HEADER, nativeOutline, nativeParser, PARSE_OPTIONS, pastColumns, SAMPLE, SAMPLE_OUTLINE, type OutlineReaderName } from '../src/runbook/markdown/native.js';
import { nativeAddon } from '../src/native-addon.js';
import { MAX_LIST_DEPTH, outlineOf } from '../src/runbook/markdown/outline.js';
import { normalizeSource, parseMarkdown } from '../src/runbook/markdown/parse.js';
import { quotedShellWords, shellWords } from '../src/runbook/markdown/requests.js';
import type { Runbook } from '../src/runbook/model.js';
import { RunbookSchema } from '../src/runbook/schema.js';
import { cli } from './support/cli.js';
import { seeded } from './support/random.js';
import { withNative } from './support/native.js';

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

  it('random documents of realistic blocks, with front matter, CRLF and Korean text', () => {
    const { next: random } = seeded(42);
    for (let n = 0; n < 300; n++) {
      const text = realisticDocument(random);
      expect(native(text), text).toEqual(remarkOutline(text));
      if (n % 10 === 0) expect(runbookWith('native', text), text).toEqual(runbookWith('remark', text));
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
      const rb = runbookWith('native', text);
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
    let agree = 0;
    for (let n = 0; n < 400; n++) {
      const { text, lines } = trickyDocument(random);
      const outline = native(text)!;
      const named = JSON.stringify(outline).match(/"line":\d+/g) ?? [];
      for (const l of named) expect(Number(l.slice(7)), text).toBeGreaterThanOrEqual(1);
      for (const l of named) expect(Number(l.slice(7)), text).toBeLessThanOrEqual(lines);
      runbookWith('native', text); // a runbook or a RunbookError; anything else is thrown
      expectMadeValid(text);
      if (JSON.stringify(outline) === JSON.stringify(remarkOutline(text))) agree++;
    }
    // The two differ only in the corners pinned below: most such documents read the same.
    expect(agree).toBeGreaterThan(360);
  });
});

describe('documents nested thousands of levels deep', () => {
  const lists = '## Before\n\n' + Array.from({ length: 3000 }, (_, i) => `${'  '.repeat(i)}- [ ] step ${i}`).join('\n') + '\n';
  const quotes = '## Before\n\n- [ ] Read the note\n\n' + '>'.repeat(10_000) + ' deep\n';
  const emphasis = '## Before\n\n- [ ] ' + '*a '.repeat(20_000) + 'x' + ' a*'.repeat(20_000) + '\n';

  it('load with satteri: lists past MAX_LIST_DEPTH levels read as text, quotes and emphasis as text', () => {
    const rb = parseMarkdownRunbook(lists, FILE, {});
    const titles = rb.checklists.preflight.map((s) => s.title);
    expect(titles).toHaveLength(MAX_LIST_DEPTH);
    expect(titles[0]).toBe('step 0');
    expect(titles[1]).toBe('step 0 › step 1');
    expect(rb.checklists.preflight[MAX_LIST_DEPTH - 1].description).toContain(`step ${MAX_LIST_DEPTH}`);
    expect(parseMarkdownRunbook(quotes, FILE, {}).checklists.preflight.map((s) => s.description)).toEqual(['Before — deep']);
    expect(parseMarkdownRunbook(emphasis, FILE, {}).checklists.preflight[0].title).toMatch(/^a a a .*…$/);
  });

  it('with remark: one clear error where its parser runs out of stack', () => {
    // (remark takes minutes over the deep lists and emphasis above: the fallback is not for
    // such documents.)
    expect(runbookWith('remark', quotes)).toEqual([expect.objectContaining({ line: 1, message: 'the Markdown nests too deeply to be read' })]);
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
    // Blank lines inside keep what lies past the block's indentation, tabs counted as columns.
    for (const blank of ['\t\t', '  \t  ', '      ', ' ']) {
      const t = `- a\n-----\n    x\n${blank}\n    y\n`;
      expect(native(t), JSON.stringify(t)).toEqual(remarkOutline(t));
    }
    expect(pastColumns('  \t  x', 4)).toBe('  x');
    expect(pastColumns(' \t', 2)).toBe('  '); // the tab reaches column 4: two columns of it stay
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

  it('front matter may end with ... (YAML\'s end-of-document line), as Pandoc reads it too; remark reads a rule and text', () => {
    const text = '---\nname: dots\n...\n\n# T\n\n- [ ] Step\n';
    expect(native(text)![0]).toEqual({ type: 'yaml', line: 1, value: 'name: dots' });
    expect(parseMarkdownRunbook(text, FILE, {}).name).toBe('dots');
    expect(remarkOutline(text)[0]).toEqual({ type: 'other' });
  });

  it('U+0000 reads as U+FFFD in both (normalizeSource), as CommonMark asks', () => {
    expect(native('a\u0000b\n')).toEqual([{ type: 'paragraph', line: 1, text: 'a\uFFFDb' }]);
    expect(native('    \u0000\n')).toEqual(remarkOutline('    \u0000\n'));
  });
});

describe('the addon reads the tree as OutlineReader does (native/outline.c)', () => {
  const read = (text: string, reader: OutlineReaderName) => nativeOutline(normalizeSource(text), reader);
  /** The addon's outline, which must be OutlineReader's to the byte; undefined where it is not sure. */
  const byAddon = (text: string) => {
    const addon = read(text, 'addon');
    if (addon !== undefined) expect(JSON.stringify(addon), JSON.stringify(text)).toBe(JSON.stringify(read(text, 'javascript')));
    return addon;
  };

  it('is built here, and checks itself against the outline OutlineReader gives of a sample', () => {
    expect(byAddon('# T\n')).toEqual([{ type: 'heading', line: 1, depth: 1, text: 'T' }]);
    expect(JSON.stringify(nativeOutline(SAMPLE, 'javascript'))).toBe(SAMPLE_OUTLINE);
  });

  it('on the seeds, on random realistic documents and on documents of tricky lines', () => {
    for (const name of readdirSync(SEEDS).filter((f) => f.endsWith('.md'))) expect(byAddon(readFileSync(join(SEEDS, name), 'utf8')), name).toBeDefined();
    const { next: random } = seeded(4242);
    for (let n = 0; n < 300; n++) expect(byAddon(realisticDocument(random))).toBeDefined();
    let unsure = 0;
    for (let n = 0; n < 400; n++) {
      const { text } = trickyDocument(random);
      if (byAddon(text) === undefined) unsure++;
    }
    // Unsure only where two indented code nodes meet, which these lines make now and then.
    expect(unsure).toBeLessThan(40);
  });

  it('texts as JavaScript has them: escapes, every kind of space trimmed from table cells, astral characters', () => {
    const spaces = ['\u00a0', '\u1680', '\u2000', '\u2005', '\u200a', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000', '\ufeff'];
    // A code span keeps the spaces inside it: `  a\t ` is " a\t" (one space taken from each end).
    const cells = [...spaces.map((sp, i) => `| ${sp}c${i}${sp} | x${sp}\u200b |`), '| `  a\t ` | ` b ` |'].join('\n');
    const text = [
      '# Quotes " and \\\\ backslashes, \u0001 control \u001f characters, 😀 and 𝄞',
      `| a | b |\n|---|---|\n${cells}`,
      '- [ ] `GET /x?"q"` and `\\`\n\n  ```bash\n  printf "%s\\t%s\\n" a b\n  ```',
      '> quote with\ttab\n> and\\\n> break',
    ].join('\n\n');
    const outline = byAddon(text)!;
    expect(outline).toBeDefined();
    const table = outline[1] as { type: 'note'; text: string };
    expect(table.text.split('; ')[1]).toBe('c0 | x\u00a0\u200b'); // U+200B is not a space in JavaScript
    expect(table.text.split('; ').pop()).toBe('a | b');
    expect(outline[0]).toMatchObject({ text: 'Quotes " and \\ backslashes, \u0001 control \u001f characters, 😀 and 𝄞' });
  });

  it('leaves to OutlineReader what it is not sure of: indented code blocks to join, lists past MAX_LIST_DEPTH', () => {
    const joined = '- item\n -----\n    first\n\n      second\n    third\n';
    expect(read(joined, 'addon')).toBeUndefined();
    expect(read(joined, 'auto')).toEqual(read(joined, 'javascript'));
    expect(read(joined, 'auto')![2]).toEqual({ type: 'code', line: 3, lang: null, value: 'first\n\n  second\nthird' });
    // A fenced block beside an indented one: two blocks, read by the addon.
    expect(byAddon('```\nx\n```\n    indented\n')).toHaveLength(2);
    const deep = (n: number) => Array.from({ length: n }, (_, i) => `${'  '.repeat(i)}- [ ] step ${i}`).join('\n');
    expect(byAddon(deep(MAX_LIST_DEPTH))).toBeDefined();
    expect(read(deep(MAX_LIST_DEPTH + 1), 'addon')).toBeUndefined();
    expect(read(deep(MAX_LIST_DEPTH + 1), 'auto')).toEqual(read(deep(MAX_LIST_DEPTH + 1), 'javascript'));
    // Quotes and emphasis thousands deep are read with a stack of its own.
    expect(byAddon('>'.repeat(10_000) + ' deep\n')).toEqual([{ type: 'note', text: 'deep' }]);
    expect(byAddon('*a '.repeat(5_000) + 'x' + ' a*'.repeat(5_000))).toBeDefined();
  });

  it('gives null for an arena it cannot read, damaged anywhere, and never reads past it', () => {
    const outlineJson = nativeAddon()!.outlineJson as (arena: Uint8Array, source: string) => string | null;
    const satteri = nativeParser()!;
    const handle = satteri.createMdastHandle(SAMPLE, PARSE_OPTIONS, true);
    const arena = satteri.serializeHandle(handle).slice();
    satteri.dropHandle(handle);
    expect(outlineJson(arena, SAMPLE)).toBe(SAMPLE_OUTLINE);
    // A byte of the string pool that is not UTF-8, where a text of the outline is.
    const pool = new DataView(arena.buffer).getUint32(HEADER.pool, true);
    const bad = arena.slice();
    bad[pool + new TextEncoder().encode(SAMPLE).indexOf(0x54 /* T of Título */)] = 0xff;
    expect(outlineJson(bad, SAMPLE)).toBeNull();
    // Cut short anywhere: null, or an outline where the cut spares all it reads.
    for (let end = 0; end < arena.length; end += 7) {
      const json = outlineJson(arena.slice(0, end), SAMPLE);
      if (json !== null) expect(JSON.parse(json)).toEqual(JSON.parse(SAMPLE_OUTLINE));
    }
    // Bytes changed at random: whatever comes back is null or JSON.
    const { next: random } = seeded(11);
    for (let n = 0; n < 2000; n++) {
      const damaged = arena.slice();
      for (let k = 0; k < 4; k++) damaged[Math.floor(random() * damaged.length)] = Math.floor(random() * 256);
      const json = outlineJson(damaged, SAMPLE);
      if (json !== null) expect(() => JSON.parse(json)).not.toThrow();
    }
    // Every node's children and data, and its first string's place and length, pointed far past
    // the arena in turn: a read that did not check its bounds would crash here. Most give null.
    const view = new DataView(arena.buffer);
    const nodes = view.getUint32(HEADER.nodes, true);
    const count = view.getUint32(HEADER.nodeCount, true);
    const typeData = view.getUint32(HEADER.typeData, true);
    const far = (at: number) => {
      const damaged = arena.slice();
      new DataView(damaged.buffer).setUint32(at, 0xfffffff0, true);
      const json = outlineJson(damaged, SAMPLE);
      if (json !== null) expect(() => JSON.parse(json)).not.toThrow();
      return json === null ? 1 : 0;
    };
    let nulls = 0;
    for (let id = 0; id < count; id++) {
      const node = nodes + id * ARENA.nodeSize;
      for (const field of [FIELD.childrenStart, FIELD.childrenCount, FIELD.dataOffset, FIELD.dataLen]) nulls += far(node + field);
      if (view.getUint32(node + FIELD.dataLen, true) >= 8) for (const at of [0, 4]) nulls += far(typeData + view.getUint32(node + FIELD.dataOffset, true) + at);
    }
    expect(nulls).toBeGreaterThan(count);
    expect(() => outlineJson(new Uint8Array(0), SAMPLE)).not.toThrow();
    expect(() => (outlineJson as (a: unknown, b: unknown) => unknown)('not bytes', SAMPLE)).toThrow(TypeError);
  });

  it('is not used with OPSCOCKPIT_NATIVE=off, and the outline is the same', () => {
    const text = readFileSync(join(SEEDS, 'decisionos-cutover.md'), 'utf8');
    const withAddon = read(text, 'auto');
    withNative(false, () => {
      expect(read(text, 'addon')).toBeUndefined();
      expect(read(text, 'auto')).toEqual(withAddon);
    });
  });
});

describe('where satteri cannot load or fails', () => {
  const dir = mkdtempSync(join(tmpdir(), 'oc-md-nonative-'));
  /** A module loaded before the CLI (NODE_OPTIONS=--require) that changes how satteri loads. */
  const preload = (name: string, body: string) => {
    const file = join(dir, name);
    writeFileSync(file, `const M = require('node:module');\n${body}\n`);
    return { NODE_OPTIONS: `--require ${file}` };
  };
  // `require('satteri')` fails, as it does where no binary is shipped.
  const missing = preload('no-satteri.cjs', "const r = M._resolveFilename; M._resolveFilename = function (req, ...a) { if (req === 'satteri') throw new Error('no satteri here'); return r.call(this, req, ...a); };");
  // satteri loads, but its parser throws.
  const failing = preload(
    'failing-satteri.cjs',
    "const l = M._load; M._load = function (req, ...a) { const m = l.call(this, req, ...a); return /satteri[\\\\/]index\\.js$/.test(req) ? { ...m, createMdastHandle() { throw new Error('parser failure'); } } : m; };",
  );
  // satteri parses, but its reader of the tree's strings (which OutlineReader uses) cannot load.
  const noReader = preload('no-mdast-reader.cjs', "const l = M._load; M._load = function (req, ...a) { if (/mdast-reader\\.js$/.test(req)) throw new Error('no reader'); return l.call(this, req, ...a); };");
  const body = (out: string) => out.slice(out.indexOf('\n') + 1);
  const head = (out: string) => out.slice(0, out.indexOf('\n'));

  it('the built binary reads Markdown runbooks with remark then, and reads the seeds the same', async () => {
    for (const name of ['decisionos-cutover.md', 'talkative-release.md']) {
      const file = resolve(SEEDS, name);
      const env = { OPSCOCKPIT_MARKDOWN_CACHE: 'off' };
      const withNative = await cli(['convert', file], { env });
      expect(withNative).toMatchObject({ code: 0, stderr: '' });
      expect(head(withNative.stdout)).toMatch(/\(Markdown read with satteri\)\.$/);
      for (const fallback of [missing, failing]) {
        const withRemark = await cli(['convert', file], { env: { ...env, ...fallback } });
        expect(withRemark).toMatchObject({ code: 0, stderr: '' });
        expect(head(withRemark.stdout)).toMatch(/\(Markdown read with remark\)\.$/);
        expect(body(withRemark.stdout)).toBe(body(withNative.stdout));
      }
    }
    // Without satteri's string reader: the addon reads the tree; without the addon too, remark.
    const file = resolve(SEEDS, 'decisionos-cutover.md');
    const env = { OPSCOCKPIT_MARKDOWN_CACHE: 'off', ...noReader };
    const byAddon = await cli(['convert', file], { env });
    expect(head(byAddon.stdout)).toMatch(/\(Markdown read with satteri\)\.$/);
    const byRemark = await cli(['convert', file], { env: { ...env, OPSCOCKPIT_NATIVE: 'off' } });
    expect(byRemark).toMatchObject({ code: 0, stderr: '' });
    expect(head(byRemark.stdout)).toMatch(/\(Markdown read with remark\)\.$/);
    expect(body(byRemark.stdout)).toBe(body(byAddon.stdout));
    // On a document the two read differently, the binary reads what remark reads.
    const differs = join(dir, 'differs.md');
    writeFileSync(differs, '---\n- [ ] Check the backups\n');
    expect((await cli(['convert', differs])).stdout).toContain('title: Check the backups');
    for (const fallback of [missing, failing]) expect((await cli(['convert', differs], { env: fallback })).stdout).not.toContain('title: Check the backups');
  });
});
