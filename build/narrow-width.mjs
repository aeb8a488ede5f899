// The column width of text as Ink measures it (string-width), without string-width's start-up
// cost where the text needs none of it. string-width builds an Intl.Segmenter and compiles a
// \p{RGI_Emoji} regex when its module loads, and runs them on the first text that is not plain
// ASCII: on this machine that was about 30 ms of the cockpit's start, spent on a frame of box
// drawing, dots and arrows, each one column wide.
//
// build.mjs replaces every import of string-width with a wrapper made here for the version that
// import resolves to: text made only of printable ASCII and of symbols that this version
// measures as one column each is as wide as it is long; any other text (or any options) goes to
// string-width itself, loaded on that first call. Which symbols those are is asked of the
// version itself, at build time, so the answer is its own (versions differ: 7.2 counts ✔ as two
// columns, 8.3 as one). The answer comes from the Node that builds (its Unicode tables), which
// is the Node that runs the bundle here: `npm test`, `npm run demo` and the bench build first.
// test/narrow-width.test.ts checks the rule on random texts.
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Symbol blocks a terminal UI draws with: Latin-1, general punctuation, super- and subscripts,
 * Greek, arrows, mathematical operators, technical symbols, box drawing, block elements,
 * geometric shapes, miscellaneous symbols and dingbats.
 */
const CANDIDATES = [
  [0x00a1, 0x00ff],
  [0x0391, 0x03c9],
  [0x2010, 0x2027],
  [0x2030, 0x205e],
  [0x2070, 0x209f],
  [0x2190, 0x23ff],
  [0x2500, 0x27bf],
];

/**
 * The characters of CANDIDATES that `stringWidth` counts as one column, alone and between
 * ASCII letters (so none joins its neighbours into one cluster), as a regex class body.
 */
export function narrowClass(stringWidth) {
  const hex = (cp) => `\\u${cp.toString(16).padStart(4, '0')}`;
  let body = '';
  for (const [from, to] of CANDIDATES) {
    let start = -1; // the first of the run of narrow characters being read
    for (let cp = from; cp <= to + 1; cp++) {
      const c = String.fromCodePoint(cp);
      const narrow = cp <= to && stringWidth(c) === 1 && stringWidth(`a${c}b`) === 3 && stringWidth(`${c}${c}`) === 2;
      if (narrow && start === -1) start = cp;
      if (!narrow && start !== -1) {
        body += cp - 1 === start ? hex(start) : `${hex(start)}-${hex(cp - 1)}`;
        start = -1;
      }
    }
  }
  return body;
}

/** The test a wrapper makes of a text: printable ASCII and the narrow characters only. */
export function narrowPattern(body) {
  return new RegExp(`^[\\x20-\\x7e${body}]*$`);
}

/** The wrapper's source for the string-width module at `realPath` (required as ./its-name). */
export async function narrowWidthModule(realPath) {
  const real = (await import(pathToFileURL(realPath).href)).default;
  const pattern = narrowPattern(narrowClass(real));
  return [
    `const NARROW = ${pattern};`,
    'let real;',
    'export default function stringWidth(input, options) {',
    "  if (options === undefined && typeof input === 'string' && NARROW.test(input)) return input.length;",
    // esbuild bundles this require() as a module that starts on its first call.
    `  real ??= require(${JSON.stringify(`./${path.basename(realPath)}`)}).default;`,
    '  return real(input, options);',
    '}',
  ].join('\n');
}

/** The string-width modules the plugin has wrapped in this process (the tests read it). */
export const wrappedModules = new Set();

/** The esbuild plugin: each `string-width` import gets the wrapper of the version it resolves to. */
export const narrowWidth = {
  name: 'narrow-width',
  setup(b) {
    b.onResolve({ filter: /^string-width$/ }, async (args) => {
      if (args.namespace === 'narrow-width') return undefined;
      const real = await b.resolve('string-width', { resolveDir: args.resolveDir, kind: args.kind, importer: args.importer, namespace: 'narrow-width' });
      if (real.errors.length > 0) return { errors: real.errors };
      if (real.external || real.namespace !== 'file') return real; // nothing of it in the bundle to wrap
      // A path relative to the working directory, so the bundle is the same wherever it is built.
      return { path: path.relative(process.cwd(), real.path), namespace: 'narrow-width', pluginData: real.path };
    });
    b.onLoad({ filter: /.*/, namespace: 'narrow-width' }, async (args) => {
      const realPath = args.pluginData;
      wrappedModules.add(realPath);
      return { contents: await narrowWidthModule(realPath), loader: 'js', resolveDir: path.dirname(realPath), watchFiles: [realPath] };
    });
  },
};
