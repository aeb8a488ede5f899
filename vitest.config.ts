import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.{ts,tsx}'],
    // Ink decides at import time whether it runs under CI and then prints only the last
    // frame; screen tests need every frame, so the test workers never look like CI.
    env: { CI: 'false' },
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    reporters: ['default', './test/support/plain-summary.ts'],
  },
});
