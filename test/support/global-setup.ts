// Removes the test run's own temporary folder (made in vitest.config.ts) when the run ends.
import { rmSync } from 'node:fs';

export function teardown(): void {
  const dir = process.env.OPSCOCKPIT_TEST_TMP;
  if (dir) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}
