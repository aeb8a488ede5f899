import { defineConfig } from 'vitest/config';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Tests never write to the person's own cache folder (the Markdown section cache lives there).
const cacheHome = mkdtempSync(join(tmpdir(), 'opscockpit-test-cache-'));

export default defineConfig({
  test: {
    include: ['test/**/*.test.{ts,tsx}'],
    // Ink decides at import time whether it runs under CI and then prints only the last
    // frame; screen tests need every frame, so the test workers never look like CI.
    env: { CI: 'false', XDG_CACHE_HOME: cacheHome },
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    reporters: ['default', './test/support/plain-summary.ts'],
  },
});
