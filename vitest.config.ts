import { defineConfig } from 'vitest/config';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Everything the tests write goes to one folder of their own, removed when the run ends
// (test/support/global-setup.ts): every temporary folder a test or a program it starts makes
// (TMPDIR), and the Markdown section cache (never the person's own cache folder).
const testTmp = mkdtempSync(join(tmpdir(), 'opscockpit-test-'));
const cacheHome = join(testTmp, 'cache');
mkdirSync(cacheHome);
process.env.OPSCOCKPIT_TEST_TMP = testTmp;

export default defineConfig({
  test: {
    include: ['test/**/*.test.{ts,tsx}'],
    // Ink decides at import time whether it runs under CI and then prints only the last
    // frame; screen tests need every frame, so the test workers never look like CI.
    env: { CI: 'false', XDG_CACHE_HOME: cacheHome, TMPDIR: testTmp },
    globalSetup: ['./test/support/global-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    reporters: ['default', './test/support/plain-summary.ts'],
  },
});
