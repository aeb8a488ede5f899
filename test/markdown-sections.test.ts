// remark, the parser used where satteri cannot load (read.ts): parsing a Markdown runbook
// section by section (and from the section cache) gives exactly what parsing the whole
// document at once gives: the same mdast, the same runbook, the same
// errors with the same lines. The cache survives a new process through its pack file on disk,
// reparses only an edited section, and ignores a damaged pack.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunbookError } from '../src/runbook/errors.js';
import type { Runbook } from '../src/runbook/model.js';
import { markdownCacheDir, SectionCache } from '../src/runbook/markdown/cache.js';
import { parseMarkdownRunbook } from '../src/runbook/markdown/load.js';
import { outlineOf } from '../src/runbook/markdown/outline.js';
import { parseMarkdown } from '../src/runbook/markdown/parse.js';
import { outlineDocument } from '../src/runbook/markdown/read.js';
import { splitSections } from '../src/runbook/markdown/sections.js';

const SEEDS = 'fixtures/runbooks/seeds';
const FILE = resolve('fixtures/runbooks/sections.md');

/** The runbook, or the issues of the RunbookError it throws. */
function load(text: string, options: Parameters<typeof parseMarkdownRunbook>[3], file = FILE): Runbook | RunbookError['issues'] {
  try {
    return parseMarkdownRunbook(text, file, {}, { parser: 'remark', ...options });
  } catch (e) {
    if (e instanceof RunbookError) return e.issues;
    throw e;
  }
}

const whole = (text: string) => load(text, { split: false, cache: false });
const memoryOnly = () => new SectionCache();
const cutLines = (text: string) => splitSections(text.replace(/\r\n?/g, '\n')).map((s) => s.line);

/** Split (no cache), split into a fresh cache, and again from that cache: all equal the whole parse. */
function expectSameEveryWay(text: string): void {
  expect(parseMarkdown(text)).toEqual(parseMarkdown(text, { split: false }));
  const expected = whole(text);
  expect(load(text, { cache: false })).toEqual(expected);
  const cache = memoryOnly();
  expect(load(text, { cache })).toEqual(expected);
  expect(load(text, { cache })).toEqual(expected);
  expect(cache.last.parsed).toBe(0);
}

