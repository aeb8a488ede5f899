// Project code bundled to one ESM file for a child process run by plain node (which cannot
// import TypeScript). The file lives under the project, so the packages left external
// (better-sqlite3, pg) resolve from node_modules.
import { join } from 'node:path';
import { build } from 'esbuild';

const root = join(import.meta.dirname, '..', '..');

/** Bundle `from` (a file under the project, or module text resolved from its root) as `name`; resolves with the file. */
export async function nodeBundle(from: { entry: string } | { contents: string }, name: string, external: string[]): Promise<string> {
  const outfile = join(root, 'node_modules', '.cache', 'opscockpit-test', `${name}-${process.pid}.mjs`);
  await build({
    ...('entry' in from ? { entryPoints: [join(root, from.entry)] } : { stdin: { contents: from.contents, resolveDir: root, loader: 'ts' as const } }),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external,
    // CommonJS dependencies bundled into ESM call require().
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    outfile,
    logLevel: 'silent',
  });
  return outfile;
}
