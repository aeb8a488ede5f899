// build.mjs: an output file defines `require` (a createRequire banner) exactly when its code
// calls it. A chunk that calls it without one fails when loaded ("require is not defined"); one
// that has it without a call pays a createRequire at every start. And the code every command
// loads is one file (build/merge-main.mjs), whose exports are what the lazy chunks import.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { leadingImports } from '../build/merge-main.mjs';

const DIST = resolve('dist');
const BANNER = /^import \{ createRequire as __ocCreateRequire \} from 'node:module'; const require = __ocCreateRequire\(import\.meta\.url\);\n?/;

describe('dist/ (npm test builds it first)', () => {
  it('every file that calls require defines it, and no other file does', () => {
    const files = readdirSync(DIST).filter((f) => f.endsWith('.js'));
    const wrong = files.filter((f) => {
      const text = readFileSync(join(DIST, f), 'utf8');
      const banner = BANNER.test(text);
      return banner !== /\brequire\b/.test(text.replace(BANNER, ''));
    });
    expect(wrong).toEqual([]);
    // Both kinds exist: React's CommonJS calls it; most chunks do not.
    expect(files.filter((f) => BANNER.test(readFileSync(join(DIST, f), 'utf8'))).length).toBeGreaterThan(0);
    expect(files.filter((f) => !BANNER.test(readFileSync(join(DIST, f), 'utf8'))).length).toBeGreaterThan(files.length / 2);
  });

  it('every command starts from one file: dist/opscockpit.js imports no other output file', () => {
    const text = readFileSync(join(DIST, 'opscockpit.js'), 'utf8');
    const ours = /^import\b[^;]*?from\s*["']\.\//m;
    expect(ours.test(text)).toBe(false);
    expect(/^import\s*["']\.\//m.test(text)).toBe(false);
    // It still loads the cockpit's screens and the headless commands only when asked.
    expect(text.match(/import\("\.\/[^"]+\.js"\)/g)?.length).toBeGreaterThan(10);
  });

  it('every file an output file imports exists, and every name it imports from the entry is exported there', () => {
    const files = readdirSync(DIST).filter((f) => f.endsWith('.js'));
    const entry = readFileSync(join(DIST, 'opscockpit.js'), 'utf8');
    const exported = new Set(/\nexport\s*\{([^}]*)\};\s*$/.exec(entry)![1].split(',').map((s) => s.trim().split(/\s+/).at(-1)!));
    const missingFiles: string[] = [];
    const missingNames: string[] = [];
    let fromEntry = 0;
    for (const f of files) {
      const text = readFileSync(join(DIST, f), 'utf8');
      for (const m of text.matchAll(/(?:from\s*|import\s*\(?)"\.\/([^"]+\.js)"/g)) if (!files.includes(m[1])) missingFiles.push(`${f} → ${m[1]}`);
      for (const i of leadingImports(text, text.startsWith('import { createRequire') ? text.slice(0, text.indexOf('\n')) : '')) {
        if (i.from !== './opscockpit.js' || !i.names) continue;
        for (const spec of i.names.split(',').map((s) => s.trim()).filter(Boolean)) {
          fromEntry++;
          if (!exported.has(spec.split(/\s+/)[0])) missingNames.push(`${f}: ${spec}`);
        }
      }
    }
    expect(missingFiles).toEqual([]);
    expect(missingNames).toEqual([]);
    expect(fromEntry).toBeGreaterThan(20);
  });
});