describe('sections parse as the whole document does', () => {
  for (const name of readdirSync(SEEDS).filter((f) => f.endsWith('.md'))) {
    it(`seed ${name}`, () => {
      const text = readFileSync(join(SEEDS, name), 'utf8');
      expect(cutLines(text).length).toBeGreaterThan(3);
      expectSameEveryWay(text);
    });
  }

  it('a fence holding # lines is never cut, whether ``` or ~~~, at the top or in a list item', () => {
    const text = [
      '# Title', '', '## One', '', '```bash', '# not a heading', 'echo 1', '```', '',
      '## Two', '', '~~~~', '# still code', '~~~', '## still code', '~~~~', '',
      '## Three', '', '- item', '  ```', '  # comment in the item', '  ```', '# Four', '',
      '``` x`y', '# a heading: a backtick in the info string makes the line above text', '',
      '1. Run:', '   ```sh', '# column 0: the item and its fence end here, so this is a heading', '   ```',
      '## Not cut: the fence opened on the line above runs to the end', '',
    ].join('\n');
    expect(cutLines(text)).toEqual([1, 3, 10, 18, 24, 27]);
    expectSameEveryWay(text);
  });

  it('headings inside lists and blockquotes, setext headings, front matter with # comments', () => {
    const text = [
      '---', 'name: Sections', '# a YAML comment', 'targets: { app: "http://127.0.0.1:9" }', '---', '',
      'Runbook', '=======', '', '- item', '  # heading in an item', '> # heading in a quote', '',
      'Before the change', '-----------------', '', '1. [ ] Check `GET /health`', '2. Drain', '',
      '> note', 'lazy line', '## After', '', '* [x] Verify', '',
    ].join('\n');
    expect(cutLines(text)).toEqual([1, 7, 14, 22]);
    expectSameEveryWay(text);
    const rb = whole(text) as Runbook;
    expect(rb.name).toBe('Sections');
    expect(rb.checklists.postflight[0]).toMatchObject({ title: 'Verify', line: 24 });
  });

  it('HTML blocks run over what looks like headings', () => {
    const text = ['# T', '', '<!--', '# hidden', '-->', '## Shown', '', '<div>', '# inside the div', '</div>', '', '## Next', '', '- [ ] step', ''].join('\n');
    expect(cutLines(text)).toEqual([1, 6, 12]);
    expectSameEveryWay(text);
  });

  it('a block left open at the end of a section ends where it ends in the whole document', () => {
    // The fence in the quote and the one in the item are closed by the next heading.
    for (const text of ['> ```\n>\n## H2\ntext\n', '+ plus\n\n    ~~~\n   \n   \n# H\n', '- item\n\n    ~~~\n    code\n# H\n']) {
      expect(cutLines(text).length).toBe(2);
      expectSameEveryWay(text);
    }
  });

  it('CRLF line endings, a BOM, and Korean text', () => {
    const text = '\uFEFF' + ['배포 런북', '=====', '', '## 사전 점검', '', '1. 백업 확인', '', '## 검증', '', '- [ ] 모니터링 확인', ''].join('\r\n');
    expect(cutLines(text).length).toBe(3);
    expectSameEveryWay(text);
  });

  it('reference definitions reach across sections: such a document is parsed whole', () => {
    const text = ['# T', '', '## Before', '', '- [ ] Read [the guide][g]', '', '## After', '', '[g]: https://example.com/guide', ''].join('\n');
    expect(cutLines(text)).toEqual([1]);
    expectSameEveryWay(text);
    expect((whole(text) as Runbook).checklists.preflight[0].title).toBe('Read the guide');
  });

  it('errors name the same lines', () => {
    const body = Array.from({ length: 40 }, (_, i) => `## Pre-flight ${i}\n\n- [ ] step ${i}\n`).join('\n');
    const text = `---\nnmae: typo\n---\n\n# T\n\n${body}`;
    const issues = whole(text);
    expect(issues).toMatchObject([{ line: 2, path: 'nmae' }]);
    expectSameEveryWay(text);
  });

  it('random documents made of tricky lines', () => {
    const lines = [
      '# H', '## H2', '#', '#x', ' # h', 'Title', '=====', '-----', '---', '***', '', '', '', '```', '```bash', '~~~', '````', '``` a`b',
      '  ```', '   ```', '    ```', '\t```', '- item', '- [ ] task', '1. one', '   para', '  - sub', '10. ten', '   # not', '> quote',
      '> ```', '> # q', 'text', '| a | b |', '|---|---|', '<!--', '-->', '<!-- c -->', '<!-->', '<div>', '</div>', '<pre>', '</pre>',
      '<?php', '?>', '<span>', '<![CDATA[', ']]>', '<!DOCTYPE html>', 'GET /health', '    code', 'www.example.com', 'a\\',
      'see https://a.example/x). or ops@example.com', '- [ ] `curl http://localhost/readyz` www.b.example,',
    ];
    let seed = 7;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    let cuts = 0;
    for (let n = 0; n < 300; n++) {
      const indent = () => (random() < 0.3 ? ' '.repeat(Math.floor(random() * 6)) : '');
      const doc = Array.from({ length: 10 + Math.floor(random() * 30) }, () => indent() + lines[Math.floor(random() * lines.length)]);
      if (random() < 0.1) doc.unshift('---', 'a: 1', '# c', '---');
      const text = doc.join(random() < 0.2 ? '\r\n' : '\n');
      cuts += cutLines(text).length - 1;
      const tree = parseMarkdown(text);
      expect(tree, text).toEqual(parseMarkdown(text, { split: false }));
      if (n % 3 === 0) expect(outlineDocument(text, undefined, { parser: 'remark', cache: false }), text).toEqual(outlineOf(tree.children));
    }
    expect(cuts).toBeGreaterThan(50);
  });
});

describe('the text the walker reads', () => {
  // Outlines are parsed without remark-gfm's transform that turns bare URLs and addresses into
  // links: the text must be the same as with it.
  const sameAsFullRemark = (text: string) => expect(outlineDocument(text, undefined, { parser: 'remark', cache: false })).toEqual(outlineOf(parseMarkdown(text).children));

  it('is the same as full remark-gfm gives, on the seeds and on text full of bare URLs and addresses', () => {
    for (const name of readdirSync(SEEDS).filter((f) => f.endsWith('.md'))) sameAsFullRemark(readFileSync(join(SEEDS, name), 'utf8'));
    const text = [
      '# Links', '', '## Before', '',
      '- [ ] Check https://example.com/health?x=1). and www.example.org, then (http://a.b/c_(d)).',
      '- [ ] Mail ops@example.com or mailto:oncall@example.com, xmpp:bot@example.com/res, a@b.c_ stays text',
      '1. Open <https://example.com> and [the guide](https://example.com/guide) — `curl http://localhost:8080/readyz`',
      '', '| url | who |', '|---|---|', '| https://status.example.com | ops@example.com |', '',
      '> See www.example.com/docs!', '', 'Before the change: http://x.y.z/a?b=c&d=e;', '',
    ].join('\n');
    sameAsFullRemark(text);
    expect(outlineDocument(text, undefined, { parser: 'remark', cache: false })[2]).toMatchObject({
      type: 'list',
      items: [{ first: { text: 'Check https://example.com/health?x=1). and www.example.org, then (http://a.b/c_(d)).' } }, {}],
    });
  });
});

