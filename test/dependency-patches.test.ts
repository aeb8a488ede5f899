// build/dependency-patches.mjs changes Ink's dependencies for start-up speed only: each patched
// module, bundled with and without its patch, answers the same. The bundle carries the patches.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { applyPatch, dependencyPatches, PATCHES } from '../build/dependency-patches.mjs';

const dir = mkdtempSync(join(tmpdir(), 'oc-patches-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `source` bundled as a module file, with the patches or without; its exports. */
async function bundled(name: string, source: string, patched: boolean): Promise<Record<string, any>> {
  const file = join(dir, `${name}-${patched ? 'patched' : 'original'}.mjs`);
  const r = await build({ stdin: { contents: source, resolveDir: resolve('.'), loader: 'js' }, bundle: true, format: 'esm', platform: 'node', write: false, plugins: patched ? dependencyPatches : [], logLevel: 'error' });
  writeFileSync(file, r.outputFiles[0].text);
  return import(pathToFileURL(file).href);
}

/** A random text with the styles a frame uses: colours, background, bold, dim, inverse, resets. */
function styledText(rand: () => number): string {
  const codes = [1, 2, 3, 4, 7, 22, 23, 24, 27, 31, 32, 33, 36, 39, 41, 49, 90, 0];
  let out = '';
  for (let i = 0; i < 200; i++) out += rand() < 0.3 ? `\u001b[${codes[Math.floor(rand() * codes.length)]}m` : 'ab ─│✔'[Math.floor(rand() * 6)];
  return out;
}

describe('dependency patches (build/dependency-patches.mjs)', () => {
  it('the style difference between characters is the original one, on 200 random styled texts', async () => {
    const source = "export { diffAnsiCodes, tokenize, styledCharsFromTokens, styledCharsToString } from '@alcalzone/ansi-tokenize';";
    const [original, patched] = [await bundled('ansi', source, false), await bundled('ansi', source, true)];
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    let same = 0;
    for (let t = 0; t < 200; t++) {
      const chars = original.styledCharsFromTokens(original.tokenize(styledText(rand)));
      for (let i = 1; i < chars.length; i++) {
        const [a, b] = [chars[i - 1].styles, chars[rand() < 0.5 ? i : Math.floor(rand() * chars.length)].styles];
        expect(patched.diffAnsiCodes(a, b)).toEqual(original.diffAnsiCodes(a, b));
        if (a.length === b.length && a.every((c: { code: string }, k: number) => c.code === b[k].code)) same++;
      }
      expect(patched.styledCharsToString(chars)).toBe(original.styledCharsToString(chars));
    }
    expect(same).toBeGreaterThan(1000); // the fast path was taken
  });

  it('Yoga decodes its WebAssembly to the same module and lays out a tree the same', async () => {
    const source = "import Yoga from 'yoga-layout'; export function layout() { const root = Yoga.Node.create(); root.setWidth(120); root.setFlexDirection(Yoga.FLEX_DIRECTION_ROW); const kids = [1, 2, 3].map((g, i) => { const n = Yoga.Node.create(); n.setFlexGrow(g); n.setHeight(10 + i); root.insertChild(n, i); return n; }); root.calculateLayout(undefined, undefined, Yoga.DIRECTION_LTR); return kids.map((n) => n.getComputedLayout()); }";
    const [original, patched] = [await bundled('yoga', source, false), await bundled('yoga', source, true)];
    expect(patched.layout()).toEqual(original.layout());
    expect(patched.layout().map((l: { width: number }) => l.width)).toEqual([20, 40, 60]);
  });

  it('a patch whose text is gone fails the build, naming the file and the patch', () => {
    expect(() => applyPatch(PATCHES[1], 'export function diffAnsiCodes(a, b) {}', 'diff.js')).toThrow(/diff\.js no longer contains .*ansi-diff-start/);
  });

  it('the bundle carries them', () => {
    const text = readdirSync('dist').filter((f) => f.endsWith('.js')).map((f) => readFileSync(join('dist', f), 'utf8')).join('\n');
    expect(text).toContain('Buffer.from(a.slice(37), "base64")');
    expect(text).toContain('from.length === to.length && from.every(');
    expect(text).not.toContain('typeof fetch');
  });
});
