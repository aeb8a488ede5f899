// Every command loads dist/opscockpit.js and the chunks it imports statically. esbuild splits
// that code into dozens of chunks (one per set of lazy commands sharing it), and Node pays for
// each module it resolves, reads, compiles and links: on this machine the cockpit's start spent
// about 17 ms more on 47 such chunks than on the same code in one file. esbuild has no option
// for fewer, larger chunks, so this pass merges them after the build:
//
//   1. the entry's static closure (the chunks it imports, and theirs) is bundled again, by
//      esbuild, into one dist/opscockpit.js that also exports what each chunk exported, under
//      a name made from the chunk's (`chunk-AB12CD_name`);
//   2. every other output file (the lazy commands, the cockpit's screens) imports those names
//      from dist/opscockpit.js instead of from the chunk, which is then removed.
//
// Nothing is loaded at start that was not loaded before, and a lazy chunk still loads only
// when its command needs it. test/build-output.test.ts checks the result.
import { build } from 'esbuild';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, basename } from 'node:path';

/** A leading `import … from "./x.js";` or `import "./x.js";` of an esbuild output file. */
const IMPORT = /^import\s*(?:\{([^}]*)\}\s*from\s*)?"(\.\/[^"]+\.js)";\n/;
/** The single `export { … };` esbuild writes at the end of a chunk. */
const EXPORTS = /\nexport\s*\{([^}]*)\};\s*$/;

/** The import statements at the top of `text` (after the require banner, if any). */
export function leadingImports(text, banner = '') {
  let at = banner && text.startsWith(banner) ? banner.length : 0;
  if (text[at] === '\n') at++;
  const found = [];
  for (;;) {
    const m = IMPORT.exec(text.slice(at));
    if (!m) return found;
    found.push({ start: at, end: at + m[0].length, names: m[1], from: m[2] });
    at += m[0].length;
  }
}

/** `a, b as c` → [['a','a'], ['b','c']]: [name in the exporting file, name here]. */
function specifiers(list) {
  return list.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
    const [theirs, , ours] = s.split(/\s+/);
    return [theirs, ours ?? theirs];
  });
}

/** The chunk's exported names (the names importers use). */
function exportedNames(text) {
  const m = EXPORTS.exec(text);
  if (!m) return []; // loaded for its effects only
  return specifiers(m[1]).map(([, exported]) => exported);
}

const mergedName = (chunk, name) => `${basename(chunk, '.js').replace(/[^A-Za-z0-9]/g, '_')}_${name}`;

/**
 * Merges dist/<entry> and its static closure into one file (see above). `banner` is the
 * require banner build.mjs puts on every file; `external` the packages left to node_modules.
 */
export async function mergeMain(dir, { entry, banner, external }) {
  const files = readdirSync(dir).filter((f) => f.endsWith('.js'));
  const text = new Map(files.map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
  const imports = new Map(files.map((f) => [f, leadingImports(text.get(f), banner)]));

  const closure = new Set();
  const queue = [entry];
  while (queue.length) {
    const f = queue.pop();
    if (closure.has(f)) continue;
    closure.add(f);
    for (const i of imports.get(f)) queue.push(i.from.slice(2));
  }
  closure.delete(entry);
  if (closure.size === 0) return { merged: 0 };

  // 1. One file: the entry, and each chunk's exports under a name of its own.
  const facade = [`export * from './${entry}';`];
  for (const chunk of closure) {
    const names = exportedNames(text.get(chunk));
    if (names.length) facade.push(`export { ${names.map((n) => `${n} as ${mergedName(chunk, n)}`).join(', ')} } from './${chunk}';`);
  }
  const inside = new Set([entry, ...closure]);
  const result = await build({
    stdin: { contents: facade.join('\n'), resolveDir: dir, sourcefile: 'merge-main.js', loader: 'js' },
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external,
    legalComments: 'none',
    logLevel: 'warning',
    write: false,
    plugins: [{
      name: 'other-outputs-stay',
      setup(b) {
        // Files outside the closure (lazy chunks, loaded by import()) stay files of their own.
        b.onResolve({ filter: /^\.\// }, (args) => (inside.has(args.path.slice(2)) ? undefined : { path: args.path, external: true }));
        // Each chunk's own require banner goes; the merged file gets one (below).
        b.onLoad({ filter: /\.js$/ }, (args) => {
          const own = text.get(basename(args.path));
          return own === undefined ? undefined : { contents: own.startsWith(banner) ? own.slice(banner.length) : own, loader: 'js' };
        });
      },
    }],
  });
  const merged = result.outputFiles[0].text;

  // 2. Every other file imports from the merged entry what it imported from a chunk.
  for (const f of files) {
    if (inside.has(f)) continue;
    const found = imports.get(f).filter((i) => inside.has(i.from.slice(2)));
    if (!found.length) continue;
    let out = text.get(f);
    for (const i of [...found].reverse()) {
      const chunk = i.from.slice(2);
      const statement = i.names === undefined
        ? `import "./${entry}";\n`
        : `import { ${specifiers(i.names).map(([theirs, ours]) => `${chunk === entry ? theirs : mergedName(chunk, theirs)} as ${ours}`).join(', ')} } from "./${entry}";\n`;
      out = out.slice(0, i.start) + statement + out.slice(i.end);
    }
    writeFileSync(join(dir, f), out);
  }
  writeFileSync(join(dir, entry), /\brequire\b/.test(merged) ? `${banner}\n${merged}` : merged);
  for (const chunk of closure) rmSync(join(dir, chunk));
  return { merged: closure.size };
}