describe('the section cache', () => {
  const section = (i: number) => `## Pre-flight ${i}\n\n- [ ] Check \`GET /health\` (${i})\n\n\`\`\`bash\n# step\necho ${i}\n\`\`\`\n\n`;
  const long = (edit?: number) => `# Long\n\n${Array.from({ length: 200 }, (_, i) => section(i).replace('Check', i === edit ? 'Recheck' : 'Check')).join('')}`;
  // Any length goes to disk here; the default threshold is tested on its own below.
  const onDisk = (dir: string) => new SectionCache({ dir: () => dir, diskMinChars: 1 });

  it('a new process reads the pack from disk; after an edit only that section is parsed again', () => {
    const dir = mkdtempSync(join(tmpdir(), 'oc-md-cache-'));
    const text = long();
    const expected = whole(text);
    const first = onDisk(dir);
    expect(load(text, { cache: first })).toEqual(expected);
    expect(first.last).toMatchObject({ sections: 201, parsed: 201 });
    expect(readdirSync(dir)).toHaveLength(1);

    const second = onDisk(dir); // as a new process would
    expect(load(text, { cache: second })).toEqual(expected);
    expect(second.last).toMatchObject({ disk: 201, parsed: 0 });

    const edited = long(70);
    const third = onDisk(dir);
    const rb = load(edited, { cache: third }) as Runbook;
    expect(rb).toEqual(whole(edited));
    expect(third.last).toMatchObject({ disk: 200, parsed: 1 });
    expect(rb.checklists.preflight.find((s) => s.title.startsWith('Recheck'))?.line).toBe(edited.split('\n').indexOf('- [ ] Recheck `GET /health` (70)') + 1);
    expect(readdirSync(dir)).toHaveLength(1);
  });

  it('a damaged pack is ignored and written anew', () => {
    const dir = mkdtempSync(join(tmpdir(), 'oc-md-cache-'));
    const text = long();
    const expected = whole(text);
    load(text, { cache: onDisk(dir) });
    const pack = join(dir, readdirSync(dir)[0]);
    const good = readFileSync(pack, 'utf8');
    const damaged = [
      'not json at all',
      good.slice(0, good.length / 2), // cut short
      good.replace('Pre-flight 12', 'Pre-flight 13'), // edited: its sha256 no longer matches
      good.replace(/"format":"[^"]*"/, '"format":"another"'),
    ];
    for (const bytes of damaged) {
      writeFileSync(pack, bytes);
      const cache = onDisk(dir);
      expect(load(text, { cache })).toEqual(expected);
      expect(cache.last.parsed).toBe(201);
      const again = onDisk(dir);
      expect(load(text, { cache: again })).toEqual(expected);
      expect(again.last.parsed).toBe(0);
    }
  });

  it('short documents stay in memory only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'oc-md-cache-'));
    const cache = new SectionCache({ dir: () => dir });
    load(readFileSync(join(SEEDS, 'daily-ops.md'), 'utf8'), { cache });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('lives under $XDG_CACHE_HOME, else ~/.cache, and can be turned off', () => {
    expect(markdownCacheDir({ XDG_CACHE_HOME: '/var/cache/me' })).toBe('/var/cache/me/opscockpit/markdown');
    expect(markdownCacheDir({ HOME: '/home/op' })).toBe('/home/op/.cache/opscockpit/markdown');
    expect(markdownCacheDir({ XDG_CACHE_HOME: 'relative', HOME: '/home/op' })).toBe('/home/op/.cache/opscockpit/markdown');
    expect(markdownCacheDir({ XDG_CACHE_HOME: '/x', OPSCOCKPIT_MARKDOWN_CACHE: 'off' })).toBeUndefined();
  });
});
