// `npm run docs` (after the build): writes the generated parts of the documentation.
//   docs/runbook-format.md   every runbook field, from the JSON Schema `opscockpit schema` prints
//   README.md key table      from the keymap registry (src/keys/keymap.ts), between the keys markers
// test/docs.test.ts and test/presentation.test.ts fail when a committed file differs.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { renderRunbookFormat } from './runbook-format.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'opscockpit');

const schema = JSON.parse(execFileSync(process.execPath, [BIN, 'schema'], { encoding: 'utf8', maxBuffer: 16 << 20 }));
writeFileSync(join(ROOT, 'docs', 'runbook-format.md'), renderRunbookFormat(schema));

// The key table: the registry's own code, bundled beside dist/ so its imports resolve.
const { build } = await import('esbuild');
const bundle = join(ROOT, 'dist', `docs-keys-${process.pid}.mjs`);
await build({
  stdin: {
    contents: `export { buildKeymap, keyTableMarkdown } from './src/keys/keymap.ts';
export { loadRunbook } from './src/runbook/load.ts';
export { demoRunbookPath } from './src/cli/paths.ts';`,
    resolveDir: ROOT,
    loader: 'ts',
  },
  bundle: true,
  platform: 'node',
  format: 'esm',
  external: ['better-sqlite3', 'satteri'],
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  outfile: bundle,
  logLevel: 'silent',
});
try {
  const k = await import(pathToFileURL(bundle).href);
  const keymap = k.buildKeymap(k.loadRunbook(k.demoRunbookPath(), { OPSCOCKPIT_DEMO_URL: 'http://127.0.0.1:9' }), { demo: true });
  // The README shows the cockpit's keys; docs/keys.md those of the start form, the ledger
  // screen and dialogs. Each file keeps its table between the same two markers.
  for (const [file, which] of [['README.md', 'cockpit'], [join('docs', 'keys.md'), 'screens']]) {
    const path = join(ROOT, file);
    const text = readFileSync(path, 'utf8');
    const [head, rest] = text.split('<!-- keys:start -->\n');
    const tail = rest?.split('\n<!-- keys:end -->')[1];
    if (tail === undefined) throw new Error(`${file} has no <!-- keys:start --> … <!-- keys:end --> section`);
    writeFileSync(path, `${head}<!-- keys:start -->\n${k.keyTableMarkdown(keymap, which)}\n<!-- keys:end -->${tail}`);
  }
} finally {
  rmSync(bundle, { force: true });
}
console.log('docs: wrote docs/runbook-format.md and the key tables of README.md and docs/keys.md');
