// Bundles the CLI into dist/ with esbuild: startup time is a product feature. The TUI is a
// separate chunk loaded only by `open` and `demo`, so headless commands never load Ink.
import { build } from 'esbuild';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { narrowWidth } from './build/narrow-width.mjs';
import { dependencyPatches } from './build/dependency-patches.mjs';
import { mergeMain } from './build/merge-main.mjs';

/**
 * Bundled CommonJS code (React, yaml's helpers) calls `require`, which an ES module does not
 * have: each output file starts with one. Made for every chunk, though only a few call it, it
 * cost each chunk loaded a createRequire at start-up; dropFreeRequire removes it where unused.
 */
const REQUIRE_BANNER = "import { createRequire as __ocCreateRequire } from 'node:module'; const require = __ocCreateRequire(import.meta.url);";

/** The require banner off every output file that never says `require` (test/build-output.test.ts). */
function dropFreeRequire(dir) {
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.js'))) {
    const text = readFileSync(join(dir, name), 'utf8');
    if (!text.startsWith(REQUIRE_BANNER)) continue;
    const rest = text.slice(REQUIRE_BANNER.length);
    if (!/\brequire\b/.test(rest)) writeFileSync(join(dir, name), rest.replace(/^\n/, ''));
  }
}

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: { opscockpit: 'src/cli/entry.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Native addons: loaded from node_modules at run time.
  external: ['better-sqlite3', 'satteri'],
  alias: { 'react-devtools-core': './build/devtools-stub.js' },
  define: { 'process.env.NODE_ENV': '"production"' },
  banner: { js: REQUIRE_BANNER },
  legalComments: 'none',
  plugins: [...dependencyPatches, narrowWidth],
  logLevel: 'warning',
});

// The entry's static chunks become one file (build/merge-main.mjs).
await mergeMain('dist', { entry: 'opscockpit.js', banner: REQUIRE_BANNER, external: ['better-sqlite3', 'satteri'] });

// Two more entries, each one file of its own (no splitting):
// - the verify worker, beside the code that starts it (adapters/ledger-verify.ts): a worker
//   thread shares no modules with the main thread, so it takes nothing from the chunks;
// - `harvest` (bin/opscockpit picks it), loading neither the runbook code nor Ink, so a
//   harvest starts almost as fast as Node itself.
await build({
  entryPoints: { 'ledger-verify-worker': 'adapters/ledger-verify-worker.ts', harvest: 'src/cli/harvest-entry.ts' },
  outdir: 'dist',
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['better-sqlite3'],
  banner: { js: REQUIRE_BANNER },
  legalComments: 'none',
  logLevel: 'warning',
});

dropFreeRequire('dist');
