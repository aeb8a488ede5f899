// build.mjs: an output file defines `require` (a createRequire banner) exactly when its code
// calls it. A chunk that calls it without one fails when loaded ("require is not defined"); one
// that has it without a call pays a createRequire at every start.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

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
});
