// The engine is pure: it decides, the layers around it do the I/O. Nothing under src/engine
// imports the runbook model (which is built of the engine's types), the UI, the adapters or
// Node's I/O modules.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const engineDir = join(root, 'src', 'engine');

/** Every module a source file names: static and dynamic imports, re-exports, require. */
function importedModules(source: string): string[] {
  const found: string[] = [];
  const patterns = [
    /\bimport\s+(?:type\s+)?[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bexport\s+(?:type\s+)?[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of source.matchAll(re)) found.push(m[1]);
  return found;
}

const NODE_IO = ['fs', 'fs/promises', 'child_process', 'net', 'http', 'https', 'http2', 'tls', 'dgram'];
const PACKAGES = ['ink', 'react', 'better-sqlite3', 'undici', 'execa'];
/** Folders of the layers above or beside the engine, relative to the repository. */
const LAYERS = ['src/runbook', 'adapters', 'screens', 'src/session', 'src/store', 'src/cli'];

/** Why `spec`, imported by `file`, is not allowed in the engine; undefined when it is. */
function forbidden(file: string, spec: string): string | undefined {
  if (spec.startsWith('.')) {
    const target = relative(root, resolve(dirname(file), spec)).split('\\').join('/');
    const layer = LAYERS.find((l) => target === l || target.startsWith(`${l}/`));
    return layer && `imports ${layer}`;
  }
  const bare = spec.replace(/^node:/, '');
  if (NODE_IO.includes(bare)) return `imports Node I/O (${spec})`;
  const pkg = spec.split('/')[0];
  if (PACKAGES.includes(pkg)) return `imports ${pkg}`;
  return undefined;
}

describe('architecture: the engine is pure', () => {
  it('finds every kind of import in a source text', () => {
    const text = [
      "import type { Check } from '../runbook/model.js';",
      "import { Box } from 'ink';",
      "export { x } from '../../adapters/http.js';",
      "import 'node:fs';",
      "const m = await import('node:child_process');",
      "const n = require('net');",
    ].join('\n');
    const file = join(engineDir, 'sample.ts');
    const why = importedModules(text).map((s) => forbidden(file, s));
    expect(why).toEqual(['imports src/runbook', 'imports ink', 'imports adapters', 'imports Node I/O (node:fs)', 'imports Node I/O (node:child_process)', 'imports Node I/O (net)']);
    expect(forbidden(file, './types.js')).toBeUndefined();
    expect(forbidden(file, 'node:crypto')).toBeUndefined();
  });

  it('no file under src/engine imports the runbook, the UI, the adapters or Node I/O', () => {
    const files = readdirSync(engineDir).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(5);
    const problems: string[] = [];
    for (const f of files) {
      const file = join(engineDir, f);
      for (const spec of importedModules(readFileSync(file, 'utf8'))) {
        const why = forbidden(file, spec);
        if (why) problems.push(`src/engine/${f} ${why}: '${spec}'`);
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('files stay small', () => {
  it('no source or test file of the project is over 400 lines', () => {
    const sources = (dir: string): string[] =>
      readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? sources(join(dir, e.name)) : /\.(ts|tsx|mjs)$/.test(e.name) ? [join(dir, e.name)] : [],
      );
    const files = ['src', 'adapters', 'screens', 'scripts', 'bench', 'test'].flatMap(sources);
    expect(files.length).toBeGreaterThan(100);
    const long = files.map((f) => [f, readFileSync(join(root, f), 'utf8').split('\n').length - 1] as const).filter(([, n]) => n > 400);
    expect(long).toEqual([]);
  });
});

describe('one implementation of each thing', () => {
  it('has no native code of its own and one Markdown parser', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string>; dependencies: Record<string, string>; devDependencies?: Record<string, string> };
    const top = readdirSync(root);
    expect(top).not.toContain('native');
    expect(top).not.toContain('binding.gyp');
    expect(Object.keys(pkg.scripts)).not.toContain('install');
    const deps = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies });
    expect(deps.filter((d) => /^(remark|unified|micromark|mdast-util-from-markdown)/.test(d))).toEqual([]);
    expect(deps).toContain('satteri');
    const sources = ['src', 'adapters', 'screens'].flatMap((d) => readdirSync(join(root, d), { recursive: true }).map((f) => join(root, d, String(f)))).filter((f) => /\.tsx?$/.test(f));
    expect(sources.filter((f) => readFileSync(f, 'utf8').includes('OPSCOCKPIT_NATIVE'))).toEqual([]);
  });
});
