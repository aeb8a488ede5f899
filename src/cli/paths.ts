import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package folder, found from this module whether it runs from src/ or from dist/. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'fixtures'))) return dir;
    const up = dirname(dir);
    if (up === dir) return resolve('.');
    dir = up;
  }
}

export function demoRunbookPath(name = 'demo.yaml'): string {
  return join(packageRoot(), 'fixtures', 'runbooks', name);
}
