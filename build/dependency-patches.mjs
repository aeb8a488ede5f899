// Start-up costs in Ink's dependencies, removed at build time (build.mjs) without changing what
// they do. Each patch names the text it replaces and fails the build when that text is gone (a
// new version of the dependency): it is then looked at again, not silently dropped.
// test/dependency-patches.test.ts checks that the patched code answers as the original does.
import { readFileSync } from 'node:fs';

export const PATCHES = [
  {
    // Yoga (Ink's layout engine) embeds its WebAssembly as base64. It decodes it through
    // fetch() when fetch exists, which loads Node's internal HTTP client just to read a string,
    // and else with atob() and a loop over every byte: Buffer decodes the same bytes about ten
    // times faster.
    name: 'yoga-start',
    file: /yoga-layout[\\/]dist[\\/]binaries[\\/].*\.js$/,
    edits: [
      ['typeof fetch', '"undefined"'],
      [
        'var b=xa(a.slice(37)),c=new Uint8Array(b.length);for(a=0;a<b.length;++a)c[a]=b.charCodeAt(a);var d=c',
        'var d=new Uint8Array(Buffer.from(a.slice(37),"base64"))',
      ],
    ],
  },
  {
    // Ink writes each frame character by character, asking which styles change from one
    // character to the next; the answer built four sets for every character, even where
    // nothing changes (most of a frame). Where both hold the same styles in the same order,
    // the answer is none, as the full computation finds.
    name: 'ansi-diff-start',
    file: /@alcalzone[\\/]ansi-tokenize[\\/]build[\\/]diff\.js$/,
    edits: [
      [
        'export function diffAnsiCodes(from, to) {',
        'export function diffAnsiCodes(from, to) {\n    if (from.length === to.length && from.every((code, i) => code.code === to[i].code && code.endCode === to[i].endCode)) return [];',
      ],
    ],
  },
];

/** `text` (the file at `where`) with a patch's edits; throws when one no longer applies. */
export function applyPatch(patch, text, where) {
  for (const [from, to] of patch.edits) {
    if (!text.includes(from)) throw new Error(`dependency-patches: ${where} no longer contains ${JSON.stringify(from.slice(0, 60))}…; look at the patch ${patch.name} again`);
    text = text.replaceAll(from, to);
  }
  return text;
}

/** The patches as esbuild plugins. */
export const dependencyPatches = PATCHES.map((patch) => ({
  name: patch.name,
  setup(b) {
    b.onLoad({ filter: patch.file }, (args) => ({ contents: applyPatch(patch, readFileSync(args.path, 'utf8'), args.path), loader: 'js' }));
  },
}));
