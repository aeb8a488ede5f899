// Bundles the CLI into dist/ with esbuild: startup time is a product feature. The TUI is a
// separate chunk loaded only by `open` and `demo`, so headless commands never load Ink.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: { opscockpit: 'src/cli/entry.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Native addon: loaded from node_modules at run time.
  external: ['better-sqlite3'],
  alias: { 'react-devtools-core': './build/devtools-stub.js' },
  define: { 'process.env.NODE_ENV': '"production"' },
  banner: { js: "import { createRequire as __ocCreateRequire } from 'node:module'; const require = __ocCreateRequire(import.meta.url);" },
  legalComments: 'none',
  logLevel: 'warning',
});
