// build/narrow-width.mjs: the bundle's string-width answers plain text and one-column symbols
// itself, and loads string-width (its Intl.Segmenter, its \p{RGI_Emoji} regex) only for other
// text. Checked against every string-width version Ink's graph bundles, on random texts, and in
// a bundle made with the plugin, run in a child process.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { narrowClass, narrowPattern, narrowWidth, wrappedModules } from '../build/narrow-width.mjs';
import { seeded } from './support/random.js';

const ROOT = resolve('.');
const dir = mkdtempSync(join(tmpdir(), 'oc-narrow-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Width = (text: string, options?: object) => number;

/** The characters a class body (ranges of \uXXXX) stands for. */
function classChars(body: string): string[] {
  const out: string[] = [];
  for (const m of body.matchAll(/\\u([0-9a-f]{4})(?:-\\u([0-9a-f]{4}))?/g)) {
    const from = parseInt(m[1], 16);
    const to = m[2] ? parseInt(m[2], 16) : from;
    for (let cp = from; cp <= to; cp++) out.push(String.fromCodePoint(cp));
  }
  return out;
}

describe('string-width in the bundle (build/narrow-width.mjs)', () => {
  it('wraps every string-width that Ink and its text helpers import', async () => {
    await build({
      stdin: { contents: "export * from 'ink'; export { default as wrapAnsi } from 'wrap-ansi';", resolveDir: ROOT, loader: 'ts' },
      bundle: true,
      write: false,
      platform: 'node',
      format: 'esm',
      alias: { 'react-devtools-core': './build/devtools-stub.js' },
      plugins: [narrowWidth],
      logLevel: 'silent',
    });
    // Two versions here: 8.x (Ink, cli-truncate, widest-line) and 7.x (wrap-ansi).
    expect(wrappedModules.size).toBeGreaterThanOrEqual(2);
  });

  it('in each version, a text of printable ASCII and its narrow symbols is as wide as it is long', async () => {
    const { next: random } = seeded(31);
    for (const path of wrappedModules) {
      const real = (await import(pathToFileURL(path).href)).default as Width;
      const body = narrowClass(real);
      const narrow = narrowPattern(body);
      const symbols = classChars(body);
      // The cockpit's own symbols are among them: box drawing, dots, dashes, arrows, blocks.
      for (const c of '╭╮╰╯─│·—→…≥–≤±←↑↓○░█›•×') expect(symbols, `${c} in ${path}`).toContain(c);
      for (const c of symbols) expect(real(c), `${c} in ${path}`).toBe(1);
      for (let n = 0; n < 3000; n++) {
        let text = '';
        for (let k = Math.floor(random() * 40); k > 0; k--) text += random() < 0.5 ? String.fromCharCode(0x20 + Math.floor(random() * 95)) : symbols[Math.floor(random() * symbols.length)];
        expect(narrow.test(text)).toBe(true);
        expect(real(text), JSON.stringify(text)).toBe(text.length);
      }
      // Not narrow: wide, zero-width, emoji, control and escape characters go to string-width.
      for (const text of ['운영', '⚡', '✅', 'a\u0301', 'x\u200b', '✔\ufe0f', 'tab\there', '\u001b[31mred\u001b[39m', 'e\u0308']) expect(narrow.test(text), JSON.stringify(text)).toBe(false);
    }
  });

  it('loads string-width only for a text it cannot answer, and answers as string-width does', async () => {
    const bundle = join(dir, 'width.mjs');
    await build({
      stdin: { contents: "export { default } from 'string-width';", resolveDir: ROOT, loader: 'js' },
      bundle: true,
      outfile: bundle,
      platform: 'node',
      format: 'esm',
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
      plugins: [narrowWidth],
      logLevel: 'silent',
    });
    const script = `
      let built = 0;
      const Segmenter = Intl.Segmenter;
      Intl.Segmenter = class extends Segmenter { constructor(...a) { super(...a); built++; } };
      const { default: width } = await import(${JSON.stringify(pathToFileURL(bundle).href)});
      const out = { plain: [], loadedByPlain: 0, other: [] };
      for (const t of ['╭── Ready · 3 checks ──╮', '› ○ Operator on the bridge', 'GO — every check ✔ healthy', '']) out.plain.push([width(t), t.length]);
      out.loadedByPlain = built;
      const { default: real } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'node_modules', 'string-width', 'index.js')).href)});
      for (const t of ['운영 스코프', '⚡ power', '\\u001b[31mred\\u001b[39m', 'a\\u0301b']) out.other.push([width(t), real(t)]);
      out.withOptions = [width('±', { ambiguousIsNarrow: false }), real('±', { ambiguousIsNarrow: false })];
      console.log(JSON.stringify(out));`;
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }));
    for (const [got, length] of out.plain) expect(got).toBe(length);
    expect(out.loadedByPlain).toBe(0); // no Segmenter made: string-width was not loaded
    for (const [got, expected] of out.other) expect(got).toBe(expected);
    expect(out.other[0][0]).toBe(11); // Hangul: two columns a syllable
    expect(out.withOptions[0]).toBe(out.withOptions[1]);
    expect(out.withOptions[0]).toBe(2);
  });
});
