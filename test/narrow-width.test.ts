// build/narrow-width.mjs: the bundle's string-width answers plain text and one-column symbols
// itself, and loads string-width (its Intl.Segmenter, its \p{RGI_Emoji} regex) only for other
// text. Checked against every string-width version Ink's graph bundles, on random texts and
// symbol pairs, in a bundle made with the plugin and run in a child process, and in dist/.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
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
const require = createRequire(import.meta.url);

/** The string-width files Ink's graph uses: Ink's own, and the one under wrap-ansi. */
const VERSIONS = new Set([
  createRequire(require.resolve('ink')).resolve('string-width'),
  createRequire(require.resolve('wrap-ansi')).resolve('string-width'),
]);

/** The string-width modules the plugin wraps when it bundles Ink and wrap-ansi (built once). */
let wrapped: Promise<Set<string>> | undefined;
function wrappedByBundle(): Promise<Set<string>> {
  wrapped ??= build({
    stdin: { contents: "export * from 'ink'; export { default as wrapAnsi } from 'wrap-ansi';", resolveDir: ROOT, loader: 'ts' },
    bundle: true,
    write: false,
    platform: 'node',
    format: 'esm',
    alias: { 'react-devtools-core': './build/devtools-stub.js' },
    plugins: [narrowWidth],
    logLevel: 'silent',
  }).then(() => new Set(wrappedModules));
  return wrapped;
}

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
    expect(VERSIONS.size).toBe(2); // 8.x for Ink, cli-truncate and widest-line; 7.x for wrap-ansi
    expect(await wrappedByBundle()).toEqual(VERSIONS);
  });

  it('in each version, a text of printable ASCII and its narrow symbols is as wide as it is long', async () => {
    const { next: random } = seeded(31);
    const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
    for (const path of VERSIONS) {
      const real = (await import(pathToFileURL(path).href)).default as Width;
      const body = narrowClass(real);
      const narrow = narrowPattern(body);
      const symbols = classChars(body);
      // The cockpit's own symbols are among them: box drawing, dots, dashes, arrows, blocks.
      for (const c of '╭╮╰╯─│·—→…≥–≤±←↑↓○░█›•×') expect(symbols, `${c} in ${path}`).toContain(c);
      // Each symbol is a grapheme of its own beside any other (so widths add up) ...
      for (const c of symbols) {
        for (let k = 0; k < 40; k++) {
          const d = symbols[Math.floor(random() * symbols.length)];
          expect([...graphemes.segment(c + d)].length, `${c}${d}`).toBe(2);
        }
      }
      // ... and random texts of them and ASCII measure their length.
      for (let n = 0; n < 3000; n++) {
        let text = '';
        for (let k = Math.floor(random() * 40); k > 0; k--) text += random() < 0.5 ? String.fromCharCode(0x20 + Math.floor(random() * 95)) : symbols[Math.floor(random() * symbols.length)];
        expect(real(text), JSON.stringify(text)).toBe(text.length);
      }
      // Not narrow: wide, zero-width, emoji, control and escape characters go to string-width.
      for (const text of ['운영', '⚡', '✅', 'a\u0301', 'x\u200b', '✔\ufe0f', 'soft\u00adhyphen', 'tab\there', 'del\x7f', '\u001b[31mred\u001b[39m', 'e\u0308']) expect(narrow.test(text), JSON.stringify(text)).toBe(false);
    }
  });

  it('loads string-width only for a text it cannot answer, and answers as string-width does (both versions)', async () => {
    const bundle = join(dir, 'width.mjs');
    await build({
      stdin: { contents: "export { default } from 'string-width'; export { default as wrapAnsi } from 'wrap-ansi';", resolveDir: ROOT, loader: 'js' },
      bundle: true,
      outfile: bundle,
      platform: 'node',
      format: 'esm',
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
      plugins: [narrowWidth],
      logLevel: 'silent',
    });
    const [v8, v7] = [...VERSIONS].map((p) => JSON.stringify(pathToFileURL(p).href));
    const wrapAnsi = JSON.stringify(pathToFileURL(require.resolve('wrap-ansi')).href);
    const script = `
      let built = 0;
      const Segmenter = Intl.Segmenter;
      Intl.Segmenter = class extends Segmenter { constructor(...a) { super(...a); built++; } };
      const { default: width, wrapAnsi } = await import(${JSON.stringify(pathToFileURL(bundle).href)});
      const plain = ['╭── Ready · 3 checks ──╮', '› ○ Operator on the bridge', 'GO — every check ✔ healthy', ''];
      const other = ['운영 스코프', '⚡ power', '\\u001b[31mred\\u001b[39m', 'a\\u0301b', '✔\\ufe0f done'];
      // wrap-ansi's string-width (7.x) counts ✔ as two columns: for it, that text is not plain.
      const plainForWrap = plain.slice(0, 2);
      const out = { plain: plain.map((t) => [width(t), t.length]), wrapped: plainForWrap.map((t) => wrapAnsi(t, 12, { hard: true })) };
      out.loadedByPlain = built;
      out.other = other.map((t) => width(t));
      out.otherWrapped = other.map((t) => wrapAnsi(t, 6, { hard: true }));
      out.withOptions = width('±', { ambiguousIsNarrow: false });
      const { default: real8 } = await import(${v8});
      const { default: realWrap } = await import(${wrapAnsi});
      out.real = { other: other.map((t) => real8(t)), wrapped: plainForWrap.map((t) => realWrap(t, 12, { hard: true })), otherWrapped: other.map((t) => realWrap(t, 6, { hard: true })), withOptions: real8('±', { ambiguousIsNarrow: false }) };
      console.log(JSON.stringify(out));`;
    expect(v7).toContain('wrap-ansi');
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }));
    for (const [got, length] of out.plain) expect(got).toBe(length);
    expect(out.loadedByPlain).toBe(0); // no Segmenter made: neither string-width was loaded
    expect(out.wrapped).toEqual(out.real.wrapped);
    expect(out.other).toEqual(out.real.other);
    expect(out.other[0]).toBe(11); // Hangul: two columns a syllable
    expect(out.otherWrapped).toEqual(out.real.otherWrapped);
    expect(out.withOptions).toBe(out.real.withOptions);
    expect(out.withOptions).toBe(2);
  });

  it('is in the TUI chunk that build.mjs writes', () => {
    const chunks = readdirSync(join(ROOT, 'dist')).filter((f) => f.endsWith('.js'));
    const wrappers = chunks.flatMap((f) => readFileSync(join(ROOT, 'dist', f), 'utf8').match(/^\/\/ narrow-width:.*$/gm) ?? []);
    expect(wrappers.sort()).toEqual(['// narrow-width:node_modules/string-width/index.js', '// narrow-width:node_modules/wrap-ansi/node_modules/string-width/index.js']);
  });
});
